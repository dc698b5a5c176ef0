"""IAccessLogStorage on PostgreSQL: the access log paged, sorted and counted
by the database (issue 11, item 5), per document or per url (item 12).

Every sort is checked against a plain Python sort of the same data, once
with the shapes of small prefixes (read everything) and once with the
limits turned so that the shapes of large prefixes (read in index order,
stop after the page) answer the same pages.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import IAccessLogStorage
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import logpages
from slc.clicktracker.storage import logspec
from tests.unit.helpers import large_site
from tests.unit.helpers import query
from zope.interface.verify import verifyObject
import itertools
import psycopg2
import pytest
import time


T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TITLES = {"d0": "alpha", "d1": "bravo", "d2": None, "d3": "charlie"}
NAMES = {"m0": "Zoe", "m1": "adam", "m2": "", "m3": "Bea", "m4": "carl"}
# (member, document, url variant, minutes after T0): a document read at
# several addresses, members who read many documents, distinct times.
HITS = [
    (member, document, variant, minute)
    for minute, (member, document, variant) in enumerate(
        (m, d, v)
        for m in NAMES
        for d in TITLES
        for v in ("", "/view", "?utm_source=mail")
        if (int(m[1]) + int(d[1]) + len(v)) % 3 != 1
    )
] + [("m1", "d0", "", 500), ("m1", "d0", "", 501), ("m4", "d3", "/view", 502)]


def path(document, folder="f"):
    return f"/Plone/{folder}/{document}"


def fill(storage):
    for member, document, variant, minute in HITS:
        storage.logAccess(
            member,
            path(document),
            f"http://nohost{path(document)}{variant}",
            uid=f"uid-{document}",
            title=TITLES[document],
            when=T0 + timedelta(minutes=minute),
        )
    # Outside the prefix, and a sibling whose path starts like it.
    storage.logAccess("m0", "/Plone/other/d0", "http://nohost/other", when=T0)
    storage.logAccess("m0", "/Plone/f-x", "http://nohost/f-x", when=T0)


def fullnames(members):
    return {member: NAMES[member] for member in members if member in NAMES}


def expected(per, since=None, until=None):
    """The rows of the log of /Plone/f, computed here: {key: row dict}."""
    rows = {}
    for member, document, variant, minute in HITS:
        when = T0 + timedelta(minutes=minute)
        if (since and when < since) or (until and when >= until):
            continue
        url = f"http://nohost{path(document)}{variant}"
        key = (member, path(document), url if per == "url" else None)
        row = rows.setdefault(
            key,
            {
                "member": member,
                "path": path(document),
                "title": TITLES[document],
                "url": key[2],
                "count": 0,
                "urls": set(),
                "firstaccess": when,
                "lastaccess": when,
            },
        )
        row["count"] += 1
        row["urls"].add(url)
        row["firstaccess"] = min(row["firstaccess"], when)
        row["lastaccess"] = max(row["lastaccess"], when)
    return rows


def in_order(rows, sort_on, reverse):
    def key(row):
        leading = {
            "member": (row["member"],),
            "fullname": (
                ((NAMES.get(row["member"]) or row["member"]).lower(), row["member"]),
            ),
            # NULL titles last; then the path (document ids follow it here).
            "document": ((row["title"] is None, row["title"] or ""), row["path"]),
            "url": (row["url"],),
            "count": (row["count"],),
            "firstaccess": (row["firstaccess"],),
            "lastaccess": (row["lastaccess"],),
        }[sort_on]
        return (*leading, row["member"], row["path"], row["url"] or "")

    return sorted(rows, key=key, reverse=reverse)


def keys(rows):
    return [(r.member, r.path, r.url) for r in rows]


def expected_keys(per, sort_on, reverse, **window):
    rows = in_order(expected(per, **window).values(), sort_on, reverse)
    return [(r["member"], r["path"], r["url"]) for r in rows]


SORTS = {
    "document": (
        "member",
        "fullname",
        "document",
        "count",
        "firstaccess",
        "lastaccess",
    ),
    "url": (
        "member",
        "fullname",
        "document",
        "url",
        "count",
        "firstaccess",
        "lastaccess",
    ),
}
CASES = [
    (per, sort_on, reverse)
    for per in SORTS
    for sort_on in SORTS[per]
    for reverse in (False, True)
]


@pytest.fixture
def filled(storage, pg_dsn):
    fill(storage)
    return storage


@pytest.fixture
def large(filled, pg_dsn):
    """The same data, but every prefix counts as large (statistics known)."""
    query(pg_dsn, "ANALYZE clicktracker.documents")
    query(pg_dsn, "ANALYZE clicktracker.access")
    query(pg_dsn, "ANALYZE clicktracker.hits")
    filled.log_small_rows = 0
    return filled


def all_pages(storage, size, **kw):
    rows = []
    for offset in itertools.count(0, size):
        page = storage.log_page("/Plone/f", offset=offset, limit=size, **kw)
        rows.extend(page.rows)
        if len(page.rows) < size:
            return rows, page


def test_provides_the_interface(storage):
    assert verifyObject(IAccessLogStorage, storage)


def test_one_row_per_member_and_document_by_default(filled):
    page = filled.log_page("/Plone/f", fullnames=fullnames)
    rows = expected("document")
    assert page.total == len(rows) and page.exact
    by_key = {(r.member, r.path): r for r in page.rows}
    assert len(by_key) == len(page.rows)
    m1 = by_key[("m1", "/Plone/f/d0")]
    want = rows[("m1", "/Plone/f/d0", None)]
    assert (m1.count, m1.firstaccess, m1.lastaccess) == (
        want["count"],
        want["firstaccess"],
        want["lastaccess"],
    )
    assert (m1.title, m1.uid, m1.url, m1.urls) == ("alpha", "uid-d0", None, 3)
    assert m1.count == 4  # three addresses, one of them read twice
    assert "/Plone/other/d0" not in {r.path for r in page.rows}
    assert "/Plone/f-x" not in {r.path for r in page.rows}


def test_one_row_per_url_on_request(filled):
    page = filled.log_page("/Plone/f", per="url", limit=500)
    assert sorted(keys(page.rows)) == sorted(expected("url"))
    assert {r.urls for r in page.rows} == {1}
    assert page.total == len(expected("url"))


@pytest.mark.parametrize(("per", "sort_on", "reverse"), CASES)
def test_every_sort_small_prefix(filled, per, sort_on, reverse):
    rows, page = all_pages(
        filled, 7, per=per, sort_on=sort_on, reverse=reverse, fullnames=fullnames
    )
    assert keys(rows) == expected_keys(per, sort_on, reverse)
    assert page.exact and page.total == len(rows)


@pytest.mark.parametrize(("per", "sort_on", "reverse"), CASES)
def test_every_sort_large_prefix_gives_the_same_pages(large, per, sort_on, reverse):
    rows, _page = all_pages(
        large, 7, per=per, sort_on=sort_on, reverse=reverse, fullnames=fullnames
    )
    assert keys(rows) == expected_keys(per, sort_on, reverse)


def test_large_prefix_reads_in_index_order(large, monkeypatch):
    # Otherwise the test above could pass with the shapes of small prefixes.
    chosen = []
    choose = logpages.choose

    def spy(*args, **kw):
        shape, exact, everything = choose(*args, **kw)
        chosen.append((shape.__name__, exact, everything))
        return shape, exact, everything

    monkeypatch.setattr(logpages, "choose", spy)
    for sort_on in ("member", "fullname", "document", "count"):
        large.log_page("/Plone/f", sort_on=sort_on, fullnames=fullnames)
    large.logAccess("m9", path("d1"), "http://nohost/new")
    large.log_page("/Plone/f", sort_on="lastaccess", reverse=True, limit=1)
    assert chosen == [
        ("members_query", False, False),
        ("ranked_query", False, False),  # which members? (names looked up)
        ("ranked_query", False, False),  # ... and their rows
        ("documents_query", False, False),
        ("documents_query", True, True),  # on the pool: refused there ...
        ("documents_query", True, True),  # ... and read on its own connection
        ("recent_query", False, False),
    ]


def test_large_prefix_totals_are_estimates_until_the_end(large):
    first = large.log_page("/Plone/f", limit=5)
    assert not first.exact
    assert first.total >= 6
    assert len(first.rows) == 5
    count = len(expected("document"))
    rows, last = all_pages(large, count - 1)  # the last page has one row
    assert last.exact and last.total == len(rows) == count


@pytest.mark.parametrize(("per", "sort_on", "reverse"), CASES[::3])
def test_time_window(filled, per, sort_on, reverse):
    since, until = T0 + timedelta(minutes=10), T0 + timedelta(minutes=40)
    rows, page = all_pages(
        filled,
        6,
        per=per,
        sort_on=sort_on,
        reverse=reverse,
        since=since,
        until=until,
        fullnames=fullnames,
    )
    assert keys(rows) == expected_keys(per, sort_on, reverse, since=since, until=until)
    assert page.total == len(rows)


def test_window_counts_reloads_and_skips_bots(storage):
    doc, url = "/Plone/f/d", "http://nohost/Plone/f/d"
    visit = storage.log_visit("ann", doc, url, when=T0).visit_id
    storage.log_visit("ann", doc, url, visit, when=T0 + timedelta(minutes=1))
    storage.log_visit("bot", doc, url, is_bot=True, when=T0)
    since = T0 - timedelta(days=1)
    for kw in ({}, {"since": since}):
        (row,) = storage.log_page("/Plone/f", **kw).rows
        assert (row.member, row.count) == ("ann", 2)


def test_filters_member_and_document(filled):
    every = filled.log_page("/Plone/f", per="url", limit=500).rows
    d0 = next(r.document_id for r in every if r.path == "/Plone/f/d0")
    page = filled.log_page("/Plone/f", per="url", member="m1", document=d0)
    assert sorted(keys(page.rows)) == [
        ("m1", "/Plone/f/d0", "http://nohost/Plone/f/d0"),
        ("m1", "/Plone/f/d0", "http://nohost/Plone/f/d0/view"),
        ("m1", "/Plone/f/d0", "http://nohost/Plone/f/d0?utm_source=mail"),
    ]
    assert page.total == 3 and page.exact
    only = filled.log_page("/Plone/f", member="m4")
    assert {r.member for r in only.rows} == {"m4"}
    assert only.total == len([k for k in expected("document") if k[0] == "m4"])


def test_filters_on_a_large_prefix(large):
    page = large.log_page("/Plone/f", member="m4", sort_on="count")
    assert keys(page.rows) == [
        k for k in expected_keys("document", "count", False) if k[0] == "m4"
    ]


def test_a_page_past_the_end_still_counts(filled):
    page = filled.log_page("/Plone/f", offset=1000)
    assert page.rows == []
    assert page.total == len(expected("document")) and page.exact


def test_one_document_and_the_whole_site(filled):
    (row,) = filled.log_page("/Plone/f/d0", member="m1").rows
    assert row.path == "/Plone/f/d0"
    every = filled.log_page(("", "Plone"), limit=500).rows
    assert {r.path for r in every} >= {"/Plone/other/d0", "/Plone/f-x"}
    assert filled.log_page("/", limit=500).rows == every


def test_sort_too_slow_for_a_large_prefix_is_refused_at_once(large):
    large.log_max_sort_rows = 0
    with pytest.raises(LogTooSlow) as refused:
        large.log_page("/Plone/f", sort_on="count")
    assert "time window" in str(refused.value)
    assert isinstance(refused.value, StorageError)
    # The sorts read in index order still work.
    for sort_on in ("member", "document"):
        assert large.log_page("/Plone/f", sort_on=sort_on).rows


def test_statement_time_limit_gives_log_too_slow(filled, pg_dsn):
    # Enough rows that reading them takes longer than 1 ms.
    query(
        pg_dsn,
        "INSERT INTO clicktracker.access SELECT d.id, 'x' || i, 'u', 1, now(), now()"
        " FROM clicktracker.documents d, generate_series(1, 20000) i"
        " WHERE d.path = '/Plone/f/d0'",
    )
    filled.log_timeout_ms = filled.log_slow_timeout_ms = 1
    with pytest.raises(LogTooSlow):
        filled.log_page("/Plone/f", sort_on="count")
    filled.log_timeout_ms = filled.log_slow_timeout_ms = 5000
    assert filled.log_page("/Plone/f", sort_on="count").rows  # pool still fine


def test_newest_first_needs_raw_hits_that_reach_back(large, pg_dsn):
    # All hits are far in the past: the look-back finds nothing recent and
    # the page falls back to sorting everything (still right).
    rows, _page = all_pages(large, 7, sort_on="lastaccess", reverse=True)
    assert keys(rows) == expected_keys("document", "lastaccess", True)
    # Recent reads are found from the raw hits of the last hour.
    now = datetime.now(UTC)
    large.logAccess("m9", path("d1"), "http://nohost/new", when=now)
    first = large.log_page("/Plone/f", sort_on="lastaccess", reverse=True, limit=1)
    assert keys(first.rows) == [("m9", "/Plone/f/d1", None)]


def test_bad_arguments(filled):
    for kw in (
        {"per": "visit"},
        {"sort_on": "title"},
        {"sort_on": "url"},  # per document
        {"sort_on": "fullname"},  # without fullnames
        {"offset": -1},
        {"limit": 0},
        {"limit": True},
        {"document": "1"},
        {"since": datetime(2024, 1, 1)},  # naive
    ):
        with pytest.raises(ValueError):
            filled.log_page("/Plone/f", **kw)
    with pytest.raises(ValueError):
        filled.log_page("Plone/f")
    # The download checks the same arguments in the same place.
    with pytest.raises(ValueError, match="needs fullnames"):
        next(iter(filled.iter_log("/Plone/f", sort_on="fullname")))


def test_not_configured():
    storage = PostgresqlStorage("")
    with pytest.raises(StorageError):
        storage.log_page("/Plone")
    with pytest.raises(StorageError):
        next(storage.iter_log("/Plone"))


# -- the download -----------------------------------------------------------


@pytest.mark.parametrize(("per", "sort_on", "reverse"), CASES[::2])
def test_iter_log_streams_every_row_in_order(filled, per, sort_on, reverse):
    asked = []

    def names(members):
        asked.append(sorted(members))
        return fullnames(members)

    rows = list(
        filled.iter_log(
            "/Plone/f",
            per=per,
            sort_on=sort_on,
            reverse=reverse,
            fullnames=names,
            batch_size=3,
        )
    )
    assert keys(rows) == expected_keys(per, sort_on, reverse)
    # Called once, before the rows, with every member they name.
    assert len(asked) == 1 and set(asked[0]) >= {r.member for r in rows}


@pytest.mark.parametrize("sort_on", ["member", "fullname", "count"])
def test_iter_log_on_a_large_prefix(large, sort_on):
    rows = list(large.iter_log("/Plone/f", sort_on=sort_on, fullnames=fullnames))
    assert keys(rows) == expected_keys("document", sort_on, False)


def test_iter_log_closes_its_connection(filled, pg_dsn):
    def connections():
        return query(
            pg_dsn,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()",
        )[0][0]

    before = connections()
    rows = filled.iter_log("/Plone/f", batch_size=2)
    assert connections() == before  # nothing happens before next()
    next(rows)
    assert connections() == before + 1
    rows.close()
    assert connections() == before


def test_iter_log_database_failure_is_a_storage_error(pg_dsn, pg_cluster, tmp_path):
    storage = PostgresqlStorage(pg_dsn)
    storage.setup_database()
    fill(storage)
    rows = storage.iter_log("/Plone/f")
    name = pg_dsn.split("dbname=")[1].split()[0]
    pg_cluster.drop_database(name)
    with pytest.raises(StorageError) as failed:
        next(rows)
    assert not isinstance(failed.value, psycopg2.Error)
    storage.close()


# -- the schema ---------------------------------------------------------------


def test_upgrade_of_a_database_with_data_adds_the_indexes(pg_dsn):
    storage = PostgresqlStorage(pg_dsn)
    storage.setup_database()
    fill(storage)
    # Back to version 3 with the data: without migration 0004's indexes (the
    # functions of db.sql need the newest tables, so the data came first).
    query(
        pg_dsn,
        "DROP INDEX clicktracker.access_member, clicktracker.documents_title,"
        " clicktracker.hits_at; UPDATE clicktracker.schema_version SET version = 3",
    )
    assert storage.setup_database() >= 4
    indexes = {
        row[0]
        for row in query(
            pg_dsn, "SELECT indexname FROM pg_indexes WHERE schemaname = 'clicktracker'"
        )
    }
    assert {"access_member", "documents_title", "hits_at"} <= indexes
    rows, _page = all_pages(storage, 10)
    assert keys(rows) == expected_keys("document", "member", False)
    storage.close()


def test_large_prefix_plans_read_an_index_and_stop(pg_dsn):
    """With statistics of a large log, the first page sorted by member or
    by document reads the new indexes instead of sorting every row."""
    conn = large_site(pg_dsn)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO clicktracker.access SELECT d.id, 'm' || (d.id * 7 + i) % 300,"
            " 'http://x' || d.path, 1, now(), now()"
            " FROM clicktracker.documents d, generate_series(1, 20) i"
        )
        cur.execute("ANALYZE")
        for sort_on, shape, index in (
            ("member", logpages.q.members_query, "access_member"),
            ("document", logpages.q.documents_query, "documents_title"),
        ):
            spec = logspec.make_spec("/Plone", "document", sort_on, False, *[None] * 4)
            sql = shape(spec)
            cur.execute("EXPLAIN " + sql, logpages.q.params(spec, 50, 0))
            plan = "\n".join(row[0] for row in cur.fetchall())
            assert index in plan, plan
            assert "Seq Scan on access" not in plan, plan
    conn.close()


@pytest.mark.parametrize("fixture", ["filled", "large"])
def test_slow_name_lookups_do_not_count_against_the_page(request, fixture):
    # Looking thousands of names up takes Zope a while; the pool's deadline
    # for a page must not include it (names come between transactions).
    storage = request.getfixturevalue(fixture)
    storage.log_timeout_ms = 200

    def slow(members):
        time.sleep(0.5)
        return fullnames(members)

    page = storage.log_page("/Plone/f", sort_on="fullname", fullnames=slow)
    assert keys(page.rows) == expected_keys("document", "fullname", False)[:50]
