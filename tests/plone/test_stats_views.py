"""Views over time on the Tracking tab and the site statistics page (issue
13): what they count, their periods, who may see them, storages that
cannot count per day, and failures shown as messages."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker import tracking
from slc.clicktracker.browser import statistics
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage.stats import Statistics
from slc.clicktracker.testing.layers import CACHING_PRESETS
from slc.clicktracker.testing.layers import use_caching
from slc.clicktracker.tokens import ANONYMOUS
from tests.plone.helpers import browser_as
from tests.plone.helpers import element_text
from tests.plone.helpers import has_element
from tests.plone.helpers import hit
from tests.plone.helpers import open_browser
from tests.plone.helpers import text
from tests.plone.helpers import tree
from tests.plone.test_tracking_view import TupleStorage
from zExceptions import Unauthorized
from zope.component import getGlobalSiteManager
from zope.component import getUtility
import psycopg2
import pytest
import transaction


NOW = datetime.now(UTC)
STATS = "http://nohost/plone/@@clicktracker-statistics"


@pytest.fixture(autouse=True)
def prepared_at_once(monkeypatch):
    """The figures are prepared in the request that needs them."""
    monkeypatch.setattr(Statistics, "prepare_in_background", False)


@pytest.fixture
def site(roles_site, storage):
    """The folder "Minutes" (tracked) with Doc and Agenda; Ada read Doc
    two days ago and today, Cy yesterday, an anonymous visitor once;
    nobody read Agenda. The untracked "Old" was read long ago."""
    folder = roles_site["folder"]
    api.content.create(folder, "Document", id="agenda", title="Agenda")
    api.content.create(roles_site, "Document", id="old", title="Old")
    tracking.enable(folder)
    transaction.commit()
    doc = "/plone/folder/doc"
    hit(storage, "member", doc, NOW - timedelta(days=2))
    hit(storage, "member", doc, NOW)
    hit(storage, "editor", doc, NOW - timedelta(days=1))
    hit(storage, ANONYMOUS, doc, NOW - timedelta(days=1))
    hit(storage, "member", "/plone/old", NOW - timedelta(days=60))
    return roles_site


def tab(obj, query=""):
    return f"{obj.absolute_url()}/@@tracking{query}"


def chart_rows(browser):
    """The chart's table: (ISO day, views, readers) of each row."""
    return [
        (
            tr.get("data-day"),
            text(tr.xpath('td[contains(@class, "chart-views")]')[0]),
            text(tr.xpath('td[contains(@class, "chart-readers")]')[0]),
        )
        for tr in tree(browser).xpath('//table[contains(@class, "chart-table")]//tr')
        if tr.get("data-day")
    ]


def svg_days(browser):
    """The chart's drawing: (ISO day, "views readers") of each column."""
    return [
        (rect.get("data-day"), rect.get("data-figures"))
        for rect in tree(browser).xpath('//*[@class="chart-hit"]')
    ]


def day(days_ago):
    return (NOW - timedelta(days=days_ago)).date().isoformat()


# -- views over time on the Tracking tab -------------------------------------------


def test_a_folder_shows_views_and_readers_per_day(functional, site):
    browser = browser_as(functional, "manager")
    browser.open(tab(site["folder"]))
    rows = chart_rows(browser)
    assert len(rows) == 30
    assert rows[-4:] == [
        (day(3), "0", "0"),
        (day(2), "1", "1"),
        # The anonymous visitor's view counts; they are no reader.
        (day(1), "2", "1"),
        (day(0), "1", "1"),
    ]
    # The drawing has the table's days and figures.
    assert svg_days(browser) == [(d, f"{v} {r}") for d, v, r in rows]
    svg = tree(browser).xpath('//*[@id="tracking-chart"]//*[local-name()="svg"]')[0]
    assert svg.get("role") == "img"
    assert "4 views in all" in svg.get("aria-label")
    assert "2 views, 1 readers" in text(
        tree(browser).xpath(f'//*[@data-day="{day(1)}"]/*[local-name()="title"]')[0]
    )


def test_periods(functional, site):
    browser = browser_as(functional, "manager")
    browser.open(tab(site["folder"], "?chart_days=90"))
    assert len(chart_rows(browser)) == 90
    links = tree(browser).xpath('//nav[contains(@class, "chart-windows")]/a')
    assert [text(a) for a in links] == ["30 days", "90 days", "365 days"]
    assert [a.get("aria-current") for a in links] == [None, "true", None]
    assert "chart_days=365" in links[2].get("href")
    browser.open(tab(site["folder"], "?chart_days=12"))  # not offered
    assert len(chart_rows(browser)) == 30


def test_a_document_shows_its_own_views(functional, site):
    browser = browser_as(functional, "editor")  # "View reading status"
    browser.open(tab(site["folder"]["agenda"]))
    assert {views for _d, views, _r in chart_rows(browser)} == {"0"}
    assert "No views in this period." in element_text(browser, "tracking-chart")
    browser.open(tab(site["folder"]["doc"]))
    assert chart_rows(browser)[-1] == (day(0), "1", "1")


def test_untracked_items_show_a_chart_only_with_history(functional, site):
    browser = browser_as(functional, "manager")
    browser.open(tab(site["old"]))
    assert not has_element(browser, "tracking-chart")
    browser.open(tab(site["old"], "?chart_days=90"))
    assert chart_rows(browser)[-61] == (day(60), "1", "1")


def test_the_site_root_counts_the_whole_site(functional, site):
    browser = browser_as(functional, "manager")
    browser.open(tab(site))
    assert chart_rows(browser)[-3:] == [
        (day(2), "1", "1"),
        (day(1), "2", "1"),
        (day(0), "1", "1"),
    ]
    assert "of the whole site" in element_text(browser, "tracking-chart")


def test_storage_failures_are_messages(monkeypatch, functional, site):
    def fail(*args, **kw):
        raise StorageError("connection refused")

    monkeypatch.setattr(Statistics, "views_per_day", fail)
    browser = browser_as(functional, "manager")
    browser.open(tab(site["folder"]))
    assert "database is unreachable (connection refused)" in element_text(
        browser, "tracking-chart"
    )
    assert has_element(browser, "tracking-log-table")

    def slow(*args, **kw):
        raise LogTooSlow("too slow")

    monkeypatch.setattr(Statistics, "views_per_day", slow)
    browser.open(tab(site["folder"]))
    assert "choose a shorter period" in element_text(browser, "tracking-chart")


@pytest.fixture
def tuple_storage(site):
    registry = getGlobalSiteManager()
    original = registry.getUtility(IClickStorage)
    registry.registerUtility(TupleStorage(), IClickStorage)
    yield
    registry.registerUtility(original, IClickStorage)


def test_no_chart_from_a_storage_without_it(functional, site, tuple_storage):
    browser = browser_as(functional, "manager")
    browser.open(tab(site["folder"]))
    assert not has_element(browser, "tracking-chart")
    browser.open(STATS)
    assert "no statistics to show" in browser.contents


# -- the site statistics ---------------------------------------------------------


def table_rows(browser, table):
    return [
        (
            tr.get("data-path"),
            text(tr.xpath('td[contains(@class, "readers")]')[0]),
            text(tr.xpath('td[contains(@class, "views")]')[0]),
        )
        for tr in tree(browser).xpath(f'//table[@id="{table}"]/tbody/tr')
    ]


def test_who_may_see_the_statistics(functional, site):
    for name in ("manager", "siteadmin"):
        browser = browser_as(functional, name)
        browser.open(STATS)
        assert has_element(browser, "statistics-most")
    for name in ("editor", "member"):
        with pytest.raises(Unauthorized):
            browser_as(functional, name).open(STATS)


def test_most_and_least_read(functional, site):
    browser = browser_as(functional, "manager")
    browser.open(STATS)
    # Complete days only: the 30 days up to yesterday.
    assert table_rows(browser, "statistics-most-table") == [
        ("/plone/folder/doc", "2", "3"),
    ]
    # Tracked documents, unread first; "Old" is not tracked.
    assert table_rows(browser, "statistics-least-table") == [
        ("/plone/folder/agenda", "0", "0"),
        ("/plone/folder/doc", "2", "3"),
    ]
    link = tree(browser).xpath('//table[@id="statistics-least-table"]//a')[0]
    assert link.get("href") == "http://nohost/plone/folder/agenda/@@tracking"
    assert "Complete days from" in element_text(browser, "statistics-period")
    assert not has_element(browser, "statistics-preparing")
    assert [views for _d, views, _r in chart_rows(browser)[-3:]] == ["1", "2", "1"]
    browser.open(f"{STATS}?days=90")
    assert table_rows(browser, "statistics-most-table") == [
        ("/plone/folder/doc", "2", "3"),
        ("/plone/old", "1", "1"),
    ]
    assert len(chart_rows(browser)) == 90


def test_the_lists_are_batched(monkeypatch, functional, site):
    monkeypatch.setattr(statistics, "BATCH_SIZE", 1)
    browser = browser_as(functional, "manager")
    browser.open(f"{STATS}?days=90&most_start=1")
    assert table_rows(browser, "statistics-most-table") == [("/plone/old", "1", "1")]
    assert table_rows(browser, "statistics-least-table")[0][0] == (
        "/plone/folder/agenda"
    )
    browser.open(f"{STATS}?days=90&least_start=1")
    assert table_rows(browser, "statistics-least-table")[0][0] == "/plone/folder/doc"


def test_statistics_failures_are_messages(monkeypatch, functional, site):
    def fail(*args, **kw):
        raise StorageError("connection refused")

    monkeypatch.setattr(Statistics, "most_read", fail)
    browser = browser_as(functional, "manager")
    browser.open(STATS)
    assert "database is unreachable (connection refused)" in browser.contents
    assert not has_element(browser, "statistics-most-table")


def test_linked_from_the_control_panel(functional, site):
    browser = browser_as(functional, "manager")
    browser.open("http://nohost/plone/@@clicktracker-controlpanel")
    browser.getLink(id="clicktracker-statistics-link").click()
    assert browser.url == STATS


@pytest.mark.parametrize("preset", CACHING_PRESETS)
def test_the_statistics_are_never_cached(caching_functional, preset):
    portal = caching_functional["portal"]
    api.portal.set_registry_record("slc.clicktracker.dsn", caching_functional["pg_dsn"])
    transaction.commit()
    getUtility(IClickStorage).setup_database()
    use_caching(portal, preset)
    transaction.commit()
    browser = open_browser(caching_functional)
    browser.addHeader("Authorization", f"Basic {SITE_OWNER_NAME}:{SITE_OWNER_PASSWORD}")
    browser.open(STATS)
    assert browser.headers["X-Cache-Rule"] == "slc.clicktracker.reports"
    assert "public" not in browser.headers["Cache-Control"]


def test_the_median_reading_time(functional, site):
    conn = psycopg2.connect(functional["pg_dsn"])
    with conn, conn.cursor() as cur:
        # Ada's view two days ago read 65 s, Cy's 125 s; today's is not
        # in the lists, the anonymous view has no time.
        cur.execute(
            "UPDATE clicktracker.hits SET seconds = CASE member"
            " WHEN 'member' THEN 65 WHEN 'editor' THEN 125 END"
            " WHERE at < now() - interval '1 day' + interval '1 hour'"
        )
    conn.close()
    browser = browser_as(functional, "manager")
    browser.open(STATS)
    cells = tree(browser).xpath(
        '//table[@id="statistics-most-table"]//td[@class="text-end median"]'
    )
    assert [text(td) for td in cells] == ["1 min 35 s"]
    cells = tree(browser).xpath(
        '//table[@id="statistics-least-table"]//td[@class="text-end median"]'
    )
    assert [text(td) for td in cells] == ["–", "1 min 35 s"]
