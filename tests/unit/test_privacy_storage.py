"""A member's data rights on PostgreSQL (issue 15): export, erase and
pseudonymise every table, in batches, leaving everyone else alone."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import IPrivacyStorage
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import privacy_rows
from slc.clicktracker.storage.hits import new_hit_id
from slc.clicktracker.storage.privacy import pseudonym
from slc.clicktracker.storage.privacy_batches import ERASED
from slc.clicktracker.storage.privacy_batches import RENAMED
from tests.unit.helpers import query
from zope.interface.verify import verifyObject
import json
import pytest


KEY = b"0123456789abcdef-site-secret"
ANON = "(anonymous)"
NOW = datetime.now(UTC)


def ago(days):
    return NOW - timedelta(days=days)


def read_page(storage, member, path, days, seconds=None):
    """One view in a visit (with its hit id and, maybe, reading time)."""
    hit_id = new_hit_id()
    storage.log_visit(
        member, path, "http://x" + path, when=ago(days), hit_id=hit_id, title=path[-1]
    )
    if seconds is not None:
        assert storage.log_reading(hit_id, member, seconds, 80, True)


def fill(storage):
    """alice and bob: old (60 days) and young (1 day) rows in every table;
    the anonymous member's views, old and young."""
    for member in ("alice", "bob", ANON):
        read_page(storage, member, "/Plone/a", 60, seconds=30)
        read_page(storage, member, "/Plone/b", 60)
        read_page(storage, member, "/Plone/a", 1, seconds=10)
        storage.logAccess(member, "/Plone/c", "http://x/Plone/c", when=ago(60))
    for member in ("alice", "bob"):
        storage.confirm("/Plone/a", member, when=ago(60))
        storage.confirm("/Plone/b", member, when=ago(1))
        storage.claim_reminders("/Plone/c", [member], timedelta(0), when=ago(60))
        storage.claim_reminders("/Plone/b", [member], timedelta(0), when=ago(1))


def data_of(storage, member):
    """member_data's rows, also of the anonymous member (which it refuses)."""
    conn = storage.pool.connect()
    try:
        with conn.cursor() as cur:
            return privacy_rows.read(cur, member)
    finally:
        conn.close()


def counts(data):
    return {table: len(rows) for table, rows in data.items()}


def test_provides_the_interface(storage):
    assert verifyObject(IPrivacyStorage, storage)


def test_member_data_covers_every_table(storage, pg_dsn):
    fill(storage)
    data = storage.member_data("alice")
    assert counts(data) == {
        "hits": 4,
        "visits": 3,  # a visit per view: no cookie given
        "received": 4,  # every hit has an id
        "access": 3,
        "confirmations": 2,
        "reminders": 2,
    }
    json.dumps(data)  # JSON-able as it is
    assert {
        row["member"] for table in data.values() for row in table if "member" in row
    } == {"alice"}
    hit = data["hits"][0]
    assert (hit["path"], hit["title"], hit["url"]) == (
        "/Plone/a",
        "a",
        "http://x/Plone/a",
    )
    assert datetime.fromisoformat(hit["at"]) == ago(60)
    assert {row["seconds"] for row in data["received"]} == {30, 10, None}
    # Every column of every table, whatever a later migration adds.
    for table, rows in data.items():
        columns = query(
            pg_dsn,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'clicktracker' AND table_name = %s",
            (table,),
        )
        assert {c for (c,) in columns} <= set(rows[0]), table
    assert counts(storage.member_data("nobody")) == dict.fromkeys(data, 0)


def every_row(pg_dsn):
    """Every row of every table but the ones erasing touches on purpose."""
    rows = {}
    for (table,) in query(
        pg_dsn,
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'clicktracker' AND table_name <> 'stats_prepared'",
    ):
        found = query(pg_dsn, f"SELECT t::text FROM clicktracker.{table} t")  # noqa: S608
        rows[table] = sorted(r for (r,) in found)
    return rows


@pytest.mark.parametrize("batch_size", [5000, 2, 1])
def test_erase_member_deletes_exactly_their_rows(storage, pg_dsn, batch_size):
    fill(storage)
    storage.prepare_statistics("UTC")
    before = counts(storage.member_data("alice"))
    others = {m: data_of(storage, m) for m in ("bob", ANON)}
    rows = every_row(pg_dsn)

    assert storage.erase_member("alice", batch_size=batch_size) == before

    assert counts(storage.member_data("alice")) == dict.fromkeys(ERASED, 0)
    assert {m: data_of(storage, m) for m in ("bob", ANON)} == others
    after = every_row(pg_dsn)
    for table, old in rows.items():
        gone = [row for row in old if row not in after[table]]
        assert all("alice" in row for row in gone if table != "received"), table
        assert len(gone) == before.get(table, 0), table
    # The documents' figures are prepared again without her.
    assert query(pg_dsn, "SELECT count(*) FROM clicktracker.stats_prepared") == [(0,)]
    assert storage.prepare_statistics("UTC")
    # Again: nothing left.
    assert storage.erase_member("alice") == dict.fromkeys(ERASED, 0)


@pytest.mark.parametrize("batch_size", [5000, 2])
def test_pseudonymise_member_renames_everything(storage, batch_size):
    fill(storage)
    before = storage.member_data("alice")
    others = {m: data_of(storage, m) for m in ("bob", ANON)}
    alias = pseudonym("alice", KEY)

    changed = storage.pseudonymise_member("alice", alias, batch_size=batch_size)

    assert changed == {t: len(before[t]) for t in RENAMED}
    assert counts(storage.member_data("alice")) == dict.fromkeys(ERASED, 0)
    renamed = storage.member_data(alias)
    for table, rows in before.items():
        expected = [
            {**row, "member": alias} if "member" in row else row for row in rows
        ]
        assert renamed[table] == expected, table
    assert {m: data_of(storage, m) for m in ("bob", ANON)} == others
    # The reports name the pseudonym.
    assert {r.member for r in storage.getLog("/Plone")} == {alias, "bob", ANON}
    assert [v.member for v in storage.get_visits(member=alias)] == [alias] * 3
    status = storage.read_status(["/Plone/a"], members=[alias])
    assert [(s.member, s.views, s.seconds) for s in status] == [(alias, 2, 40)]
    page = storage.log_page("/Plone", sort_on="member")
    assert alias in {row.member for row in page.rows}
    assert {c.member for c in storage.confirmations(["/Plone/a", "/Plone/b"])} == {
        alias,
        "bob",
    }
    assert {r.member for r in storage.reminders(["/Plone/b"])} == {alias, "bob"}


def test_pseudonymise_member_merges_with_what_the_pseudonym_has(storage):
    alias = pseudonym("alice", KEY)
    for _ in range(2):
        read_page(storage, "alice", "/Plone/a", 2, seconds=20)
        storage.confirm("/Plone/a", "alice", when=ago(2))
        storage.claim_reminders("/Plone/a", ["alice"], timedelta(0), when=ago(2))
        storage.pseudonymise_member("alice", alias)
    data = storage.member_data(alias)
    [total] = data["access"]
    assert (total["count"], total["seconds"], total["reached_end"]) == (2, 40, True)
    assert len(data["hits"]) == 2
    assert len(data["confirmations"]) == len(data["reminders"]) == 1


@pytest.mark.parametrize("batch_size", [5000, 2, 1])
def test_pseudonymise_before_renames_old_rows_once(storage, batch_size):
    fill(storage)
    young = {m: storage.member_data(m) for m in ("alice", "bob")}
    anonymous = data_of(storage, ANON)

    changed = storage.pseudonymise_before(30, KEY, batch_size=batch_size)

    # Per member: 3 old hits, 2 old visits, 2 old totals (/Plone/b, /Plone/c),
    # 1 old confirmation, 1 old reminder.
    assert changed == {
        "hits": 6,
        "visits": 4,
        "access": 4,
        "confirmations": 2,
        "reminders": 2,
    }
    for member, data in young.items():
        alias = pseudonym(member, KEY)
        old = storage.member_data(alias)
        kept = storage.member_data(member)
        assert counts(old) == {
            "hits": 3,
            "visits": 2,
            "received": 3,
            "access": 2,
            "confirmations": 1,
            "reminders": 1,
        }
        assert all(h["at"] < ago(30).isoformat() for h in old["hits"])
        assert all(h["at"] > ago(30).isoformat() for h in kept["hits"])
        # The total of /Plone/a was viewed lately: it keeps the name.
        assert [a["path"] for a in kept["access"]] == ["/Plone/a"]
        for table in data:
            assert len(old[table]) + len(kept[table]) == len(data[table]), table
    assert data_of(storage, ANON) == anonymous
    # Idempotent: pseudonyms are never pseudonymised again.
    assert storage.pseudonymise_before(30, KEY) == dict.fromkeys(RENAMED, 0)
    assert storage.pseudonymise_before(0.5, KEY)["hits"] == 2  # the young ones


def test_pseudonymise_before_page_by_page(storage, pg_dsn):
    # 3,000 totals of 50 members on many pages, every other one old.
    query(
        pg_dsn,
        "INSERT INTO clicktracker.access"
        " (document_id, member, url, count, firstaccess, lastaccess)"
        " SELECT 1, 'm' || i % 50, 'http://x/' || i, 1, now() - interval '90 days',"
        " now() - (i % 2) * interval '60 days' FROM generate_series(1, 3000) i",
    )
    query(pg_dsn, "ANALYZE clicktracker.access")
    assert storage.pseudonymise_before(30, KEY, batch_size=100)["access"] == 1500
    rows = query(
        pg_dsn,
        "SELECT left(member, 1) = '~', lastaccess < now() - interval '30 days',"
        " count(*) FROM clicktracker.access GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert rows == [(False, False, 1500), (True, True, 1500)]
    # m1's totals are all old (odd numbers), m2's all young.
    assert len(storage.member_data(pseudonym("m1", KEY))["access"]) == 60
    assert len(storage.member_data("m2")["access"]) == 60


def test_reports_work_after_pseudonymising_old_rows(storage):
    fill(storage)
    storage.pseudonymise_before(30, KEY)
    alias = pseudonym("alice", KEY)
    log = {(r.member, r.url): r.count for r in storage.getLog("/Plone/c")}
    assert log == {
        (alias, "http://x/Plone/c"): 1,
        (pseudonym("bob", KEY), "http://x/Plone/c"): 1,
        (ANON, "http://x/Plone/c"): 1,
    }
    assert storage.prepare_statistics("UTC")
    assert storage.most_read("UTC", 90).total == 3
    visits = storage.get_visits(member=alias)
    assert [len(storage.get_clickstream(v.visit_id)) for v in visits] == [1, 1]


def test_pseudonyms_are_stable_and_keyed():
    assert pseudonym("alice", KEY) == pseudonym("alice", KEY)
    assert pseudonym("alice", KEY) != pseudonym("alice", KEY + b"x")
    assert pseudonym("alice", KEY) != pseudonym("bob", KEY)
    assert pseudonym("alice", KEY).startswith("~")
    assert len(pseudonym("alice", KEY)) == 21


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.member_data(ANON), "no member"),
        (lambda s: s.member_data(""), "empty"),
        (lambda s: s.erase_member(None), "str"),
        (lambda s: s.erase_member("alice", batch_size=0), "at least 1"),
        (lambda s: s.pseudonymise_member("alice", "bob"), "starts with"),
        (lambda s: s.pseudonymise_member("~x", "~x"), "differ"),
        (lambda s: s.pseudonymise_before(0, KEY), "above 0"),
        (lambda s: s.pseudonymise_before(30, "text key"), "bytes"),
        (lambda s: s.pseudonymise_before(30, b"short"), "at least 16"),
    ],
)
def test_bad_input_is_refused(storage, call, message):
    with pytest.raises(ValueError, match=message):
        call(storage)


def test_database_not_set_up(pg_dsn):
    storage = PostgresqlStorage(pg_dsn)
    for call in (
        lambda: storage.member_data("alice"),
        lambda: storage.erase_member("alice"),
        lambda: storage.pseudonymise_before(30, KEY),
    ):
        with pytest.raises(StorageError, match="set up"):
            call()
    storage.close()
    with pytest.raises(StorageError):
        PostgresqlStorage("").erase_member("alice")
