"""Tracking end to end in a real browser against the live test server.

Debian's headless Chromium (Playwright) opens pages as a member would; the
hits land in the test PostgreSQL through the real callback.
"""

from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker.interfaces import IClickStorage
from tests.helpers import login
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from zope.component import getUtility
import csv
import io
import pytest
import time
import transaction


pytestmark = pytest.mark.browser

# Headless Chromium reports every page as visible, even one that is not in
# front; this presents the page to the script the way a background tab (or
# a prerendered page) presents itself, until the test "switches" to it.
BACKGROUND_TAB = """
(() => {
  let state = 'hidden';
  Object.defineProperty(document, 'visibilityState', {get: () => state});
  Object.defineProperty(document, 'hidden', {get: () => state !== 'visible'});
  window.__bringToFront = () => {
    state = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
  };
})();
"""


def hits(portal, path):
    transaction.begin()  # see what the server thread committed
    return list(getUtility(IClickStorage).getLog(path))


def wait_for_hits(portal, path, count, timeout=15):
    deadline = time.monotonic() + timeout
    rows = hits(portal, path)
    while sum(row.count for row in rows) < count and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = hits(portal, path)
    return rows


def settle(page):
    """Give a page every chance to call back: loaded, network quiet, a pause."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)


def test_member_reading_a_tracked_document_counts_once(page, live_site):
    portal_url = live_site.absolute_url()
    login(page, portal_url, LIVE_MEMBER, LIVE_PASSWORD)
    url = f"{portal_url}/meeting/minutes"
    page.goto(url)
    rows = wait_for_hits(live_site, "/plone/meeting", 1)
    settle(page)
    rows = hits(live_site, "/plone/meeting")
    assert [(r.member, r.count, r.url, r.path) for r in rows] == [
        (LIVE_MEMBER, 1, url, "/plone/meeting/minutes")
    ]


def test_untracked_page_records_nothing(page, live_site):
    portal_url = live_site.absolute_url()
    login(page, portal_url, LIVE_MEMBER, LIVE_PASSWORD)
    page.goto(f"{portal_url}/news")
    assert page.locator("script[src*='clicktracker']").count() == 0
    settle(page)
    assert hits(live_site, "/plone") == []


def test_ignored_view_records_nothing(page, live_site):
    # @@tracking marks its own request IContentIsIgnored.
    portal_url = live_site.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting/minutes/@@tracking")
    assert page.locator("script[src*='clicktracker']").count() == 0
    settle(page)
    assert hits(live_site, "/plone") == []


def test_background_tab_counts_only_when_brought_to_front(page, live_site):
    portal_url = live_site.absolute_url()
    login(page, portal_url, LIVE_MEMBER, LIVE_PASSWORD)
    page.add_init_script(BACKGROUND_TAB)
    page.goto(f"{portal_url}/meeting/agenda")
    assert page.locator("script[src*='clicktracker']").count() == 1
    settle(page)
    assert hits(live_site, "/plone/meeting") == []

    page.evaluate("window.__bringToFront()")
    rows = wait_for_hits(live_site, "/plone/meeting", 1)
    settle(page)
    rows = hits(live_site, "/plone/meeting")
    assert [(r.member, r.count) for r in rows] == [(LIVE_MEMBER, 1)]


def test_manager_sees_the_read_in_tracking_tab_and_csv(page, live_site):
    portal_url = live_site.absolute_url()
    login(page, portal_url, LIVE_MEMBER, LIVE_PASSWORD)
    page.goto(f"{portal_url}/meeting/minutes")
    wait_for_hits(live_site, "/plone/meeting", 1)
    page.context.clear_cookies()

    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting")
    page.get_by_role("link", name="Tracking").first.click()
    page.wait_for_url("**/meeting/@@tracking**")
    # The access log (the folder's reading matrix names her too).
    table = page.locator("#tracking-log-table").filter(has_text="Carol Chair")
    assert table.count() == 1
    assert LIVE_MEMBER in table.inner_text()
    # One row per member and document by default: its title and path.
    assert "Minutes" in table.inner_text()
    assert "/plone/meeting/minutes" in table.inner_text()

    with page.expect_download() as download_info:
        page.locator("#tracking-csv").click()
    content = open(download_info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(content)))
    # The manager's own view of the folder is a read too; Carol's is ours.
    carol = [row for row in rows[1:] if LIVE_MEMBER in row]
    assert len(carol) == 1
    assert "/plone/meeting/minutes" in carol[0]
    assert "Carol Chair" in carol[0]

    # The per-URL form shows the address it was read at.
    page.get_by_role("link", name="One row per address (URL)").click()
    page.wait_for_url("**per=url**")
    table = page.locator("#tracking-log-table").filter(has_text="Carol Chair")
    assert f"{portal_url}/meeting/minutes" in table.inner_text()
