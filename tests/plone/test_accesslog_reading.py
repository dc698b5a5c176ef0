"""Reading time on the Tracking tab's access log and on a visit's
clickstream (issue 13): the columns "Reading time" and "To the end", the
filters "read at least N minutes" and "read to the end" (kept in every link
and the CSV, a bad number said so), and neither where the storage does not
measure reading time.
"""

from datetime import timedelta
from lxml import html
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from plone.testing.zope import Browser
from slc.clicktracker.browser import accesslog_reading
from slc.clicktracker.browser import clickstream
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage.hits import new_hit_id
from tests.plone.helpers import DAY
from tests.plone.helpers import browser_as
from tests.plone.helpers import csv_rows
from tests.plone.helpers import text
from tests.plone.helpers import tree
from urllib.parse import parse_qs
from urllib.parse import urlsplit
import pytest


AGENDA = "/plone/folder/doc"
URL = f"http://nohost{AGENDA}"
# member -> the views' reading updates, in turn ((seconds, depth, end) or
# None for a view whose update never came).
READING = {
    "member": [(200, 60, False), (50, 100, True)],  # 4 min 10 s, to the end
    "editor": [(30, 20, False)],
    "manager": [None],  # unknown
    "siteadmin": [(600, 100, True)],  # 10 min
}


@pytest.fixture
def manager(functional, roles_site):
    return browser_as(functional, "manager")


@pytest.fixture
def reading(storage):
    """Four members' views of the agenda, with what they read."""
    for minute, (member, updates) in enumerate(READING.items()):
        for number, update in enumerate(updates):
            hit_id = new_hit_id()
            storage.logAccess(
                member,
                AGENDA,
                URL if not number else f"{URL}/view",
                title="Agenda",
                when=DAY + timedelta(minutes=minute),
                hit_id=hit_id,
            )
            if update is not None:
                assert storage.log_reading(hit_id, member, *update)
    return storage


@pytest.fixture
def no_reading_time(monkeypatch):
    """A storage that pages the log but does not measure reading time."""
    monkeypatch.setattr(accesslog_reading, "reading_time_storage", lambda: None)
    monkeypatch.setattr(clickstream, "reading_time_storage", lambda: None)


def tab(roles_site, query=""):
    return f"{roles_site['folder'].absolute_url()}/@@tracking{query}"


def cells(browser, column):
    """{member: the text of its ``column`` cell}."""
    found = {}
    for tr in tree(browser).xpath('//tr[@class="tracking-row"]'):
        member = text(tr.xpath('td[@class="member"]')[0])
        found[member] = text(tr.xpath(f'td[@class="{column}"]')[0])
    return found


def members(browser):
    return [text(td) for td in tree(browser).xpath('//tr[@class="tracking-row"]/td[2]')]


def query_of(link):
    return parse_qs(urlsplit(link).query)


# -- the columns ---------------------------------------------------------------


def test_reading_time_and_end_are_shown(manager, roles_site, reading):
    manager.open(tab(roles_site))
    labels = [text(th) for th in tree(manager).xpath("//thead//th")]
    assert labels[3:6] == ["Views", "Reading time", "To the end"]
    assert cells(manager, "seconds") == {
        "member": "4 min 10 s",  # the two addresses summed
        "editor": "30 s",
        "manager": "– unknown",  # the dash for the eye, the word for the ear
        "siteadmin": "10 min",
    }
    assert cells(manager, "reached_end") == {
        "member": "✓ read to the end",
        "editor": "",
        "manager": "– unknown",
        "siteadmin": "✓ read to the end",
    }
    tick, words = tree(manager).xpath(
        '//tr[td[@class="member"]="member"]/td[@class="reached_end"]/span'
    )
    assert tick.get("aria-hidden") == "true"
    assert "visually-hidden" in words.get("class")


def test_per_url_each_address_has_its_own(manager, roles_site, reading):
    manager.open(tab(roles_site, "?per=url&sort_on=url"))
    rows = tree(manager).xpath('//tr[td[@class="member"]="member"]')
    assert [text(r.xpath('td[@class="seconds"]')[0]) for r in rows] == [
        "3 min 20 s",
        "50 s",
    ]


def test_sort_by_reading_time(manager, roles_site, reading):
    manager.open(tab(roles_site))
    manager.getLink("Reading time").click()
    assert members(manager) == ["editor", "member", "siteadmin", "manager"]
    manager.getLink("Reading time").click()  # again: longest first
    assert members(manager) == ["siteadmin", "member", "editor", "manager"]
    # "To the end" is no sort link; asked for anyway, the default sort.
    assert not tree(manager).xpath('//th/a[normalize-space()="To the end"]')
    manager.open(tab(roles_site, "?sort_on=reached_end"))
    assert members(manager) == ["editor", "manager", "member", "siteadmin"]


# -- the filters ---------------------------------------------------------------


def test_filter_by_minutes_and_end(manager, roles_site, reading):
    manager.open(tab(roles_site))
    form = manager.getForm(id="tracking-window")
    form.getControl(name="min_minutes").value = "4"
    form.submit()
    assert sorted(members(manager)) == ["member", "siteadmin"]
    form = manager.getForm(id="tracking-window")
    assert form.getControl(name="min_minutes").value == "4"
    form.getControl(name="min_minutes").value = ""
    form.getControl("Read to the end").selected = True
    form.submit()
    assert sorted(members(manager)) == ["member", "siteadmin"]
    form = manager.getForm(id="tracking-window")
    assert form.getControl("Read to the end").selected
    manager.open(tab(roles_site, "?min_minutes=0.6"))  # 36 s
    assert sorted(members(manager)) == ["member", "siteadmin"]
    manager.open(tab(roles_site, "?min_minutes=0"))  # the known ones
    assert sorted(members(manager)) == ["editor", "member", "siteadmin"]
    manager.open(tab(roles_site, "?min_minutes=11&read_to_end=1"))
    assert members(manager) == []
    empty = text(tree(manager).get_element_by_id("tracking-empty"))
    assert empty == "No views match this filter."


def test_filters_are_kept_in_every_link(manager, roles_site, reading):
    manager.open(tab(roles_site, "?min_minutes=2.5&read_to_end=1&since=2024-03-01"))
    kept = {"min_minutes": ["2.5"], "read_to_end": ["1"], "since": ["2024-03-01"]}
    links = [
        manager.getLink("Reading time").url,  # sorting
        manager.getLink("One row per address (URL)").url,  # the grouping
        manager.getLink("Download as CSV").url,
    ]
    for link in links:
        query = query_of(link)
        assert {k: query.get(k) for k in kept} == kept, link
    # A row's addresses are all of them, the filter left behind: it tests
    # what the row sums.
    addresses = manager.getLink("2 addresses").url
    assert "min_minutes" not in query_of(addresses)
    assert "read_to_end" not in query_of(addresses)
    # Per address, each must pass on its own: Ada read neither address
    # that long (3 min 20 s without the end, 50 s to it).
    manager.getLink("One row per address (URL)").click()
    assert members(manager) == ["siteadmin"]
    manager.open(addresses)
    assert members(manager) == ["member", "member"]


def test_filters_are_kept_across_pages(manager, roles_site, storage):
    for number in range(60):
        hit_id = new_hit_id()
        member = f"reader{number:02}"
        storage.logAccess(member, AGENDA, URL, when=DAY, hit_id=hit_id)
        storage.log_reading(hit_id, member, 60 + number, 100, bool(number % 2))
    manager.open(tab(roles_site, "?min_minutes=1&read_to_end=1"))
    count = text(tree(manager).get_element_by_id("tracking-count"))
    assert count == "Rows 1–30 of 30"
    manager.open(tab(roles_site, "?min_minutes=1"))
    assert len(members(manager)) == 50
    following = [
        a.get("href")
        for a in tree(manager).xpath('//*[contains(@class, "pagination")]//a')
        if "b_start" in a.get("href", "")
    ][-1]
    assert query_of(following)["min_minutes"] == ["1"]
    manager.open(following)
    assert len(members(manager)) == 10


@pytest.mark.parametrize("typed", ["abc", "-3", "1e99", "NaN"])
def test_a_bad_number_says_so_and_loses_nothing(manager, roles_site, reading, typed):
    manager.open(
        tab(
            roles_site,
            f"?min_minutes={typed}&read_to_end=1&sort_on=count&sort_order=descending",
        )
    )
    (alert,) = tree(manager).xpath('//*[contains(@class, "tracking-message")]')
    assert "is not a number of minutes" in text(alert) and typed in text(alert)
    assert "alert-danger" in alert.get("class")
    # The rest of the request stands: the end filter, the sort; what was
    # typed is still there to be corrected.
    assert sorted(members(manager)) == ["member", "siteadmin"]
    assert tree(manager).xpath('//th[@aria-sort="descending"]/a')[0].text == "Views"
    field = tree(manager).get_element_by_id("tracking-min-minutes")
    assert field.get("value") == typed
    assert "min_minutes" not in query_of(manager.getLink("Download as CSV").url)


def test_a_filter_too_slow_offers_to_drop_it(manager, roles_site, reading, monkeypatch):
    def too_slow(self, prefix, **kw):
        if kw.get("min_seconds") is not None:
            raise LogTooSlow("too slow", rows=9_800_000)
        return log_page(self, prefix, **kw)

    log_page = PostgresqlStorage.log_page
    monkeypatch.setattr(PostgresqlStorage, "log_page", too_slow)
    manager.open(tab(roles_site, "?min_minutes=30"))
    slow = tree(manager).get_element_by_id("tracking-too-slow")
    assert "match the reading filter" in text(slow) and "9,800,000" in text(slow)
    links = {text(a): a.get("href") for a in slow.xpath(".//a")}
    assert "min_minutes" not in query_of(links["without the reading filter"])
    manager.open(links["without the reading filter"])
    assert len(members(manager)) == 4


# -- the CSV ---------------------------------------------------------------------


def test_csv_has_seconds_and_end(manager, roles_site, reading):
    manager.open(tab(roles_site))
    manager.getLink("Download as CSV").click()
    header, *rows = csv_rows(manager)
    assert header[4:7] == ["Views", "reading_seconds", "reached_end"]
    assert {r[1]: r[5:7] for r in rows} == {
        "member": ["250", "true"],
        "editor": ["30", "false"],
        "manager": ["", ""],  # unknown: empty, not 0
        "siteadmin": ["600", "true"],
    }
    manager.open(tab(roles_site, "?min_minutes=1"))
    manager.getLink("Download as CSV").click()
    _header, *rows = csv_rows(manager)
    assert sorted(r[1] for r in rows) == ["member", "siteadmin"]


# -- without reading time -----------------------------------------------------------


def test_without_reading_time_nothing_of_it_shows(
    manager, roles_site, reading, no_reading_time
):
    manager.open(tab(roles_site, "?min_minutes=4&read_to_end=1&sort_on=seconds"))
    labels = [text(th) for th in tree(manager).xpath("//thead//th")]
    assert "Reading time" not in labels and "To the end" not in labels
    assert not tree(manager).xpath('//*[@id="tracking-min-minutes"]')
    assert not tree(manager).xpath('//*[@id="tracking-read-to-end"]')
    # The parameters are ignored: everybody, by user ID.
    assert members(manager) == ["editor", "manager", "member", "siteadmin"]
    manager.getLink("Download as CSV").click()
    header, *rows = csv_rows(manager)
    assert "reading_seconds" not in header and len(rows) == 4


# -- the clickstream ---------------------------------------------------------------


@pytest.fixture
def owner(functional):
    browser = Browser(functional["app"])
    browser.handleErrors = False
    browser.addHeader("Authorization", f"Basic {SITE_OWNER_NAME}:{SITE_OWNER_PASSWORD}")
    return browser


@pytest.fixture
def visit(storage):
    """Ann's visit: the agenda read to the end, then the minutes glanced at,
    then a page whose update never came."""
    visit_id = None
    for minute, (page, update) in enumerate(
        (("agenda", (250, 100, True)), ("minutes", (0, 5, False)), ("doc", None))
    ):
        hit_id = new_hit_id()
        visit_id = storage.log_visit(
            "ann",
            f"/plone/{page}",
            f"http://nohost/plone/{page}",
            visit_id,
            when=DAY + timedelta(minutes=minute),
            user_agent="Mozilla/5.0 Firefox/127.0",
            hit_id=hit_id,
        ).visit_id
        if update is not None:
            assert storage.log_reading(hit_id, "ann", *update)
    return visit_id


def clickstream_cells(browser, column):
    page = html.fromstring(browser.contents)
    return [
        " ".join(td.text_content().split())
        for td in page.cssselect(f".clickstream-row .{column}")
    ]


def test_clickstream_shows_each_clicks_reading(owner, visit):
    owner.open(f"http://nohost/plone/@@clicktracker-clickstream?visit={visit}")
    heads = html.fromstring(owner.contents).cssselect("#clickstream-table th")
    assert [" ".join(th.text_content().split()) for th in heads][-3:] == [
        "Reading time",
        "Depth",
        "To the end",
    ]
    assert clickstream_cells(owner, "seconds") == ["4 min 10 s", "0 s", "– unknown"]
    assert clickstream_cells(owner, "depth") == ["100%", "5%", "– unknown"]
    assert clickstream_cells(owner, "reached_end") == [
        "✓ read to the end",
        "",
        "– unknown",
    ]


def test_clickstream_without_reading_time(owner, visit, no_reading_time):
    owner.open(f"http://nohost/plone/@@clicktracker-clickstream?visit={visit}")
    heads = html.fromstring(owner.contents).cssselect("#clickstream-table th")
    assert [" ".join(th.text_content().split()) for th in heads][-1] == "Reloads"
    assert clickstream_cells(owner, "seconds") == []
