"""Visits, reloads and clickstreams (schema version 2) of PostgresqlStorage.

Times are explicit ``when`` values, so expiry is decided without sleeping.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.storage import ClickRow
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import VisitResult
from slc.clicktracker.storage import VisitRow
from slc.clicktracker.storage.spool import Spool
from tests.unit.helpers import query
from tests.unit.helpers import wait_for
from zope.interface.verify import verifyObject
import pytest
import sqlite3
import threading


T0 = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)
IDLE = 1200
MAX_AGE = 18000


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def view(storage, page, seconds, visit_id=None, member="alice", **kw):
    return storage.log_visit(
        member, f"/Plone/{page}", f"http://x/{page}", visit_id, when=at(seconds), **kw
    )


def clicks(storage, visit_id):
    return [
        (c.path.rsplit("/", 1)[1], c.reloads) for c in storage.get_clickstream(visit_id)
    ]


def test_provides_the_visit_interface(storage):
    assert verifyObject(IVisitStorage, storage)


def test_plain_hits_have_no_visit(storage, pg_dsn):
    assert storage.status()["schema_version"] >= 2
    assert storage.logAccess("alice", "/Plone/a", "http://x/a", when=at(0))
    assert query(pg_dsn, "SELECT visit_id, reloads FROM clicktracker.hits") == [
        (None, 0)
    ]
    assert storage.count_visits() == 0


def test_a_visit_starts_and_continues(storage):
    first = view(storage, "a", 0, referrer="http://search/", user_agent="UA/1")
    assert isinstance(first, VisitResult)
    assert first.started and first.stored and first.ended is None
    assert not first.reload
    assert len(first.visit_id) == 32 and int(first.visit_id, 16) >= 0
    second = view(storage, "b", 60, first.visit_id, referrer="http://x/a")
    assert second == VisitResult(first.visit_id, False, None, False, True)
    visit = storage.get_visit(first.visit_id)
    assert isinstance(visit, VisitRow)
    assert visit == VisitRow(
        first.visit_id, "alice", at(0), at(60), 2, 0, "http://search/", "UA/1", False
    )
    assert storage.get_visit("no-such-visit") is None


def test_idle_timeout_ends_the_visit(storage):
    visit = view(storage, "a", 0).visit_id
    # Exactly the idle timeout after the last hit: still the same visit.
    assert view(storage, "b", IDLE, visit).visit_id == visit
    late = view(storage, "c", 2 * IDLE + 1, visit)
    assert late.started and late.ended == visit and late.visit_id != visit
    assert storage.get_visit(visit).hits == 2
    assert storage.get_visit(late.visit_id).started == at(2 * IDLE + 1)
    assert clicks(storage, late.visit_id) == [("c", 0)]


def test_idle_timeout_is_per_call(storage):
    visit = view(storage, "a", 0).visit_id
    assert view(storage, "b", 100, visit, idle_timeout=50).ended == visit


def test_max_age_ends_even_a_busy_visit(storage):
    visit = view(storage, "a", 0).visit_id
    seconds = 0
    while seconds + 1000 <= MAX_AGE:
        seconds += 1000
        assert view(storage, f"p{seconds}", seconds, visit).visit_id == visit
    result = view(storage, "z", MAX_AGE + 1, visit)
    assert result.started and result.ended == visit
    assert storage.get_visit(visit).hits == MAX_AGE // 1000 + 1


def test_max_age_is_per_call(storage):
    visit = view(storage, "a", 0).visit_id
    assert view(storage, "b", 10, visit).visit_id == visit
    result = view(storage, "c", 20, visit, max_age=15)
    assert result.ended == visit and result.started


def test_unknown_or_forged_id_starts_a_new_visit(storage):
    result = view(storage, "a", 0, "forged'; DROP TABLE x; --")
    assert result.started and result.ended is None
    assert result.visit_id != "forged'; DROP TABLE x; --"
    assert storage.get_visit(result.visit_id).hits == 1


def test_someone_elses_visit_is_not_joined(storage):
    visit = view(storage, "a", 0, member="alice").visit_id
    result = view(storage, "b", 10, visit, member="bob")
    assert result.started and result.visit_id != visit and result.ended is None
    assert storage.get_visit(visit).hits == 1


def test_a_stale_id_follows_the_visit_that_replaced_it(storage):
    # Two tabs: the first sends the old id after expiry and gets a new visit,
    # the second still sends the old id and joins that same new visit.
    old = view(storage, "a", 0).visit_id
    new = view(storage, "b", IDLE * 2, old)
    assert new.ended == old
    other_tab = view(storage, "c", IDLE * 2 + 5, old)
    assert (other_tab.visit_id, other_tab.started, other_tab.ended) == (
        new.visit_id,
        False,
        None,
    )
    assert clicks(storage, new.visit_id) == [("b", 0), ("c", 0)]


def test_reloads_are_counted_apart(storage, pg_dsn):
    results = [view(storage, "A", 0)]
    visit = results[0].visit_id
    for n, page in enumerate("ABBA", start=1):
        results.append(view(storage, page, n, visit))
    assert [r.reload for r in results] == [False, True, False, True, False]
    assert {r.visit_id for r in results} == {visit}
    assert clicks(storage, visit) == [("A", 1), ("B", 1), ("A", 0)]
    row = storage.get_visit(visit)
    assert (row.hits, row.reloads) == (3, 2)
    # Raw hits: one per click; the totals count every view.
    assert query(pg_dsn, "SELECT count(*) FROM clicktracker.hits") == [(3,)]
    log = {r.url: r.count for r in storage.getLog("/Plone")}
    assert log == {"http://x/A": 3, "http://x/B": 2}
    # The time window reads raw hits and counts their reloads too.
    window = {r.url: r.count for r in storage.getLog("/Plone", since=at(0))}
    assert window == log


def test_clickstream_in_order_with_titles(storage):
    visit = view(storage, "c", 0, title="See").visit_id
    view(storage, "a", 1, visit, title="Ay")
    view(storage, "b", 2, visit)
    stream = storage.get_clickstream(visit)
    assert all(isinstance(c, ClickRow) for c in stream)
    assert [(c.at, c.url, c.path, c.title, c.reloads) for c in stream] == [
        (at(0), "http://x/c", "/Plone/c", "See", 0),
        (at(1), "http://x/a", "/Plone/a", "Ay", 0),
        (at(2), "http://x/b", "/Plone/b", None, 0),
    ]
    assert storage.get_clickstream("unknown") == []


def test_two_instances_log_into_one_visit(pg_dsn, tmp_path):
    one = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "one.sqlite")
    two = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "two.sqlite")
    one.setup_database()
    visit = None
    pages = ["a", "b", "b", "c", "d", "d", "a", "e"]
    for n, page in enumerate(pages):
        instance = (one, two)[n % 2]
        result = view(instance, page, n * 30, visit)
        visit = visit or result.visit_id
        assert result.visit_id == visit
    assert clicks(one, visit) == [
        ("a", 0),
        ("b", 1),
        ("c", 0),
        ("d", 1),
        ("a", 0),
        ("e", 0),
    ]
    assert clicks(two, visit) == clicks(one, visit)
    assert one.count_visits() == 1
    one.close()
    two.close()


@pytest.fixture
def filled(storage):
    """Four visits: alice x2, bob, a bot; start and last-hit times distinct."""
    ids = {}
    ids["a1"] = view(storage, "x", 0, member="alice").visit_id
    view(storage, "y", 600, ids["a1"], member="alice")
    ids["b1"] = view(storage, "x", 100, member="bob", referrer="http://r/").visit_id
    ids["bot"] = view(storage, "x", 200, member="crawler", is_bot=True).visit_id
    ids["a2"] = view(storage, "x", 5000, member="alice").visit_id
    return ids


def test_get_visits_newest_first_and_filters(storage, filled):
    def names(**kw):
        found = [row.visit_id for row in storage.get_visits(**kw)]
        assert storage.count_visits(**kw) == len(found)
        return [name for visit in found for name, v in filled.items() if v == visit]

    assert names() == ["a2", "bot", "b1", "a1"]
    assert names(member="alice") == ["a2", "a1"]
    assert names(member="nobody") == []
    assert names(since=at(100)) == ["a2", "bot", "b1"]
    assert names(until=at(100)) == ["a1"]
    assert names(since=at(100), until=at(5000)) == ["bot", "b1"]
    # a1 began first but was active last before a2.
    assert names(active_since=at(600)) == ["a2", "a1"]
    assert names(active_since=at(601)) == ["a2"]
    assert names(include_bots=False) == ["a2", "b1", "a1"]
    assert names(member="alice", active_since=at(1000)) == ["a2"]
    (bot,) = storage.get_visits(member="crawler")
    assert bot.is_bot and bot.hits == 1
    (bob,) = storage.get_visits(member="bob")
    assert bob.initial_referrer == "http://r/"


def test_get_visits_batches(storage, filled):
    assert [r.visit_id for r in storage.get_visits(limit=2)] == [
        filled["a2"],
        filled["bot"],
    ]
    assert [r.visit_id for r in storage.get_visits(limit=2, offset=2)] == [
        filled["b1"],
        filled["a1"],
    ]
    assert storage.get_visits(limit=2, offset=4) == []
    assert storage.count_visits() == 4
    with pytest.raises(ValueError):
        storage.get_visits(limit=-1)
    with pytest.raises(ValueError):
        storage.get_visits(since=datetime(2024, 1, 1))


def test_bad_input_is_rejected(storage):
    with pytest.raises(ValueError):
        storage.log_visit("", "/Plone/a", "u")
    with pytest.raises(ValueError):
        storage.log_visit("alice", "/Plone/a", "u", idle_timeout=0)
    with pytest.raises(ValueError):
        storage.log_visit("alice", "/Plone/a", "u", max_age="soon")
    with pytest.raises(TypeError):
        storage.log_visit("alice", "/Plone/a", "u", None, colour="red")
    assert storage.count_visits() == 0


def test_many_threads_into_one_visit(pg_dsn):
    threads, rounds = 8, 40
    storage = PostgresqlStorage(pg_dsn, pool_size=4)  # no spool: failures show
    storage.setup_database()
    visit = view(storage, "start", 0).visit_id
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def work(t):
        try:
            for n in range(rounds):
                barrier.wait()
                # Half the threads view the same page: plenty of reloads.
                page = "same" if t % 2 else f"p{t}-{n}"
                results.append(view(storage, page, 1 + n, visit))
        except Exception as error:  # reported below
            errors.append(error)
            barrier.abort()

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(results) == threads * rounds
    assert all(r.stored and r.visit_id == visit and not r.started for r in results)
    row = storage.get_visit(visit)
    total = threads * rounds + 1
    assert row.hits + row.reloads == total
    assert row.reloads == sum(r.reload for r in results) > 0
    stream = storage.get_clickstream(visit)
    assert len(stream) == row.hits
    # Hits took turns on the visit row: a repeat always saw its predecessor.
    urls = [c.url for c in stream]
    assert all(a != b for a, b in zip(urls, urls[1:], strict=False))
    assert sum(1 + c.reloads for c in stream) == total
    assert sum(r.count for r in storage.getLog("/Plone")) == total
    storage.close()


# -- the spool ----------------------------------------------------------------


def test_visits_survive_an_outage_through_the_spool(cluster, tmp_path):
    dsn = cluster.dsn(cluster.create_database())
    storage = PostgresqlStorage(
        dsn, spool_path=tmp_path / "spool.sqlite", backoff=0.2, max_backoff=0.5
    )
    storage.setup_database()
    before = view(storage, "a", 0).visit_id

    cluster.executor.stop()
    # Continues a known visit, then (idle) would end it, then a new visitor.
    offline = [
        view(storage, "b", 10, before),
        view(storage, "b", 20, before),
        view(storage, "c", 30 + IDLE, before),
        view(storage, "d", 40 + IDLE, before),
        view(storage, "e", 50),
    ]
    assert all(r.stored for r in offline)
    assert [r.visit_id for r in offline[:4]] == [before] * 4
    newcomer = offline[4]
    assert newcomer.started and len(newcomer.visit_id) == 32
    assert storage.status()["backlog"] == 5
    # The newcomer's cookie is set already: its next hit joins it.
    view(storage, "f", 60, newcomer.visit_id)
    # A plain hit in between keeps its place in the queue.
    assert storage.logAccess("carol", "/Plone/g", "http://x/g", when=at(70))

    cluster.restart()
    wait_for(lambda: storage.status()["backlog"] == 0)

    assert clicks(storage, before) == [("a", 0), ("b", 1)]
    (successor,) = [
        v
        for v in storage.get_visits(member="alice")
        if v.visit_id not in (before, newcomer.visit_id)
    ]
    assert clicks(storage, successor.visit_id) == [("c", 0), ("d", 0)]
    # The stale cookie now leads to the successor, online as well.
    assert view(storage, "h", 60 + IDLE, before).visit_id == successor.visit_id
    assert clicks(storage, newcomer.visit_id) == [("e", 0), ("f", 0)]
    assert storage.get_visit(newcomer.visit_id).started == at(50)
    assert storage.count_visits() == 3
    assert [r.count for r in storage.getLog("/Plone/g")] == [1]
    storage.close()


def test_spool_keeps_the_visit_fields(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    storage = PostgresqlStorage("", spool_path=tmp_path / "other.sqlite")
    result = storage.log_visit(
        "alice",
        "/Plone/a",
        "http://x/a",
        None,
        when=at(0),
        user_agent="UA",
        is_bot=True,
        idle_timeout=60,
        max_age=120.5,
    )
    assert result.stored and result.started
    ((_, hit),) = storage.spool.peek(5, storage.destination)
    assert (hit.visit_id, hit.new_visit_id) == (None, result.visit_id)
    assert (hit.user_agent, hit.is_bot, hit.idle_timeout, hit.max_age) == (
        "UA",
        True,
        60,
        120.5,
    )
    spool.append(hit, "")
    ((_, again),) = spool.peek(5, "")
    assert again == hit
    storage.close()


def old_spool_file(tmp_path):
    """A spool file as written before visits existed, holding one hit by bob."""
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE hits (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
        "member TEXT NOT NULL, path TEXT NOT NULL, url TEXT NOT NULL, uid TEXT, "
        "referrer TEXT, title TEXT)"
    )
    db.execute(
        "INSERT INTO hits (at, member, path, url) VALUES (?, 'bob', '/Plone/o', 'u')",
        (at(0).isoformat(),),
    )
    db.commit()
    db.close()
    return path


def test_a_spool_file_from_before_visits_still_opens(tmp_path):
    path = old_spool_file(tmp_path)
    spool = Spool(path)
    ((_, old),) = spool.peek(5, "")
    assert (old.member, old.at, old.visit_id, old.new_visit_id) == (
        "bob",
        at(0),
        None,
        None,
    )
    carol = old._replace(member="carol", new_visit_id="v1", is_bot=False)
    assert spool.append(carol, "")
    assert [(h.member, h.new_visit_id, h.is_bot) for _, h in spool.peek(5, "")] == [
        ("bob", None, None),
        ("carol", "v1", False),
    ]
    spool.close()
    Spool(path).close()  # and again, now that the columns exist


def test_old_spooled_hits_replay_as_plain_hits(pg_dsn, tmp_path):
    path = old_spool_file(tmp_path)
    storage = PostgresqlStorage(pg_dsn, spool_path=path)
    storage.setup_database()  # which starts replaying in the background
    storage.replay()  # waits for that, or does it
    assert storage.status()["backlog"] == 0
    assert [(r.member, r.count) for r in storage.getLog("/Plone/o")] == [("bob", 1)]
    assert storage.count_visits() == 0
    storage.close()


def test_a_bot_visit_is_kept_but_is_no_read(storage):
    bot = view(storage, "a", 0, member="crawler", is_bot=True)
    view(storage, "a", 10, bot.visit_id, member="crawler", is_bot=True)
    view(storage, "b", 20, bot.visit_id, member="crawler", is_bot=True)
    view(storage, "a", 30, member="alice")

    # The visit and its clickstream are there, flagged...
    (row,) = storage.get_visits(member="crawler")
    assert row.is_bot and (row.hits, row.reloads) == (2, 1)
    assert clicks(storage, bot.visit_id) == [("a", 1), ("b", 0)]
    # ...but neither the totals nor a time window count a bot's view.
    assert [r.member for r in storage.getLog("/Plone")] == ["alice"]
    window = storage.getLog("/Plone", since=at(-60), until=at(60))
    assert [(r.member, r.count) for r in window] == [("alice", 1)]
