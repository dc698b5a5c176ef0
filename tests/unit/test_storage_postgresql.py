"""PostgresqlStorage beyond the generic contract: documents, moves, input, admin."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import StorageError
from slc.clicktracker.storage import schema
from tests.unit.helpers import query
from zope.interface.verify import verifyObject
import pytest


T0 = datetime(2024, 1, 1, tzinfo=UTC)


def documents(dsn):
    return query(
        dsn, "SELECT uid, path, path_key, title FROM clicktracker.documents ORDER BY id"
    )


def test_provides_the_admin_interface(storage):
    assert verifyObject(IClickStorageAdmin, storage)


def test_one_hit_is_one_raw_hit_and_one_aggregate(storage, pg_dsn):
    storage.logAccess(
        "alice", "/Plone/d", "http://x/d", uid="U1", referrer="http://x/", title="D"
    )
    assert query(pg_dsn, "SELECT member, url, referrer FROM clicktracker.hits") == [
        ("alice", "http://x/d", "http://x/")
    ]
    assert query(pg_dsn, "SELECT member, count FROM clicktracker.access") == [
        ("alice", 1)
    ]
    assert documents(pg_dsn) == [("U1", "/Plone/d", None, "D")]


def test_uid_attaches_to_a_document_known_by_path(storage, pg_dsn):
    storage.logAccess("alice", "/Plone/d", "http://x/d", when=T0)
    storage.logAccess("alice", "/Plone/d", "http://x/d", uid="U1", title="Doc")
    assert documents(pg_dsn) == [("U1", "/Plone/d", None, "Doc")]
    (row,) = storage.getLog("/Plone/d")
    assert (row.count, row.uid, row.firstaccess) == (2, "U1", T0)
    # Later hits without UID still find it by path.
    storage.logAccess("bob", "/Plone/d", "http://x/d")
    assert len(documents(pg_dsn)) == 1


def test_history_follows_the_uid_when_the_path_changes(storage, pg_dsn):
    storage.logAccess("alice", "/Plone/old", "http://x/old", uid="U1")
    storage.logAccess("alice", "/Plone/new", "http://x/new", uid="U1")
    assert storage.getLog("/Plone/old") == []
    rows = storage.getLog("/Plone/new")
    assert [(r.url, r.count) for r in rows] == [
        ("http://x/new", 1),
        ("http://x/old", 1),
    ]


def test_move_rewrites_the_folder_and_everything_below(storage):
    storage.logAccess("alice", "/Plone/f/doc", "http://x/f/doc", uid="U1", when=T0)
    storage.logAccess("bob", "/Plone/f/sub/page", "http://x/f/sub/page")
    storage.logAccess("carol", "/Plone/f", "http://x/f")
    storage.logAccess("dave", "/Plone/ff/doc", "http://x/ff/doc")
    assert storage.move("/Plone/f", "/Plone/g") == 3
    rows = storage.getLog("/Plone/g")
    assert [(r.member, r.path) for r in rows] == [
        ("alice", "/Plone/g/doc"),
        ("bob", "/Plone/g/sub/page"),
        ("carol", "/Plone/g"),
    ]
    assert rows[0].firstaccess == T0
    assert storage.getLog("/Plone/f") == []
    assert [r.member for r in storage.getLog("/Plone/ff")] == ["dave"]
    # Path-only documents are found at their new path.
    storage.logAccess("bob", "/Plone/g/sub/page", "http://x/g/sub/page")
    assert sum(r.count for r in storage.getLog("/Plone/g/sub")) == 2


def test_move_treats_like_metacharacters_literally(storage):
    for path in ("/Plone/a_b", "/Plone/aXb", "/Plone/a%", "/Plone/a%/x", "/Plone/a\\"):
        storage.logAccess("alice", path, "http://x" + path)
    assert storage.move("/Plone/a_b", "/Plone/c") == 1
    assert storage.move("/Plone/a%", "/Plone/p") == 2
    paths = sorted(r.path for r in storage.getLog("/Plone"))
    assert paths == ["/Plone/aXb", "/Plone/a\\", "/Plone/c", "/Plone/p", "/Plone/p/x"]


def test_move_onto_a_path_with_old_history(storage, pg_dsn):
    # Something was once viewed at /Plone/g/doc, then deleted; now /Plone/f
    # is renamed to /Plone/g.
    storage.logAccess("old", "/Plone/g/doc", "http://x/g/doc")
    storage.logAccess("alice", "/Plone/f/doc", "http://x/f/doc")
    storage.move("/Plone/f", "/Plone/g")
    storage.logAccess("bob", "/Plone/g/doc", "http://x/g/doc")
    rows = query(
        pg_dsn,
        "SELECT d.path, d.path_key, array_agg(a.member ORDER BY a.member) "
        "FROM clicktracker.documents d JOIN clicktracker.access a "
        "ON a.document_id = d.id GROUP BY d.id ORDER BY d.id",
    )
    assert rows == [
        ("/Plone/g/doc", None, ["old"]),
        ("/Plone/g/doc", "/Plone/g/doc", ["alice", "bob"]),
    ]


def test_move_rejects_the_root(storage):
    with pytest.raises(ValueError):
        storage.move("/", "/Plone")


def test_overlong_values_are_truncated(storage, pg_dsn):
    storage.logAccess(
        "m" * 300,
        "/Plone/" + "p" * 2000,
        "http://x/" + "u" * 3000,
        referrer="r" * 3000,
        title="t" * 600,
        uid="x" * 100,
    )
    (row,) = query(
        pg_dsn,
        "SELECT length(h.member), length(h.url), length(h.referrer), "
        "length(d.path), length(d.title), length(d.uid) "
        "FROM clicktracker.hits h JOIN clicktracker.documents d "
        "ON d.id = h.document_id",
    )
    assert row == (255, 2048, 2048, 1024, 512, 64)


def test_long_multibyte_paths_fit_the_index(storage, pg_dsn):
    path = "/Plone/" + "\U0001f600" * 1000
    assert storage.logAccess("alice", path, "http://x/smile")
    (stored,) = query(pg_dsn, "SELECT octet_length(path) FROM clicktracker.documents")
    assert stored[0] <= 2048
    assert len(storage.getLog("/Plone")) == 1


def test_nul_bytes_and_broken_encodings_are_repaired(storage):
    assert storage.logAccess(
        b"al\xffice\x00", "/Plone/d\x00oc", "http://x/\udcff", title="a\ud800b"
    )
    (row,) = storage.getLog("/Plone/doc")
    assert row.member == "al\ufffdice"
    assert row.url == "http://x/\ufffd"
    # A proper surrogate pair becomes the character it encodes.
    storage.logAccess("bob", "/Plone/doc", "http://x/\ud83d\ude00")
    assert "http://x/\U0001f600" in [r.url for r in storage.getLog("/Plone/doc")]


def test_unusable_input_raises_value_error(storage):
    for args in [
        (" ", "/Plone/d", "u"),
        (None, "/Plone/d", "u"),
        ("alice", None, "u"),
        ("alice", "relative/path", "u"),
        (42, "/Plone/d", "u"),
    ]:
        with pytest.raises(ValueError):
            storage.logAccess(*args)
    with pytest.raises(ValueError):
        storage.logAccess("alice", "/Plone/d", "u", when=datetime(2024, 1, 1))
    with pytest.raises(ValueError):
        storage.getLog("/Plone", since=datetime(2024, 1, 1))
    with pytest.raises(TypeError):
        storage.logAccess("alice", "/Plone/d", "u", colour="red")
    assert storage.status()["hits"] == 0


def test_status(storage, pg_dsn):
    storage.logAccess("alice", "/Plone/a", "u")
    storage.logAccess("alice", "/Plone/b", "u")
    storage.logAccess("bob", "/Plone/b", "u")
    status = storage.status()
    spool = status.pop("spool")
    assert status == {
        "configured": True,
        "connected": True,
        "error": None,
        "schema_version": schema.migrations()[-1][0],
        "hits": 3,
        "documents": 2,
        "backlog": 0,
    }
    assert spool == {
        "rows": 0,
        "rows_elsewhere": 0,
        "bytes": 0,
        "max_bytes": 64 * 1024 * 1024,
    }


def test_status_before_setup(pg_dsn):
    storage = PostgresqlStorage(pg_dsn)
    status = storage.status()
    assert status["connected"] and status["schema_version"] is None
    assert "not installed" in status["error"]


def test_not_configured_spools_everything(tmp_path):
    storage = PostgresqlStorage("", spool_path=tmp_path / "spool.sqlite")
    assert storage.logAccess("alice", "/Plone/d", "u")
    status = storage.status()
    assert (status["configured"], status["connected"], status["backlog"]) == (
        False,
        False,
        1,
    )
    with pytest.raises(StorageError, match="DSN"):
        storage.setup_database()
    with pytest.raises(StorageError, match="DSN"):
        storage.replay()


def test_without_spool_a_failed_hit_returns_false(pg_cluster):
    storage = PostgresqlStorage(pg_cluster.dsn("no_such_database"))
    assert storage.logAccess("alice", "/Plone/d", "u") is False
    assert "no_such_database" in storage.status()["error"]


def test_setup_database_unreachable_is_a_clear_error(pg_cluster, tmp_path):
    storage = PostgresqlStorage(f"host={tmp_path} port=1 dbname=x")
    with pytest.raises(StorageError, match="Cannot connect to PostgreSQL"):
        storage.setup_database()
    assert storage.status()["connected"] is False


def test_malformed_dsn_spools_and_reports(tmp_path):
    storage = PostgresqlStorage("this is = not a dsn", spool_path=tmp_path / "s")
    assert storage.logAccess("alice", "/Plone/d", "u")
    status = storage.status()
    assert status["backlog"] == 1 and status["error"]
    storage.close()


def test_hits_before_setup_are_kept_and_replayed_in_order(pg_dsn, tmp_path):
    storage = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "spool.sqlite")
    times = [T0 + timedelta(minutes=n) for n in range(5)]
    for n, when in enumerate(times):
        assert storage.logAccess(f"user{n}", "/Plone/d", "u", when=when)
    assert storage.status()["backlog"] == 5
    storage.setup_database()
    storage.replay()  # may also have started in the background; both are safe
    assert storage.status()["backlog"] == 0
    assert query(pg_dsn, "SELECT member, at FROM clicktracker.hits ORDER BY id") == [
        (f"user{n}", when) for n, when in enumerate(times)
    ]
    storage.close()


def test_new_hits_queue_behind_spooled_ones(storage, pg_dsn):
    storage.spool.append(storage_hit("early", T0), storage.destination)
    assert storage.logAccess("late", "/Plone/d", "u", when=T0 + timedelta(hours=1))
    storage.replay()
    assert query(pg_dsn, "SELECT member FROM clicktracker.hits ORDER BY id") == [
        ("early",),
        ("late",),
    ]


def storage_hit(member, when):
    from slc.clicktracker.storage.hits import make_hit

    return make_hit(member, "/Plone/d", "u", when=when)


def test_connections_carry_the_timeouts(storage, pg_dsn):
    def settings(cur):
        cur.execute("SHOW statement_timeout")
        timeout = cur.fetchone()[0]
        cur.execute("SELECT current_setting('application_name')")
        return timeout, cur.fetchone()[0]

    assert storage.pool.run(settings) == ("1s", "slc.clicktracker")
    assert storage.pool.connect_kwargs()["connect_timeout"] == "1"


def test_options_in_the_dsn_are_kept(pg_dsn):
    storage = PostgresqlStorage(pg_dsn + " options='-c work_mem=8MB'")

    def show(cur):
        cur.execute(
            "SELECT current_setting('work_mem'), current_setting('statement_timeout')"
        )
        return cur.fetchone()

    assert storage.pool.run(show) == ("8MB", "1s")
    storage.close()


def test_a_slow_database_does_not_hold_the_request(storage, pg_dsn):
    # Every insert now takes 10 s; the statement timeout (1 s) cancels it.
    query(
        pg_dsn,
        "CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(10); RETURN NEW; END $$; "
        "CREATE TRIGGER slow BEFORE INSERT ON clicktracker.hits "
        "FOR EACH ROW EXECUTE FUNCTION public.slow()",
    )
    assert storage.logAccess("alice", "/Plone/d", "u", when=T0) is True
    status = storage.status()
    assert status["backlog"] == 1
    assert "statement timeout" in storage.backoff.error
    assert query(pg_dsn, "SELECT count(*) FROM clicktracker.hits") == [(0,)]
    # Backing off: the next hit goes straight to the spool.
    assert storage.logAccess("alice", "/Plone/d", "u", when=T0 + timedelta(1))
    assert storage.status()["backlog"] == 2
    query(pg_dsn, "DROP TRIGGER slow ON clicktracker.hits")
    assert storage.replay() == 2
    (row,) = storage.getLog("/Plone/d")
    assert (row.count, row.firstaccess) == (2, T0)


def test_reconnects_after_connections_were_killed(storage, pg_dsn):
    for n in range(3):
        storage.logAccess("alice", f"/Plone/d{n}", "u")
    killed = query(
        pg_dsn,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'slc.clicktracker' AND pid <> pg_backend_pid()",
    )
    assert killed
    assert storage.logAccess("alice", "/Plone/after", "u")
    status = storage.status()
    # Written straight away on a fresh connection: nothing spooled.
    assert (status["hits"], status["backlog"]) == (4, 0)
