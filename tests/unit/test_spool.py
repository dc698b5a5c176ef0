"""The SQLite spool that keeps hits while PostgreSQL is away."""

from datetime import datetime
from datetime import timedelta
from datetime import timezone
from slc.clicktracker.storage.hits import Hit
from slc.clicktracker.storage.spool import Spool
from slc.clicktracker.storage.spool import shared
from slc.clicktracker.storage.spool import size_of
import logging
import sqlite3
import threading


T0 = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
HERE = "a" * 32  # a destination, as dsn.destination() makes them
THERE = "b" * 32


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
        assert spool.append(hit(n, uid=f"u{n}", title="T", referrer="r"), HERE)
    rows = spool.peek(10, HERE)
    assert [h for _, h in rows] == [
        hit(n, uid=f"u{n}", title="T", referrer="r") for n in range(5)
    ]
    assert rows[0][1].at.utcoffset() == timedelta(hours=2)
    assert [spool_id for spool_id, _ in rows] == sorted(i for i, _ in rows)


def test_peek_limits_and_delete_removes(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    for n in range(5):
        spool.append(hit(n), HERE)
    first = spool.peek(2, HERE)
    assert [h.member for _, h in first] == ["user0", "user1"]
    assert spool.delete(i for i, _ in first) == 2
    assert len(spool) == 3
    assert [h.member for _, h in spool.peek(10, HERE)] == ["user2", "user3", "user4"]
    assert spool.has_backlog(HERE)
    spool.delete(i for i, _ in spool.peek(10, HERE))
    assert not spool.has_backlog(HERE)


def test_survives_reopening(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append(hit(1), HERE)
    spool.close()
    again = Spool(tmp_path / "spool.sqlite")
    assert [h for _, h in again.peek(5, HERE)] == [hit(1)]
    # The backlog is known from the file, not only from this object's appends.
    assert again.has_backlog(HERE)
    assert not Spool(tmp_path / "empty.sqlite").has_backlog(HERE)


def test_ids_are_never_reused(tmp_path):
    # AUTOINCREMENT: a replay that deleted the newest row must not see its
    # id handed to a later hit.
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append(hit(1), HERE)
    ((old_id, _),) = spool.peek(1, HERE)
    spool.delete([old_id])
    spool.append(hit(2), HERE)
    ((new_id, _),) = spool.peek(1, HERE)
    assert new_id > old_id


def test_wal_and_full_sync(tmp_path):
    Spool(tmp_path / "spool.sqlite").append(hit(1), HERE)
    db = sqlite3.connect(tmp_path / "spool.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_full_spool_refuses_and_warns_once_per_episode(tmp_path, caplog):
    # Room for exactly three of these hits; the share allows all of them.
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=3 * size_of(hit(1)), share=1)
    caplog.set_level(logging.WARNING, logger="slc.clicktracker")
    assert all(spool.append(hit(n), HERE) for n in range(3))
    assert not spool.append(hit(3), HERE)
    assert not spool.append(hit(4), HERE)
    assert len(spool) == 3
    assert len([r for r in caplog.records if "full" in r.getMessage()]) == 1
    # Room again, then full again: a second episode, a second warning.
    spool.delete([spool.peek(1, HERE)[0][0]])
    assert spool.append(hit(5), HERE)
    assert not spool.append(hit(6), HERE)
    assert len([r for r in caplog.records if "full" in r.getMessage()]) == 2
    assert [h.member for _, h in spool.peek(5, HERE)] == ["user1", "user2", "user5"]


def test_many_threads_append_safely(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")

    def work(t):
        for n in range(50):
            assert spool.append(hit(n, member=f"t{t}"), HERE)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spool) == 400
    rows = spool.peek(1000, HERE)
    for t in range(8):
        # each thread's hits keep their order
        mine = [h.at for _, h in rows if h.member == f"t{t}"]
        assert mine == sorted(mine) and len(mine) == 50


def test_one_spool_object_per_file_in_a_process(tmp_path):
    one = shared(tmp_path / "spool.sqlite")
    assert shared(str(tmp_path / "spool.sqlite")) is one
    one.close()
    # A closed one is not handed out again.
    assert shared(tmp_path / "spool.sqlite") is not one


def test_each_destination_gets_only_its_own_hits(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append(hit(1, member="alice"), HERE)
    spool.append(hit(2, member="bob"), THERE)
    spool.append(hit(3, member="carol"), HERE)
    assert [h.member for _, h in spool.peek(10, HERE)] == ["alice", "carol"]
    assert [h.member for _, h in spool.peek(10, THERE)] == ["bob"]
    assert spool.has_backlog(THERE) and not spool.has_backlog("c" * 32)
    spool.delete(i for i, _ in spool.peek(10, HERE))
    assert not spool.has_backlog(HERE)
    assert spool.usage(HERE)["rows_elsewhere"] == 1
    # Reopened, the file still knows whose hits wait.
    spool.close()
    again = Spool(tmp_path / "spool.sqlite")
    assert not again.has_backlog(HERE) and again.waiting(THERE) == 1


def test_hits_without_a_destination_go_anywhere_first(tmp_path):
    # Rows from before destinations existed: older than any other row.
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append(hit(1, member="legacy"), None)
    spool.append(hit(2, member="alice"), HERE)
    assert spool.has_backlog(THERE)
    assert [h.member for _, h in spool.peek(10, THERE)] == ["legacy"]
    assert [h.member for _, h in spool.peek(10, HERE)] == ["legacy", "alice"]


def test_relabel_sends_waiting_hits_elsewhere(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append(hit(1), "pending:/Plone")
    assert spool.relabel("pending:/Plone", HERE) == 1
    assert spool.waiting(HERE) == 1 and spool.waiting("pending:/Plone") == 0


def test_capped_by_bytes_not_rows(tmp_path):
    small, big = hit(1), hit(2, title="x" * 20_000)
    spool = Spool(
        tmp_path / "spool.sqlite", max_bytes=size_of(big) + size_of(small), share=1
    )
    assert spool.append(big, HERE)
    assert spool.append(small, HERE)
    assert not spool.append(hit(3), HERE)
    assert spool.usage(HERE)["bytes"] == size_of(big) + size_of(small)


def test_one_client_cannot_crowd_out_the_others(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="slc.clicktracker")
    one = size_of(hit(10, member="mallory", client="mallory"))
    # The spool holds 100 such hits; one client may hold 10.
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=100 * one, share=0.1)
    stored = [
        spool.append(hit(n, member="mallory", client="mallory"), HERE)
        for n in range(10, 60)
    ]
    assert stored.count(True) == 10
    warnings = [r for r in caplog.records if "share" in r.getMessage()]
    assert len(warnings) == 1
    # Everybody else still gets in.
    for n in range(10, 30):
        assert spool.append(hit(n, member=f"user{n}", client=f"user{n}"), HERE)
    # Anonymous visitors are told apart by their (salted) address.
    anonymous = [
        spool.append(hit(n, member="(anonymous)", client=f"(anonymous)@{n}"), HERE)
        for n in range(10, 30)
    ]
    assert all(anonymous)


def test_an_old_spool_file_gets_sizes_and_counts(tmp_path):
    path = tmp_path / "spool.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE hits (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,"
        " member TEXT NOT NULL, path TEXT NOT NULL, url TEXT NOT NULL, uid TEXT,"
        " referrer TEXT, title TEXT)"
    )
    db.execute(
        "INSERT INTO hits (at, member, path, url) VALUES (?, 'old', '/Plone/d', 'u')",
        (T0.isoformat(),),
    )
    db.commit()
    db.close()
    spool = Spool(path)
    assert spool.has_backlog(HERE)
    assert spool.bytes > 0
    ((_, old),) = spool.peek(5, HERE)
    assert old.member == "old" and old.hit_id is None
