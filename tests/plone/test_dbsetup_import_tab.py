"""The database setup profile run from portal_setup's Import tab (ZMI)."""

from plone import api
from slc.clicktracker.interfaces import IClickStorage
from tests.helpers import user_tables
from zope.component import getUtility
import pytest
import transaction


PROFILE = "profile-slc.clicktracker:dbsetup"
DONE = "Selected profile import done"
FAILED = "The click tracker database was not set up"


def set_dsn(dsn):
    api.portal.set_registry_record("slc.clicktracker.dsn", dsn)
    transaction.commit()


@pytest.fixture
def import_tab(functional, owner_browser):
    """Import the profile as a person does in the ZMI; the browser after it."""
    owner_browser.handleErrors = True
    owner_browser.raiseHttpErrors = False
    tool_url = f"{functional['portal'].absolute_url()}/portal_setup"

    def run():
        owner_browser.open(f"{tool_url}/manage_fullImport?context_id={PROFILE}")
        owner_browser.getControl("Import all steps").click()
        return owner_browser

    return run


def test_success_is_shown_as_done(functional, import_tab):
    set_dsn(functional["pg_dsn"])
    browser = import_tab()
    assert browser.headers["status"].startswith("200")
    version = getUtility(IClickStorage).status()["schema_version"]
    assert DONE in browser.contents
    assert f"Click tracker database ready, schema version {version}" in (
        browser.contents
    )


@pytest.mark.parametrize(
    ("dsn", "reason"),
    [
        ("", "No database is configured"),
        ("host=127.0.0.1 port=1 dbname=x password=ImportSecret8", "refused"),
    ],
)
def test_failure_is_shown_as_failure(functional, import_tab, dsn, reason):
    set_dsn(dsn)
    browser = import_tab()
    assert browser.headers["status"].startswith("500")
    assert DONE not in browser.contents
    assert FAILED in browser.contents
    assert reason in browser.contents
    assert "Traceback" not in browser.contents
    assert "ImportSecret8" not in browser.contents
    # Where to go next: the settings, and the Import tab to try again.
    assert browser.getLink("Click tracker settings").url.endswith(
        "/@@clicktracker-controlpanel"
    )
    assert browser.getLink("Import tab").url.endswith("/portal_setup/manage_fullImport")


def test_failure_leaves_the_database_alone(functional, import_tab):
    # The DSN names a database that exists, the user in it does not.
    set_dsn(f"{functional['pg_dsn']} user=nobody_here")
    browser = import_tab()
    assert FAILED in browser.contents
    assert user_tables(functional["pg_dsn"]) == 0
