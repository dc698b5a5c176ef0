"""The paged access log on PostgreSQL: which query shape for which page,
each page bounded in time; and the download's rows from a server-side cursor.

``PostgresqlStorage.log_page`` and ``iter_log`` call ``read_page`` and
``iterate`` here; the SQL is in ``logqueries.py``. How a page is read
depends on how many rows lie under the prefix (an estimate: the documents
there, counted up to a cap, times the rows per document of the statistics):

- up to ``small_rows``: everything is read, counted and sorted (exact total);
- more, sorted by member, full name or document, or newest first: read in
  that order from an index, stopping after the page (the total is the
  estimate);
- more, sorted by anything else (views, first access, oldest first, url) or
  in a time window: every row must be read; tried on a connection of its
  own (hits never wait for it) when the estimate is at most
  ``max_sort_rows``, refused at once (``LogTooSlow``) beyond.

Every page runs in one read-only transaction with its own statement time
limit; a page that hits it raises ``LogTooSlow`` too, never hangs.

The reading filters (``min_seconds``, ``reached_end``) keep every choice
above: they change which rows pass, not how they are read. A page read in
index order at a large prefix then reads on until enough rows pass (a
selective filter may so run into the time limit: ``LogTooSlow``), and its
estimated total is the prefix's rows times the share of running totals
that pass (``matching``).
"""

from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.storage import logqueries as q
from slc.clicktracker.storage.rows import AccessRow
from slc.clicktracker.storage.rows import LogPage
import psycopg2.errors


# Documents counted exactly before the planner's estimate takes over.
DOCUMENT_CAP = 20_000
# Sorting by full name ranks every member in Python first.
MAX_RANKED_MEMBERS = 20_000
# How far back the newest-first page looks for recent readers, in turn.
RECENT_SECONDS = (3600, 86400, 7 * 86400, 31 * 86400)


class Limits:
    """The knobs, from the storage (attributes there, so tests can turn them)."""

    def __init__(self, storage):
        self.small_rows = storage.log_small_rows
        self.max_sort_rows = storage.log_max_sort_rows
        self.timeout_ms = storage.log_timeout_ms
        self.work_mem = storage.log_work_mem


def estimate(cur, spec):
    """Rows under ``spec``'s prefix (and window), estimated; 0 if unknown.

    The rows a page may have to read: the reading filters leave fewer to
    show, not fewer to read (see ``matching``).
    """
    params = dict(q.params(spec), cap=DOCUMENT_CAP)
    cur.execute(q.SIZE, params)
    documents, all_documents, access = cur.fetchone()
    if documents >= DOCUMENT_CAP:
        documents = max(documents, _planned(cur, q.estimate_documents_query(), params))
    if not all_documents or all_documents < 0:
        return 0  # never analysed: a new (hence small) database
    if q.windowed(spec):
        hits = _planned(cur, q.estimate_window_query(spec), params)
        return int(hits * min(documents / all_documents, 1.0))
    return int(max(access, 0) * documents / all_documents)


def matching(cur, spec, size):
    """Of the ``size`` rows estimated, how many pass the reading filters:
    ``size`` times the share of all running totals that pass them, by the
    planner's statistics (two look-ups, no rows read). ``size`` itself
    without filters."""
    if not q.filtered(spec) or not size:
        return size
    cur.execute(q.ACCESS_ROWS)
    (access,) = cur.fetchone()
    if not access or access <= 0:
        return size
    passing = _planned(cur, q.estimate_reading_query(spec), q.params(spec))
    return int(size * min(passing / access, 1.0))


def _planned(cur, explain, params):
    cur.execute(explain, params)
    return int(cur.fetchone()[0][0]["Plan"]["Plan Rows"])


def rank(members, fullnames):
    """``members`` ordered as the sort by full name wants them."""
    names = fullnames(list(members)) or {}
    return sorted(members, key=lambda m: ((names.get(m) or m).lower(), m))


def choose(spec, size, limits, exporting=False, recent=True):
    """(shape, exact, everything): how to read ``spec``.

    ``shape`` is a builder of logqueries; ``exact``: it counts every row (a
    ``total`` column); ``everything``: it reads every row under a prefix
    larger than ``small_rows``. ``recent``: the newest-first shape may be
    tried first (``read_recent``).

    :raises LogTooSlow: when that is more than ``max_sort_rows``.
    """
    small = size <= limits.small_rows
    newest_first = spec.sort_on == "lastaccess" and spec.reverse
    plain = not (q.windowed(spec) or spec.member or spec.document is not None)
    if recent and newest_first and plain and not small and not exporting:
        return q.recent_query, False, False
    if spec.document is not None or small:
        shape, exact = q.documents_query, True
    elif q.windowed(spec):
        shape, exact = q.window_query, True
    elif spec.member is not None:
        shape, exact = q.members_query, True
    elif spec.sort_on == "member":
        shape, exact = q.members_query, False
    elif spec.sort_on == "document":
        shape, exact = q.documents_query, False
    elif spec.sort_on == "fullname":
        shape, exact = q.ranked_query, False
    else:
        shape, exact = q.documents_query, True
    if q.windowed(spec) and shape is q.documents_query:
        shape = q.window_query
    everything = exact and not small and spec.document is None
    if everything and size > limits.max_sort_rows and not exporting:
        raise too_slow(size)
    return shape, exact, everything


def members(cur, spec, shape, small, exporting=False):
    """The members a sort by full name ranks: those under the prefix, or
    every member where finding those would read every row."""
    everybody = shape is q.ranked_query or (
        exporting and not small and not q.windowed(spec) and spec.member is None
    )
    if not everybody:
        cur.execute(q.distinct_members_query(spec), q.params(spec))
        return [row[0] for row in cur.fetchall()]
    cap = None if exporting else MAX_RANKED_MEMBERS
    cur.execute(q.ALL_MEMBERS, {"cap": cap + 1 if cap else None})
    found = [row[0] for row in cur.fetchall()]
    if cap and len(found) > cap:
        raise LogTooSlow(
            f"More than {cap:,} members have read something here: too many "
            "to sort by name. Choose a time window or another sort."
        )
    return found


def too_slow(rows):
    return LogTooSlow(
        "The access log cannot be read this way in time"
        + (f" (about {rows:,} rows)" if rows else "")
        + ": choose a time window or another sort.",
        rows=rows or None,
    )


# read_page's answers when the page must read every row of a large prefix
# (the caller asks again on a connection of its own), and when it needs
# these members' names to rank them (the caller looks them up, outside the
# pool's deadline, and asks again with ``spec.ranks``).
NEEDS_ALL = object()
Members = type("Members", (list,), {})


def read_page(cur, spec, offset, limit, limits, own_connection=False):
    """``LogPage`` for ``spec``, read in one bounded, read-only transaction.

    On a pool connection (hits wait for those) a page that must read every
    row of a large prefix is not tried: NEEDS_ALL is returned instead.

    :returns: a LogPage, NEEDS_ALL, Members, or a LogTooSlow to raise
        (returned, so that the connection stays usable).
    """
    cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    # set_config: the values are parameters, not SQL text.
    cur.execute(
        "SELECT set_config('statement_timeout', %s, true),"
        " set_config('work_mem', %s, true)",
        (str(int(limits.timeout_ms)), limits.work_mem),
    )
    size = None
    try:
        size = estimate(cur, spec)
        shape, exact, everything = choose(spec, size, limits, recent=not own_connection)
        if everything and not own_connection:
            cur.execute("ROLLBACK")
            return NEEDS_ALL
        if spec.sort_on == "fullname" and spec.ranks is None:
            found = Members(members(cur, spec, shape, size <= limits.small_rows))
            cur.execute("ROLLBACK")
            return found
        params = q.params(spec, limit, offset)
        if shape is q.recent_query:
            found = read_recent(cur, spec, params)
            if found is None:  # nobody read enough lately: sort everything
                shape, exact, everything = choose(spec, size, limits, recent=False)
                if not own_connection:
                    cur.execute("ROLLBACK")
                    return NEEDS_ALL
        if shape is not q.recent_query:
            cur.execute(shape(spec, total=exact), params)
            found = cur.fetchall()
        rows = [AccessRow(*row[:12]) for row in found]
        if exact:
            total = found[0][-1] if found else None
            if total is None:
                # Past the end: the page cannot say how many there are.
                cur.execute(q.count_query(spec), params)
                total = cur.fetchone()[0]
        elif len(rows) < limit and (rows or not offset):
            total, exact = offset + len(rows), True
        else:
            # An estimate, but never fewer than the rows seen so far.
            shown = matching(cur, spec, size)
            total = max(shown, offset + len(rows) + (len(rows) == limit))
    except psycopg2.errors.QueryCanceled:
        cur.execute("ROLLBACK")
        return too_slow(size)
    except LogTooSlow as refused:
        cur.execute("ROLLBACK")
        return refused
    cur.execute("COMMIT")
    return LogPage(rows, total, exact)


def read_recent(cur, spec, params):
    """The newest-first page from the rows read lately, or None.

    Looks back an hour, a day, a week, a month, until the page is full; a
    row read before the look-back cannot outrank a full page read after
    it. None when the page stays short, or the raw hits do not reach back
    that far (purged), so that the rows could be incomplete.
    """
    cur.execute(q.OLDEST_HIT)
    oldest = cur.fetchone()[0]
    for seconds in RECENT_SECONDS:
        cur.execute(q.RECENT, (seconds,))
        params["recent"] = cur.fetchone()[0]
        if oldest is None or oldest > params["recent"]:
            return None
        cur.execute(q.recent_query(spec), params)
        found = cur.fetchall()
        if len(found) == params["limit"]:
            return found
    return None


def iterate(connect, spec, fullnames, batch_size, limits, storage_error):
    """The generator behind ``iter_log``; ``connect()`` gives its connection."""
    conn = connect()
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('work_mem', %s, true)", (limits.work_mem,))
            size = estimate(cur, spec)
            shape, _exact, _everything = choose(spec, size, limits, exporting=True)
            if fullnames is not None:
                # A download names every member, whatever its order.
                small = size <= limits.small_rows
                found = members(cur, spec, shape, small, exporting=True)
                spec = spec._replace(ranks=rank(found, fullnames))
        # Server-side: the rows come batch_size at a time, never all at once.
        with conn.cursor(name="clicktracker_log") as cur:
            cur.itersize = batch_size
            cur.execute(shape(spec, limit=False), q.params(spec))
            for row in cur:
                yield AccessRow(*row[:12])
        conn.rollback()  # read only: nothing to keep
    except psycopg2.Error as error:
        raise storage_error("reading the access log failed", error) from error
    finally:
        conn.close()
