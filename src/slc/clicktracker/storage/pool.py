"""Connections to PostgreSQL: a small pool with a deadline on every call,
and back-off.

A hung server (stopped, or lost behind a network black hole) answers
nothing, so neither ``statement_timeout`` (the server's own) nor TCP
timeouts (the kernel still acknowledges) help. Pool connections are
therefore psycopg2 *asynchronous* connections: the pool waits for every
answer itself, with ``select`` and a deadline, and abandons the connection
when the deadline passes (``Timeout``). A statement abandoned that way may
still have been committed; the hit's id makes storing it again harmless.

``BackOff`` remembers a failure so that, for a while, hits go straight to the
spool without touching the network.
"""

from psycopg2.extensions import POLL_OK
from psycopg2.extensions import POLL_READ
from psycopg2.extensions import POLL_WRITE
from slc.clicktracker.interfaces import StorageError
import math
import psycopg2
import psycopg2.extensions
import select
import threading
import time


class Unavailable(Exception):
    """The database did not answer in time; base of Busy and Timeout."""


class Busy(Unavailable):
    """Every pooled connection stayed in use for longer than we wait."""


class Timeout(Unavailable):
    """The database did not answer before the call's deadline."""


class _Connection(psycopg2.extensions.connection):
    # Pool generation the connection was made in; older ones may be dead.
    generation = None


def wait(conn, until):
    """Wait for the asynchronous ``conn`` to finish its current step.

    :param until: ``time.monotonic()`` value by which it must be done, or
        None to wait as long as it takes.
    :raises Timeout: when it is not (the connection is then closed).
    :raises psycopg2.Error: what the server answered, or a broken link.
    """
    while True:
        state = conn.poll()
        if state == POLL_OK:
            return
        remaining = None if until is None else until - time.monotonic()
        if remaining is not None and remaining <= 0:
            # Nothing more is read from it; the server finds out on its own.
            conn.close()
            raise Timeout("the database did not answer in time")
        if state == POLL_READ:
            select.select((conn,), (), (), remaining)
        elif state == POLL_WRITE:
            select.select((), (conn,), (), remaining)
        else:  # pragma: no cover - psycopg2 documents no other state
            raise psycopg2.OperationalError(f"unexpected poll state {state}")


class DeadlineCursor:
    """A cursor of an asynchronous connection that looks synchronous: every
    ``execute`` waits for its answer, until the call's deadline."""

    def __init__(self, conn, until):
        self._conn = conn
        self._cursor = conn.cursor()
        self._until = until

    def execute(self, sql, params=None):
        self._cursor.execute(sql, params)
        wait(self._conn, self._until)

    def __getattr__(self, name):
        # fetchone, fetchall, mogrify, rowcount, description, ...
        return getattr(self._cursor, name)


class Pool:
    """At most ``size`` connections to ``dsn``, opened lazily.

    Creating it touches no network: the database may be down. A call waits
    ``slot_wait`` seconds at most for a free connection and ``deadline``
    seconds at most for its answers (connecting included), so no more than
    ``size`` threads wait for the database at any moment, each only briefly.
    """

    def __init__(
        self,
        dsn,
        size=4,
        connect_timeout=1,
        statement_timeout_ms=1000,
        deadline=None,
        slot_wait=0.25,
    ):
        self.dsn = dsn
        self.size = size
        self.connect_timeout = connect_timeout
        self.statement_timeout_ms = statement_timeout_ms
        # The server gives up first (statement_timeout) when it is alive;
        # without a statement timeout (bulk work), no deadline either.
        if deadline is None and statement_timeout_ms:
            deadline = statement_timeout_ms / 1000 + 0.25
        self.deadline = deadline
        self.slot_wait = slot_wait
        self._idle = []  # connections ready for use, most recent last
        self._generation = 0
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
        """A synchronous connection of its own, outside the pool (setup and
        purge, which run long transactions for an administrator).

        :raises psycopg2.Error: when the database cannot be reached.
        """
        return psycopg2.connect(self.dsn, **self.connect_kwargs(statement_timeout_ms))

    def _checkout(self, until):
        with self._lock:
            if self._closed:
                raise StorageError("the storage has been closed")
            while self._idle:
                conn = self._idle.pop()
                # Connections older than the last detected breakage (e.g. from
                # before a server restart) are dropped unused.
                if conn.generation >= self._generation and not conn.closed:
                    return conn
                conn.close()
            generation = self._generation
        conn = psycopg2.connect(
            self.dsn,
            async_=True,
            connection_factory=_Connection,
            **self.connect_kwargs(),
        )
        conn.generation = generation
        wait(conn, until)
        return conn

    def _checkin(self, conn):
        with self._lock:
            if self._closed:
                conn.close()
            else:
                self._idle.append(conn)

    def run(self, work, deadline=None):
        """``work(cursor)`` on a pooled connection, once more if it was dead.

        :param deadline: seconds this call may take (default: the pool's).
        :returns: what ``work`` returns.
        :raises StorageError: when the pool has been closed.
        :raises Busy: when no connection came free in time.
        :raises Timeout: when the database did not answer in time.
        :raises psycopg2.Error: what the database raised.
        """
        deadline = deadline or self.deadline
        until = None if deadline is None else time.monotonic() + deadline
        for attempt in (1, 2):
            wait_for = self.slot_wait
            if until is not None:
                wait_for = min(wait_for, until - time.monotonic())
            # Plain acquire/release rather than a context manager: this runs
            # for every hit.
            if not self._slots.acquire(timeout=max(wait_for, 0)):
                raise Busy(f"all {self.size} database connections are busy")
            try:
                conn = self._checkout(until)
                try:
                    result = work(DeadlineCursor(conn, until))
                except BaseException as error:
                    # psycopg2 marks a connection whose link broke as closed
                    # (2); wait() closes one it gave up on (1) itself.
                    broken = conn.closed == 2 and not isinstance(error, Timeout)
                    # Whatever state it is in, this connection is not reused.
                    conn.close()
                    if broken:
                        with self._lock:
                            self._generation += 1
                        if attempt == 1 and (until is None or time.monotonic() < until):
                            continue
                    raise
                self._checkin(conn)
                return result
            finally:
                self._slots.release()

    def close(self):
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


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
