"""docs/privacy.rst stays true: it lists every column of the schema, and no
column holds (or could hold) a visitor's IP address."""

from datetime import timedelta
from pathlib import Path
from slc.clicktracker.storage.hits import new_hit_id
from tests.unit.helpers import query
import re


DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.rst"
# The first cell of a list-table row: ``clicktracker.<table>.<column>``.
ROW = re.compile(r"^\s*\* - ``clicktracker\.(\w+)\.(\w+)``\s*$", re.MULTILINE)
ADDRESSES = ("203.0.113.9", "2001:db8::7")


def documented():
    found = ROW.findall(DOC.read_text(encoding="utf-8"))
    assert len(found) == len(set(found)), "a column is documented twice"
    return set(found)


def schema_columns(dsn):
    rows = query(
        dsn,
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'clicktracker'",
    )
    return set(rows)


def test_every_column_is_documented(storage, pg_dsn):
    columns = schema_columns(pg_dsn)
    listed = documented()
    missing = sorted(f"clicktracker.{t}.{c}" for t, c in columns - listed)
    assert not missing, f"document these columns in docs/privacy.rst: {missing}"
    stale = sorted(f"clicktracker.{t}.{c}" for t, c in listed - columns)
    assert not stale, f"docs/privacy.rst lists columns that do not exist: {stale}"


def test_no_column_has_an_address_type(storage, pg_dsn):
    typed = query(
        pg_dsn,
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'clicktracker'"
        " AND udt_name IN ('inet', 'cidr', 'macaddr', 'macaddr8')",
    )
    assert typed == []


def record_everything(storage, address):
    """Every way the storage is given a visitor's address, and the rest of
    what a view stores."""
    hit_id = new_hit_id()
    visit = storage.log_visit(
        "(anonymous)",
        "/Plone/a",
        "http://x/Plone/a",
        referrer="http://elsewhere/",
        user_agent="Mozilla/5.0",
        hit_id=hit_id,
        client=address,
    )
    assert visit.stored
    storage.log_visit(
        "alice", "/Plone/b", "http://x/Plone/b", visit.visit_id, client=address
    )
    assert storage.logAccess("bob", "/Plone/c", "http://x/Plone/c", client=address)
    storage.log_reading(hit_id, "(anonymous)", 12, 50, False)
    storage.confirm("/Plone/a", "alice")
    storage.claim_reminders("/Plone/a", ["bob"], timedelta(0))


def test_the_client_address_is_stored_nowhere(storage, pg_dsn):
    for address in ADDRESSES:
        record_everything(storage, address)
    # The same through the spool: the database away, then back.
    storage.note_failure(RuntimeError("database away (test)"))
    for address in ADDRESSES:
        assert storage.logAccess(
            "(anonymous)", "/Plone/d", "http://x/Plone/d", client=address
        )
    # SQLite may keep the rows in its write-ahead log yet.
    spooled = b"".join(
        path.read_bytes()
        for path in Path(storage.spool.path).parent.glob("spool.sqlite*")
    )
    assert b"/Plone/d" in spooled
    assert storage.status()["backlog"] == 2
    storage.backoff.succeeded()
    assert storage.replay() == 2
    assert query(pg_dsn, "SELECT count(*) FROM clicktracker.hits") == [(8,)]
    assert query(pg_dsn, "SELECT count(*) FROM clicktracker.visits") == [(4,)]

    tables = query(
        pg_dsn,
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'clicktracker'",
    )
    assert len(tables) >= 11
    for (table,) in tables:
        for address in ADDRESSES:
            # The whole row as text: every column, whatever its type.
            found = query(
                pg_dsn,
                f"SELECT t::text FROM clicktracker.{table} t"  # noqa: S608
                " WHERE strpos(t::text, %s) > 0",
                (address,),
            )
            assert found == [], f"{address} stored in {table}: {found}"
    # Nor did the spool file ever hold it (only a keyed hash, for anonymous).
    for address in ADDRESSES:
        assert address.encode() not in spooled
