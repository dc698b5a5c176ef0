"""PostgreSQL goes away and comes back: hits wait in the spool, then replay.

Uses a private cluster: stopping the shared one would break other tests.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.storage import PostgresqlStorage
from tests.unit.helpers import wait_for
import psycopg2


T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def test_outage_spools_and_replays_in_order(cluster, tmp_path):
    dsn = cluster.dsn(cluster.create_database())
    storage = PostgresqlStorage(
        dsn, spool_path=tmp_path / "spool.sqlite", backoff=0.2, max_backoff=0.5
    )
    storage.setup_database()
    when = [T0 + timedelta(seconds=n) for n in range(30)]
    for n in range(10):
        assert storage.logAccess(f"user{n % 3}", "/Plone/d", "u", when=when[n])

    cluster.executor.stop()
    for n in range(10, 20):
        # Still True: durably spooled.
        assert storage.logAccess(f"user{n % 3}", "/Plone/d", "u", when=when[n])
    status = storage.status()
    assert (status["connected"], status["backlog"]) == (False, 10)

    cluster.restart()
    for n in range(20, 30):
        assert storage.logAccess(f"user{n % 3}", "/Plone/d", "u", when=when[n])
    # The spool drains by itself once the back-off is over.
    wait_for(lambda: storage.status()["backlog"] == 0)

    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT member, at FROM clicktracker.hits ORDER BY id")
        assert cur.fetchall() == [(f"user{n % 3}", when[n]) for n in range(30)]
    conn.close()
    rows = storage.getLog("/Plone/d")
    assert [(r.member, r.count) for r in rows] == [
        ("user0", 10),
        ("user1", 10),
        ("user2", 10),
    ]
    assert rows[0].lastaccess == when[27]
    storage.close()


def test_replay_by_hand_after_restart(cluster, tmp_path):
    dsn = cluster.dsn(cluster.create_database())
    storage = PostgresqlStorage(dsn, spool_path=tmp_path / "spool.sqlite")
    storage.setup_database()
    storage.logAccess("alice", "/Plone/d", "u", when=T0)
    cluster.executor.stop()
    assert storage.logAccess("alice", "/Plone/d", "u", when=T0 + timedelta(1))
    assert storage.status()["backlog"] == 1
    cluster.restart()
    # Within the default 5 s back-off, replay() does not wait for it.
    assert storage.replay() == 1
    (row,) = storage.getLog("/Plone/d")
    assert (row.count, row.lastaccess) == (2, T0 + timedelta(1))
    storage.close()
