"""A local, durable queue of hits that could not be written to PostgreSQL.

SQLite in WAL mode with ``synchronous=FULL``: once ``append`` returns True the
hit survives a crash of the process or the machine. One spool file belongs to
one process (one Zope instance); the connection is shared by all threads of
that process behind a lock. Sizes are always read from the file, so two
Spool objects on the same file (e.g. after a DSN change) agree on them.
Whether there is a backlog is asked on every hit, so it is kept in memory:
read from the file when the spool is opened, then updated by this object's
own appends and deletes. Only one Spool object at a time writes to a file
(the storage utility closes the old one before it opens a new one).
"""

from datetime import datetime
from slc.clicktracker.storage.hits import FIELDS
from slc.clicktracker.storage.hits import Hit
import logging
import sqlite3
import threading


logger = logging.getLogger("slc.clicktracker")

SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    member TEXT NOT NULL,
    path TEXT NOT NULL,
    url TEXT NOT NULL,
    uid TEXT,
    referrer TEXT,
    title TEXT
)
"""
# Columns added after the first release. Spool files written before them
# get them with ALTER TABLE when opened; their rows are plain hits (NULLs).
ADDED_COLUMNS = {
    "visit_id": "TEXT",
    "new_visit_id": "TEXT",
    "user_agent": "TEXT",
    "is_bot": "INTEGER",
    "idle_timeout": "REAL",
    "max_age": "REAL",
}
COLUMNS = ", ".join(FIELDS)


class Spool:
    def __init__(self, path, max_rows=100_000):
        self.path = str(path)
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._full = False
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=5
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL's default (NORMAL) may lose the last commits on power failure.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(SCHEMA)
        self._add_columns()
        self._backlog = self._size() > 0

    def _add_columns(self):
        have = {row[1] for row in self._db.execute("PRAGMA table_info(hits)")}
        for name, kind in ADDED_COLUMNS.items():
            if name not in have:
                try:
                    self._db.execute(f"ALTER TABLE hits ADD COLUMN {name} {kind}")
                except sqlite3.OperationalError as error:
                    # Another Spool on the same file added it just now.
                    if "duplicate column" not in str(error):
                        raise

    def __len__(self):
        with self._lock:
            return self._size()

    def _size(self):
        return self._db.execute("SELECT count(*) FROM hits").fetchone()[0]

    def has_backlog(self):
        return self._backlog

    def append(self, hit):
        """Store ``hit``; False (and a warning once per episode) when full."""
        with self._lock:
            if self._size() >= self.max_rows:
                if not self._full:
                    self._full = True
                    logger.warning(
                        "Click spool %s is full (%d hits): new hits are dropped "
                        "until PostgreSQL is back and the spool is replayed.",
                        self.path,
                        self.max_rows,
                    )
                return False
            self._db.execute(
                f"INSERT INTO hits ({COLUMNS}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(FIELDS))})",
                (hit.at.isoformat(), *hit[1:]),
            )
            self._backlog = True
            self._full = False
            return True

    def peek(self, limit):
        """The oldest ``limit`` hits as (id, Hit) pairs, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, {COLUMNS} FROM hits ORDER BY id LIMIT ?",  # noqa: S608
                (limit,),
            ).fetchall()
        return [(row[0], self._hit(row[1:])) for row in rows]

    @staticmethod
    def _hit(row):
        hit = Hit(datetime.fromisoformat(row[0]), *row[1:])
        # SQLite has no booleans: is_bot comes back as 0/1.
        if hit.is_bot is not None:
            hit = hit._replace(is_bot=bool(hit.is_bot))
        return hit

    def delete(self, ids):
        """Forget hits once they are safely in the database."""
        ids = list(ids)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                deleted = 0
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    cur = self._db.execute(
                        f"DELETE FROM hits WHERE id IN ({marks})",  # noqa: S608
                        chunk,
                    )
                    deleted += cur.rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._backlog = self._size() > 0
            return deleted

    def close(self):
        with self._lock:
            self._db.close()
