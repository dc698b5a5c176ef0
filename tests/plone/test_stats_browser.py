"""Views over time and the site statistics in a real browser (issue 13).

Headless Chromium on the live test server: a month of reading in carol's
meeting folder. The chart on the folder's Tracking tab is drawn (SVG) with
the days and figures of its table; on a phone it keeps its size and
scrolls in its box, the page does not. The statistics page lists the most
and the least read. Saves var/screenshots/chart-*.png and statistics-*.png.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage.stats import Statistics
from tests.helpers import SCREENSHOTS
from tests.helpers import login
from zope.component import getUtility
import pytest


pytestmark = pytest.mark.browser

# Whether ``element`` scrolls sideways (its content is wider than it is).
SCROLLS = "e => e.scrollWidth > e.clientWidth"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def month(live_site, monkeypatch):
    """Thirty days of reading the minutes (more on weekdays, a peak before
    the meeting), the agenda on a few days, the untracked news once."""
    monkeypatch.setattr(Statistics, "prepare_in_background", False)
    storage = getUtility(IClickStorage)
    url = live_site["meeting"].absolute_url()
    now = datetime.now(UTC)
    for days_ago in range(30):
        when = now - timedelta(days=days_ago, minutes=5)
        readers = 2 + (days_ago * 7) % 5 + (6 if days_ago in (3, 4) else 0)
        for number in range(readers):
            for _view in range(1 + number % 2):
                storage.logAccess(
                    f"m{number}", "/plone/meeting/minutes", f"{url}/minutes", when=when
                )
        if days_ago % 9 == 0:
            storage.logAccess("m1", "/plone/meeting/agenda", f"{url}/agenda", when=when)
    storage.logAccess("m1", "/plone/news", f"{url}/../news", when=now)
    return live_site


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_the_chart_is_its_table(page, month):
    portal_url = month.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting/@@tracking")
    chart = page.locator("#tracking-chart")
    svg = chart.locator("svg")
    svg.wait_for()
    assert svg.get_attribute("role") == "img"
    assert "views in all" in svg.get_attribute("aria-label")
    columns = chart.locator("rect.chart-hit")
    drawn = columns.evaluate_all(
        "rects => rects.map(r => [r.dataset.day, r.dataset.figures])"
    )
    assert len(drawn) == 30
    # The table, one click away, has the same days and figures.
    chart.get_by_text("Show as table").click()
    rows = chart.locator("table.chart-table tbody tr")
    assert rows.first.is_visible()
    table = rows.evaluate_all(
        "trs => trs.map(tr => [tr.dataset.day,"
        " tr.querySelector('.chart-views').textContent + ' '"
        " + tr.querySelector('.chart-readers').textContent])"
    )
    assert drawn == table
    assert len({figures for _day, figures in drawn}) > 3  # not a flat line
    # Each day's column has its tooltip.
    title = columns.nth(26).locator("title").text_content()
    assert title.endswith("readers") and "views" in title
    screenshot(page, "chart-desktop")

    # 90 days, by a link.
    chart.get_by_role("link", name="90 days").click()
    page.locator("#tracking-chart rect.chart-hit").nth(89).wait_for(state="attached")
    assert page.locator("#tracking-chart rect.chart-hit").count() == 90

    # On a phone the chart keeps a readable size and scrolls in its box.
    page.set_viewport_size(PHONE)
    page.goto(f"{portal_url}/meeting/@@tracking")
    box = page.locator("#tracking-chart .chart-box")
    box.wait_for()
    assert not page.evaluate(f"({SCROLLS})(document.documentElement)")
    assert box.evaluate(SCROLLS)
    assert page.locator("#tracking-chart svg").bounding_box()["width"] >= 500
    page.locator("#tracking-chart").screenshot(path=SCREENSHOTS / "chart-phone.png")


def test_the_statistics_page(page, month):
    portal_url = month.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/@@clicktracker-controlpanel")
    page.locator("#clicktracker-statistics-link").click()
    most = page.locator("#statistics-most-table tbody tr")
    most.first.wait_for()
    # Yesterday and before: the minutes, then the agenda (news: not
    # tracked, and read today).
    assert most.evaluate_all("trs => trs.map(tr => tr.dataset.path)") == [
        "/plone/meeting/minutes",
        "/plone/meeting/agenda",
    ]
    least = page.locator("#statistics-least-table tbody tr")
    assert least.evaluate_all("trs => trs.map(tr => tr.dataset.path)") == [
        "/plone/meeting/agenda",
        "/plone/meeting/minutes",
    ]
    assert page.locator("#statistics-chart svg").is_visible()
    screenshot(page, "statistics-desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    page.locator("#statistics-most-table").wait_for()
    assert not page.evaluate(f"({SCROLLS})(document.documentElement)")
    screenshot(page, "statistics-phone")
