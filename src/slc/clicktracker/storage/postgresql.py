"""IClickStorage on PostgreSQL, with a local spool for when the database is away.

Usable without Zope: ``PostgresqlStorage(dsn="host=... dbname=...")``. The
parts it is built from each have a module: ``hits`` (the value type and its
cleaning), ``queries`` (the SQL), ``pool`` (connections and back-off),
``spool`` (the local queue), ``schema`` (setup), ``purge``, ``reading``
(read status, confirmations, reminders).

Every failure leaves this class as ``StorageError`` with the DSN's secrets
masked (``dsn.scrub``), so callers never handle a driver's exception.

Longer than the other modules on purpose: it is the one class that
provides all the storage interfaces, method by method; everything
that is not such a method lives in the modules named above.
"""

from slc.clicktracker.interfaces import IAccessLogStorage
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.interfaces import IConfirmationStorage
from slc.clicktracker.interfaces import IReadStatusStorage
from slc.clicktracker.interfaces import IReminderStorage
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.storage import batches
from slc.clicktracker.storage import dsn as dsns
from slc.clicktracker.storage import logpages
from slc.clicktracker.storage import logspec
from slc.clicktracker.storage import purge
from slc.clicktracker.storage import queries
from slc.clicktracker.storage import schema
from slc.clicktracker.storage.dsn import scrub
from slc.clicktracker.storage.hits import clean_member
from slc.clicktracker.storage.hits import clean_path
from slc.clicktracker.storage.hits import clean_when
from slc.clicktracker.storage.hits import make_hit
from slc.clicktracker.storage.hits import make_visit_hit
from slc.clicktracker.storage.pool import BackOff
from slc.clicktracker.storage.pool import Busy
from slc.clicktracker.storage.pool import Pool
from slc.clicktracker.storage.pool import Unavailable
from slc.clicktracker.storage.privacy import Privacy
from slc.clicktracker.storage.reading import ReadingRecords
from slc.clicktracker.storage.readtime import ReadingTime
from slc.clicktracker.storage.replay import Replayer
from slc.clicktracker.storage.rows import ClickRow
from slc.clicktracker.storage.rows import LogRow
from slc.clicktracker.storage.rows import VisitResult
from slc.clicktracker.storage.rows import VisitRow
from slc.clicktracker.storage.spool import DEFAULT_MAX_BYTES
from slc.clicktracker.storage.spool import Spool
from slc.clicktracker.storage.stats import Statistics
from zope.interface import classImplements
from zope.interface import implementer
import logging
import psycopg2


logger = logging.getLogger("slc.clicktracker")

# What a failing database call raises; all become StorageError.
FAILURES = (psycopg2.Error, Unavailable)


@implementer(IClickStorage, IClickStorageAdmin, IVisitStorage)
class PostgresqlStorage(ReadingRecords, ReadingTime, Statistics, Privacy):
    """Hits in PostgreSQL; a SQLite spool keeps them while it is unavailable."""

    # Per purge batch; the purge has its own connection, outside the pool.
    purge_statement_timeout_ms = 60_000

    def __init__(
        self,
        dsn="",
        spool_path=None,
        pool_size=2,
        connect_timeout=1,
        statement_timeout_ms=1000,
        backoff=5.0,
        max_backoff=60.0,
        spool_max_bytes=DEFAULT_MAX_BYTES,
        spool=None,
        deadline=None,
        destination=None,
    ):
        self.dsn = (dsn or "").strip()
        # Where this storage's hits go, as the spool records it; without a
        # DSN, the caller may say for whom they wait.
        self.destination = destination or dsns.destination(self.dsn)
        self.pool = Pool(
            self.dsn, pool_size, connect_timeout, statement_timeout_ms, deadline
        )
        self.backoff = BackOff(backoff, max_backoff)
        # A spool given is shared (and closed by its owner); one made from a
        # path is this storage's own.
        self._owns_spool = spool is None and spool_path is not None
        if self._owns_spool:
            spool = Spool(spool_path, spool_max_bytes)
        self.spool = spool
        self.replayer = Replayer(self)

    def storage_error(self, what, error):
        """A StorageError for ``error``, safe to show (no secrets)."""
        return StorageError(scrub(f"{what}: {error}", self.dsn))

    def note_failure(self, error):
        delay = self.backoff.failed(error)
        if delay is not None:
            logger.warning(
                "PostgreSQL unavailable (%s); hits go to the %s for %.0f s",
                scrub(self.backoff.error, self.dsn),
                "spool" if self.spool is not None else "bin (no spool configured)",
                delay,
            )

    def _read(self, sql, params, what):
        # Without a DSN, libpq would try its default server: say so instead.
        self._require_dsn()

        def fetch(cur):
            cur.execute(sql, params)
            return cur.fetchall()

        try:
            return self.pool.run(fetch)
        except FAILURES as error:
            raise self.storage_error(f"{what} failed", error) from error

    def _require_dsn(self):
        if not self.dsn:
            raise StorageNotConfigured(
                "No PostgreSQL connection string (DSN) is configured."
            )

    def _connect(self, statement_timeout_ms):
        self._require_dsn()
        try:
            return self.pool.connect(statement_timeout_ms)
        except psycopg2.Error as error:
            raise self.storage_error("Cannot connect to PostgreSQL", error) from error

    # -- writing ------------------------------------------------------------

    def logAccess(self, member, path, url, **kw):
        # **kw as in the interface; make_hit() names the keywords it accepts.
        stored, _ = self._store(make_hit(member, path, url, **kw))
        return stored

    def log_visit(
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
        hit_id=None,
        client=None,
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
            hit_id=hit_id,
            client=client,
        )
        stored, row = self._store(hit)
        if row is not None:
            visit, started, ended, reload, duplicate = row
            return VisitResult(visit, started, ended, reload, True, bool(duplicate))
        # Spooled (or lost): whether the visit expired is decided on replay;
        # until then the cookie keeps the id it has, or gets the new one.
        return VisitResult(
            visit_id=hit.visit_id or hit.new_visit_id,
            started=hit.visit_id is None,
            ended=None,
            reload=False,
            stored=stored,
        )

    def _store(self, hit):
        """(stored, row): row is what the database returned, None if spooled."""
        if self.spool is not None and self.spool.has_backlog(self.destination):
            # Older hits are waiting: queue behind them to keep the order.
            if self._append(hit):
                self.replayer.kick()
                return True, None
        if self.dsn and self.backoff.ready():
            sql, params = queries.write_params(hit)

            def work(cur):
                cur.execute(sql, params)
                return cur.fetchone()

            try:
                row = self.pool.run(work)
            except psycopg2.DataError as error:
                # Would fail again on replay; nothing to gain by spooling.
                logger.error("PostgreSQL refused a hit %r: %s", hit, error)
                return False, None
            except Busy:
                pass  # the database is fine, only busy: spool this one hit
            except FAILURES as error:
                self.note_failure(error)
            else:
                self.backoff.succeeded()
                return True, row
        if self._append(hit):
            self.replayer.kick()
            return True, None
        return False, None

    def _append(self, hit):
        if self.spool is None:
            return False
        try:
            return self.spool.append(hit, self.destination)
        except Exception:
            logger.exception("could not spool a hit")
            return False

    # -- reading ------------------------------------------------------------

    def getLog(self, prefix, order_by=None, order_reverse=False, **kw):
        sql, params = queries.log_query(prefix, order_by, order_reverse, **kw)
        return [
            LogRow(*row) for row in self._read(sql, params, "reading the click log")
        ]

    def get_visits(
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
        sql, params = queries.visits_query(
            limit,
            offset or 0,
            **self._visit_filters(member, since, until, active_since, include_bots),
        )
        return [VisitRow(*row) for row in self._read(sql, params, "reading visits")]

    def count_visits(
        self, member=None, since=None, until=None, active_since=None, include_bots=True
    ):
        sql, params = queries.count_query(
            **self._visit_filters(member, since, until, active_since, include_bots)
        )
        return self._read(sql, params, "counting visits")[0][0]

    def get_visit(self, visit_id):
        rows = self._read(queries.GET_VISIT, (str(visit_id),), "reading a visit")
        return VisitRow(*rows[0]) if rows else None

    def get_clickstream(self, visit_id):
        rows = self._read(
            queries.CLICKSTREAM, (str(visit_id),), "reading a clickstream"
        )
        return [ClickRow(*row) for row in rows]

    @staticmethod
    def _visit_filters(member, since, until, active_since, include_bots):
        return {
            "member": clean_member(member),
            "since": clean_when(since, "since"),
            "until": clean_when(until, "until"),
            "active_since": clean_when(active_since, "active_since"),
            "bots": bool(include_bots),
        }

    # -- housekeeping ---------------------------------------------------------

    def purge(self, keep_days, batch_size=5000):
        if isinstance(keep_days, bool) or not isinstance(keep_days, (int, float)):
            raise ValueError(f"keep_days must be a number, got {keep_days!r}")
        batches.clean_batch(batch_size)
        if keep_days <= 0:
            return purge.nothing()
        # Its own connection: a long purge must not hold one of the pool's,
        # and its batches may take longer than a hit's statement timeout.
        conn = self._connect(self.purge_statement_timeout_ms)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                version = schema.read_version(cur)
            if version is None or version < queries.VISITS_VERSION:
                raise StorageError(
                    "The clicktracker schema is at version "
                    f"{version or 'none'}; set up the database first "
                    f"(version {queries.VISITS_VERSION} or later is needed)."
                )
            return purge.purge(conn, keep_days, batch_size)
        except psycopg2.Error as error:
            raise self.storage_error("purging old hits failed", error) from error
        finally:
            conn.close()

    # -- IClickStorageAdmin -------------------------------------------------

    def status(self):
        info = {
            "configured": bool(self.dsn),
            "connected": False,
            "error": None,
            "schema_version": None,
            "hits": None,
            "documents": None,
            "backlog": 0,
            "spool": None,
        }
        if self.spool is not None:
            info["spool"] = self.spool.usage(self.destination)
            info["backlog"] = info["spool"]["rows"]
        if not self.dsn:
            return info

        def probe(cur):
            version = schema.read_version(cur)
            if version is None:
                return None, None, None
            cur.execute(queries.COUNTS)
            return (version, *cur.fetchone())

        try:
            version, hits, documents = self.pool.run(probe)
        except (*FAILURES, StorageError) as error:
            info["error"] = scrub(" ".join(str(error).split()), self.dsn)
            return info
        info.update(
            connected=True, schema_version=version, hits=hits, documents=documents
        )
        if version is None:
            info["error"] = "the clicktracker schema is not installed yet"
        elif version < schema.newest():
            # New hits wait in the spool until then.
            info["error"] = (
                f"the clicktracker schema is at version {version}; this add-on "
                f"needs version {schema.newest()}: upgrade the database"
            )
        return info

    def setup_database(self):
        # No statement timeout: an upgrade may rewrite big tables.
        conn = self._connect(0)
        try:
            version = schema.setup(conn)
        except psycopg2.Error as error:
            raise self.storage_error("Setting up the database failed", error) from error
        finally:
            conn.close()
        self.backoff.succeeded()
        self.replayer.kick()
        return version

    def move(self, old_path, new_path):
        old, new = clean_path(old_path, "old_path"), clean_path(new_path, "new_path")
        if "/" in (old, new):
            raise ValueError("cannot move the root")
        return self._read(queries.MOVE_PATHS, (old, new), "updating moved paths")[0][0]

    def replay(self):
        """Replay the spool now; see ``replay.Replayer.replay``."""
        self._require_dsn()
        return self.replayer.replay()

    def close(self):
        self.replayer.close()
        self.pool.close()
        if self._owns_spool:
            self.spool.close()

    # -- IAccessLogStorage: the paged access log (logpages.py) ----------------

    # A page may take this long on a pool connection, as long as a hit's
    # statement; then LogTooSlow. Pages that must read every row of a large
    # prefix run on a connection of their own (hits never wait for them)
    # with log_slow_timeout_ms.
    log_timeout_ms = 1000
    log_slow_timeout_ms = 3000
    # Estimated rows under a prefix up to which a page reads, counts and
    # sorts everything; beyond it only sorts by member, full name and
    # document are read from an index, and the others are tried up to
    # log_max_sort_rows (beyond that, refused at once).
    log_small_rows = 50_000
    log_max_sort_rows = 300_000
    log_work_mem = "32MB"
    # Per batch of a download (iter_log), on a connection of its own.
    export_statement_timeout_ms = 600_000

    def log_page(
        self,
        prefix,
        per="document",
        sort_on="member",
        reverse=False,
        since=None,
        until=None,
        offset=0,
        limit=50,
        member=None,
        document=None,
        fullnames=None,
        min_seconds=None,
        reached_end=None,
    ):
        spec = logspec.make_spec(
            prefix,
            per,
            sort_on,
            reverse,
            since,
            until,
            member,
            document,
            min_seconds,
            reached_end,
            fullnames,
        )
        logspec.check_page(offset, limit)
        self._require_dsn()
        limits = logpages.Limits(self)
        own = False
        try:
            for _attempt in range(3):
                page = self._log_page_on(own, spec, offset, limit, limits)
                if isinstance(page, logpages.Members):
                    # Names come from Zope: looked up between transactions.
                    spec = spec._replace(ranks=logpages.rank(page, fullnames))
                elif page is logpages.NEEDS_ALL:
                    own = True
                    limits.timeout_ms = self.log_slow_timeout_ms
                else:
                    break
        except FAILURES as error:
            raise self.storage_error("reading the access log failed", error) from error
        if isinstance(page, LogTooSlow):
            raise page
        return page

    def _log_page_on(self, own, spec, offset, limit, limits):
        """read_page on a pool connection, or (``own``) one of its own."""

        def read(cur):
            return logpages.read_page(cur, spec, offset, limit, limits, own)

        if not own:
            return self.pool.run(read, deadline=limits.timeout_ms / 1000 + 0.25)
        conn = self._connect(limits.timeout_ms)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                return read(cur)
        finally:
            conn.close()

    def iter_log(
        self,
        prefix,
        per="document",
        sort_on="member",
        reverse=False,
        since=None,
        until=None,
        member=None,
        document=None,
        fullnames=None,
        batch_size=2000,
        min_seconds=None,
        reached_end=None,
    ):
        spec = logspec.make_spec(
            prefix,
            per,
            sort_on,
            reverse,
            since,
            until,
            member,
            document,
            min_seconds,
            reached_end,
            fullnames,
        )
        self._require_dsn()
        return logpages.iterate(
            lambda: self._connect(self.export_statement_timeout_ms),
            spec,
            fullnames,
            batch_size,
            logpages.Limits(self),
            self.storage_error,
        )


classImplements(
    PostgresqlStorage,
    IAccessLogStorage,
    IReadStatusStorage,
    IConfirmationStorage,
    IReminderStorage,
)
