"""The "Click tracker settings" control panel."""

from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from plone.app.testing import TEST_USER_NAME
from plone.app.testing import TEST_USER_PASSWORD
from plone.testing.zope import Browser
import pytest
import transaction


@pytest.fixture
def browser(functional):
    browser = Browser(functional["app"])
    browser.handleErrors = False
    return browser


def login(browser, name, password):
    browser.addHeader("Authorization", f"Basic {name}:{password}")


def test_view_registered(portal, http_request):
    view = api.content.get_view("clicktracker-controlpanel", portal, http_request)
    assert view is not None


def test_form_saves_dsn(functional, browser):
    login(browser, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    portal_url = functional["portal"].absolute_url()
    browser.open(f"{portal_url}/@@overview-controlpanel")
    browser.getLink("Click tracker settings").click()
    assert browser.url.endswith("/@@clicktracker-controlpanel")
    browser.getControl(name="form.widgets.dsn").value = "dbname=demo"
    browser.getControl("Save").click()
    assert "Changes saved" in browser.contents
    transaction.begin()
    with api.env.adopt_roles(["Manager"]):
        assert api.portal.get_registry_record("slc.clicktracker.dsn") == "dbname=demo"


def test_members_may_not_open_it(functional, browser):
    browser.handleErrors = True
    browser.raiseHttpErrors = False
    login(browser, TEST_USER_NAME, TEST_USER_PASSWORD)
    portal_url = functional["portal"].absolute_url()
    browser.open(f"{portal_url}/@@clicktracker-controlpanel")
    # Plone answers with its usual "Insufficient Privileges" page.
    assert browser.url.endswith("/insufficient-privileges")
    assert "form.widgets.dsn" not in browser.contents


def test_listed_in_site_setup_addons(functional, browser):
    login(browser, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    portal_url = functional["portal"].absolute_url()
    browser.open(f"{portal_url}/prefs_install_products_form")
    assert "slc.clicktracker" in browser.contents
    assert "Click tracker settings" in browser.contents
