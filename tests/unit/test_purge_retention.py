"""The retention covers every table that names members (docs/privacy.rst):
received hit ids, confirmations, reminders and access totals too; the
site statistics' daily figures, which name nobody, stay."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.storage.hits import new_hit_id
from tests.unit.helpers import query
import pytest


NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=60)
YOUNG = NOW - timedelta(days=1)


def fill(storage, when):
    """One of everything for alice and the anonymous member at ``when``."""
    for member in ("alice", "(anonymous)"):
        hit_id = new_hit_id(when.timestamp())
        storage.log_visit(member, "/Plone/a", "http://x/a", when=when, hit_id=hit_id)
        storage.log_reading(hit_id, member, 30, 100, True)
    storage.confirm("/Plone/a", "alice", when=when)
    storage.claim_reminders("/Plone/a", ["alice"], timedelta(0), when=when)


def tables_naming_members(dsn):
    rows = query(
        dsn,
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = 'clicktracker' AND column_name = 'member'",
    )
    return sorted(name for (name,) in rows)


def count(dsn, table):
    return query(dsn, f"SELECT count(*) FROM clicktracker.{table}")[0][0]  # noqa: S608


@pytest.mark.parametrize("batch_size", [5000, 1])
def test_nothing_older_than_the_retention_is_left(storage, pg_dsn, batch_size):
    fill(storage, OLD)
    assert storage.prepare_statistics("UTC")
    days = query(pg_dsn, "SELECT * FROM clicktracker.stats_days WHERE views > 0")
    tables = tables_naming_members(pg_dsn)
    assert tables == ["access", "confirmations", "hits", "reminders", "visits"]

    removed = storage.purge(30, batch_size=batch_size)

    assert removed == {
        "hits": 2,
        "visits": 2,
        "received": 2,
        "access": 2,
        "confirmations": 1,
        "reminders": 1,
    }
    for table in [*tables, "received"]:
        assert count(pg_dsn, table) == 0, table
    # Counts of views and readers per day name nobody: they stay.
    assert query(pg_dsn, "SELECT * FROM clicktracker.stats_days WHERE views > 0") == (
        days
    )
    assert len(days) == 1


def test_young_rows_stay(storage, pg_dsn):
    fill(storage, YOUNG)
    before = {t: count(pg_dsn, t) for t in ("received", "confirmations", "reminders")}
    assert not any(storage.purge(30).values())
    assert (
        {t: count(pg_dsn, t) for t in before}
        == before
        == {
            "received": 2,
            "confirmations": 1,
            "reminders": 1,
        }
    )


def test_a_total_viewed_lately_stays_whole(storage):
    storage.logAccess("alice", "/Plone/a", "http://x/a", when=OLD)
    storage.logAccess("alice", "/Plone/a", "http://x/a", when=YOUNG)
    storage.logAccess("bob", "/Plone/a", "http://x/a", when=OLD)
    assert storage.purge(30)["access"] == 1
    [total] = storage.getLog("/Plone")
    assert (total.member, total.count, total.firstaccess) == ("alice", 2, OLD)


MANY = (
    "INSERT INTO clicktracker.access"
    " (document_id, member, url, count, firstaccess, lastaccess)"
    " SELECT 1, 'm' || i % 50, 'http://x/' || i, 1, now() - interval '90 days',"
    " now() - (i % 2) * interval '60 days' FROM generate_series(1, 3000) i"
)


def test_many_pages_in_small_batches(storage, pg_dsn):
    query(pg_dsn, MANY)
    query(pg_dsn, "ANALYZE clicktracker.access")
    pages = query(pg_dsn, "SELECT relpages FROM pg_class WHERE relname = 'access'")
    assert pages[0][0] > 10
    assert storage.purge(30, batch_size=100)["access"] == 1500
    left = "SELECT count(*) FROM clicktracker.access WHERE lastaccess > now() - %s"
    assert query(pg_dsn, left, (timedelta(days=30),)) == [(1500,)]
    assert count(pg_dsn, "access") == 1500
