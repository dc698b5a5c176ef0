"""The numbered migrations in sql/migrations/ and the functions in sql/db.sql."""

from pathlib import Path
from slc.clicktracker.storage import schema
from slc.clicktracker.testing import localpg
from tests.unit.helpers import query
from tests.unit.helpers import wait_for
import psycopg2
import pytest
import re
import shutil
import subprocess
import threading


DB_V1 = Path(__file__).parent / "data" / "db_v1.sql"
# The version the shipped migrations reach.
NEWEST = schema.migrations()[-1][0]

CREATE_FUNCTION = re.compile(
    r"\bCREATE\s+(OR\s+REPLACE\s+)?FUNCTION\s+([\w.]+)", re.IGNORECASE
)
TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION)\s*;", re.IGNORECASE | re.M
)


def connect(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def setup(dsn, **kw):
    conn = connect(dsn)
    try:
        return schema.setup(conn, **kw)
    finally:
        conn.close()


def version(dsn):
    return query(dsn, "SELECT version FROM clicktracker.schema_version")


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


def shipped_migrations(directory):
    """A copy of the shipped migrations to add test ones to (db.sql needs them)."""
    shutil.copytree(schema.MIGRATIONS_DIR, directory)
    return directory


# Everything in schema clicktracker that setup() defines, one line (or one
# function definition) per item, sorted: a failing comparison is a readable diff.
CATALOG = """
SELECT format('relation %s kind=%s persistence=%s options=%s',
              c.relname, c.relkind, c.relpersistence, c.reloptions)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'clicktracker'
UNION ALL
SELECT format('column %s.%s #%s %s collate=%s notnull=%s default=%s identity=%s',
              c.relname, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod),
              co.collname, a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
              a.attidentity)
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname = 'clicktracker' AND c.relkind = 'r'
   AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid)
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'clicktracker'
UNION ALL
SELECT format('constraint %s on %s: %s',
              con.conname, con.conrelid::regclass, pg_get_constraintdef(con.oid))
  FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
 WHERE n.nspname = 'clicktracker'
UNION ALL
SELECT format('sequence %s %s start=%s step=%s min=%s max=%s cache=%s cycle=%s',
              c.relname, format_type(s.seqtypid, NULL), s.seqstart,
              s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
  FROM pg_sequence s
  JOIN pg_class c ON c.oid = s.seqrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'clicktracker'
UNION ALL
SELECT 'function ' || pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'clicktracker'
"""


def catalog(dsn):
    return sorted(row[0] for row in query(dsn, CATALOG))


def functions(dsn):
    """Names of the functions in schema clicktracker, once per overload."""
    return sorted(
        row[0]
        for row in query(
            dsn,
            "SELECT p.proname FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'clicktracker'",
        )
    )


@pytest.fixture
def second_dsn(pg_cluster):
    name = pg_cluster.create_database()
    yield pg_cluster.dsn(name)
    pg_cluster.drop_database(name)


def test_version_unknown_before_setup(pg_dsn):
    conn = connect(pg_dsn)
    with conn.cursor() as cur:
        assert schema.read_version(cur) is None
    conn.close()


def test_fresh_database_gets_the_newest_version(pg_dsn):
    assert [number for number, _path in schema.migrations()] == list(
        range(1, NEWEST + 1)
    )
    assert setup(pg_dsn) == NEWEST
    assert version(pg_dsn) == [(NEWEST,)]
    assert functions(pg_dsn) == [
        "count_view",
        "find_document",
        "log_hit",
        "log_reading",
        "log_visit_hit",
        "move_paths",
        "prepare_stats",
        "receive",
    ]


def test_setup_twice_keeps_data(pg_dsn):
    conn = connect(pg_dsn)
    assert schema.setup(conn) == NEWEST
    assert conn.autocommit
    with conn.cursor() as cur:
        cur.execute(
            "SELECT clicktracker.log_hit('m', '/Plone/d', 'u', NULL, NULL, NULL, now())"
        )
    created = catalog(pg_dsn)
    assert schema.setup(conn) == NEWEST
    conn.close()
    assert catalog(pg_dsn) == created
    assert query(pg_dsn, "SELECT count FROM clicktracker.access") == [(1,)]


V1_HITS = [
    ("alice", "/Plone/a", "https://site/a", "uid-a", None, "A", "2024-05-01 10:00Z"),
    (
        "alice",
        "/Plone/a",
        "https://site/a",
        "uid-a",
        "https://x",
        "A",
        "2024-05-01 10:01Z",
    ),
    ("bob", "/Plone/a", "https://site/a?x", "uid-a", None, None, "2024-05-01 10:02Z"),
    ("bob", "/Plone/b", "https://site/b", None, None, "B", "2024-05-01 10:03Z"),
]


def test_released_version_1_upgrades_to_what_a_fresh_setup_creates(pg_dsn, second_dsn):
    loaded = psql(pg_dsn, DB_V1)
    assert loaded.returncode == 0, loaded.stderr
    assert version(pg_dsn) == [(1,)]
    for hit in V1_HITS:
        query(pg_dsn, "SELECT clicktracker.log_hit(%s, %s, %s, %s, %s, %s, %s)", hit)
    hits = query(pg_dsn, "SELECT * FROM clicktracker.hits ORDER BY id")
    access = query(pg_dsn, "SELECT * FROM clicktracker.access ORDER BY 1, 2, 3")
    documents = query(pg_dsn, "SELECT * FROM clicktracker.documents ORDER BY id")
    assert len(hits) == 4 and len(access) == 3 and len(documents) == 2

    assert setup(pg_dsn) == NEWEST

    # The old rows are kept; the new hit columns take their defaults, and
    # reading time and depth are unknown (NULL), not zero.
    assert query(pg_dsn, "SELECT * FROM clicktracker.hits ORDER BY id") == [
        (*row, None, 0, None, None, None) for row in hits
    ]
    assert query(pg_dsn, "SELECT * FROM clicktracker.access ORDER BY 1, 2, 3") == [
        (*row, None, None) for row in access
    ]
    assert (
        query(pg_dsn, "SELECT * FROM clicktracker.documents ORDER BY id") == documents
    )
    # A version-2 call works on the upgraded data (and finds the old document).
    assert query(
        pg_dsn,
        "SELECT * FROM clicktracker.log_visit_hit(NULL, 'v1', 'alice', '/Plone/a',"
        " 'https://site/a', 'uid-a', NULL, 'A', '2024-05-01 11:00Z', 'UA', false,"
        " 1800, 18000)",
    ) == [("v1", True, None, False, False)]
    assert query(
        pg_dsn,
        "SELECT count FROM clicktracker.access"
        " WHERE member = 'alice' AND url = 'https://site/a'",
    ) == [(3,)]
    assert query(pg_dsn, "SELECT count(*) FROM clicktracker.documents") == [(2,)]

    assert setup(second_dsn) == NEWEST
    assert catalog(pg_dsn) == catalog(second_dsn)


def sql_files():
    return sorted(schema.SQL_DIR.resolve().rglob("*.sql"))


def code(path):
    """The SQL in ``path`` without its comments (which may name statements)."""
    return re.sub(r"--[^\n]*", "", path.read_text())


def test_each_function_is_created_once_in_db_sql(pg_dsn):
    created = {}
    for path in sql_files():
        for match in CREATE_FUNCTION.finditer(code(path)):
            created.setdefault(match.group(2).lower(), []).append((path, match))
    assert sorted(created) == [
        "clicktracker.count_view",
        "clicktracker.find_document",
        "clicktracker.log_hit",
        "clicktracker.log_reading",
        "clicktracker.log_visit_hit",
        "clicktracker.move_paths",
        "clicktracker.prepare_stats",
        "clicktracker.receive",
    ]
    for name, places in created.items():
        ((path, match),) = places  # exactly one definition
        assert path == schema.DB_SQL.resolve(), name
        assert match.group(1), f"{name}: not CREATE OR REPLACE"
    # Nothing else in the database: a function dropped from db.sql, or an
    # overload left behind by a signature change, would show here.
    assert setup(pg_dsn) == NEWEST
    assert ["clicktracker." + name for name in functions(pg_dsn)] == sorted(created)


def test_migrations_are_tables_and_data_only():
    for _number, path in schema.migrations():
        text = code(path)
        assert not CREATE_FUNCTION.search(text), path
        assert not TRANSACTION_CONTROL.search(text), path
    text = code(schema.DB_SQL)
    assert not TRANSACTION_CONTROL.search(text)
    assert not re.search(
        r"\b(CREATE\s+(UNIQUE\s+)?INDEX|CREATE\s+TABLE|ALTER\s+TABLE|DROP)\b",
        text,
        re.IGNORECASE,
    )


def test_migrations_run_in_numeric_order_once(pg_dsn, tmp_path):
    ups = shipped_migrations(tmp_path / "migrations")
    first, second, last = NEWEST + 1, NEWEST + 2, NEWEST + 10
    log = "INSERT INTO clicktracker.migration_log VALUES ({});"
    write(ups, f"{last:04d}_last.sql", log.format(last))
    write(
        ups,
        f"{first:04d}_first.sql",
        "CREATE TABLE clicktracker.migration_log (n int);" + log.format(first),
    )
    write(ups, f"{second:04d}.sql", log.format(second))
    write(ups, "notes.txt", "not a migration")
    write(ups, f"{NEWEST + 3:04d}.sql.orig", "SELECT 1/0;")
    assert setup(pg_dsn, migrations_dir=ups) == last
    assert setup(pg_dsn, migrations_dir=ups) == last
    done = query(pg_dsn, "SELECT n FROM clicktracker.migration_log")
    assert done == [(first,), (second,), (last,)]


def test_a_failing_migration_leaves_the_previous_version(pg_dsn, tmp_path):
    ups = shipped_migrations(tmp_path / "migrations")
    good, bad = NEWEST + 1, NEWEST + 2
    write(ups, f"{good:04d}.sql", "CREATE TABLE clicktracker.three (n int);")
    write(ups, f"{bad:04d}.sql", "CREATE TABLE clicktracker.four (n int); SELECT 1/0;")
    conn = connect(pg_dsn)
    with pytest.raises(psycopg2.errors.DivisionByZero):
        schema.setup(conn, migrations_dir=ups)
    assert conn.autocommit
    conn.close()
    assert version(pg_dsn) == [(good,)]
    assert query(pg_dsn, "SELECT to_regclass('clicktracker.three')") != [(None,)]
    assert query(pg_dsn, "SELECT to_regclass('clicktracker.four')") == [(None,)]
    (ups / f"{bad:04d}.sql").write_text("CREATE TABLE clicktracker.four (n int);")
    assert setup(pg_dsn, migrations_dir=ups) == bad


def test_a_failing_first_migration_leaves_nothing(pg_dsn, tmp_path):
    ups = tmp_path / "migrations"
    text = (schema.MIGRATIONS_DIR / "0001.sql").read_text()
    write(ups, "0001.sql", text + "SELECT 1/0;")
    with pytest.raises(psycopg2.errors.DivisionByZero):
        setup(pg_dsn, migrations_dir=ups)
    assert query(pg_dsn, "SELECT to_regnamespace('clicktracker')") == [(None,)]


def test_db_sql_is_loaded_after_the_migrations_every_time(pg_dsn, tmp_path):
    ups = tmp_path / "migrations"
    write(
        ups,
        "0001.sql",
        "CREATE SCHEMA clicktracker; CREATE TABLE "
        "clicktracker.schema_version (singleton boolean PRIMARY KEY DEFAULT true "
        "CHECK (singleton), version integer NOT NULL);",
    )
    write(ups, "0002.sql", "CREATE TABLE clicktracker.answer (n int);")
    functions_sql = tmp_path / "db.sql"
    # A LANGUAGE sql body is checked when created: the table must exist by then.
    create = (
        "CREATE OR REPLACE FUNCTION clicktracker.answer() RETURNS bigint"
        " LANGUAGE sql AS 'SELECT count(*) + @ANSWER@ FROM clicktracker.answer';"
    )
    for answer in (0, 1):
        functions_sql.write_text(create.replace("@ANSWER@", str(answer)))
        assert setup(pg_dsn, db_sql=functions_sql, migrations_dir=ups) == 2
        assert query(pg_dsn, "SELECT clicktracker.answer()") == [(answer,)]


def test_a_newer_database_is_left_alone(pg_dsn):
    assert setup(pg_dsn) == NEWEST
    # As if a newer add-on had changed a function and moved on.
    query(
        pg_dsn,
        "CREATE OR REPLACE FUNCTION clicktracker.move_paths(p_old text, p_new text)"
        " RETURNS integer LANGUAGE sql AS 'SELECT 42'",
    )
    query(pg_dsn, "UPDATE clicktracker.schema_version SET version = %s", (NEWEST + 3,))
    before = catalog(pg_dsn)
    conn = connect(pg_dsn)
    with pytest.raises(schema.SchemaTooNew) as raised:
        schema.setup(conn)
    assert conn.autocommit
    conn.close()
    assert str(raised.value) == (
        f"the database has clicktracker schema version {NEWEST + 3}, newer than"
        f" this add-on knows ({NEWEST}); upgrade the add-on"
    )
    assert catalog(pg_dsn) == before
    assert version(pg_dsn) == [(NEWEST + 3,)]
    assert query(pg_dsn, "SELECT clicktracker.move_paths('/a', '/b')") == [(42,)]


def test_migration_names(tmp_path):
    write(tmp_path, "0002.sql", "")
    write(tmp_path, "0002_again.sql", "")
    with pytest.raises(ValueError, match="two migrations"):
        schema.migrations(tmp_path)
    (tmp_path / "0002_again.sql").unlink()
    write(tmp_path, "0000.sql", "")
    with pytest.raises(ValueError, match="start at 0001"):
        schema.migrations(tmp_path)
    assert schema.migrations(tmp_path / "missing") == []


def test_setup_refuses_an_empty_migrations_dir(pg_dsn, tmp_path):
    with pytest.raises(ValueError, match="no migrations"):
        setup(pg_dsn, migrations_dir=tmp_path)
    assert query(pg_dsn, "SELECT to_regnamespace('clicktracker')") == [(None,)]


def test_setup_waits_for_the_lock(pg_dsn):
    holder = connect(pg_dsn)
    with holder.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (schema.LOCK_KEY,))
    result = []
    thread = threading.Thread(target=lambda: result.append(setup(pg_dsn)))
    thread.start()
    try:
        # A bigint advisory key shows in pg_locks as its two 32-bit halves.
        waiting = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
            " AND NOT granted AND classid = %s AND objid = %s"
        )
        key = (schema.LOCK_KEY >> 32, schema.LOCK_KEY & 0xFFFFFFFF)
        wait_for(lambda: query(pg_dsn, waiting, key) == [(1,)])
        assert query(pg_dsn, "SELECT to_regnamespace('clicktracker')") == [(None,)]
    finally:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (schema.LOCK_KEY,))
        holder.close()
        thread.join(30)
    assert result == [NEWEST]


def test_the_readme_names_the_lock_key():
    readme = (schema.MIGRATIONS_DIR / "README.rst").read_text()
    assert f"pg_advisory_xact_lock({schema.LOCK_KEY})" in readme
