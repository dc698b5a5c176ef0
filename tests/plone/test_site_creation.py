"""A Plone site can be created through the web, as on any Plone 6.2 install.

The Zope root of the pinned set, with every installed plugin's ZCML loaded
as in a real instance (``ZOPE_ROOT_TESTING``): the Zope admin logs in, picks
the Classic UI distribution and creates a site, which then answers.
"""

from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from plone.base.interfaces import IPloneSiteRoot
from pytest_plone import fixtures_factory
from slc.clicktracker.testing import DESKTOP_UA
from slc.clicktracker.testing.layers import ZOPE_ROOT_TESTING
from tests.helpers import screenshots
import pytest
import requests
import transaction


pytestmark = pytest.mark.browser

globals().update(fixtures_factory(((ZOPE_ROOT_TESTING, "zope_root"),)))


@pytest.fixture
def admin_page(chromium):
    """A browser that answers the Zope root's login prompt as the Zope admin."""
    credentials = {"username": SITE_OWNER_NAME, "password": SITE_OWNER_PASSWORD}
    context = chromium.new_context(user_agent=DESKTOP_UA, http_credentials=credentials)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def test_zope_admin_creates_a_classic_ui_site(zope_root, admin_page):
    page, root_url = admin_page, zope_root["app"].absolute_url()
    page.goto(root_url)
    # The browser's login prompt; the credentials above answer it.
    page.get_by_role("button", name="Login").click()
    page.get_by_role("heading", name="Create a new site").wait_for()
    screenshots(page, "zope-root")

    card = page.locator(".kard").filter(has_text="Plone Site (Classic UI)")
    card.hover()
    card.get_by_role("button", name="Create").click()
    page.wait_for_url("**/@@ploneAddSite?distribution=classic")
    page.fill("#root_site_id", "board")
    page.fill("#root_title", "Board intranet")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"{root_url}/board**", timeout=180_000)

    # The new site answers, to anybody, with Plone's Classic UI.
    answer = requests.get(f"{root_url}/board", timeout=60)
    assert answer.status_code == 200
    assert "<title>Board intranet</title>" in answer.text
    assert 'id="portal-globalnav"' in answer.text
    transaction.begin()  # see what the server thread committed
    assert IPloneSiteRoot.providedBy(zope_root["app"]["board"])
