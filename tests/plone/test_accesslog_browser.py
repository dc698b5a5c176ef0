"""The Tracking tab's access log in a real browser (issue 11, items 12, 13).

Headless Chromium on the live test server, as a manager: the sorted column
shows, the table scrolls on a phone instead of the page, the addresses of
a row open as its detail. Saves the screenshots var/screenshots/tracking-*.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker.interfaces import IClickStorage
from tests.helpers import SCREENSHOTS
from tests.helpers import SIZES
from tests.helpers import login
from tests.plone.helpers import create_members
from zope.component import getUtility
import pytest
import transaction


pytestmark = pytest.mark.browser

READERS = {
    "dora": "Dora Director",
    "emil": "Emil Editor",
    "fay": "Fay Finance",
}
# Whether ``element`` scrolls sideways (its content is wider than it is).
SCROLLS = "e => e.scrollWidth > e.clientWidth"


@pytest.fixture
def readers(live_site):
    """Three members read the meeting's documents, at several addresses."""
    with api.env.adopt_roles(["Manager"]):
        create_members(READERS, "reader-secret-1")
    transaction.commit()
    storage = getUtility(IClickStorage)
    base = live_site.absolute_url()
    start = datetime.now(UTC) - timedelta(days=3)
    campaign = "?utm_source=newsletter&utm_medium=email&utm_campaign=board-meeting"
    for n, (userid, document, variant) in enumerate(
        (
            ("dora", "agenda", ""),
            ("dora", "agenda", "/view"),
            ("dora", "agenda", campaign),
            ("dora", "minutes", ""),
            ("emil", "agenda", ""),
            ("emil", "minutes", campaign),
            ("fay", "minutes", ""),
            ("fay", "minutes", ""),
        )
    ):
        path = f"/plone/meeting/{document}"
        storage.logAccess(
            userid,
            path,
            f"{base}/meeting/{document}{variant}",
            title=document.title(),
            when=start + timedelta(hours=5 * n),
        )
    return live_site


def shoot(page, name):
    """var/screenshots/NAME-{desktop,phone}.png, each size loaded afresh
    (a page resized once loaded can keep a menu of the other size open)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)


def open_tab(page, site, query=""):
    portal_url = site.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting/@@tracking{query}")


def test_sorted_column_shows_and_is_announced(page, readers):
    open_tab(page, readers, "?sort_on=count&sort_order=descending")
    sorted_th = page.locator("#tracking-log-table th[aria-sort]")
    assert sorted_th.count() == 1
    assert sorted_th.get_attribute("aria-sort") == "descending"
    indicator = sorted_th.locator(".sort-indicator")
    assert indicator.is_visible() and indicator.inner_text() == "▼"
    assert sorted_th.locator("a").inner_text() == "Views"
    # The first row is the most read one: Dora's three views of the agenda.
    first = page.locator("tr.tracking-row").first
    assert first.locator(".fullname").inner_text() == "Dora Director"
    assert first.locator(".count").inner_text() == "3"
    sorted_th.locator("a").click()
    page.wait_for_load_state()
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "ascending"
    assert page.locator("th[aria-sort] .sort-indicator").inner_text() == "▲"


def test_addresses_open_as_the_detail_of_a_row(page, readers):
    open_tab(page, readers)
    dora_agenda = (
        page.locator("tr.tracking-row")
        .filter(has_text="Dora")
        .filter(has_text="Agenda")
    )
    assert dora_agenda.locator(".document a.tracking-document").inner_text() == "Agenda"
    dora_agenda.get_by_role("link", name="3 addresses").click()
    page.wait_for_url("**per=url**")
    urls = page.locator("tr.tracking-row .url").all_inner_texts()
    assert len(urls) == 3 and all("/meeting/agenda" in url for url in urls)
    assert "Dora Director (dora)" in page.locator("#tracking-filtered").inner_text()


@pytest.mark.parametrize("per", ["document", "url"])
def test_phone_scrolls_the_table_not_the_page(page, readers, per):
    open_tab(page, readers, f"?per={per}")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert not page.evaluate(f"({SCROLLS})(document.documentElement)")
    wrapper = page.locator("#tracking-log-table").locator("xpath=..")
    assert "table-responsive" in wrapper.get_attribute("class")
    assert wrapper.evaluate(SCROLLS)


def test_screenshots(page, readers):
    """var/screenshots/tracking-{desktop,phone}.png, and the per-URL form."""
    open_tab(page, readers, "?sort_on=lastaccess&sort_order=descending")
    assert page.locator("tr.tracking-row").count() == 5
    shoot(page, "tracking")
    page.goto(f"{readers.absolute_url()}/meeting/@@tracking?per=url")
    assert page.locator("tr.tracking-row").count() == 7
    shoot(page, "tracking-per-url")
    page.goto(
        f"{readers.absolute_url()}/meeting/@@tracking?since=2001-01-01&until=2001-01-31"
    )
    assert "No views between" in page.locator("#tracking-empty").inner_text()
    shoot(page, "tracking-empty-window")


def test_screenshot_of_a_sort_too_slow(page, readers):
    """var/screenshots/tracking-too-slow-*.png: what a huge prefix says."""
    real = getUtility(IClickStorage).storage()
    real.pool.run(lambda cur: cur.execute("ANALYZE"))
    limits = real.log_small_rows, real.log_max_sort_rows
    real.log_small_rows = real.log_max_sort_rows = 0
    try:
        open_tab(page, readers, "?sort_on=count&sort_order=descending")
        slow = page.locator("#tracking-too-slow")
        assert slow.is_visible()
        assert slow.get_by_role("link", name="the last 7 days").is_visible()
        shoot(page, "tracking-too-slow")
    finally:
        real.log_small_rows, real.log_max_sort_rows = limits
