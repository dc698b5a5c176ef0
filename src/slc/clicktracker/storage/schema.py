"""Create and upgrade the PostgreSQL schema from ``sql/`` shipped in the package.

Two kinds of SQL, kept apart so that each function is written down once:

``sql/migrations/NNNN[_what].sql``
    Tables, indexes and data changes. Each runs once, in numeric order; its
    number is the schema version it produces (``0001`` creates the schema).
``sql/db.sql``
    Every stored function as it is now (``CREATE OR REPLACE``), loaded after
    the migrations on every setup.

``setup()`` does both, each step in its own transaction under one advisory
lock, so that Zope instances starting together take turns.
"""

from pathlib import Path
from slc.clicktracker.interfaces import StorageError
import re


# ``sql`` inside the package is a symlink to the checkout's top-level ``sql``;
# wheels carry real copies.
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
DB_SQL = SQL_DIR / "db.sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"

# Taken by every transaction of setup(): concurrent setups of one database
# (several Zope instances starting) take turns instead of racing.
LOCK_KEY = 5183390712

MIGRATION_NAME = re.compile(r"^(\d{4})(?:_[\w-]*)?\.sql$")

# An upsert: right after 0001 has created the table it holds no row yet.
BUMP = (
    "INSERT INTO clicktracker.schema_version (version) VALUES (%s) "
    "ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version"
)


class SchemaTooNew(StorageError):
    """The database was set up by a newer version of the add-on.

    A StorageError, so the control panel shows its message as it shows any
    other reason a setup failed.
    """


def migrations(directory=MIGRATIONS_DIR):
    """[(version, path)] of the migration scripts in ``directory``, in order."""
    found = {}
    directory = Path(directory)
    if not directory.is_dir():
        return []
    for path in directory.iterdir():
        match = MIGRATION_NAME.match(path.name)
        if not match:
            continue
        number = int(match.group(1))
        if number < 1:
            raise ValueError(f"{path}: migrations start at 0001")
        if number in found:
            raise ValueError(f"two migrations for version {number}: {path}")
        found[number] = path
    return sorted(found.items())


def newest(directory=MIGRATIONS_DIR):
    """The schema version the shipped migrations reach."""
    return migrations(directory)[-1][0]


def read_version(cursor):
    """Recorded schema version, or None when the schema is not installed."""
    cursor.execute("SELECT to_regclass('clicktracker.schema_version') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return None
    cursor.execute("SELECT version FROM clicktracker.schema_version")
    row = cursor.fetchone()
    return row[0] if row else None


def setup(conn, db_sql=DB_SQL, migrations_dir=MIGRATIONS_DIR):
    """Apply every migration above the recorded version, then load ``db.sql``.

    Returns the schema version. Raises ``SchemaTooNew`` (and changes nothing)
    when the database is at a version newer than the newest migration here.
    ``conn`` is a psycopg2 connection; it is left in autocommit mode.
    """
    steps = migrations(migrations_dir)
    if not steps:
        raise ValueError(f"no migrations in {migrations_dir}")
    newest = steps[-1][0]
    conn.autocommit = False
    try:
        # One transaction per migration: a failing one leaves the database
        # at the previous version, with the earlier ones kept.
        for number, path in steps:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                # Read under the lock: another instance may have just done it.
                if (read_version(cur) or 0) >= number:
                    conn.rollback()
                    continue
                cur.execute(path.read_text(encoding="utf-8"))
                cur.execute(BUMP, (number,))
            conn.commit()
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            version = read_version(cur)
            # Our functions may use tables or columns that a newer add-on
            # dropped or changed: leave the newer ones in place.
            if version > newest:
                raise SchemaTooNew(
                    f"the database has clicktracker schema version {version}, "
                    f"newer than this add-on knows ({newest}); upgrade the add-on"
                )
            cur.execute(Path(db_sql).read_text(encoding="utf-8"))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.autocommit = True
    return version
