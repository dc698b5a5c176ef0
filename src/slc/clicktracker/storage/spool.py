"""A local, durable queue of hits that could not be written to PostgreSQL.

SQLite in WAL mode with ``synchronous=FULL``: once ``append`` returns True the
hit survives a crash of the process or the machine. One spool file belongs to
one process (one Zope instance): ``shared(path)`` gives every storage of the
process the same Spool object, whose connection all threads share behind a
lock.

Every row carries its *destination* (``dsn.destination()``: which database,
never a password), so a storage replays only the hits meant for its own
database, also when several sites with different databases share the file.
Rows written before destinations existed have none and go to whichever
storage replays first.

The spool is capped by bytes, not rows, and no one *client* (a member, or an
anonymous visitor's salted address) may fill more than ``share`` of it, so
one runaway script cannot crowd everyone else out. Sizes, counts and
backlogs are kept in memory (read from the file when it is opened): they
are asked on every hit.
"""

from collections import Counter
from datetime import datetime
from slc.clicktracker.storage.hits import FIELDS
from slc.clicktracker.storage.hits import Hit
import logging
import sqlite3
import threading


logger = logging.getLogger("slc.clicktracker")

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# The most one client may hold, as a part of max_bytes.
DEFAULT_SHARE = 0.05
# A row's bookkeeping beyond its text (SQLite record, index entries).
ROW_OVERHEAD = 100

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
    "hit_id": "TEXT",
    "client": "TEXT",
    "destination": "TEXT",
    "size": "INTEGER",
}
COLUMNS = ", ".join(FIELDS)
# What an old row without a size weighs, computed by SQLite.
OLD_SIZE = f"{ROW_OVERHEAD} + " + " + ".join(
    f"coalesce(length(CAST({name} AS BLOB)), 0)"
    for name in ("member", "path", "url", "uid", "referrer", "title", "user_agent")
)

_spools = {}  # path -> Spool, see shared()
_spools_lock = threading.Lock()


def shared(path, **kw):
    """The process's one Spool object for the file at ``path``."""
    path = str(path)
    with _spools_lock:
        spool = _spools.get(path)
        if spool is None or spool.closed:
            spool = _spools[path] = Spool(path, **kw)
        return spool


def close_shared():
    with _spools_lock:
        while _spools:
            _spools.popitem()[1].close()


def size_of(hit):
    """The bytes a hit takes in the spool (its text plus a fixed overhead)."""
    return ROW_OVERHEAD + sum(
        len(value.encode("utf-8")) for value in hit if isinstance(value, str)
    )


class Spool:
    def __init__(self, path, max_bytes=DEFAULT_MAX_BYTES, share=DEFAULT_SHARE):
        self.path = str(path)
        self.max_bytes = max_bytes
        self.max_client_bytes = max(int(max_bytes * share), 1)
        self.closed = False
        self._lock = threading.Lock()
        self._full = False
        self._crowding = set()  # clients refused for their share, warned once
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=5
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL's default (NORMAL) may lose the last commits on power failure.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(SCHEMA)
        self._add_columns()
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS hits_destination ON hits (destination, id)"
        )
        self._db.execute(f"UPDATE hits SET size = {OLD_SIZE} WHERE size IS NULL")  # noqa: S608
        self._rows = Counter()  # destination -> rows waiting
        self._bytes = Counter()  # client -> bytes
        self._reload_counts()

    def _add_columns(self):
        have = {row[1] for row in self._db.execute("PRAGMA table_info(hits)")}
        for name, kind in ADDED_COLUMNS.items():
            if name not in have:
                try:
                    self._db.execute(f"ALTER TABLE hits ADD COLUMN {name} {kind}")
                except sqlite3.OperationalError as error:
                    # Another process opened the same file just now.
                    if "duplicate column" not in str(error):
                        raise

    def __len__(self):
        return sum(self._rows.values())

    @property
    def bytes(self):
        return sum(self._bytes.values())

    @property
    def pending(self):
        """Do hits of a site that had no database yet wait (destinations
        ``pending:<site>``, see storage.utility)?"""
        return any(key and key.startswith("pending:") for key in self._rows)

    def has_backlog(self, destination):
        """Do hits for ``destination`` (or of unknown destination) wait?"""
        return bool(self._rows[destination] or self._rows[None])

    def waiting(self, destination):
        """How many hits wait for ``destination`` (or anyone)."""
        return self._rows[destination] + self._rows[None]

    def usage(self, destination):
        """The fill level, for the status: rows for ``destination`` and for
        other databases, bytes used and the cap."""
        mine = self.waiting(destination)
        return {
            "rows": mine,
            "rows_elsewhere": len(self) - mine,
            "bytes": self.bytes,
            "max_bytes": self.max_bytes,
        }

    def append(self, hit, destination):
        """Store ``hit`` for ``destination``; False (with one warning per
        episode) when the spool or the client's share of it is full."""
        size = size_of(hit)
        with self._lock:
            if self.bytes + size > self.max_bytes:
                if not self._full:
                    self._full = True
                    logger.warning(
                        "Click spool %s is full (%d bytes): new hits are dropped "
                        "until PostgreSQL is back and the spool is replayed.",
                        self.path,
                        self.max_bytes,
                    )
                return False
            if self._bytes[hit.client] + size > self.max_client_bytes:
                if hit.client not in self._crowding:
                    self._crowding.add(hit.client)
                    logger.warning(
                        "Click spool %s: %r has filled its share (%d bytes); "
                        "its further hits are dropped while the database is away.",
                        self.path,
                        hit.client,
                        self.max_client_bytes,
                    )
                return False
            self._db.execute(
                f"INSERT INTO hits ({COLUMNS}, destination, size) "  # noqa: S608
                f"VALUES ({', '.join('?' * (len(FIELDS) + 2))})",
                (hit.at.isoformat(), *hit[1:], destination, size),
            )
            self._rows[destination] += 1
            self._bytes[hit.client] += size
            self._full = False
            return True

    def peek(self, limit, destination):
        """The oldest ``limit`` hits for ``destination`` as (id, Hit) pairs.

        Rows without a destination (from before destinations) come first:
        they are older than any row that has one.
        """
        select = f"SELECT id, {COLUMNS} FROM hits WHERE destination"  # noqa: S608
        with self._lock:
            rows = self._db.execute(
                f"{select} IS NULL ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
            if len(rows) < limit:
                rows += self._db.execute(
                    f"{select} = ? ORDER BY id LIMIT ?",
                    (destination, limit - len(rows)),
                ).fetchall()
        return [(row[0], self._hit(row[1:])) for row in rows]

    @staticmethod
    def _hit(row):
        hit = Hit(datetime.fromisoformat(row[0]), *row[1:])
        # SQLite has no booleans: is_bot comes back as 0/1.
        if hit.is_bot is not None:
            hit = hit._replace(is_bot=bool(hit.is_bot))
        return hit

    def relabel(self, old, new):
        """Send the hits waiting for destination ``old`` to ``new`` instead
        (hits spooled before a site had a database, once it has one)."""
        with self._lock:
            moved = self._db.execute(
                "UPDATE hits SET destination = ? WHERE destination = ?", (new, old)
            ).rowcount
            self._rows[old] -= moved
            self._rows[new] += moved
            return moved

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
                    gone = self._db.execute(
                        "SELECT destination, client, size FROM hits "  # noqa: S608
                        f"WHERE id IN ({marks})",
                        chunk,
                    ).fetchall()
                    self._db.execute(
                        f"DELETE FROM hits WHERE id IN ({marks})",  # noqa: S608
                        chunk,
                    )
                    for destination, client, size in gone:
                        self._rows[destination] -= 1
                        self._bytes[client] -= size
                        if self._bytes[client] < self.max_client_bytes:
                            self._crowding.discard(client)
                    deleted += len(gone)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._reload_counts()
                raise
            # Drop zero entries: they would keep the counters growing.
            self._rows += Counter()
            self._bytes += Counter()
            return deleted

    def _reload_counts(self):
        self._rows.clear()
        self._bytes.clear()
        for destination, client, rows, size in self._db.execute(
            "SELECT destination, client, count(*), sum(size) FROM hits "
            "GROUP BY destination, client"
        ):
            self._rows[destination] += rows
            self._bytes[client] += size

    def close(self):
        with self._lock:
            self.closed = True
            self._db.close()
