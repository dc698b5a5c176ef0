"""Simultaneous first hits on the same documents: no errors, no lost counts."""

from slc.clicktracker.storage import PostgresqlStorage
import psycopg2
import threading


THREADS = 8
ROUNDS = 40


def hammer(storages, hit_for):
    """Every thread logs hit_for(round) in lock-step, ROUNDS times."""
    barrier = threading.Barrier(len(storages))
    results = []
    errors = []

    def work(storage, thread):
        try:
            for n in range(ROUNDS):
                barrier.wait()
                results.append(storage.logAccess(**hit_for(n, thread)))
        except Exception as error:  # reported below, not swallowed
            errors.append(error)
            barrier.abort()

    threads = [
        threading.Thread(target=work, args=(storage, t))
        for t, storage in enumerate(storages)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_first_hits_from_many_storages(pg_dsn):
    setup = PostgresqlStorage(pg_dsn)
    setup.setup_database()
    # No spool: a failed hit would show up as False.
    storages = [PostgresqlStorage(pg_dsn) for _ in range(THREADS)]

    def hit_for(n, thread):
        # Rounds alternate: UID documents, path-only documents, and both
        # kinds of hit for the same path at once.
        kind = n % 3
        uid = None if kind == 1 or (kind == 2 and thread % 2) else f"uid-{n}"
        return {"member": "alice", "path": f"/Plone/doc{n}", "url": "u", "uid": uid}

    results = hammer(storages, hit_for)
    assert results == [True] * (THREADS * ROUNDS)
    for n in range(ROUNDS):
        (row,) = setup.getLog(f"/Plone/doc{n}")
        assert row.count == THREADS, n
    status = setup.status()
    assert status["hits"] == THREADS * ROUNDS
    for storage in storages + [setup]:
        storage.close()


def test_one_shared_storage_bounded_pool(pg_dsn):
    # More threads than connections: they wait for one, nobody fails.
    storage = PostgresqlStorage(pg_dsn, pool_size=3)
    storage.setup_database()

    def hit_for(n, thread):
        return {"member": f"m{n % 2}", "path": "/Plone/hot", "url": "u"}

    results = hammer([storage] * THREADS, hit_for)
    assert results == [True] * (THREADS * ROUNDS)
    rows = storage.getLog("/Plone/hot")
    assert [(r.member, r.count) for r in rows] == [
        ("m0", THREADS * ROUNDS // 2),
        ("m1", THREADS * ROUNDS // 2),
    ]
    with psycopg2.connect(pg_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = 'slc.clicktracker'"
        )
        assert cur.fetchone()[0] <= 3
    storage.close()
