"""purge(): old raw hits, visits and totals go; the console script.
The other tables the retention covers: test_purge_retention.py."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import StorageError
from slc.clicktracker.storage.purge import nothing
from tests.unit.helpers import query
import os
import pytest
import subprocess
import sys
import threading


SCRIPT = Path(sys.executable).parent / "clicktracker-purge"
# What fill() leaves to purge at 30 days: the totals of alice's /a, bob's
# /b and /c, dave's /c were last viewed before the cutoff.
FILLED = {**nothing(), "hits": 5, "visits": 1, "access": 4}


def count(dsn, table, where="true"):
    sql = f"SELECT count(*) FROM clicktracker.{table} WHERE {where}"  # noqa: S608
    return query(dsn, sql)[0][0]


def days_ago(days, minutes=0):
    # Hours away from the 30-day cutoff: the seconds the test takes cannot
    # move a row across it.
    return datetime.now(UTC) - timedelta(days=days) + timedelta(minutes=minutes)


def fill(storage):
    """Hits and visits on both sides of a 30-day cutoff.

    Old: 5 hits (2 plain, 2 in visit "old", the first of visit "long").
    Young: 3 hits (1 plain, 1 in visit "young", the last of "long"). The
    visits "young" and "long" (last hit 29 days ago) are young.
    """
    long_visit = {"idle_timeout": 40 * 86400, "max_age": 40 * 86400}
    storage.logAccess("alice", "/Plone/a", "http://x/a", when=days_ago(60))
    storage.logAccess("alice", "/Plone/a", "http://x/a", when=days_ago(31))
    storage.logAccess("bob", "/Plone/a", "http://x/a", when=days_ago(29))
    old = storage.log_visit("bob", "/Plone/b", "http://x/b", when=days_ago(45))
    storage.log_visit(
        "bob", "/Plone/c", "http://x/c", old.visit_id, when=days_ago(45, 1)
    )
    # A reload: no raw hit of its own.
    storage.log_visit(
        "bob", "/Plone/c", "http://x/c", old.visit_id, when=days_ago(45, 1)
    )
    young = storage.log_visit("carol", "/Plone/b", "http://x/b", when=days_ago(1))
    long = storage.log_visit(
        "dave", "/Plone/c", "http://x/c", when=days_ago(31), **long_visit
    )
    storage.log_visit(
        "dave", "/Plone/b", "http://x/b", long.visit_id, when=days_ago(29), **long_visit
    )
    return old.visit_id, young.visit_id, long.visit_id


def test_purge_removes_exactly_the_old_rows(storage, pg_dsn):
    old, young, long = fill(storage)
    assert count(pg_dsn, "hits") == 8
    assert storage.count_visits() == 3
    assert (storage.get_visit(old).hits, storage.get_visit(old).reloads) == (2, 1)
    totals = sorted((r.member, r.url, r.count) for r in storage.getLog("/Plone"))
    documents = query(pg_dsn, "SELECT * FROM clicktracker.documents ORDER BY id")

    assert storage.purge(30) == FILLED

    assert count(pg_dsn, "hits", "at < now() - interval '30 days'") == 0
    assert sorted(query(pg_dsn, "SELECT member FROM clicktracker.hits")) == [
        ("bob",),
        ("carol",),
        ("dave",),
    ]
    assert storage.get_visit(old) is None
    assert storage.get_clickstream(old) == []
    assert storage.get_visit(young).hits == 1
    # Kept by its last hit; only its young click is left in the stream.
    assert storage.get_visit(long).hits == 2
    assert [c.url for c in storage.get_clickstream(long)] == ["http://x/b"]
    # The totals viewed within the 30 days stay, whole; the documents too.
    assert sorted((r.member, r.url, r.count) for r in storage.getLog("/Plone")) == [
        t
        for t in totals
        if t[:2]
        in {("bob", "http://x/a"), ("carol", "http://x/b"), ("dave", "http://x/b")}
    ]
    assert query(pg_dsn, "SELECT * FROM clicktracker.documents ORDER BY id") == (
        documents
    )
    # Nothing older is left: purging again removes nothing.
    assert storage.purge(30) == nothing()


def test_small_batches_remove_the_same(storage, pg_dsn):
    fill(storage)
    assert storage.purge(30, batch_size=1) == FILLED
    assert count(pg_dsn, "hits") == 3
    assert count(pg_dsn, "visits") == 2


def test_keep_days_not_positive_purges_nothing(storage, pg_dsn):
    fill(storage)
    assert storage.purge(0) == nothing()
    assert storage.purge(-5) == nothing()
    assert count(pg_dsn, "hits") == 8
    assert count(pg_dsn, "visits") == 3


def test_purge_of_an_empty_database(storage):
    assert storage.purge(1) == nothing()


def test_purge_errors(pg_dsn):
    not_set_up = PostgresqlStorage(pg_dsn)
    with pytest.raises(StorageError, match="set up the database"):
        not_set_up.purge(30)
    with pytest.raises(ValueError):
        not_set_up.purge(30, batch_size=0)
    with pytest.raises(ValueError):
        not_set_up.purge("30")
    with pytest.raises(StorageError):
        PostgresqlStorage("").purge(30)
    not_set_up.close()


OLD_HITS = 300_000
OLD_VISITS = 30_000
THREADS = 4


def test_purging_many_rows_does_not_block_logging(pg_dsn, tmp_path):
    setup = PostgresqlStorage(pg_dsn, statement_timeout_ms=0)
    setup.setup_database()
    setup.logAccess("old", "/Plone/old", "http://x/old", when=days_ago(100))

    def load(cur):
        cur.execute(
            "INSERT INTO clicktracker.hits (at, member, document_id, url, visit_id) "
            "SELECT now() - interval '40 days' - i * interval '1 second', 'old', 1, "
            "'http://x/old', 'old' || i %% %s FROM generate_series(1, %s) i",
            (OLD_VISITS, OLD_HITS - 1),
        )
        cur.execute(
            "INSERT INTO clicktracker.visits (id, member, started, last_hit, hits) "
            "SELECT 'old' || i, 'old', now() - interval '50 days', "
            "now() - interval '40 days', 10 FROM generate_series(0, %s - 1) i",
            (OLD_VISITS,),
        )
        cur.execute("ANALYZE clicktracker.hits")
        cur.execute("ANALYZE clicktracker.visits")

    setup.pool.run(load)
    assert count(pg_dsn, "hits") == OLD_HITS

    # The loggers' storage has a spool: a hit that waited too long for a lock
    # would be spooled (backlog) rather than lost, and show up below.
    storage = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "spool.sqlite")
    logged = [0] * THREADS
    started = threading.Event()
    stop = threading.Event()
    errors = []

    def log(t):
        visit = None
        try:
            while not stop.is_set():
                n = logged[t]
                result = storage.log_visit(
                    f"live{t}", f"/Plone/d{n % 7}", f"http://x/d{n % 7}", visit
                )
                assert result.stored
                visit = result.visit_id
                assert storage.logAccess(f"live{t}", "/Plone/plain", "http://x/p")
                logged[t] += 1
                started.set()
        except Exception as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=log, args=(t,)) for t in range(THREADS)]
    for worker in workers:
        worker.start()
    assert started.wait(30)
    before = sum(logged)
    removed = setup.purge(30, batch_size=2000)
    during = sum(logged) - before
    stop.set()
    for worker in workers:
        worker.join()

    assert errors == []
    assert removed == {**nothing(), "hits": OLD_HITS, "visits": OLD_VISITS, "access": 1}
    # Logging went on while the purge ran ...
    assert during > 0
    # ... and every hit went straight into the database.
    assert storage.status()["backlog"] == 0
    total = sum(logged)
    assert count(pg_dsn, "hits", "member LIKE 'live%' AND visit_id IS NULL") == total
    visits = query(
        pg_dsn,
        "SELECT sum(hits + reloads) FROM clicktracker.visits WHERE member LIKE 'live%'",
    )
    assert visits == [(total,)]
    assert count(pg_dsn, "hits", "member = 'old'") == 0
    # The old total was last viewed before the cutoff.
    assert setup.getLog("/Plone/old") == []
    storage.close()
    setup.close()


# -- the console script -----------------------------------------------------------


def run(*args, env=None):
    environment = {k: v for k, v in os.environ.items() if k != "SLC_CLICKTRACKER_DSN"}
    environment.update(env or {})
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_script_purges_and_reports(storage, pg_dsn):
    fill(storage)
    done = run("--dsn", pg_dsn, "--keep-days", "30", "--batch-size", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "removed older than 30 days: 5 hits, 1 visits, 0 received, 4 access, "
        "0 confirmations, 0 reminders\n"
    )
    assert done.stderr == ""
    assert count(pg_dsn, "hits") == 3


def test_script_takes_the_dsn_from_the_environment(storage, pg_dsn):
    fill(storage)
    done = run("--keep-days", "50", env={"SLC_CLICKTRACKER_DSN": pg_dsn})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("removed older than 50 days: 1 hits, 0 visits,")


@pytest.mark.parametrize(
    "args",
    [
        ("--keep-days", "30"),  # no DSN anywhere
        ("--dsn", "dbname=x"),  # no --keep-days
        ("--dsn", "dbname=x", "--keep-days", "soon"),
        ("--dsn", "dbname=x", "--keep-days", "0"),
        ("--dsn", "dbname=x", "--keep-days", "30", "--batch-size", "-1"),
        ("--dsn", "dbname=x", "--keep-days", "30", "--colour", "red"),
    ],
)
def test_script_bad_arguments(args):
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("clicktracker-purge: error: ")
    assert done.stderr.count("\n") == 1, done.stderr


def test_script_database_unreachable(pg_cluster):
    # A closed port on this host: refused at once.
    done = run("--dsn", "host=127.0.0.1 port=1 dbname=x", "--keep-days", "30")
    assert done.returncode == 1
    assert done.stderr.startswith("clicktracker-purge: error: Cannot connect")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_script_database_not_set_up(pg_dsn):
    done = run("--dsn", pg_dsn, "--keep-days", "30")
    assert done.returncode == 1
    assert "set up the database" in done.stderr
    assert done.stderr.count("\n") == 1
