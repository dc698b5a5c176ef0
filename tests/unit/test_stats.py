"""Views over time and the site statistics on PostgreSQL (issue 13): per day
in a time zone, bots left out, anonymous views counted but no reader, the
prepared figures of the complete days before today, windows, medians."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import IStatisticsStorage
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage.rows import DayViews
from slc.clicktracker.storage.rows import DocumentStats
from slc.clicktracker.storage.rows import StatsPage
from tests.unit.helpers import large_site
from tests.unit.helpers import query
from tests.unit.helpers import wait_for
from zope.interface.verify import verifyObject
import psycopg2
import pytest


DOC = "/Plone/board/agenda"
OTHER = "/Plone/board/minutes"
SIBLING = "/Plone/boardroom/plan"
VIENNA = "Europe/Vienna"
# The figures are prepared up to the database's today: the tests' days are
# around it (a run across midnight UTC could fail).
TODAY = datetime.now(UTC).date()


def at(day, hour=12):
    """Noon (UTC) of ``day`` days after TODAY (negative: before)."""
    moment = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    return moment + timedelta(days=day, hours=hour)


def view(storage, member, path, when, bot=False, visit=None):
    """One view; in a visit (bots' views always are) when asked."""
    url = f"http://nohost{path}"
    if bot or visit:
        return storage.log_visit(member, path, url, visit, when=when, is_bot=bot)
    storage.logAccess(member, path, url, when=when)
    return None


def set_seconds(dsn, path, member, seconds):
    query(
        dsn,
        "UPDATE clicktracker.hits h SET seconds = %s FROM clicktracker.documents d"
        " WHERE d.id = h.document_id AND d.path = %s AND h.member = %s",
        (seconds, path, member),
    )


@pytest.fixture
def stats(storage):
    """The storage, preparing its figures in the call that needs them."""
    storage.prepare_in_background = False
    return storage


def test_provides_the_interface(storage):
    assert verifyObject(IStatisticsStorage, storage)


# -- views over time of a document or folder ------------------------------------


def test_views_and_readers_per_day(stats):
    view(stats, "ann", DOC, at(-2))
    view(stats, "ann", DOC, at(-2, 13))
    view(stats, "bob", DOC, at(-2))
    view(stats, "bob", OTHER, at(0))
    view(stats, "(anonymous)", DOC, at(0))
    view(stats, "(anonymous)", DOC, at(0, 14))
    view(stats, "cid", SIBLING, at(0))  # /Plone/boardroom is not /Plone/board
    view(stats, "crawler", DOC, at(0), bot=True)
    days = stats.views_per_day("/Plone/board", TODAY - timedelta(days=3), TODAY, "UTC")
    assert days == [
        DayViews(TODAY - timedelta(days=3), 0, 0),
        DayViews(TODAY - timedelta(days=2), 3, 2),
        DayViews(TODAY - timedelta(days=1), 0, 0),
        # Anonymous views count; anonymous visitors are no reader.
        DayViews(TODAY, 3, 1),
    ]
    one = stats.views_per_day(DOC, TODAY, TODAY, "UTC")
    assert one == [DayViews(TODAY, 2, 0)]


def test_reloads_count_as_views(stats):
    url = f"http://nohost{DOC}"
    first = stats.log_visit("ann", DOC, url, None, when=at(0))
    again = stats.log_visit("ann", DOC, url, first.visit_id, when=at(0, 12.1))
    assert again.reload
    assert stats.views_per_day(DOC, TODAY, TODAY, "UTC") == [DayViews(TODAY, 2, 1)]


def test_days_are_the_time_zones(stats):
    # 23:30 UTC on the 19th is half past midnight on the 20th in Vienna.
    view(stats, "ann", DOC, at(-1, 23.5))
    utc = stats.views_per_day(DOC, TODAY - timedelta(days=1), TODAY, "UTC")
    vienna = stats.views_per_day(DOC, TODAY - timedelta(days=1), TODAY, VIENNA)
    assert [d.views for d in utc] == [1, 0]
    assert [d.views for d in vienna] == [0, 1]


def test_bad_arguments_are_refused(stats):
    for args in (
        ("relative", TODAY, TODAY, "UTC"),
        (DOC, TODAY, TODAY - timedelta(days=1), "UTC"),  # backwards
        (DOC, TODAY - timedelta(days=366), TODAY, "UTC"),  # 367 days
        (DOC, at(0), TODAY, "UTC"),  # a datetime is no day
        (DOC, TODAY, TODAY, "Mars/Olympus"),
        (DOC, TODAY, TODAY, ""),
    ):
        with pytest.raises(ValueError):
            stats.views_per_day(*args)
    for days in (0, 14, True, "30"):
        with pytest.raises(ValueError):
            stats.most_read("UTC", days)
    with pytest.raises(ValueError):
        stats.most_read("UTC", 30, offset=-1)
    with pytest.raises(ValueError):
        stats.document_stats(["relative"], "UTC", 30)


def test_too_many_views_to_count_in_time(pg_dsn, tmp_path):
    conn = large_site(pg_dsn)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO clicktracker.hits (at, member, document_id, url)"
            " SELECT now() - i * interval '1 minute', 'm' || i % 500, 1 + i % 5000, ''"
            " FROM generate_series(1, 300000) i"
        )
    conn.close()
    storage = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "s.sqlite")
    storage.stats_timeout_ms = 5
    today = datetime.now(UTC).date()
    try:
        with pytest.raises(LogTooSlow, match="shorter period"):
            storage.views_per_day("/Plone", today - timedelta(days=365), today, "UTC")
        # The connection is fine afterwards.
        storage.stats_timeout_ms = 1000
        assert storage.views_per_day("/Plone/f0/d1", today, today, "UTC")
    finally:
        storage.close()


# -- the prepared figures ---------------------------------------------------------


def reads(storage, dsn):
    """ann and bob read DOC (bob twice), ann OTHER; a bot and anonymous
    visitors read OTHER; cid read DOC 20 days ago, dan 100 days ago.
    Reading times: ann 30 s, bob 90 and unknown, on DOC."""
    view(storage, "ann", DOC, at(-1))
    view(storage, "bob", DOC, at(-3))
    view(storage, "bob", DOC, at(-2))
    view(storage, "ann", OTHER, at(-2))
    view(storage, "(anonymous)", OTHER, at(-2))
    view(storage, "(anonymous)", OTHER, at(-5))
    view(storage, "crawler", OTHER, at(-2), bot=True)
    view(storage, "cid", DOC, at(-20))
    view(storage, "dan", DOC, at(-100))
    view(storage, "eve", DOC, at(0))  # today: not a complete day yet
    set_seconds(dsn, DOC, "ann", 30)
    query(
        dsn,
        "UPDATE clicktracker.hits SET seconds = 90 WHERE id = (SELECT min(id)"
        " FROM clicktracker.hits WHERE member = 'bob')",
    )


def test_most_read_by_readers_then_views(stats, pg_dsn):
    reads(stats, pg_dsn)
    assert stats.prepare_statistics("UTC", today=TODAY) is True
    page = stats.most_read("UTC", 7)
    assert page.prepared == TODAY
    assert page.total == 2
    assert page.rows == [
        DocumentStats(DOC, None, None, 2, 3, 60.0),
        DocumentStats(OTHER, None, None, 1, 3, None),
    ]
    assert [(r.path, r.readers) for r in stats.most_read("UTC", 30).rows] == [
        (DOC, 3),
        (OTHER, 1),
    ]
    assert stats.most_read("UTC", 365).rows[0].readers == 4
    second = stats.most_read("UTC", 30, offset=1, limit=1)
    assert ([r.path for r in second.rows], second.total) == ([OTHER], 2)


def test_document_stats_of_some_documents(stats, pg_dsn):
    reads(stats, pg_dsn)
    stats.prepare_statistics("UTC", today=TODAY)
    page = stats.document_stats([OTHER, DOC, "/Plone/unread"], "UTC", 7)
    assert [(r.path, r.readers, r.views) for r in page.rows] == [
        (DOC, 2, 3),
        (OTHER, 1, 3),
    ]
    assert stats.document_stats([], "UTC", 7).rows == []


def test_the_site_per_day(stats, pg_dsn):
    reads(stats, pg_dsn)
    stats.prepare_statistics("UTC", today=TODAY)
    days = stats.views_per_day(None, TODAY - timedelta(days=3), TODAY, "UTC")
    # Prepared days from the daily totals; today counted now.
    assert days == [
        DayViews(TODAY - timedelta(days=3), 1, 1),
        DayViews(TODAY - timedelta(days=2), 3, 2),
        DayViews(TODAY - timedelta(days=1), 1, 1),
        DayViews(TODAY, 1, 1),
    ]
    # Days are counted once: a late hit does not change a prepared day.
    view(stats, "fay", DOC, at(-1))
    days = stats.views_per_day(None, TODAY - timedelta(days=1), TODAY, "UTC")
    assert days[0] == DayViews(TODAY - timedelta(days=1), 1, 1)


def test_days_not_prepared_are_unknown_until_they_are(storage):
    storage.prepare_in_background = True
    today = datetime.now(UTC).date()
    view(storage, "ann", DOC, datetime.now(UTC) - timedelta(days=1))
    first = storage.views_per_day(None, today - timedelta(days=2), today, "UTC")
    # Not prepared yet: the past days are unknown, today is counted now.
    assert [d.views for d in first] == [None, None, 0]

    def prepared():
        days = storage.views_per_day(None, today - timedelta(days=2), today, "UTC")
        return None not in {d.views for d in days}

    wait_for(prepared)
    days = storage.views_per_day(None, today - timedelta(days=2), today, "UTC")
    assert [d.views for d in days] == [0, 1, 0]
    assert storage.most_read("UTC", 7).prepared == today


def test_preparing_is_done_once_a_day(stats, pg_dsn):
    reads(stats, pg_dsn)
    stats.prepare_statistics("UTC", today=TODAY)
    view(stats, "fay", DOC, at(-1))
    # Prepared for today already: nothing changes.
    assert stats.prepare_statistics("UTC", today=TODAY) is True
    assert stats.most_read("UTC", 7).rows[0].readers == 2
    # The next day's figures have fay, and eve (TODAY is complete then);
    # only one set of figures is kept.
    stats.prepare_statistics("UTC", today=TODAY + timedelta(days=1))
    assert stats.most_read("UTC", 7).rows[0].readers == 4
    assert query(pg_dsn, "SELECT DISTINCT as_of FROM clicktracker.stats_documents") == [
        (TODAY + timedelta(days=1),)
    ]
    # Each time zone has figures of its own.
    assert stats.prepare_statistics(VIENNA, today=TODAY) is True
    assert stats.most_read(VIENNA, 7).prepared >= TODAY


def test_one_preparer_at_a_time(stats, pg_dsn):
    conn = psycopg2.connect(pg_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext('clicktracker.prepare_stats'),"
                " hashtext('UTC'))"
            )
            assert stats.prepare_statistics("UTC", today=TODAY) is False
        conn.rollback()
    finally:
        conn.close()
    assert stats.prepare_statistics("UTC", today=TODAY) is True


def test_nothing_prepared_yet(storage):
    storage.prepare_in_background = True
    storage._preparing = {"UTC"}  # as if a thread were at it
    assert storage.most_read("UTC", 30) == StatsPage([], 0, None)
    assert storage.document_stats([DOC], "UTC", 30).rows == []


# -- no database ------------------------------------------------------------------


def test_not_configured():
    storage = PostgresqlStorage("")
    for call in (
        lambda: storage.views_per_day(DOC, TODAY, TODAY, "UTC"),
        lambda: storage.most_read("UTC", 30),
        lambda: storage.document_stats([DOC], "UTC", 30),
        lambda: storage.prepare_statistics("UTC"),
    ):
        with pytest.raises(StorageNotConfigured):
            call()


def test_database_failure_is_a_storage_error(pg_dsn, tmp_path):
    storage = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "s.sqlite")
    try:
        with pytest.raises(StorageError, match="counting views per day"):
            storage.views_per_day(DOC, TODAY, TODAY, "UTC")
        with pytest.raises(StorageError, match="reading the statistics"):
            storage.most_read("UTC", 30)
        with pytest.raises(StorageError, match="preparing the statistics"):
            storage.prepare_statistics("UTC")
    finally:
        storage.close()
