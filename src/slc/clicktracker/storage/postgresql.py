"""IClickStorage on PostgreSQL, with a local spool for when the database is away.

Usable without Zope: ``PostgresqlStorage(dsn="host=... dbname=...")``.
"""

from collections import namedtuple
from datetime import UTC
from datetime import datetime
from itertools import groupby
from psycopg2.extras import execute_batch
from psycopg2.pool import ThreadedConnectionPool
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.storage import schema
from slc.clicktracker.storage import visits
from slc.clicktracker.storage.spool import Hit
from slc.clicktracker.storage.spool import Spool
from slc.clicktracker.storage.visits import ClickRow
from slc.clicktracker.storage.visits import VisitResult
from slc.clicktracker.storage.visits import VisitRow
from zope.interface import implementer
import logging
import math
import psycopg2
import psycopg2.extensions
import re
import threading
import time
import uuid


logger = logging.getLogger("slc.clicktracker")

# Longest stored values, in characters (documented in docs/storage.rst).
LIMITS = {
    "member": 255,
    "path": 1024,
    "url": 2048,
    "referrer": 2048,
    "title": 512,
    "uid": 64,
    "visit_id": 64,
    "user_agent": 1024,
}
# Paths are indexed; a btree entry must stay well below ~2700 bytes.
PATH_MAX_BYTES = 2048

ORDERS = {
    "member": ("member", "url"),
    "url": ("url", "member"),
    "count": ("count", "member", "url"),
    "lastaccess": ("lastaccess", "member", "url"),
}

LogRow = namedtuple("LogRow", "member count lastaccess url firstaccess path uid")

LOG_HIT = "SELECT clicktracker.log_hit(%s, %s, %s, %s, %s, %s, %s)"

SURROGATES = re.compile("[\ud800-\udfff]")


class StorageError(Exception):
    """The database is not configured, unreachable or refused the operation."""


class Busy(Exception):
    """Every pooled connection stayed in use for longer than we wait."""


def clean_text(value, name, limit, max_bytes=None):
    """``value`` as str PostgreSQL accepts, cut to ``limit`` characters."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif not isinstance(value, str):
        raise ValueError(f"{name} must be str, not {type(value).__name__}")
    # Lone surrogates cannot be encoded; UTF-16 pairs them up when they can.
    if SURROGATES.search(value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    value = value.replace("\x00", "")[:limit]
    if max_bytes is not None:
        value = value.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    return value


def clean_path(path, name="path"):
    """'/Plone/a/b' from a str or a getPhysicalPath() tuple; no trailing '/'."""
    if isinstance(path, (tuple, list)):
        path = "/".join(
            clean_text(part, name, LIMITS["path"]) if part else "" for part in path
        )
    path = clean_text(path, name, LIMITS["path"], PATH_MAX_BYTES)
    if not path or not path.startswith("/"):
        raise ValueError(f"{name} must be an absolute path, got {path!r}")
    return path.rstrip("/") or "/"


def clean_when(when, name="when"):
    if when is None:
        return None
    if not isinstance(when, datetime) or when.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {when!r}")
    return when


def make_hit(member, path, url, uid=None, referrer=None, title=None, when=None):
    member = clean_text(member, "member", LIMITS["member"])
    if not member or not member.strip():
        raise ValueError("member must not be empty")
    return Hit(
        at=clean_when(when) or datetime.now(UTC),
        member=member,
        path=clean_path(path),
        url=clean_text(url, "url", LIMITS["url"]) or "",
        uid=clean_text(uid, "uid", LIMITS["uid"]) or None,
        referrer=clean_text(referrer, "referrer", LIMITS["referrer"]) or None,
        title=clean_text(title, "title", LIMITS["title"]) or None,
    )


def make_visit_hit(
    member,
    path,
    url,
    visit_id,
    user_agent,
    is_bot,
    idle_timeout,
    max_age,
    **kw,
):
    hit = make_hit(member, path, url, **kw)
    for name, value in (("idle_timeout", idle_timeout), ("max_age", max_age)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number of seconds, got {value!r}")
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
    return hit._replace(
        visit_id=clean_text(visit_id, "visit_id", LIMITS["visit_id"]) or None,
        # Made here, not in the database: a hit spooled while PostgreSQL is
        # away starts its visit under the id its cookie gets right now.
        new_visit_id=uuid.uuid4().hex,
        user_agent=clean_text(user_agent, "user_agent", LIMITS["user_agent"]) or None,
        is_bot=bool(is_bot),
        idle_timeout=float(idle_timeout),
        max_age=float(max_age),
    )


def hit_params(hit):
    return (hit.member, hit.path, hit.url, hit.uid, hit.referrer, hit.title, hit.at)


def is_visit_hit(hit):
    return hit.new_visit_id is not None


def write_params(hit):
    """The statement that stores ``hit`` and its parameters."""
    if is_visit_hit(hit):
        return visits.LOG_VISIT, visits.visit_params(hit)
    return LOG_HIT, hit_params(hit)


def log_query(prefix, order_by=None, order_reverse=False, since=None, until=None):
    """SQL and parameters of getLog(); public so tests can EXPLAIN it."""
    keys = ORDERS.get(order_by or "member")
    if keys is None:
        raise ValueError(f"cannot order by {order_by!r}; use one of {sorted(ORDERS)}")
    if isinstance(prefix, (tuple, list)) or (prefix or "").strip("/"):
        prefix = clean_path(prefix, "prefix")
    else:
        prefix = "/"
    prefix = prefix.rstrip("/")  # '/' becomes '': everything
    params = {
        "prefix": prefix,
        "below": prefix + "/",
        # '0' is the character after '/': [prefix, prefix + '0') is one
        # index range; the filter then drops siblings such as prefix + '-x'.
        "end": prefix + "0",
        "since": clean_when(since, "since"),
        "until": clean_when(until, "until"),
    }
    if since is None and until is None:
        source = "clicktracker.access a"
        count, first, last, who, url = (
            "sum(a.count)",
            "min(a.firstaccess)",
            "max(a.lastaccess)",
            "a.member",
            "a.url",
        )
        recent = "a.lastaccess"
        window = ""
    else:
        source = "clicktracker.hits a"
        count, first, last, who, url = (
            # A reload is counted on the click it repeated (schema 2).
            "sum(1 + a.reloads)",
            "min(a.at)",
            "max(a.at)",
            "a.member",
            "a.url",
        )
        recent = "a.at"
        window = "".join(
            (
                " AND a.at >= %(since)s" if since is not None else "",
                " AND a.at < %(until)s" if until is not None else "",
                # Hits of bot visits are kept for clickstreams, not as reads.
                " AND (a.visit_id IS NULL OR NOT EXISTS (SELECT 1 FROM"
                " clicktracker.visits v WHERE v.id = a.visit_id AND v.is_bot))",
            )
        )
    direction = " DESC" if order_reverse else ""
    order = ", ".join(key + direction for key in keys)
    # Path and UID of the document seen last (prefer one with a UID).
    pick = f"d.uid IS NULL, {recent} DESC"
    sql = (
        f"SELECT {who} AS member, {count}::bigint AS count, "  # noqa: S608
        f"{last} AS lastaccess, {url} AS url, {first} AS firstaccess, "
        f"(array_agg(d.path ORDER BY {pick}))[1] AS path, "
        f"(array_agg(d.uid ORDER BY {pick}))[1] AS uid "
        f"FROM clicktracker.documents d JOIN {source} ON a.document_id = d.id "
        "WHERE d.path >= %(prefix)s AND d.path < %(end)s "
        "AND (d.path = %(prefix)s OR d.path >= %(below)s)"
        f"{window} GROUP BY {who}, {url} ORDER BY {order}"
    )
    return sql, params


class _Connection(psycopg2.extensions.connection):
    # Pool generation the connection was made in; older ones may be dead.
    generation = None


@implementer(IClickStorage, IClickStorageAdmin, IVisitStorage)
class PostgresqlStorage:
    """Hits in PostgreSQL; a SQLite spool keeps them while it is unavailable."""

    batch_size = 500
    # Per purge batch; the purge has its own connection, outside the pool.
    purge_statement_timeout_ms = 60_000

    def __init__(
        self,
        dsn="",
        spool_path=None,
        pool_size=4,
        connect_timeout=1,
        statement_timeout_ms=1000,
        backoff=5.0,
        max_backoff=60.0,
        spool_max_rows=100_000,
    ):
        self.dsn = (dsn or "").strip()
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout
        self.statement_timeout_ms = statement_timeout_ms
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._spool = Spool(spool_path, spool_max_rows) if spool_path else None
        self._pool = None
        self._generation = 0
        # Threads wait here for a connection instead of getting PoolError.
        self._slots = threading.BoundedSemaphore(pool_size)
        self._lock = threading.Lock()
        self._replay_lock = threading.Lock()
        self._replayer = None
        self._retry_at = 0.0
        self._delay = 0.0
        self._error = None
        self._closed = False
        self._wake = threading.Event()  # interrupts the replayer's pause

    # -- connections ------------------------------------------------------

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

    def _get_pool(self):
        with self._lock:
            if self._closed:
                raise StorageError("the storage has been closed")
            if self._pool is None:
                # minconn=0 so that creating the pool opens no connection
                # (the database may be down) ...
                pool = ThreadedConnectionPool(
                    0,
                    self.pool_size,
                    self.dsn,
                    connection_factory=_Connection,
                    **self.connect_kwargs(),
                )
                # ... but putconn() keeps only minconn idle connections open.
                pool.minconn = self.pool_size
                self._pool = pool
            return self._pool

    def _checkout(self, pool):
        # Connections older than the last detected breakage (e.g. from before a
        # server restart) are dropped unused rather than failing a hit.
        for _ in range(self.pool_size + 1):
            conn = pool.getconn()
            if conn.generation is None:
                conn.generation = self._generation
                conn.autocommit = True  # one statement, one round trip
            if conn.generation >= self._generation and not conn.closed:
                return conn
            pool.putconn(conn, close=True)
        raise Busy("could not get a fresh database connection")

    def _run(self, work):
        """``work(cursor)`` on a pooled connection, once more if it was dead."""
        pool = self._get_pool()
        for attempt in (1, 2):
            # Plain acquire/release rather than a generator context manager:
            # this runs for every hit.
            if not self._slots.acquire(timeout=max(self.connect_timeout, 0.1)):
                raise Busy(f"all {self.pool_size} database connections are busy")
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

    # -- back-off -----------------------------------------------------------

    def _ready(self):
        return time.monotonic() >= self._retry_at

    def _failed(self, error):
        message = " ".join(str(error).split()) or type(error).__name__
        with self._lock:
            self._error = message
            if time.monotonic() < self._retry_at:
                return  # another thread already backed off
            self._delay = min(self._delay * 2 or self.backoff, self.max_backoff)
            self._retry_at = time.monotonic() + self._delay
            delay = self._delay
        logger.warning(
            "PostgreSQL unavailable (%s); hits go to the %s for %.0f s",
            message,
            "spool" if self._spool is not None else "bin (no spool configured)",
            delay,
        )

    def _succeeded(self):
        if self._delay or self._error:
            with self._lock:
                self._delay = 0.0
                self._retry_at = 0.0
                self._error = None

    # -- IClickStorage ------------------------------------------------------

    def logAccess(self, member, path, url, **kw):
        # **kw as in the interface; make_hit() names the keywords it accepts.
        stored, _ = self._store(make_hit(member, path, url, **kw))
        return stored

    def _store(self, hit):
        """(stored, row): row is what the database returned, None if spooled."""
        if self._spool is not None and self._spool.has_backlog():
            # Older hits are waiting: queue behind them to keep the order.
            if self._append(hit):
                self._kick_replay()
                return True, None
        if self.dsn and self._ready():
            sql, params = write_params(hit)

            def work(cur):
                cur.execute(sql, params)
                return cur.fetchone()

            try:
                row = self._run(work)
            except psycopg2.DataError as error:
                # Would fail again on replay; nothing to gain by spooling.
                logger.error("PostgreSQL refused a hit %r: %s", hit, error)
                return False, None
            except (psycopg2.Error, Busy) as error:
                self._failed(error)
            else:
                self._succeeded()
                return True, row
        if self._append(hit):
            self._kick_replay()
            return True, None
        return False, None

    def getLog(self, prefix, order_by=None, order_reverse=False, **kw):
        sql, params = log_query(prefix, order_by, order_reverse, **kw)

        def fetch(cur):
            cur.execute(sql, params)
            return cur.fetchall()

        try:
            rows = self._run(fetch)
        except (psycopg2.Error, Busy) as error:
            raise StorageError(f"reading the click log failed: {error}") from error
        return [LogRow(*row) for row in rows]

    # -- IVisitStorage ----------------------------------------------------------

    def logVisit(
        self,
        member,
        path,
        url,
        visit_id=None,
        *,
        uid=None,
        referrer=None,
        title=None,
        when=None,
        user_agent=None,
        is_bot=False,
        idle_timeout=1200,
        max_age=18000,
    ):
        hit = make_visit_hit(
            member,
            path,
            url,
            visit_id,
            user_agent,
            is_bot,
            idle_timeout,
            max_age,
            uid=uid,
            referrer=referrer,
            title=title,
            when=when,
        )
        stored, row = self._store(hit)
        if row is not None:
            return VisitResult(*row, stored=True)
        # Spooled (or lost): whether the visit expired is decided on replay;
        # until then the cookie keeps the id it has, or gets the new one.
        return VisitResult(
            visit_id=hit.visit_id or hit.new_visit_id,
            started=hit.visit_id is None,
            ended=None,
            reload=False,
            stored=stored,
        )

    def getVisits(
        self,
        member=None,
        since=None,
        until=None,
        active_since=None,
        include_bots=True,
        limit=50,
        offset=0,
    ):
        for name, value in (("limit", limit), ("offset", offset)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        sql, params = visits.visits_query(
            limit,
            offset or 0,
            **self._visit_filters(member, since, until, active_since, include_bots),
        )
        rows = self._read(sql, params, "reading visits")
        return [VisitRow(*row) for row in rows]

    def countVisits(
        self, member=None, since=None, until=None, active_since=None, include_bots=True
    ):
        sql, params = visits.count_query(
            **self._visit_filters(member, since, until, active_since, include_bots)
        )
        return self._read(sql, params, "counting visits")[0][0]

    def getVisit(self, visit_id):
        rows = self._read(
            f"SELECT {visits.VISIT_COLUMNS} FROM clicktracker.visits "  # noqa: S608
            "WHERE id = %s",
            (str(visit_id),),
            "reading a visit",
        )
        return VisitRow(*rows[0]) if rows else None

    def getClickstream(self, visit_id):
        rows = self._read(visits.CLICKSTREAM, (str(visit_id),), "reading a clickstream")
        return [ClickRow(*row) for row in rows]

    def purge(self, keep_days, batch_size=5000):
        if isinstance(keep_days, bool) or not isinstance(keep_days, (int, float)):
            raise ValueError(f"keep_days must be a number, got {keep_days!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise ValueError(f"batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
        if keep_days <= 0:
            return {"hits": 0, "visits": 0}
        if not self.dsn:
            raise StorageError("No PostgreSQL connection string (DSN) is configured.")
        # Its own connection: a long purge must not hold one of the pool's,
        # and its batches may take longer than a hit's statement timeout.
        try:
            conn = psycopg2.connect(
                self.dsn, **self.connect_kwargs(self.purge_statement_timeout_ms)
            )
        except psycopg2.Error as error:
            raise StorageError(f"Cannot connect to PostgreSQL: {error}") from error
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                version = schema.read_version(cur)
            if version is None or version < visits.VISITS_VERSION:
                raise StorageError(
                    "The clicktracker schema is at version "
                    f"{version or 'none'}; set up the database first "
                    f"(version {visits.VISITS_VERSION} or later is needed)."
                )
            return visits.purge(conn, keep_days, batch_size)
        except psycopg2.Error as error:
            raise StorageError(f"purging old hits failed: {error}") from error
        finally:
            conn.close()

    @staticmethod
    def _visit_filters(member, since, until, active_since, include_bots):
        if member is not None:
            member = clean_text(member, "member", LIMITS["member"])
        return {
            "member": member,
            "since": clean_when(since, "since"),
            "until": clean_when(until, "until"),
            "active_since": clean_when(active_since, "active_since"),
            "bots": bool(include_bots),
        }

    def _read(self, sql, params, what):
        def fetch(cur):
            cur.execute(sql, params)
            return cur.fetchall()

        try:
            return self._run(fetch)
        except (psycopg2.Error, Busy) as error:
            raise StorageError(f"{what} failed: {error}") from error

    # -- IClickStorageAdmin -------------------------------------------------

    def status(self):
        info = {
            "configured": bool(self.dsn),
            "connected": False,
            "error": None,
            "schema_version": None,
            "hits": None,
            "documents": None,
            "backlog": len(self._spool) if self._spool is not None else 0,
        }
        if not self.dsn:
            return info

        def probe(cur):
            version = schema.read_version(cur)
            if version is None:
                return None, None, None
            cur.execute(
                "SELECT (SELECT count(*) FROM clicktracker.hits), "
                "(SELECT count(*) FROM clicktracker.documents)"
            )
            return (version, *cur.fetchone())

        try:
            version, hits, documents = self._run(probe)
        except (psycopg2.Error, Busy) as error:
            info["error"] = " ".join(str(error).split())
            return info
        info.update(
            connected=True, schema_version=version, hits=hits, documents=documents
        )
        if version is None:
            info["error"] = "the clicktracker schema is not installed yet"
        return info

    def setup_database(self):
        if not self.dsn:
            raise StorageError("No PostgreSQL connection string (DSN) is configured.")
        try:
            # No statement timeout: an upgrade may rewrite big tables.
            conn = psycopg2.connect(self.dsn, **self.connect_kwargs(0))
        except psycopg2.Error as error:
            raise StorageError(f"Cannot connect to PostgreSQL: {error}") from error
        try:
            version = schema.setup(conn)
        except psycopg2.Error as error:
            raise StorageError(f"Setting up the database failed: {error}") from error
        finally:
            conn.close()
        self._succeeded()
        self._kick_replay()
        return version

    def move(self, old_path, new_path):
        old, new = clean_path(old_path, "old_path"), clean_path(new_path, "new_path")
        if "/" in (old, new):
            raise ValueError("cannot move the root")

        def work(cur):
            cur.execute("SELECT clicktracker.move_paths(%s, %s)", (old, new))
            return cur.fetchone()[0]

        try:
            return self._run(work)
        except (psycopg2.Error, Busy) as error:
            raise StorageError(f"updating moved paths failed: {error}") from error

    def replay(self):
        """Replay the spool in order, in batches; each batch one transaction.

        Raises StorageError when the database fails (the rest stays spooled).
        A batch is removed from the spool only after its commit, so a crash
        in between can replay it twice, never lose it.
        """
        if self._spool is None:
            return 0
        if not self.dsn:
            raise StorageError("No PostgreSQL connection string (DSN) is configured.")
        done = 0
        with self._replay_lock:
            while not self._closed and (batch := self._spool.peek(self.batch_size)):
                try:
                    try:
                        self._run(lambda cur, b=batch: self._write(cur, b))
                    except psycopg2.DataError:
                        done += self._replay_singly(batch)
                    else:
                        self._spool.delete(spool_id for spool_id, _ in batch)
                        done += len(batch)
                except (psycopg2.Error, Busy) as error:
                    self._failed(error)
                    raise StorageError(
                        f"replay stopped after {done} hits: {error}"
                    ) from error
                self._succeeded()
        return done

    def close(self):
        self._closed = True
        self._wake.set()
        if self._replayer is not None:
            self._replayer.join(timeout=5)
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.closeall()
        if self._spool is not None:
            self._spool.close()

    # -- helpers --------------------------------------------------------------

    def _append(self, hit):
        if self._spool is None:
            return False
        try:
            return self._spool.append(hit)
        except Exception:
            logger.exception("could not spool a hit")
            return False

    @staticmethod
    def _write(cur, batch):
        cur.execute("BEGIN")
        # Runs of plain and of visit hits, each through its own function,
        # in spool order: a visit's hits must replay in the order logged.
        for visit, run in groupby(batch, key=lambda item: is_visit_hit(item[1])):
            sql = visits.LOG_VISIT if visit else LOG_HIT
            params = visits.visit_params if visit else hit_params
            execute_batch(cur, sql, [params(hit) for _, hit in run])
        cur.execute("COMMIT")

    def _replay_singly(self, batch):
        """One hit per transaction, dropping those PostgreSQL will never take."""
        done = 0
        for spool_id, hit in batch:
            try:
                self._run(lambda cur, h=hit: cur.execute(*write_params(h)))
            except psycopg2.DataError as error:
                logger.error("dropping spooled hit %r: %s", hit, error)
            else:
                done += 1
            self._spool.delete([spool_id])
        return done

    def _kick_replay(self):
        """Drain the spool in a background thread, so no request waits for it.

        The thread retries after each back-off until the spool is empty, so
        hits come back even when no new hit arrives to trigger it.
        """
        if self._spool is None or not self.dsn or self._closed:
            return
        with self._lock:
            if self._replayer is not None and self._replayer.is_alive():
                return
            self._replayer = threading.Thread(
                target=self._replay_until_empty,
                name="clicktracker-replay",
                daemon=True,
            )
            self._replayer.start()

    def _replay_until_empty(self):
        while not self._closed and self._spool.has_backlog():
            pause = self._retry_at - time.monotonic()
            if pause > 0:
                self._wake.wait(pause)
                continue
            try:
                self.replay()
            except StorageError:
                continue  # _failed() has logged it and set a longer back-off
            except Exception:
                logger.exception("replaying the click spool failed")
                return
