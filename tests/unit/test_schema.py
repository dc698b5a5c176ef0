"""sql/db.sql and the numbered upgrades."""

from pathlib import Path
from slc.clicktracker import localpg
from slc.clicktracker.storage import schema
import psycopg2
import pytest
import subprocess


def connect(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def fetch(dsn, sql):
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def objects(dsn):
    """Tables, indexes and functions in the clicktracker schema."""
    return fetch(
        dsn,
        "SELECT c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'clicktracker' "
        "UNION ALL SELECT p.proname, 'f' FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'clicktracker' ORDER BY 1",
    )


def psql(dsn, path):
    return subprocess.run(
        [str(Path(localpg.find_bindir()) / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        + ["-d", dsn, "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def write(directory, name, sql):
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(sql)


def test_psql_loads_db_sql_twice(pg_dsn):
    first = psql(pg_dsn, schema.DB_SQL)
    assert first.returncode == 0, first.stderr
    created = objects(pg_dsn)
    assert ("log_hit", "f") in created and ("documents", "r") in created
    second = psql(pg_dsn, schema.DB_SQL)
    assert second.returncode == 0, second.stderr
    assert objects(pg_dsn) == created
    assert fetch(pg_dsn, "SELECT version FROM clicktracker.schema_version") == [(1,)]


def test_setup_twice_keeps_data(pg_dsn):
    conn = connect(pg_dsn)
    assert schema.setup(conn) == 2
    with conn.cursor() as cur:
        cur.execute(
            "SELECT clicktracker.log_hit('m', '/Plone/d', 'u', NULL, NULL, NULL, now())"
        )
    created = objects(pg_dsn)
    assert schema.setup(conn) == 2
    assert objects(pg_dsn) == created
    assert fetch(pg_dsn, "SELECT count FROM clicktracker.access") == [(1,)]


def test_version_unknown_before_setup(pg_dsn):
    with connect(pg_dsn) as conn, conn.cursor() as cur:
        assert schema.read_version(cur) is None


def test_upgrades_run_in_numeric_order_once(pg_dsn, tmp_path):
    ups = tmp_path / "upgrades"
    write(ups, "0010_last.sql", "INSERT INTO clicktracker.upgrade_log VALUES (10);")
    write(
        ups,
        "0002_first.sql",
        "CREATE TABLE clicktracker.upgrade_log (n int);"
        "INSERT INTO clicktracker.upgrade_log VALUES (2);",
    )
    write(ups, "0003.sql", "INSERT INTO clicktracker.upgrade_log VALUES (3);")
    write(ups, "README.rst", "not an upgrade")
    write(ups, "0004.sql.orig", "SELECT 1/0;")
    conn = connect(pg_dsn)
    assert schema.setup(conn, upgrades_dir=ups) == 10
    assert schema.setup(conn, upgrades_dir=ups) == 10
    log = fetch(pg_dsn, "SELECT n FROM clicktracker.upgrade_log")
    assert log == [(2,), (3,), (10,)]


def test_a_failing_upgrade_leaves_the_previous_version(pg_dsn, tmp_path):
    ups = tmp_path / "upgrades"
    write(ups, "0002.sql", "CREATE TABLE clicktracker.two (n int);")
    write(ups, "0003.sql", "CREATE TABLE clicktracker.three (n int); SELECT 1/0;")
    conn = connect(pg_dsn)
    with pytest.raises(psycopg2.errors.DivisionByZero):
        schema.setup(conn, upgrades_dir=ups)
    assert fetch(pg_dsn, "SELECT version FROM clicktracker.schema_version") == [(2,)]
    assert fetch(pg_dsn, "SELECT to_regclass('clicktracker.three')") == [(None,)]
    (ups / "0003.sql").write_text("CREATE TABLE clicktracker.three (n int);")
    assert schema.setup(conn, upgrades_dir=ups) == 3


def test_reloading_db_sql_keeps_upgraded_definitions(pg_dsn, tmp_path):
    ups = tmp_path / "upgrades"
    write(
        ups,
        "0002.sql",
        "CREATE OR REPLACE FUNCTION clicktracker.move_paths(p_old text, p_new text)"
        " RETURNS integer LANGUAGE sql AS 'SELECT 42';",
    )
    conn = connect(pg_dsn)
    assert schema.setup(conn, upgrades_dir=ups) == 2
    assert psql(pg_dsn, schema.DB_SQL).returncode == 0
    assert schema.setup(conn, upgrades_dir=ups) == 2
    assert fetch(pg_dsn, "SELECT clicktracker.move_paths('/a', '/b')") == [(42,)]


def test_upgrade_names(tmp_path):
    write(tmp_path, "0002.sql", "")
    write(tmp_path, "0002_again.sql", "")
    with pytest.raises(ValueError, match="two upgrades"):
        schema.upgrades(tmp_path)
    (tmp_path / "0002_again.sql").unlink()
    write(tmp_path, "0001.sql", "")
    with pytest.raises(ValueError, match="start at 0002"):
        schema.upgrades(tmp_path)
    assert schema.upgrades(tmp_path / "missing") == []


def test_shipped_upgrades_are_valid_and_apply(pg_dsn):
    shipped = schema.upgrades()
    expected = shipped[-1][0] if shipped else 1
    assert schema.setup(connect(pg_dsn)) == expected


def test_lock_key_is_the_one_in_db_sql():
    assert f"pg_advisory_xact_lock({schema.LOCK_KEY})" in schema.DB_SQL.read_text()
