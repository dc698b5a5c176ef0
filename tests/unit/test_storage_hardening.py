"""A hung database holds nobody for long, and every hit counts exactly once.

Private clusters: freezing (SIGSTOP) the shared one would stall other tests.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage.hits import new_hit_id
from tests.unit.helpers import query
from tests.unit.helpers import wait_for
import random
import threading
import time


T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
# How long a call may take with the database frozen: the pool's deadline
# (1.25 s) plus the wait for a free connection (0.25 s), with room for a
# slow machine. Before the deadlines, calls waited until the server woke.
BOUND = 3.0


def timed(call, *args, **kw):
    started = time.monotonic()
    result = call(*args, **kw)
    return result, time.monotonic() - started


def test_a_frozen_database_holds_no_call_for_long(cluster, tmp_path):
    dsn = cluster.dsn(cluster.create_database())
    storage = PostgresqlStorage(dsn, spool_path=tmp_path / "spool.sqlite")
    storage.setup_database()
    assert storage.logAccess("alice", "/Plone/d", "u", when=T0)
    cluster.freeze()
    try:
        # Four threads at once, twice the pool: none waits long, all spool.
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(
                    lambda n: timed(
                        storage.logAccess,
                        f"user{n}",
                        "/Plone/d",
                        "u",
                        when=T0 + timedelta(seconds=n + 1),
                    ),
                    range(8),
                )
            )
        assert all(stored for stored, _ in results)
        assert max(took for _, took in results) < BOUND
        # Back-off: later hits do not even try the network.
        stored, took = timed(storage.logAccess, "late", "/Plone/d", "u", when=T0)
        assert stored and took < 0.1
        status, took = timed(storage.status)
        assert took < BOUND and not status["connected"]
        assert status["backlog"] == 9
    finally:
        cluster.resume()
    assert storage.replay() == 9
    rows = query(dsn, "SELECT sum(count) FROM clicktracker.access")
    assert rows == [(10,)]
    storage.close()


def test_a_hit_stored_twice_counts_once(storage, pg_dsn):
    hit_id = new_hit_id()
    for _ in range(3):
        assert storage.logAccess("alice", "/Plone/d", "u", when=T0, hit_id=hit_id)
    # Without an id given, every call is a hit of its own.
    assert not storage.log_visit("bob", "/Plone/d", "u", None, when=T0).duplicate
    hit_id = new_hit_id()
    first = storage.log_visit("carol", "/Plone/d", "u", None, when=T0, hit_id=hit_id)
    again = storage.log_visit(
        "carol", "/Plone/d", "u", first.visit_id, when=T0, hit_id=hit_id
    )
    assert not first.duplicate
    assert again.duplicate and again.stored and again.visit_id == first.visit_id
    counts = dict(query(pg_dsn, "SELECT member, count FROM clicktracker.access"))
    assert counts == {"alice": 1, "bob": 1, "carol": 1}
    assert query(pg_dsn, "SELECT count(*) FROM clicktracker.hits") == [(3,)]
    assert query(pg_dsn, "SELECT hits, reloads FROM clicktracker.visits") == [
        (1, 0),
        (1, 0),
    ]


def test_hit_ids_are_time_ordered_uuid7():
    older = new_hit_id(now=1_700_000_000)
    newer = new_hit_id(now=1_700_000_001)
    assert older < newer
    assert older[14] == "7" and older[19] in "89ab"
    assert len({new_hit_id() for _ in range(1000)}) == 1000


def test_chaos_every_hit_counted_exactly_once(cluster, tmp_path):
    """Freeze the database at random moments while four threads log hits;
    calls give up mid-statement (the server may or may not have committed),
    their hits are spooled and replayed. Every hit must count once."""
    dsn = cluster.dsn(cluster.create_database())
    storage = PostgresqlStorage(
        dsn, spool_path=tmp_path / "spool.sqlite", backoff=0.1, max_backoff=0.3
    )
    storage.setup_database()
    threads = 4
    stop = threading.Event()
    rng = random.Random(1234)
    logged = [0] * threads

    def log(t):
        n = 0
        while not stop.is_set():
            when = T0 + timedelta(seconds=n)
            url = f"http://x/{t}/{n}"  # no two alike: no reloads
            if n % 2:
                assert storage.logAccess(f"m{t}", f"/Plone/d{n % 7}", url, when=when)
            else:
                result = storage.log_visit(
                    f"m{t}", f"/Plone/d{n % 7}", url, None, when=when
                )
                assert result.stored
            n += 1
            logged[t] = n
            time.sleep(rng.random() / 100)

    def chaos():
        for _ in range(3):
            time.sleep(rng.uniform(0.2, 0.6))
            cluster.freeze()
            # Longer than the pool's deadline: calls in flight give up.
            time.sleep(rng.uniform(1.3, 1.8))
            cluster.resume()
        time.sleep(0.3)
        stop.set()

    chaos_thread = threading.Thread(target=chaos)
    chaos_thread.start()
    try:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(log, range(threads)))
    finally:
        stop.set()
        chaos_thread.join()
        cluster.resume()
    wait_for(lambda: storage.replay() >= 0 and storage.status()["backlog"] == 0, 60)
    total = sum(logged)
    assert total > 100
    assert query(dsn, "SELECT sum(count) FROM clicktracker.access") == [(total,)]
    assert query(dsn, "SELECT count(*), sum(reloads) FROM clicktracker.hits") == [
        (total, 0)
    ]
    assert query(dsn, "SELECT count(*) FROM clicktracker.received") == [(total,)]
    per_member = query(
        dsn, "SELECT member, sum(count) FROM clicktracker.access GROUP BY 1 ORDER BY 1"
    )
    assert per_member == [(f"m{t}", logged[t]) for t in range(threads)]
    storage.close()
