"""The throwaway PostgreSQL cluster the suite runs against."""

import psycopg2


def query(dsn, sql):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_connects_over_unix_socket(pg_dsn, pg_cluster):
    assert f"host={pg_cluster.tmpdir} " in pg_dsn
    # A unix-socket connection has no client address.
    assert query(pg_dsn, "SELECT inet_client_addr()") == [(None,)]


def test_fsync_off_for_speed(pg_dsn):
    assert query(pg_dsn, "SHOW fsync") == [("off",)]


def test_each_test_gets_a_clean_database(pg_dsn):
    # Runs twice (see the parametrised twin below); each run sees no table.
    query(pg_dsn, "SELECT 1")
    with psycopg2.connect(pg_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename = 'leftover'"
        )
        assert cur.fetchone() == (0,)
        cur.execute("CREATE TABLE leftover (id int)")


def test_each_test_gets_a_clean_database_again(pg_dsn):
    test_each_test_gets_a_clean_database(pg_dsn)
