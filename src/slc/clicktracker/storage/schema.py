"""Create and upgrade the PostgreSQL schema from ``sql/`` shipped in the package.

``db.sql`` creates version 1 (and is harmless to load again); every later
change is a numbered script ``sql/upgrades/NNNN[_what].sql`` whose number is
the version it produces.
"""

from pathlib import Path
import re


# ``sql`` inside the package is a symlink to the checkout's top-level ``sql``;
# wheels carry real copies.
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
DB_SQL = SQL_DIR / "db.sql"
UPGRADES_DIR = SQL_DIR / "upgrades"

# Same key as in db.sql: serialises concurrent setups of one database.
LOCK_KEY = 5183390712

UPGRADE_NAME = re.compile(r"^(\d{4})(?:_[\w-]*)?\.sql$")


def upgrades(directory=UPGRADES_DIR):
    """[(version, path)] of the upgrade scripts in ``directory``, in order."""
    found = {}
    directory = Path(directory)
    if not directory.is_dir():
        return []
    for path in directory.iterdir():
        match = UPGRADE_NAME.match(path.name)
        if not match:
            continue
        number = int(match.group(1))
        if number < 2:
            raise ValueError(f"{path}: upgrades start at 0002 (db.sql is 1)")
        if number in found:
            raise ValueError(f"two upgrades for version {number}: {path}")
        found[number] = path
    return sorted(found.items())


def read_version(cursor):
    """Recorded schema version, or None when the schema is not installed."""
    cursor.execute("SELECT to_regclass('clicktracker.schema_version') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return None
    cursor.execute("SELECT version FROM clicktracker.schema_version")
    row = cursor.fetchone()
    return row[0] if row else None


def setup(conn, db_sql=DB_SQL, upgrades_dir=UPGRADES_DIR):
    """Load ``db.sql``, then apply every newer upgrade; returns the version.

    ``conn`` is a psycopg2 connection; it is left in autocommit mode.
    """
    conn.autocommit = True
    with conn.cursor() as cur:
        # db.sql brings its own BEGIN/COMMIT (so psql -f is atomic too).
        cur.execute(Path(db_sql).read_text(encoding="utf-8"))
    conn.autocommit = False
    try:
        for number, path in upgrades(upgrades_dir):
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                # Read under the lock: another instance may have just done it.
                if read_version(cur) >= number:
                    conn.rollback()
                    continue
                cur.execute(path.read_text(encoding="utf-8"))
                cur.execute(
                    "UPDATE clicktracker.schema_version SET version = %s", (number,)
                )
            conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.autocommit = True
    with conn.cursor() as cur:
        return read_version(cur)
