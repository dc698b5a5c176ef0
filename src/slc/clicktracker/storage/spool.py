"""A local, durable queue of hits that could not be written to PostgreSQL.

SQLite in WAL mode with ``synchronous=FULL``: once ``append`` returns True the
hit survives a crash of the process or the machine. One spool file belongs to
one process (one Zope instance); the connection is shared by all threads of
that process behind a lock. Sizes are always read from the file, so two
Spool objects on the same file (e.g. after a DSN change) stay consistent.
"""

from collections import namedtuple
from datetime import datetime
import logging
import sqlite3
import threading


logger = logging.getLogger("slc.clicktracker")

# One hit, already cleaned; ``at`` is an aware datetime.
Hit = namedtuple("Hit", "at member path url uid referrer title")

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

    def __len__(self):
        with self._lock:
            return self._size()

    def _size(self):
        return self._db.execute("SELECT count(*) FROM hits").fetchone()[0]

    def has_backlog(self):
        with self._lock:
            row = self._db.execute("SELECT EXISTS (SELECT 1 FROM hits)").fetchone()
        return bool(row[0])

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
                "INSERT INTO hits (at, member, path, url, uid, referrer, title) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (hit.at.isoformat(), *hit[1:]),
            )
            self._full = False
            return True

    def peek(self, limit):
        """The oldest ``limit`` hits as (id, Hit) pairs, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, at, member, path, url, uid, referrer, title "
                "FROM hits ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [(row[0], Hit(datetime.fromisoformat(row[1]), *row[2:])) for row in rows]

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
            return deleted

    def close(self):
        with self._lock:
            self._db.close()
