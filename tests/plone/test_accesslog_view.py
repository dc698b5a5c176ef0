"""The Tracking tab's access log on a storage that pages it (issue 11).

Item 5: pages, sorts and counts come from the database, a sort too slow for
the prefix says so and offers quicker ways, the CSV is streamed. Item 12:
one row per member and document with its title by default, the addresses
as detail, per URL on request, the CSV in the table's order. Item 13: the
sorted column shows, an empty date window says so, the table scrolls.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickTrackerLayer
from slc.clicktracker.storage import PostgresqlStorage
from tests.plone.helpers import DAY
from tests.plone.helpers import browser_as
from tests.plone.helpers import csv_rows
from tests.plone.helpers import log_rows
from tests.plone.helpers import text
from tests.plone.helpers import tree
from tests.plone.test_tracking_view import TupleStorage
from zope.component import getGlobalSiteManager
from zope.interface import alsoProvides
from ZPublisher.Iterators import IUnboundStreamIterator
import pytest


AGENDA = "/plone/folder/doc"
VARIANTS = ("", "/view", "?utm_source=mail")


@pytest.fixture
def manager(functional, roles_site):
    return browser_as(functional, "manager")


@pytest.fixture
def variants(storage):
    """Ada read the document at three addresses; Cy once."""
    for minute, variant in enumerate(VARIANTS):
        storage.logAccess(
            "member",
            AGENDA,
            f"http://nohost{AGENDA}{variant}",
            title="Agenda",
            when=DAY + timedelta(minutes=minute),
        )
    storage.logAccess(
        "editor", AGENDA, f"http://nohost{AGENDA}", title="Agenda", when=DAY
    )
    return storage


def tab(roles_site, query=""):
    return f"{roles_site['folder'].absolute_url()}/@@tracking{query}"


def headers(browser):
    return [text(a) for a in tree(browser).xpath("//th/a")]


# -- item 12: one row per member and document -----------------------------


def test_one_row_per_member_and_document_with_title(manager, roles_site, variants):
    manager.open(tab(roles_site))
    rows = {row["member"]: row for row in log_rows(manager)}
    assert sorted(rows) == ["editor", "member"]
    assert rows["member"]["count"] == "3"  # the three addresses summed
    assert headers(manager) == [
        "Name",
        "User ID",
        "Document",
        "Views",
        "Reading time",  # "To the end" is no sort link
        "First access",
        "Last access",
    ]
    (cell,) = tree(manager).xpath(
        '//tr[td[@class="member"]="member"]/td[@class="document"]'
    )
    link = cell.xpath('a[@class="tracking-document"]')[0]
    doc_url = roles_site["folder"]["doc"].absolute_url()
    assert (text(link), link.get("href")) == ("Agenda", doc_url)
    assert text(cell.xpath('.//*[contains(@class, "tracking-path")]')[0]) == AGENDA
    assert "3 addresses" in text(cell)


def test_addresses_are_the_detail_of_a_row(manager, roles_site, variants):
    manager.open(tab(roles_site))
    cell = tree(manager).xpath(
        '//tr[td[@class="member"]="member"]/td[@class="document"]'
    )
    manager.open(cell[0].xpath('.//a[@class="tracking-variants"]')[0].get("href"))
    rows = log_rows(manager)
    assert [(r["member"], r["url"], r["count"]) for r in rows] == [
        ("member", f"http://nohost{AGENDA}{variant}", "1")
        for variant in sorted(VARIANTS)
    ]
    filtered = text(tree(manager).get_element_by_id("tracking-filtered"))
    assert "Ada Member (member)" in filtered and "“Agenda”" in filtered
    manager.getLink("Show everybody's views").click()
    assert {r["member"] for r in log_rows(manager)} == {"member", "editor"}
    assert len(log_rows(manager)) == 4  # still per URL


def test_switch_to_one_row_per_url_keeps_the_sort(manager, roles_site, variants):
    manager.open(tab(roles_site, "?sort_on=count&sort_order=descending"))
    manager.getLink("One row per address (URL)").click()
    assert "per=url" in manager.url and "sort_on=count" in manager.url
    assert headers(manager)[3] == "URL"
    assert [r["count"] for r in log_rows(manager)] == ["1"] * 4
    manager.getLink("One row per document").click()
    assert [r["member"] for r in log_rows(manager)] == ["member", "editor"]


@pytest.mark.parametrize("per", ["document", "url"])
def test_csv_columns_are_the_tables(manager, roles_site, variants, per):
    manager.open(tab(roles_site, f"?per={per}"))
    labels = '//th/*[self::a or starts-with(@class, "column-")]'
    shown = [text(label) for label in tree(manager).xpath(labels)]
    manager.getLink("Download as CSV").click()
    header, *rows = csv_rows(manager)
    # The document column is its title and its path; the reading columns
    # have names for spreadsheets.
    csv_names = {
        "Document": ("Document", "Path"),
        "Reading time": ("reading_seconds",),
        "To the end": ("reached_end",),
    }
    expected = [label for column in shown for label in csv_names.get(column, (column,))]
    assert [h.split(" (")[0] for h in header] == expected
    member = [r for r in rows if r[1] == "member"]
    assert member[0][:4] == ["Ada Member", "member", "Agenda", AGENDA]
    assert len(member) == (1 if per == "document" else 3)


# -- item 5: the database pages; too slow says so ---------------------------


def test_the_tab_reads_one_page_not_the_whole_log(
    manager, roles_site, storage, monkeypatch
):
    for number in range(60):
        storage.logAccess(f"reader{number:02}", AGENDA, "http://nohost/x", when=DAY)
    monkeypatch.setattr(
        PostgresqlStorage, "getLog", lambda *a, **kw: pytest.fail("read it all")
    )
    asked = []
    log_page = PostgresqlStorage.log_page

    def spy(self, prefix, **kw):
        asked.append((kw["offset"], kw["limit"]))
        return log_page(self, prefix, **kw)

    monkeypatch.setattr(PostgresqlStorage, "log_page", spy)
    manager.open(tab(roles_site, "?b_start:int=50"))
    assert [r["member"] for r in log_rows(manager)] == [
        f"reader{n:02}" for n in range(50, 60)
    ]
    assert asked == [(50, 50)]
    count = text(tree(manager).get_element_by_id("tracking-count"))
    assert count == "Rows 51–60 of 60"


@pytest.fixture
def large(storage, functional):
    """The storage of the site, with every prefix counted as large."""
    for number in range(60):
        storage.logAccess(f"reader{number:02}", AGENDA, "http://nohost/x", when=DAY)
    real = storage.storage()
    real.pool.run(lambda cur: cur.execute("ANALYZE"))
    limits = (real.log_small_rows, real.log_max_sort_rows)
    real.log_small_rows, real.log_max_sort_rows = 0, 0
    yield real
    real.log_small_rows, real.log_max_sort_rows = limits


def test_a_sort_too_slow_offers_a_window_instead(manager, roles_site, large):
    manager.open(tab(roles_site, "?sort_on=count"))
    assert log_rows(manager) == []
    slow = tree(manager).get_element_by_id("tracking-too-slow")
    assert "Sorting by “Views” means reading every view" in text(slow)
    links = {text(a): a.get("href") for a in slow.xpath(".//a")}
    assert set(links) == {
        "today",
        "the last 7 days",
        "sort by User ID",
        "sort by Document",
    }
    today = datetime.now(UTC).date()
    week = f"since={(today - timedelta(days=6)).isoformat()}"
    assert week in links["the last 7 days"]
    assert not tree(manager).xpath('//*[@id="tracking-empty"]')
    manager.open(links["sort by User ID"])
    assert len(log_rows(manager)) == 50


def test_a_large_prefix_gives_an_estimated_total(manager, roles_site, large):
    manager.open(tab(roles_site))
    assert len(log_rows(manager)) == 50
    count = text(tree(manager).get_element_by_id("tracking-count"))
    assert count == "Rows 1–50 of about 60"
    # The last page knows how many there are.
    manager.open(tab(roles_site, "?b_start:int=50"))
    count = text(tree(manager).get_element_by_id("tracking-count"))
    assert count == "Rows 51–60 of 60"


def test_csv_is_streamed(functional, roles_site, variants):
    request = functional["request"]
    alsoProvides(request, IClickTrackerLayer)
    request.form.update(format="csv")
    with api.env.adopt_roles(["Manager"]):
        view = api.content.get_view("tracking", roles_site["folder"], request)
        body = view()
    # Streamed: an iterator the WSGI server drains, not a body in memory.
    assert IUnboundStreamIterator.providedBy(body)
    assert request.response.getHeader("Content-Type") == "text/csv; charset=utf-8"
    data = b"".join(body).decode("utf-8-sig")
    body.close()
    assert data.splitlines()[0].startswith('"Name","User ID","Document","Path"')
    assert data.count("\r\n") == 3  # header and two rows


# -- item 13: sorting shows, empty windows say so, the table scrolls --------


def test_sorted_column_is_marked(manager, roles_site, variants):
    manager.open(tab(roles_site, "?sort_on=count&sort_order=descending"))
    marked = tree(manager).xpath("//th[@aria-sort]")
    assert [(text(th.xpath("a")[0]), th.get("aria-sort")) for th in marked] == [
        ("Views", "descending")
    ]
    assert "sorted" in marked[0].get("class")
    indicator = marked[0].xpath('.//*[contains(@class, "sort-indicator")]')
    assert [text(e) for e in indicator] == ["▼"]
    assert indicator[0].get("aria-hidden") == "true"
    manager.open(tab(roles_site))
    (th,) = tree(manager).xpath("//th[@aria-sort]")
    assert text(th) == "User ID ▲"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "?since=2024-05-01&until=2024-05-31",
            "No views between May 01, 2024 and May 31, 2024.",
        ),
        ("?since=2024-05-01", "No views since May 01, 2024."),
        ("?until=2024-01-31", "No views until Jan 31, 2024."),
    ],
)
def test_empty_window_says_so(manager, roles_site, variants, query, message):
    manager.open(tab(roles_site, query))
    empty = text(tree(manager).get_element_by_id("tracking-empty"))
    assert empty == message
    manager.open(tab(roles_site))
    assert len(log_rows(manager)) == 2


def test_nobody_yet_without_a_window(manager, roles_site, storage):
    manager.open(tab(roles_site))
    empty = text(tree(manager).get_element_by_id("tracking-empty"))
    assert empty == "Nobody has viewed this item yet, as far as the log knows."


def test_table_scrolls_on_its_own(manager, roles_site, variants):
    manager.open(tab(roles_site))
    (table,) = tree(manager).xpath('//table[@id="tracking-log-table"]')
    assert "table-responsive" in table.getparent().get("class").split()


def test_storage_without_paging_has_no_grouping_switch(manager, roles_site, storage):
    registry = getGlobalSiteManager()
    original = registry.getUtility(IClickStorage)
    registry.registerUtility(TupleStorage(), IClickStorage)
    try:
        manager.open(tab(roles_site, "?per=url&sort_on=url"))
        assert not tree(manager).xpath('//*[@id="tracking-per"]')
        assert headers(manager)[2] == "URL"
        assert [r["member"] for r in log_rows(manager)] == ["editor", "member"]
    finally:
        registry.registerUtility(original, IClickStorage)


# -- the times of a page: Plone's text, formatted once per page --------------


TIMES = [
    datetime(2024, month, day, hour, minute, tzinfo=UTC)
    for month, day, hour, minute in ((1, 7, 0, 5), (3, 1, 12, 0), (9, 30, 23, 59))
]
OVERRIDE = "Products.CMFPlone.i18nl10n.override_dateformat."


@pytest.mark.parametrize(
    "override",
    [None, {"date_format_short": "%d.%m.%Y", "time_format": "${H}h${M}"}],
)
def test_local_times_are_plones(functional, override):
    from slc.clicktracker.browser.localtimes import LocalTimes

    if override:
        api.portal.set_registry_record(OVERRIDE + "Enabled", True)
        for name, value in override.items():
            api.portal.set_registry_record(OVERRIDE + name, value)
    times = LocalTimes(functional["request"])
    for value in TIMES:
        for msgid, kw in (
            ("date_format_short", {}),
            ("time_format", {"time_only": True}),
            ("date_format_long", {"long_format": True}),
        ):
            plone = api.portal.get_localized_time(datetime=value, **kw)
            assert times.format(value, msgid) == plone, (msgid, value)
