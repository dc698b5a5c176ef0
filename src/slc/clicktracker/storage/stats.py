"""Views over time and the site statistics (IStatisticsStorage).

Per day of a document or folder: straight from the raw hits (the
``(document_id, at)`` index), bounded in time like a page of the access
log. The whole site's days, and every document's readers in the last 7,
30, 90 and 365 days, would read up to a year of hits each time: they are
prepared once a day for the complete days before today
(``clicktracker.prepare_stats``, migration 0007), in a thread, when first
read on a new day; requests never wait for it. The write path is untouched.
Bots' hits are no reads; ``(anonymous)`` views count, but it is no reader.
"""

from datetime import date
from datetime import timedelta
from slc.clicktracker.interfaces import IStatisticsStorage
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.storage.hits import clean_path
from slc.clicktracker.storage.pool import Unavailable
from slc.clicktracker.storage.queries import clean_paths
from slc.clicktracker.storage.rows import DayViews
from slc.clicktracker.storage.rows import DocumentStats
from slc.clicktracker.storage.rows import StatsPage
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError
from zope.interface import implementer
import logging
import psycopg2
import psycopg2.errors
import threading


logger = logging.getLogger("slc.clicktracker")

WINDOWS = (7, 30, 90, 365)  # of the prepared figures, in days before today
MAX_DAYS = 366  # the longest chart: a leap year
ANONYMOUS = "(anonymous)"  # tokens.ANONYMOUS; the storage imports no Zope side

FAILURES = (psycopg2.Error, Unavailable)
_RUNNING = threading.Lock()

# A hit of a bot's visit is no read (NULL visit_id never matches).
NO_BOT = (
    "NOT EXISTS (SELECT 1 FROM clicktracker.visits v"
    " WHERE v.id = h.visit_id AND v.is_bot)"
)
DAY = "(h.at AT TIME ZONE %(zone)s)::date"
PER_DAY = (
    f"SELECT {DAY}, sum(1 + h.reloads)::bigint,"  # noqa: S608
    " count(DISTINCT h.member) FILTER (WHERE h.member <> %(anonymous)s)"
    " FROM clicktracker.hits h{join}"
    " WHERE h.at >= %(since)s::timestamp AT TIME ZONE %(zone)s"
    " AND h.at < %(until)s::timestamp AT TIME ZONE %(zone)s"
    # A hit's visit lasted until the hit at least: only the bot visits of
    # the period need looking at (the visits_last_hit index finds them).
    f" AND {NO_BOT[:-1]} AND v.last_hit >= %(since)s::timestamp AT TIME ZONE"
    " %(zone)s){where} GROUP BY 1"
)
UNDER = (
    " JOIN clicktracker.documents d ON d.id = h.document_id",
    " AND d.path >= %(prefix)s AND d.path < %(end)s"
    " AND (d.path = %(prefix)s OR d.path >= %(below)s)",
)
SITE_DAYS = (
    "SELECT day, views, readers FROM clicktracker.stats_days"
    " WHERE zone = %(zone)s AND day >= %(since)s AND day <= %(until)s"
)
STATUS = (
    "SELECT (SELECT as_of FROM clicktracker.stats_prepared WHERE zone = %(zone)s),"
    " (now() AT TIME ZONE %(zone)s)::date"
)
WINDOW = "s.zone = %(zone)s AND s.as_of = %(as_of)s AND s.days = %(days)s"
MOST_READ = (
    "SELECT d.path, d.uid, d.title, s.readers, s.views, s.median_seconds"  # noqa: S608
    " FROM clicktracker.stats_documents s"
    " JOIN clicktracker.documents d ON d.id = s.document_id"
    f" WHERE {WINDOW} ORDER BY s.readers DESC, s.views DESC, s.document_id"
    " LIMIT %(limit)s OFFSET %(offset)s"
)
COUNT = f"SELECT count(*) FROM clicktracker.stats_documents s WHERE {WINDOW}"  # noqa: S608
# A path's document rows (an item deleted and replaced by one of the same
# id) are summed, as the access log does; their median is the larger.
DOCUMENT_STATS = (
    "SELECT d.path, max(d.uid), max(d.title), sum(s.readers)::int,"  # noqa: S608
    " sum(s.views)::bigint, max(s.median_seconds)"
    " FROM clicktracker.documents d"
    " JOIN clicktracker.stats_documents s ON s.document_id = d.id"
    f" WHERE d.path = ANY(%(paths)s) AND {WINDOW} GROUP BY d.path ORDER BY d.path"
)
PREPARE = "SELECT clicktracker.prepare_stats(%(zone)s, {today})"


def clean_zone(zone):
    """An IANA time zone name PostgreSQL and Python both know; ValueError."""
    if not isinstance(zone, str) or not zone or len(zone) > 64:
        raise ValueError(f"zone must be a time zone name, got {zone!r}")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {zone!r}") from error
    return zone


def clean_days(since, until):
    for name, value in (("since", since), ("until", until)):
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise ValueError(f"{name} must be a date, got {value!r}")
    if not 0 <= (until - since).days < MAX_DAYS:
        raise ValueError(f"from {since} to {until}: 1 to {MAX_DAYS} days, please")
    return since, until


def clean_window(days):
    if days not in WINDOWS or isinstance(days, bool):
        raise ValueError(f"days must be one of {WINDOWS}, got {days!r}")
    return days


def every_day(since, until, found, missing=0):
    """DayViews of each day: ``found[day]`` (views, readers), or missing."""
    days = []
    day = since
    while day <= until:
        views, readers = found.get(day, (missing, missing))
        days.append(DayViews(day, views, readers))
        day += timedelta(days=1)
    return days


@implementer(IStatisticsStorage)
class Statistics:
    """Mixin of PostgresqlStorage (which supplies the pool, ``_read``,
    ``_connect`` and ``storage_error``)."""

    stats_timeout_ms = 1000  # a chart, on a pool connection: as a log page
    # Preparing the figures of a day reads a year of hits, on a connection
    # of its own (hits never wait for it).
    prepare_timeout_ms = 30 * 60 * 1000
    # False: the figures are prepared in the request that finds them old
    # (tests; a site whose figures a cron job prepares never waits either).
    prepare_in_background = True

    # -- views over time -------------------------------------------------------

    def views_per_day(self, prefix, since, until, zone):
        since, until = clean_days(since, until)
        params = {
            "zone": clean_zone(zone),
            "since": since,
            "until": until + timedelta(days=1),
            "anonymous": ANONYMOUS,
        }
        if prefix is None:
            return self._site_per_day(params, since, until)
        prefix = clean_path(prefix, "prefix").rstrip("/")
        params.update(prefix=prefix, below=prefix + "/", end=prefix + "0")
        sql = PER_DAY.format(join=UNDER[0], where=UNDER[1])
        rows = self._bounded(sql, params, "counting views per day")
        return every_day(since, until, {row[0]: row[1:] for row in rows})

    def _site_per_day(self, params, since, until):
        """The whole database: the prepared days, and the last one asked for
        (today) counted now; any other day not prepared yet is unknown."""
        params = dict(params, until=until)
        found = self._site_days(params)
        if len(found.keys() - {until}) < (until - since).days:
            self._prepare_soon(params["zone"])
            if not self.prepare_in_background:
                found = self._site_days(params)
        if until not in found:
            live = dict(params, since=until, until=until + timedelta(days=1))
            sql = PER_DAY.format(join="", where="")
            for row in self._bounded(sql, live, "counting today's views"):
                found[row[0]] = row[1:]
            found.setdefault(until, (0, 0))
        return every_day(since, until, found, missing=None)

    def _site_days(self, params):
        rows = self._read(SITE_DAYS, params, "reading views per day")
        return {row[0]: row[1:] for row in rows}

    def _bounded(self, sql, params, what):
        """The rows of ``sql`` in a read-only transaction of its own time
        limit; LogTooSlow when it is reached (the connection stays)."""
        self._require_dsn()
        timeout = self.stats_timeout_ms

        def work(cur):
            cur.execute("BEGIN READ ONLY")
            # No JIT: compiling costs more than these short reads take.
            cur.execute(
                "SELECT set_config('statement_timeout', %s, true),"
                " set_config('jit', 'off', true)",
                (str(timeout),),
            )
            try:
                cur.execute(sql, params)
                rows = cur.fetchall()
            except psycopg2.errors.QueryCanceled:
                cur.execute("ROLLBACK")
                return None
            cur.execute("COMMIT")
            return rows

        try:
            rows = self.pool.run(work, deadline=timeout / 1000 + 0.25)
        except psycopg2.DataError as error:
            raise ValueError(str(error)) from error
        except FAILURES as error:
            raise self.storage_error(f"{what} failed", error) from error
        if rows is None:
            raise LogTooSlow(
                "There are too many views here to count them in time: choose "
                "a shorter period or a folder further down."
            )
        return rows

    # -- the prepared figures ---------------------------------------------------

    def most_read(self, zone, days, offset=0, limit=50):
        params = {"zone": clean_zone(zone), "days": clean_window(days)}
        for name, value, least in (("offset", offset, 0), ("limit", limit, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        params.update(offset=offset, limit=limit)
        as_of = self._prepared(params)
        if as_of is None:
            return StatsPage([], 0, None)
        rows = self._read(MOST_READ, params, "reading the most read documents")
        total = self._read(COUNT, params, "counting the documents read")[0][0]
        return StatsPage([DocumentStats(*row) for row in rows], total, as_of)

    def document_stats(self, paths, zone, days):
        params = {
            "zone": clean_zone(zone),
            "days": clean_window(days),
            "paths": clean_paths(paths),
        }
        as_of = self._prepared(params)
        if as_of is None or not params["paths"]:
            return StatsPage([], 0, as_of)
        rows = self._read(DOCUMENT_STATS, params, "reading the documents' figures")
        return StatsPage([DocumentStats(*row) for row in rows], len(rows), as_of)

    def _prepared(self, params):
        """The day the zone's figures are prepared for (None: not yet);
        preparing them starts when that is before today."""
        as_of, today = self._read(STATUS, params, "reading the statistics")[0]
        if as_of is None or as_of < today:
            self._prepare_soon(params["zone"])
            if not self.prepare_in_background:
                as_of, today = self._read(STATUS, params, "reading the statistics")[0]
        params["as_of"] = as_of
        return as_of

    def prepare_statistics(self, zone, today=None):
        zone = clean_zone(zone)
        if today is not None:
            clean_days(today, today)
        sql = PREPARE.format(
            today="%(today)s" if today else "(now() AT TIME ZONE %(zone)s)::date"
        )
        # Its own connection: it may take long, and must not hold the pool's.
        conn = self._connect(self.prepare_timeout_ms)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql, {"zone": zone, "today": today})
                return bool(cur.fetchone()[0])
        except psycopg2.Error as error:
            what = "preparing the statistics failed"
            raise self.storage_error(what, error) from error
        finally:
            conn.close()

    def _prepare_soon(self, zone):
        """Prepare the figures of ``zone`` now, or in a thread (one per zone
        and storage at a time; the database lets one instance at a time)."""
        if not self.prepare_in_background:
            self.prepare_statistics(zone)
            return
        with _RUNNING:
            running = vars(self).setdefault("_preparing", set())
            if zone in running:
                return
            running.add(zone)
        thread = threading.Thread(
            target=self._prepare_quietly,
            args=(zone,),
            name=f"clicktracker-stats-{zone}",
            daemon=True,
        )
        thread.start()

    def _prepare_quietly(self, zone):
        try:
            self.prepare_statistics(zone)
        except Exception as error:  # noqa: BLE001 -- a thread has no caller
            logger.warning("Could not prepare the statistics: %s", error)
        finally:
            with _RUNNING:
                self._preparing.discard(zone)
