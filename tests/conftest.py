"""Fixtures shared by the whole suite; Zope-free, see plone/conftest.py."""

from slc.clicktracker.testing.cluster import CLUSTER
from slc.clicktracker.testing.cluster import PostgresCluster
from tests.helpers import CHROMIUM
from tests.helpers import CHROMIUM_ARGS
from tests.helpers import desktop_page
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


@pytest.fixture
def cluster():
    """A private cluster a test may stop, freeze and start (outages)."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.resume()  # in case the test froze it and failed
    cluster.stop()


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


@pytest.fixture
def page(chromium):
    yield from desktop_page(chromium)
