"""Helpers of the whole suite (fixtures are in conftest.py)."""

from pathlib import Path
import psycopg2


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


def desktop_page(browser):
    """A page of a new context of ``browser`` that says it is a desktop
    browser (the add-on takes HeadlessChrome for a bot); a generator for
    fixtures: the context is closed after the test."""
    from slc.clicktracker.testing import DESKTOP_UA

    context = browser.new_context(user_agent=DESKTOP_UA)
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


# -- screenshots of the pages a change touched (looked at before committing) --

# Not committed (var/ is ignored): a fresh set after every run.
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def screenshots(page, name):
    """Save ``page`` 1280 and 390 pixels wide as var/screenshots/NAME-*.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(before)
