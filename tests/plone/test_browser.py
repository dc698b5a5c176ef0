"""Real-browser checks against the live test server (acceptance layer)."""

from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from tests.helpers import login
import pytest
import transaction


pytestmark = pytest.mark.browser


@pytest.fixture
def portal_url(acceptance):
    portal = acceptance["portal"]
    transaction.commit()
    return portal.absolute_url()


def test_front_page(page, portal_url):
    response = page.goto(portal_url)
    assert response.status == 200
    assert page.title() == "Plone site"


def test_controlpanel_as_manager(page, portal_url):
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/@@overview-controlpanel")
    page.get_by_role("link", name="Click tracker settings").click()
    page.wait_for_url("**/@@clicktracker-controlpanel")
    assert page.locator("h1").inner_text().strip() == "Click tracker settings"
    assert page.locator("#form-widgets-dsn").is_visible()
