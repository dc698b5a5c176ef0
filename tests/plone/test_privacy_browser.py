"""Data protection in a real browser (issue 15): a member sees the notice
and their own data; a manager erases that member's data through the
confirmation page."""

from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker.interfaces import IClickStorage
from tests.helpers import desktop_page
from tests.helpers import login
from tests.helpers import screenshots
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from zope.component import getUtility
import pytest
import transaction


pytestmark = pytest.mark.browser


def rows_of(member):
    transaction.begin()
    data = getUtility(IClickStorage).member_data(member)
    return sum(len(rows) for rows in data.values())


def test_member_sees_their_data_and_a_manager_erases_it(chromium, live_site):
    portal_url = live_site.absolute_url()
    for name, value in (
        ("notice_enabled", True),
        ("notice_texts", ["en|Your reading of this page is recorded for the board."]),
        ("privacy_url", "/privacy"),
    ):
        api.portal.set_registry_record(f"slc.clicktracker.{name}", value)
    transaction.commit()
    storage = getUtility(IClickStorage)
    for doc in ("minutes", "agenda", "minutes"):
        url = f"{portal_url}/meeting/{doc}"
        storage.logAccess(LIVE_MEMBER, f"/plone/meeting/{doc}", url)

    member_pages = desktop_page(chromium)
    member = next(member_pages)
    login(member, portal_url, LIVE_MEMBER, LIVE_PASSWORD)
    member.goto(f"{portal_url}/meeting/minutes")
    notice = member.locator("#clicktracker-notice")
    assert notice.inner_text().startswith("Your reading of this page is recorded")
    assert notice.get_by_role("link").get_attribute("href") == f"{portal_url}/privacy"
    screenshots(member, "privacy-notice")
    member.goto(f"{portal_url}/@@my-reading-data")
    assert member.locator("#my-data-table").is_visible()
    screenshots(member, "privacy-my-reading-data")
    next(member_pages, None)

    manager_pages = desktop_page(chromium)
    manager = next(manager_pages)
    login(manager, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    manager.goto(f"{portal_url}/@@clicktracker-controlpanel")
    manager.locator("#content nav.autotoc-nav a", has_text="Data protection").click()
    manager.locator("#form-widgets-notice_texts").wait_for(state="visible")
    screenshots(manager, "privacy-controlpanel")
    manager.locator("#clicktracker-member-data-link").click()
    manager.fill("#member-data-member", LIVE_MEMBER)
    manager.get_by_role("button", name="Show stored data").click()
    table = manager.locator("#member-data-table")
    assert "Page views" in table.inner_text()
    screenshots(manager, "privacy-member-data")
    manager.locator("#member-data-erase").click()
    manager.locator("#member-data-confirm").wait_for()
    screenshots(manager, "privacy-erase-confirm")
    assert rows_of(LIVE_MEMBER) > 0
    manager.locator("#member-data-confirm-button").click()
    manager.get_by_text("rows erased").wait_for()
    assert manager.get_by_text("Nothing is stored about this id.").is_visible()
    screenshots(manager, "privacy-erased")
    assert rows_of(LIVE_MEMBER) == 0
    next(manager_pages, None)
