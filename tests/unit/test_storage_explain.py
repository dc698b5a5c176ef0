"""getLog's path-prefix query uses the path index, whatever the collation.

Run in a database whose default collation is not "C" (ICU en-US, or the
libc C.UTF-8 locale when PostgreSQL lacks ICU), where a plain text index on
``path`` could not serve ``path >= x AND path < y`` or ``LIKE 'x%'``.
"""

from datetime import UTC
from datetime import datetime
from slc.clicktracker.storage import schema
from slc.clicktracker.storage.queries import log_query
import psycopg2
import pytest


FOLDERS = 200
DOCS_PER_FOLDER = 100


@pytest.fixture
def collated_dsn(pg_cluster):
    name = "ct_collated"
    pg_cluster.drop_database(name)
    try:
        pg_cluster.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 "
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
    except psycopg2.Error:
        pg_cluster.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 LOCALE 'C.UTF-8'"
        )
    yield pg_cluster.dsn(name)
    pg_cluster.drop_database(name)


def plan(cur, sql, params):
    cur.execute("EXPLAIN " + sql, params)
    return "\n".join(row[0] for row in cur.fetchall())


def test_prefix_queries_use_the_path_index(collated_dsn):
    conn = psycopg2.connect(collated_dsn)
    conn.autocommit = True
    schema.setup(conn)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT datcollate, datlocprovider FROM pg_database "
            "WHERE datname = current_database()"
        )
        print("database collation:", cur.fetchone())
        cur.execute(
            "INSERT INTO clicktracker.documents (uid, path) "
            "SELECT md5(i::text), '/Plone/f' || (i / %s) || '/doc' || (i %% %s) "
            "FROM generate_series(0, %s - 1) i",
            (DOCS_PER_FOLDER, DOCS_PER_FOLDER, FOLDERS * DOCS_PER_FOLDER),
        )
        cur.execute(
            "INSERT INTO clicktracker.access "
            "SELECT id, 'member' || (id % 50), 'http://x' || path, 1, now(), now() "
            "FROM clicktracker.documents"
        )
        cur.execute(
            "INSERT INTO clicktracker.hits (at, member, document_id, url) "
            "SELECT now(), member, document_id, url FROM clicktracker.access"
        )
        cur.execute("ANALYZE")

        for prefix in ("/Plone/f7/doc12", "/Plone/f7"):
            for window in ({}, {"since": datetime(2020, 1, 1, tzinfo=UTC)}):
                sql, params = log_query(prefix, **window)
                text = plan(cur, sql, params)
                assert "Seq Scan on documents" not in text, text
                assert "documents_path" in text, text
            # And it finds exactly what it should.
            cur.execute(*log_query(prefix))
            expected = 1 if prefix.endswith("doc12") else DOCS_PER_FOLDER
            assert len(cur.fetchall()) == expected
    conn.close()


def test_the_collation_really_is_not_c(collated_dsn):
    with psycopg2.connect(collated_dsn) as conn, conn.cursor() as cur:
        # In "C", every upper-case letter sorts before every lower-case one.
        cur.execute("SELECT 'a' < 'B', 'a' < 'B' COLLATE \"C\"")
        linguistic, c = cur.fetchone()
    assert c is False
    if linguistic is False:
        pytest.fail("no linguistic collation available (neither ICU nor libc)")


def test_prefix_results_are_right_in_a_linguistic_collation(collated_dsn):
    from slc.clicktracker.storage import PostgresqlStorage

    storage = PostgresqlStorage(collated_dsn)
    storage.setup_database()
    inside = ["/Plone/f7", "/Plone/f7/a", "/Plone/f7/Ä/x", "/Plone/f7/ z"]
    outside = ["/Plone/f7-x", "/Plone/f7.x", "/Plone/f7 x", "/Plone/F7/a", "/Plone/f70"]
    for path in inside + outside:
        storage.logAccess("alice", path, "http://x" + path)
    assert sorted(r.path for r in storage.getLog("/Plone/f7")) == sorted(inside)
    storage.close()
