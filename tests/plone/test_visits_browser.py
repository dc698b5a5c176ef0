"""Visits and clickstreams end to end in a real browser (live test server)."""

from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker.storage.utility import visit_storage
from tests.helpers import login
from tests.helpers import screenshots
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
import pytest
import time
import transaction


pytestmark = pytest.mark.browser


def member_visits():
    transaction.begin()  # see what the server thread committed
    return visit_storage().get_visits(member=LIVE_MEMBER, limit=None)


def wait_for(pages, reloads, timeout=15):
    """The member's visits once they hold ``pages`` clicks and ``reloads``."""
    deadline = time.monotonic() + timeout
    while True:
        rows = member_visits()
        done = sum(r.hits for r in rows) >= pages and (
            sum(r.reloads for r in rows) >= reloads
        )
        if done or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_one_visit_with_its_clickstream(page, live_site):
    portal_url = live_site.absolute_url()
    login(page, portal_url, LIVE_MEMBER, LIVE_PASSWORD)
    page.goto(f"{portal_url}/meeting/minutes")
    wait_for(1, 0)
    page.goto(f"{portal_url}/meeting/agenda")
    wait_for(2, 0)
    page.reload()
    (visit,) = wait_for(2, 1)
    assert (visit.hits, visit.reloads) == (2, 1)
    page.context.clear_cookies()

    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/@@clicktracker-controlpanel")
    page.get_by_role("link", name="Visits and clickstreams").click()
    page.wait_for_url("**/@@clicktracker-visits**")
    rows = page.locator("#visits-table tr.visits-row").filter(has_text="Carol Chair")
    assert rows.count() == 1
    assert rows.locator(".hits").inner_text().strip() == "2"
    assert rows.locator(".reloads").inner_text().strip() == "1"
    assert "Carol Chair" in page.locator("#visits-active").inner_text()

    rows.get_by_role("link", name="Clickstream").click()
    page.wait_for_url("**/@@clicktracker-clickstream?visit=*")
    paths = page.locator(".clickstream-row .path").all_inner_texts()
    assert paths == ["/plone/meeting/minutes", "/plone/meeting/agenda"]
    reloads = page.locator(".clickstream-row .reloads").all_inner_texts()
    assert reloads == ["0", "1"]
    titles = page.locator(".clickstream-row .title").all_inner_texts()
    assert titles == ["Minutes", "Agenda"]


# Whether ``element`` scrolls sideways (its content is wider than it is).
SCROLLS = "e => e.scrollWidth > e.clientWidth"


def test_phone_scrolls_the_tables_not_the_page(page, live_site):
    storage = visit_storage()
    long = "https://search.example/?q=" + "board+meeting+minutes+" * 6
    visit = storage.log_visit(
        LIVE_MEMBER,
        "/plone/meeting/minutes",
        f"{live_site.absolute_url()}/meeting/minutes",
        referrer=long,
        title="Minutes",
    ).visit_id
    storage.log_visit(SITE_OWNER_NAME, "/plone/meeting", live_site.absolute_url())
    transaction.commit()
    portal_url = live_site.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    pages = {
        "visits": (f"{portal_url}/@@clicktracker-visits", "#visits-table"),
        "clickstream": (
            f"{portal_url}/@@clicktracker-clickstream?visit={visit}",
            "#clickstream-table",
        ),
    }
    for name, (url, table) in pages.items():
        page.goto(url)
        assert not page.evaluate(f"({SCROLLS})(document.documentElement)"), name
        wrapper = page.locator(f"{table}-wrapper")
        assert "table-responsive" in wrapper.get_attribute("class")
        assert wrapper.evaluate(SCROLLS), name
        crumbs = page.locator("#portal-breadcrumbs li").all_inner_texts()
        assert crumbs[1:4] == ["Site Setup", "Click tracker settings", "Visits"], name
        screenshots(page, name)
    # The Zope admin (no Plone member) is named by the user id, and the
    # visit that came from nowhere says so with a dash.
    page.goto(pages["visits"][0])
    admin = page.locator("#visits-table tr.visits-row").filter(has_text="—")
    assert admin.locator(".fullname").inner_text() == SITE_OWNER_NAME
    admin.get_by_role("link", name="Clickstream").click()
    page.wait_for_url("**/@@clicktracker-clickstream?visit=*")
    assert page.locator("#clickstream-visit .referrer").inner_text() == "—"
    screenshots(page, "clickstream-no-referrer")
