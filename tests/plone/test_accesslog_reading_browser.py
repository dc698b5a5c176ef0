"""Reading time on the access log and the clickstream in a real browser
(issue 13): the filter form is usable, the filtered table shows the columns,
and on a phone the table scrolls sideways, not the page. Saves
var/screenshots/reading-log-{desktop,phone}.png and
reading-clickstream-{desktop,phone}.png.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage.hits import new_hit_id
from tests.helpers import SCREENSHOTS
from tests.helpers import SIZES
from tests.helpers import login
from tests.plone.helpers import create_members
from zope.component import getUtility
import pytest
import transaction


pytestmark = pytest.mark.browser

READERS = {"dora": "Dora Director", "emil": "Emil Editor", "fay": "Fay Finance"}
# (member, document, address variant, (seconds, depth, end) or None)
VIEWS = (
    ("dora", "agenda", "", (250, 100, True)),
    ("dora", "minutes", "", (1500, 80, False)),
    ("emil", "agenda", "?utm_source=newsletter&utm_medium=email", (95, 100, True)),
    ("emil", "minutes", "", (12, 10, False)),
    ("fay", "agenda", "", None),
    ("fay", "minutes", "", (3725, 100, True)),
)
SCROLLS = "e => e.scrollWidth > e.clientWidth"
# What of ``element`` reaches past the viewport's right edge and so makes
# the page scroll sideways: anything outside a scrolling table, and inside
# one what is placed against a box outside it (an absolute element, such as
# Bootstrap's visually-hidden text, whose positioned ancestor is not in it).
OUTSIDE = """e => Array.from(e.querySelectorAll("*")).filter(c => {
    if (c.getBoundingClientRect().right <= document.documentElement.clientWidth) {
        return false;
    }
    const scroller = c.closest(".table-responsive");
    return !scroller || (getComputedStyle(c).position === "absolute"
        && !(c.offsetParent && scroller.contains(c.offsetParent)));
}).map(c => c.tagName + "#" + c.id + "." + c.className)"""


@pytest.fixture
def reading(live_site):
    """Three members read the meeting's documents, one visit each."""
    with api.env.adopt_roles(["Manager"]):
        create_members(READERS, "reader-secret-1")
    transaction.commit()
    storage = getUtility(IClickStorage)
    base = live_site.absolute_url()
    start = datetime.now(UTC) - timedelta(days=2)
    visits = {}
    for n, (member, document, variant, update) in enumerate(VIEWS):
        hit_id = new_hit_id()
        visits[member] = storage.log_visit(
            member,
            f"/plone/meeting/{document}",
            f"{base}/meeting/{document}{variant}",
            visits.get(member),
            title=document.title(),
            when=start + timedelta(minutes=7 * n),
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/127.0",
            hit_id=hit_id,
        ).visit_id
        if update is not None:
            assert storage.log_reading(hit_id, member, *update)
    return live_site, visits


def shoot(page, name):
    """var/screenshots/NAME-{desktop,phone}.png, each size loaded afresh."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)


def test_filter_the_log_by_reading(page, reading):
    site, _visits = reading
    portal_url = site.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting/@@tracking")
    assert page.locator("tr.tracking-row").count() == 6
    # The access log's own form (the tab has the expected readers' too).
    form = page.locator("#tracking-window")
    form.get_by_label("Read at least").fill("4")
    form.get_by_label("Read to the end").check()
    form.locator("#tracking-filter").click()
    page.wait_for_url("**min_minutes=4**")
    rows = page.locator("tr.tracking-row")
    assert rows.count() == 2
    assert sorted(rows.locator(".seconds").all_inner_texts()) == [
        "1 h 2 min",
        "4 min 10 s",
    ]
    ticks = rows.locator('.reached_end [aria-hidden="true"]')
    assert ticks.all_inner_texts() == ["✓", "✓"]
    # The words are for screen readers: one pixel, clipped.
    words = rows.first.locator(".reached_end .visually-hidden")
    assert words.text_content() == "read to the end"
    assert words.bounding_box()["width"] <= 1
    assert form.get_by_label("Read at least").input_value() == "4"
    assert form.get_by_label("Read to the end").is_checked()
    # A phone scrolls the table, not the access log (the filter form wraps).
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.locator("#tracking-log").evaluate(OUTSIDE) == []
    wrapper = page.locator("#tracking-log-table").locator("xpath=..")
    assert "table-responsive" in wrapper.get_attribute("class")
    assert wrapper.evaluate(SCROLLS)


def test_screenshots(page, reading):
    """The log with its reading columns and filters, and a clickstream."""
    site, visits = reading
    portal_url = site.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(
        f"{portal_url}/meeting/@@tracking?min_minutes=1&sort_on=seconds"
        "&sort_order=descending"
    )
    assert page.locator("tr.tracking-row").count() == 4
    shoot(page, "reading-log")
    page.goto(f"{portal_url}/@@clicktracker-clickstream?visit={visits['emil']}")
    assert page.locator(".clickstream-row").count() == 2
    assert page.locator(".clickstream-row .depth").all_inner_texts() == ["100%", "10%"]
    shoot(page, "reading-clickstream")
    # Left at the phone's size by shoot(): the table scrolls, not the page.
    assert not page.evaluate(f"({SCROLLS})(document.documentElement)")
    assert page.locator("#clickstream-table-wrapper").evaluate(SCROLLS)
