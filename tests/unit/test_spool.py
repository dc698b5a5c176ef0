"""The SQLite spool that keeps hits while PostgreSQL is away."""

from datetime import datetime
from datetime import timedelta
from datetime import timezone
from slc.clicktracker.storage.hits import Hit
from slc.clicktracker.storage.spool import Spool
import logging
import sqlite3
import threading


T0 = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


def hit(n, **kw):
    values = {
        "at": T0 + timedelta(seconds=n),
        "member": f"user{n}",
        "path": f"/Plone/doc{n}",
        "url": f"http://x/doc{n}",
        "uid": None,
        "referrer": None,
        "title": None,
    }
    values.update(kw)
    return Hit(**values)


def test_hits_come_back_in_order_with_their_original_time(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    for n in range(5):
        assert spool.append(hit(n, uid=f"u{n}", title="T", referrer="r"))
    rows = spool.peek(10)
    assert [h for _, h in rows] == [
        hit(n, uid=f"u{n}", title="T", referrer="r") for n in range(5)
    ]
    assert rows[0][1].at.utcoffset() == timedelta(hours=2)
    assert [spool_id for spool_id, _ in rows] == sorted(i for i, _ in rows)


def test_peek_limits_and_delete_removes(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    for n in range(5):
        spool.append(hit(n))
    first = spool.peek(2)
    assert [h.member for _, h in first] == ["user0", "user1"]
    assert spool.delete(i for i, _ in first) == 2
    assert len(spool) == 3
    assert [h.member for _, h in spool.peek(10)] == ["user2", "user3", "user4"]
    assert spool.has_backlog()
    spool.delete(i for i, _ in spool.peek(10))
    assert not spool.has_backlog()


def test_survives_reopening(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append(hit(1))
    spool.close()
    again = Spool(tmp_path / "spool.sqlite")
    assert [h for _, h in again.peek(5)] == [hit(1)]
    # The backlog is known from the file, not only from this object's appends.
    assert again.has_backlog()
    assert not Spool(tmp_path / "empty.sqlite").has_backlog()


def test_ids_are_never_reused(tmp_path):
    # AUTOINCREMENT: a replay that deleted the newest row must not see its
    # id handed to a later hit.
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append(hit(1))
    ((old_id, _),) = spool.peek(1)
    spool.delete([old_id])
    spool.append(hit(2))
    ((new_id, _),) = spool.peek(1)
    assert new_id > old_id


def test_wal_and_full_sync(tmp_path):
    Spool(tmp_path / "spool.sqlite").append(hit(1))
    db = sqlite3.connect(tmp_path / "spool.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_full_spool_refuses_and_warns_once_per_episode(tmp_path, caplog):
    spool = Spool(tmp_path / "spool.sqlite", max_rows=3)
    caplog.set_level(logging.WARNING, logger="slc.clicktracker")
    assert all(spool.append(hit(n)) for n in range(3))
    assert not spool.append(hit(3))
    assert not spool.append(hit(4))
    assert len(spool) == 3
    assert len([r for r in caplog.records if "full" in r.getMessage()]) == 1
    # Room again, then full again: a second episode, a second warning.
    spool.delete([spool.peek(1)[0][0]])
    assert spool.append(hit(5))
    assert not spool.append(hit(6))
    assert len([r for r in caplog.records if "full" in r.getMessage()]) == 2
    assert [h.member for _, h in spool.peek(5)] == ["user1", "user2", "user5"]


def test_many_threads_append_safely(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")

    def work(t):
        for n in range(50):
            assert spool.append(hit(n, member=f"t{t}"))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spool) == 400
    rows = spool.peek(1000)
    for t in range(8):
        # each thread's hits keep their order
        mine = [h.at for _, h in rows if h.member == f"t{t}"]
        assert mine == sorted(mine) and len(mine) == 50


def test_two_spools_on_one_file_agree_on_the_size(tmp_path):
    one = Spool(tmp_path / "spool.sqlite")
    two = Spool(tmp_path / "spool.sqlite")
    one.append(hit(1))
    assert len(two) == 1
    two.delete([i for i, _ in two.peek(1)])
    assert len(one) == 0
