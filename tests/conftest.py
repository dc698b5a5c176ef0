"""Fixtures shared by the whole suite; Zope-free, see plone/conftest.py."""

from slc.clicktracker.testing import CLUSTER
import psycopg2
import pytest


pytest_plugins = ["pytest_plone"]


@pytest.fixture(scope="session")
def package_name() -> str:
    return "slc.clicktracker"


@pytest.fixture(scope="session")
def pg_cluster():
    """The run's single throwaway PostgreSQL cluster (shared with the layers)."""
    CLUSTER.start()
    return CLUSTER


@pytest.fixture
def pg_dsn(pg_cluster):
    """DSN of a fresh database for this test, dropped afterwards."""
    name = pg_cluster.create_database()
    yield pg_cluster.dsn(name)
    pg_cluster.drop_database(name)


CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium keeps dialling Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (no downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Chromium's headless user agent says "HeadlessChrome", which the add-on
# rightly treats as automation; a reader's browser sends this instead.
DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(user_agent=DESKTOP_UA)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def login(page, portal_url, name, password):
    """Log in through Plone's own login form, as a person would."""
    page.goto(f"{portal_url}/login")
    page.fill("#__ac_name", name)
    page.fill("#__ac_password", password)
    page.click("#buttons-login")
    page.wait_for_load_state()
    assert page.locator("#__ac_name").count() == 0, page.content()[:2000]


def user_tables(dsn):
    """How many tables the database at ``dsn`` holds outside the catalogs."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
            return cur.fetchone()[0]
    finally:
        conn.close()
