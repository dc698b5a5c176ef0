"""Reading time in the paged access log and the clickstream (issue 13).

Rows carry the reading seconds and whether the end was reached (None when
unknown); ``min_seconds`` and ``reached_end`` filter them, in every query
shape (checked against a plain Python computation of the same data, with
the shapes of small prefixes and, limits turned, of large ones); a sort by
reading time puts the unknown last either way; a visit's clicks carry their
own figures.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.storage import ClickRow
from slc.clicktracker.storage import logpages
from slc.clicktracker.storage import logspec
from slc.clicktracker.storage.hits import new_hit_id
from slc.clicktracker.storage.rows import AccessRow
from tests.unit.helpers import large_site
from tests.unit.helpers import query
import itertools
import pytest


T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TITLES = {"d0": "alpha", "d1": "bravo", "d2": "charlie"}
NAMES = {"m0": "Zoe", "m1": "adam", "m2": "Bea", "m3": "carl"}
# (member, document, address variant, reading update or None): the views in
# time order, a minute apart. Reading: (seconds, depth, end reached).
VIEWS = [
    ("m0", "d0", "", (300, 100, True)),
    ("m0", "d0", "/view", (200, 40, False)),  # 500 s for d0 in all
    ("m0", "d1", "", None),  # unknown: stored, no update yet
    ("m0", "d2", "", (10, 5, False)),
    ("m1", "d0", "", (0, 0, False)),  # a glance: 0 s, known
    ("m1", "d1", "", (90, 100, True)),
    ("m1", "d1", "", (45, 60, False)),  # a second view of the same address
    ("m1", "d2", "/view", None),
    ("m2", "d0", "", None),
    ("m2", "d0", "/view", (120, 80, False)),  # one address known
    ("m2", "d1", "", (600, 100, True)),
    ("m2", "d2", "", (59, 30, False)),
    ("m3", "d0", "", (61, 100, True)),
    ("m3", "d1", "", None),
    ("m3", "d2", "", (240, 20, False)),
    ("m3", "d2", "/view", (30, 100, True)),
]


def path(document):
    return f"/Plone/f/{document}"


def url(document, variant):
    return f"http://nohost{path(document)}{variant}"


def fill(storage):
    for minute, (member, document, variant, reading) in enumerate(VIEWS):
        hit_id = new_hit_id()
        result = storage.log_visit(
            member,
            path(document),
            url(document, variant),
            uid=f"uid-{document}",
            title=TITLES[document],
            when=T0 + timedelta(minutes=minute),
            user_agent="Mozilla/5.0",
            hit_id=hit_id,
        )
        assert result.stored and not result.duplicate
        if reading is not None:
            assert storage.log_reading(hit_id, member, *reading)
    # Outside the prefix: never in its log.
    hit_id = new_hit_id()
    storage.log_visit("m0", "/Plone/other", "http://nohost/other", hit_id=hit_id)
    storage.log_reading(hit_id, "m0", 999, 100, True)


def fullnames(members):
    return {member: NAMES[member] for member in members if member in NAMES}


def add(total, value):
    return value if total is None else (total if value is None else total + value)


def expected(per, since=None, until=None):
    """{(member, path, url or None): (count, seconds, reached_end)}."""
    rows = {}
    for minute, (member, document, variant, reading) in enumerate(VIEWS):
        when = T0 + timedelta(minutes=minute)
        if (since and when < since) or (until and when >= until):
            continue
        key = (member, path(document), url(document, variant) if per == "url" else None)
        count, seconds, end = rows.get(key, (0, None, None))
        if reading is not None:
            seconds = add(seconds, reading[0])
            end = bool(end) or reading[2]
        rows[key] = (count + 1, seconds, end)
    return rows


def passing(rows, min_seconds=None, reached_end=None):
    return {
        key: row
        for key, row in rows.items()
        if (min_seconds is None or (row[1] is not None and row[1] >= min_seconds))
        and (not reached_end or row[2])
    }


def in_order(rows, sort_on, reverse):
    """The keys of ``rows`` in the storage's order for ``sort_on``."""

    def key(item):
        (member, doc, address), (count, seconds, _end) = item
        leading = {
            "member": (member,),
            "fullname": ((NAMES.get(member) or member).lower(), member),
            "document": (TITLES[doc.rsplit("/", 1)[1]], doc),
            "count": (count,),
            "seconds": (seconds or 0,),
        }[sort_on]
        return (*leading, member, doc, address or "")

    ordered = sorted(rows.items(), key=key, reverse=reverse)
    if sort_on == "seconds":  # unknown last, whichever the direction
        ordered = [i for i in ordered if i[1][1] is not None] + [
            i for i in ordered if i[1][1] is None
        ]
    return [k for k, _row in ordered]


def figures(rows):
    return {
        (r.member, r.path, r.url): (r.count, r.seconds, r.reached_end) for r in rows
    }


def all_pages(storage, size, **kw):
    rows = []
    for offset in itertools.count(0, size):
        page = storage.log_page("/Plone/f", offset=offset, limit=size, **kw)
        rows.extend(page.rows)
        if len(page.rows) < size:
            return rows, page


@pytest.fixture
def filled(storage):
    fill(storage)
    return storage


@pytest.fixture
def large(filled, pg_dsn):
    """The same data, but every prefix counts as large (statistics known)."""
    query(pg_dsn, "ANALYZE")
    filled.log_small_rows = 0
    return filled


# -- the figures ---------------------------------------------------------------


@pytest.mark.parametrize("per", ["document", "url"])
def test_rows_carry_reading_time_and_the_end(filled, per):
    page = filled.log_page("/Plone/f", per=per, limit=500)
    assert figures(page.rows) == expected(per)
    by_key = figures(page.rows)
    if per == "document":
        # Two addresses summed; one known address is enough to know.
        assert by_key[("m0", path("d0"), None)] == (2, 500, True)
        assert by_key[("m2", path("d0"), None)] == (2, 120, False)
        # Never updated: unknown, not zero; a glance is zero, known.
        assert by_key[("m0", path("d1"), None)] == (1, None, None)
        assert by_key[("m1", path("d0"), None)] == (1, 0, False)
    else:
        assert by_key[("m1", path("d1"), url("d1", ""))] == (2, 135, True)


@pytest.mark.parametrize("fixture", ["filled", "large"])
@pytest.mark.parametrize("per", ["document", "url"])
def test_unfiltered_pages_have_the_figures_too(request, fixture, per):
    # Without a filter the figures are looked up for the page's rows only,
    # after LIMIT (logqueries.later): the same figures, in the same order.
    storage = request.getfixturevalue(fixture)
    if fixture == "large":  # and newest first from the recent raw hits
        for member in ("m8", "m9"):
            hit_id = new_hit_id()
            storage.log_visit(member, path("d1"), url("d1", ""), hit_id=hit_id)
            storage.log_reading(hit_id, member, 42, 100, True)
    want = expected(per)
    if fixture == "large":
        for member in ("m8", "m9"):
            want[(member, path("d1"), url("d1", "") if per == "url" else None)] = (
                1,
                42,
                True,
            )
    for sort_on, reverse in (
        ("member", False),
        ("fullname", True),
        ("document", False),
        ("count", True),
        ("lastaccess", True),
    ):
        rows, _page = all_pages(
            storage, 5, per=per, sort_on=sort_on, reverse=reverse, fullnames=fullnames
        )
        assert figures(rows) == want, sort_on
    spec = logspec.make_spec("/Plone/f", per, "member", False, *[None] * 4)
    assert logpages.q.lazy(spec, 50) == (per == "document")
    assert not logpages.q.lazy(spec, False)


def test_a_time_window_sums_its_own_views(filled):
    since, until = T0 + timedelta(minutes=6), T0 + timedelta(minutes=7)
    (row,) = filled.log_page("/Plone/f", since=since, until=until).rows
    # Only the second of m1's two views of d1: 45 s, end not reached.
    assert (row.member, row.count, row.seconds, row.reached_end) == ("m1", 1, 45, False)


def test_rows_of_other_storages_still_build():
    # Third-party code that builds rows the old way keeps working.
    row = AccessRow("m", 1, T0, T0, 1, "/p", None, None, None, 1)
    assert (row.seconds, row.reached_end) == (None, None)
    click = ClickRow(T0, "http://x", "/p", "t", 0)
    assert (click.seconds, click.depth, click.reached_end) == (None, None, None)


# -- the filters, in every shape -------------------------------------------------

FILTERS = [
    {"min_seconds": 60},
    {"min_seconds": 0},  # only the known
    {"reached_end": True},
    {"min_seconds": 100, "reached_end": True},
    {"min_seconds": 100_000},  # nobody
]
SORTS = ["member", "fullname", "document", "count", "seconds"]
CASES = [
    (per, sort_on, reverse, filters)
    for per in ("document", "url")
    for sort_on in SORTS
    for reverse in (False, True)
    for filters in FILTERS
]


def check_pages(storage, per, sort_on, reverse, filters, size=3):
    rows, page = all_pages(
        storage,
        size,
        per=per,
        sort_on=sort_on,
        reverse=reverse,
        fullnames=fullnames,
        **filters,
    )
    want = passing(expected(per), **filters)
    assert [(r.member, r.path, r.url) for r in rows] == in_order(want, sort_on, reverse)
    assert figures(rows) == want
    return page


@pytest.mark.parametrize(("per", "sort_on", "reverse", "filters"), CASES)
def test_filters_small_prefix(filled, per, sort_on, reverse, filters):
    page = check_pages(filled, per, sort_on, reverse, filters)
    assert page.exact and page.total == len(passing(expected(per), **filters))


@pytest.mark.parametrize(("per", "sort_on", "reverse", "filters"), CASES[::3])
def test_filters_large_prefix_give_the_same_pages(
    large, per, sort_on, reverse, filters
):
    check_pages(large, per, sort_on, reverse, filters)


@pytest.mark.parametrize("filters", FILTERS)
def test_filters_in_a_time_window(filled, filters):
    since = T0 + timedelta(minutes=4)
    for per in ("document", "url"):
        page = filled.log_page("/Plone/f", per=per, since=since, limit=500, **filters)
        assert figures(page.rows) == passing(expected(per, since=since), **filters)
        assert page.exact


@pytest.mark.parametrize("fixture", ["filled", "large"])
def test_filters_with_member_and_document(request, fixture):
    storage = request.getfixturevalue(fixture)
    page = storage.log_page("/Plone/f", member="m3", min_seconds=60, per="url")
    assert sorted(r.url for r in page.rows) == [url("d0", ""), url("d2", "")]
    d2 = page.rows[-1].document_id
    page = storage.log_page("/Plone/f", document=d2, reached_end=True)
    assert [(r.member, r.seconds) for r in page.rows] == [("m3", 270)]


def test_newest_first_at_a_large_prefix_with_a_filter(large):
    # Read now: the newest-first shape finds them from the raw hits.
    for member, seconds in (("m8", 30), ("m9", 400)):
        hit_id = new_hit_id()
        large.log_visit(member, path("d1"), url("d1", ""), hit_id=hit_id)
        large.log_reading(hit_id, member, seconds, 100, True)
    page = large.log_page(
        "/Plone/f", sort_on="lastaccess", reverse=True, limit=1, min_seconds=60
    )
    assert [(r.member, r.seconds) for r in page.rows] == [("m9", 400)]


def test_large_prefix_estimate_counts_only_what_passes(large):
    everything = large.log_page("/Plone/f", limit=2)
    few = large.log_page("/Plone/f", limit=2, min_seconds=300)
    assert not everything.exact and not few.exact
    assert everything.total >= len(expected("document"))
    # Fewer expected with the filter, but never fewer than the rows seen.
    assert 3 <= few.total < everything.total
    nobody = large.log_page("/Plone/f", min_seconds=100_000)
    assert nobody.rows == [] and nobody.exact and nobody.total == 0


def test_a_selective_filter_can_be_too_slow(large, pg_dsn):
    # Many rows under the prefix read in member order, none passes: the page
    # reads through all of them and runs into its time limit.
    query(
        pg_dsn,
        "INSERT INTO clicktracker.access SELECT d.id, 'x' || i, 'u', 1, now(), now()"
        " FROM clicktracker.documents d, generate_series(1, 50000) i"
        " WHERE d.path = '/Plone/f/d0'",
    )
    large.log_timeout_ms = large.log_slow_timeout_ms = 1
    with pytest.raises(LogTooSlow):
        large.log_page("/Plone/f", min_seconds=100_000)
    large.log_timeout_ms = large.log_slow_timeout_ms = 5000
    assert large.log_page("/Plone/f", min_seconds=100_000).rows == []


# -- the sort by reading time ------------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True])
def test_sort_by_reading_time_puts_the_unknown_last(filled, reverse):
    rows, _page = all_pages(filled, 4, sort_on="seconds", reverse=reverse)
    seconds = [r.seconds for r in rows]
    known = [s for s in seconds if s is not None]
    assert seconds == known + [None] * (len(seconds) - len(known))
    assert known == sorted(known, reverse=reverse)


def test_sort_by_reading_time_is_refused_at_once_where_too_large(large):
    large.log_max_sort_rows = 0
    with pytest.raises(LogTooSlow):
        large.log_page("/Plone/f", sort_on="seconds")


# -- the download ----------------------------------------------------------------------


@pytest.mark.parametrize("filters", [{}, *FILTERS])
def test_iter_log_filters_too(filled, filters):
    rows = list(filled.iter_log("/Plone/f", sort_on="seconds", reverse=True, **filters))
    want = passing(expected("document"), **filters)
    assert [(r.member, r.path, r.url) for r in rows] == in_order(want, "seconds", True)
    assert figures(rows) == want


# -- arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {"min_seconds": -1},
        {"min_seconds": "60"},
        {"min_seconds": 1.5},
        {"min_seconds": True},
        {"reached_end": False},
        {"reached_end": 1},
        {"reached_end": "yes"},
    ],
)
def test_bad_filters_are_refused(filled, kw):
    with pytest.raises(ValueError):
        filled.log_page("/Plone/f", **kw)
    with pytest.raises(ValueError):
        filled.iter_log("/Plone/f", **kw)


# -- the plans: a filter keeps the index order ---------------------------------------


def test_filtered_large_prefix_plans_still_read_an_index(pg_dsn):
    conn = large_site(pg_dsn)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO clicktracker.access (document_id, member, url, count,"
            " firstaccess, lastaccess, seconds, reached_end)"
            " SELECT d.id, 'm' || (d.id * 7 + i) % 300, 'http://x' || d.path, 1,"
            " now(), now(), CASE WHEN i % 3 = 0 THEN NULL ELSE i * 10 END, i % 2 = 0"
            " FROM clicktracker.documents d, generate_series(1, 20) i"
        )
        cur.execute("ANALYZE")
        for sort_on, shape, index in (
            ("member", logpages.q.members_query, "access_member"),
            ("document", logpages.q.documents_query, "documents_title"),
        ):
            for filters in ({}, {"min_seconds": 60, "reached_end": True}):
                spec = logspec.make_spec(
                    "/Plone", "document", sort_on, False, *[None] * 4, **filters
                )
                cur.execute("EXPLAIN " + shape(spec), logpages.q.params(spec, 50, 0))
                plan = "\n".join(row[0] for row in cur.fetchall())
                assert index in plan, plan
                assert "Seq Scan on access" not in plan, plan
    conn.close()


# -- the clickstream ---------------------------------------------------------------


def test_clicks_carry_their_reading_figures(storage):
    first, second = new_hit_id(), new_hit_id()
    visit = storage.log_visit(
        "ann", path("d0"), url("d0", ""), when=T0, hit_id=first
    ).visit_id
    storage.log_visit(
        "ann",
        path("d1"),
        url("d1", ""),
        visit,
        when=T0 + timedelta(minutes=1),
        hit_id=second,
    )
    assert storage.log_reading(first, "ann", 250, 100, True)
    clicks = storage.get_clickstream(visit)
    assert all(isinstance(c, ClickRow) for c in clicks)
    assert [(c.seconds, c.depth, c.reached_end) for c in clicks] == [
        (250, 100, True),
        (None, None, None),  # no update came
    ]
