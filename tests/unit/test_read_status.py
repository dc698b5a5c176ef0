"""IReadStatusStorage on PostgreSQL: who read which document, and when
(issue 12: the readers report)."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import IReadStatusStorage
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import ReaderTotals
from slc.clicktracker.storage import ReadStatus
from slc.clicktracker.storage import queries
from tests.unit.helpers import large_site
from tests.unit.helpers import query
from zope.interface.verify import verifyObject
import psycopg2
import pytest


T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DOC = "/Plone/f/doc"
OTHER = "/Plone/f/other"


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def opened(path, member, first, last, views):
    """A row read when opened, reading time unknown (no script update)."""
    return ReadStatus(path, member, first, last, views, None, None, first)


def view(storage, member, path, minutes, url=None, **kw):
    stored = storage.logAccess(
        member, path, url or f"http://nohost{path}", when=at(minutes), **kw
    )
    assert stored is True


@pytest.fixture
def filled(storage):
    # ann: the document at two addresses, three times; bob once, late; ann
    # the other document; a document below it and a sibling sharing its
    # start, which are not it.
    view(storage, "ann", DOC, 5)
    view(storage, "ann", DOC, 1, url=f"http://nohost{DOC}/view")
    view(storage, "ann", DOC, 9)
    view(storage, "bob", DOC, 30)
    view(storage, "ann", OTHER, 2)
    view(storage, "cid", f"{DOC}/sub", 3)
    view(storage, "dan", f"{DOC}-x", 4)
    return storage


def test_provides_the_interface(storage):
    assert verifyObject(IReadStatusStorage, storage)


def test_one_row_per_path_and_member_in_order(filled):
    assert filled.read_status([OTHER, DOC]) == [
        opened(DOC, "ann", at(1), at(9), 3),
        opened(DOC, "bob", at(30), at(30), 1),
        opened(OTHER, "ann", at(2), at(2), 1),
    ]
    row = filled.read_status([DOC])[0]
    assert isinstance(row.views, int)
    assert row.first_read.utcoffset() is not None


def test_exact_paths_not_prefixes(filled):
    assert {r.path for r in filled.read_status([DOC])} == {DOC}
    assert filled.read_status(["/Plone/f"]) == []


def test_unknown_path_gives_nothing(filled):
    assert filled.read_status(["/Plone/nowhere"]) == []
    assert filled.read_status([]) == []


def test_members_filter(filled):
    rows = filled.read_status([DOC, OTHER], members=["ann", "zed"])
    assert [(r.path, r.member) for r in rows] == [(DOC, "ann"), (OTHER, "ann")]
    assert filled.read_status([DOC], members=("bob",))[0].member == "bob"
    assert filled.read_status([DOC], members="bob")[0].member == "bob"
    assert filled.read_status([DOC], members=[]) == []
    assert filled.read_status([DOC], members=iter(["bob", "bob"]))[0].views == 1


def test_paths_as_str_or_physical_path_tuples(filled):
    every = filled.read_status([DOC])
    assert filled.read_status(DOC) == every
    assert filled.read_status(("", "Plone", "f", "doc")) == every
    assert filled.read_status([("", "Plone", "f", "doc"), DOC + "/"]) == every
    assert filled.read_status((DOC, OTHER)) == filled.read_status([DOC, OTHER])


def test_bad_paths(filled):
    for paths in (["Plone/f/doc"], [""], [None], [1]):
        with pytest.raises(ValueError):
            filled.read_status(paths)


def test_bots_never_count_and_reloads_do(storage):
    url = f"http://nohost{DOC}"
    bot = storage.log_visit("crawler", DOC, url, is_bot=True, when=at(0))
    storage.log_visit("crawler", DOC, url, bot.visit_id, is_bot=True, when=at(1))
    visit = storage.log_visit("ann", DOC, url, when=at(2)).visit_id
    assert storage.log_visit("ann", DOC, url, visit, when=at(3)).reload
    assert storage.read_status([DOC]) == [opened(DOC, "ann", at(2), at(3), 2)]


def test_moved_documents_keep_their_readers(filled):
    filled.move("/Plone/f", "/Plone/g")
    assert filled.read_status([DOC]) == []
    moved = filled.read_status(["/Plone/g/doc"])
    assert [(r.member, r.views) for r in moved] == [("ann", 3), ("bob", 1)]


def test_documents_sharing_a_path_are_summed(storage, pg_dsn):
    # Read before it had a UID, then with one; then an object that replaced
    # it (a new UID at the same path).
    view(storage, "ann", DOC, 0)
    view(storage, "ann", DOC, 1, uid="uid-doc")
    view(storage, "ann", DOC, 2, uid="uid-new")
    documents = query(pg_dsn, "SELECT count(*) FROM clicktracker.documents")
    assert documents == [(2,)]
    assert storage.read_status([DOC]) == [opened(DOC, "ann", at(0), at(2), 3)]


def test_not_configured():
    with pytest.raises(StorageNotConfigured):
        PostgresqlStorage("").read_status([DOC])


def test_database_failure_is_a_storage_error(pg_dsn, pg_cluster):
    storage = PostgresqlStorage(pg_dsn)
    storage.setup_database()
    view(storage, "ann", DOC, 0)
    pg_cluster.drop_database(pg_dsn.split("dbname=")[1].split()[0])
    with pytest.raises(StorageError) as failed:
        storage.read_status([DOC])
    assert not isinstance(failed.value, psycopg2.Error)
    assert "reading who read" in str(failed.value)
    storage.close()


def test_plan_reads_indexes_on_a_large_log(pg_dsn):
    """Five thousand documents, some with two thousand readers: one
    document's readers, all or two thousand of them, are found by index."""
    conn = large_site(pg_dsn)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO clicktracker.access SELECT d.id, 'm' || i,"
            " 'http://x' || d.path, 1, now(), now()"
            " FROM clicktracker.documents d, generate_series(1, 2000) i"
            " WHERE d.path LIKE '%%/d15' OR i <= 20"
        )
        cur.execute("ANALYZE")
        paths = queries.clean_paths(["/Plone/f7/d12", "/Plone/f7/d15"])
        members = [f"m{i}" for i in range(1, 2001)]
        for who in (None, members):
            sql, params = queries.read_status_query(paths, who)
            cur.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
            assert "Seq Scan" not in plan, plan
            cur.execute(sql, params)
            assert len(cur.fetchall()) == 2020
    conn.close()


def test_no_rows_written(filled, pg_dsn):
    def totals():
        return query(
            pg_dsn,
            "SELECT (SELECT count(*) FROM clicktracker.hits),"
            " (SELECT sum(count) FROM clicktracker.access)",
        )

    before = totals()
    filled.read_status([DOC, OTHER])
    assert totals() == before


def test_reader_totals_count_members_and_documents(filled):
    # ann read DOC (at two addresses) and OTHER, bob DOC; cid and dan other
    # documents only.
    totals = filled.reader_totals([DOC, OTHER])
    assert totals == ReaderTotals(
        members={"ann": 2, "bob": 1}, paths={DOC: 2, OTHER: 1}
    )
    assert filled.reader_totals([DOC], exclude=["bob"]) == ReaderTotals(
        members={"ann": 1}, paths={DOC: 1}
    )
    assert filled.reader_totals(["/Plone/nothing"]) == ReaderTotals({}, {})
    assert filled.reader_totals([]) == ReaderTotals({}, {})


def test_reader_totals_agree_with_read_status_on_a_large_log(pg_dsn):
    conn = large_site(pg_dsn)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO clicktracker.access"
            " SELECT d.id, 'm' || (i % 37), 'http://x/' || d.id || '/' || (i % 3),"
            " 1, now(), now() FROM clicktracker.documents d,"
            " generate_series(1, 40) i WHERE d.path LIKE '/Plone/f3/%'"
        )
    conn.close()
    storage = PostgresqlStorage(pg_dsn)
    try:
        paths = [f"/Plone/f3/d{n}" for n in range(100)]
        rows = storage.read_status(paths)
        totals = storage.reader_totals(paths)
    finally:
        storage.close()
    members, per_path = {}, {}
    for row in rows:
        members[row.member] = members.get(row.member, 0) + 1
        per_path[row.path] = per_path.get(row.path, 0) + 1
    assert totals == ReaderTotals(members, per_path)
    assert len(members) == 37 and set(per_path) == set(paths)
