"""Connections to PostgreSQL: a bounded pool with bounded waits, and back-off.

``Pool`` hands out autocommit connections (one statement, one round trip)
and retries once on a fresh connection when a pooled one turns out dead.
``BackOff`` remembers a failure so that, for a while, hits go straight to the
spool without touching the network.
"""

from psycopg2.pool import ThreadedConnectionPool
from slc.clicktracker.interfaces import StorageError
import math
import psycopg2
import psycopg2.extensions
import threading
import time


class Busy(Exception):
    """Every pooled connection stayed in use for longer than we wait."""


class _Connection(psycopg2.extensions.connection):
    # Pool generation the connection was made in; older ones may be dead.
    generation = None


class Pool:
    """At most ``size`` connections to ``dsn``, opened lazily.

    Creating it touches no network: the database may be down.
    """

    def __init__(self, dsn, size=4, connect_timeout=1, statement_timeout_ms=1000):
        self.dsn = dsn
        self.size = size
        self.connect_timeout = connect_timeout
        self.statement_timeout_ms = statement_timeout_ms
        self._pool = None
        self._generation = 0
        # Threads wait here for a connection instead of getting PoolError.
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._closed = False

    def connect_kwargs(self, statement_timeout_ms=None):
        """libpq settings added to the DSN: bounded waits everywhere."""
        if statement_timeout_ms is None:
            statement_timeout_ms = self.statement_timeout_ms
        given = psycopg2.extensions.parse_dsn(self.dsn)
        options = given.get("options", "")
        options = f"{options} -c statement_timeout={int(statement_timeout_ms)}"
        kwargs = {
            "options": options.strip(),
            # libpq takes whole seconds (and treats 1 as 2).
            "connect_timeout": str(max(1, math.ceil(self.connect_timeout))),
            "application_name": given.get("application_name", "slc.clicktracker"),
            # A vanished server over TCP: give up instead of waiting for
            # the kernel's retransmission timeout (minutes).
            "keepalives": "1",
            "keepalives_idle": "5",
            "keepalives_interval": "1",
            "keepalives_count": "3",
        }
        if statement_timeout_ms:
            kwargs["tcp_user_timeout"] = str(int(statement_timeout_ms) + 1000)
        return kwargs

    def connect(self, statement_timeout_ms=None):
        """A connection of its own, outside the pool (setup, purge).

        :raises psycopg2.Error: when the database cannot be reached.
        """
        return psycopg2.connect(self.dsn, **self.connect_kwargs(statement_timeout_ms))

    def _get_pool(self):
        with self._lock:
            if self._closed:
                raise StorageError("the storage has been closed")
            if self._pool is None:
                # minconn=0 so that creating the pool opens no connection ...
                pool = ThreadedConnectionPool(
                    0,
                    self.size,
                    self.dsn,
                    connection_factory=_Connection,
                    **self.connect_kwargs(),
                )
                # ... but putconn() keeps only minconn idle connections open.
                pool.minconn = self.size
                self._pool = pool
            return self._pool

    def _checkout(self, pool):
        # Connections older than the last detected breakage (e.g. from before a
        # server restart) are dropped unused rather than failing a hit.
        for _ in range(self.size + 1):
            conn = pool.getconn()
            if conn.generation is None:
                conn.generation = self._generation
                conn.autocommit = True  # one statement, one round trip
            if conn.generation >= self._generation and not conn.closed:
                return conn
            pool.putconn(conn, close=True)
        raise Busy("could not get a fresh database connection")

    def run(self, work):
        """``work(cursor)`` on a pooled connection, once more if it was dead.

        :returns: what ``work`` returns.
        :raises StorageError: when the pool has been closed.
        :raises Busy: when no connection came free in time.
        :raises psycopg2.Error: what the database raised.
        """
        pool = self._get_pool()
        for attempt in (1, 2):
            # Plain acquire/release rather than a generator context manager:
            # this runs for every hit.
            if not self._slots.acquire(timeout=max(self.connect_timeout, 0.1)):
                raise Busy(f"all {self.size} database connections are busy")
            try:
                conn = self._checkout(pool)
                try:
                    with conn.cursor() as cur:
                        result = work(cur)
                except BaseException:
                    dead = conn.closed != 0
                    # Whatever state it is in, this connection is not reused.
                    pool.putconn(conn, close=True)
                    if dead:
                        with self._lock:
                            self._generation += 1
                        if attempt == 1:
                            continue
                    raise
                pool.putconn(conn)
                return result
            finally:
                self._slots.release()

    def close(self):
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.closeall()


class BackOff:
    """After a failure, wait ``initial`` seconds, doubling up to ``maximum``."""

    def __init__(self, initial=5.0, maximum=60.0):
        self.initial = initial
        self.maximum = maximum
        self.retry_at = 0.0
        self.error = None  # the last failure's message, until a success
        self._delay = 0.0
        self._lock = threading.Lock()

    def ready(self):
        return time.monotonic() >= self.retry_at

    def failed(self, error):
        """Note ``error``; returns the new delay, or None when one is running."""
        message = " ".join(str(error).split()) or type(error).__name__
        with self._lock:
            self.error = message
            if time.monotonic() < self.retry_at:
                return None  # another thread already backed off
            self._delay = min(self._delay * 2 or self.initial, self.maximum)
            self.retry_at = time.monotonic() + self._delay
            return self._delay

    def succeeded(self):
        if self._delay or self.error:
            with self._lock:
                self._delay = 0.0
                self.retry_at = 0.0
                self.error = None
