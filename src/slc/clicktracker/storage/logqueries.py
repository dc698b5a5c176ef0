"""The SQL of the paged access log (``IAccessLogStorage``), by query shape.

``queries.py`` keeps the statements of everything else; these are built
from a ``LogSpec`` because one page can be asked for in many ways (two
groupings, eight sorts, filters, a time window) and each needs the shape
that lets PostgreSQL stop after one page. ``logpages.py`` picks the shape;
docs/storage.rst ("The paged access log") has the measurements.

The reading filters (``min_seconds``, ``reached_end``) are tests on what a
row sums (HAVING where the shape groups, WHERE where it does not), so every
shape reads in the same order with them as without them; only more rows
may pass before LIMIT stops it. A page per document that neither
filters nor sorts by reading time is today's SQL, its rows' reading time
looked up after LIMIT (``later``): two more aggregates over every row of a
small prefix cost a tenth more than the page itself, fifty index look-ups
next to nothing.

Every shape returns the columns of ``rows.AccessRow`` in that order, then
(``total=True``) the number of rows before LIMIT.

Longer than 300 lines on purpose: each shape's SQL, with why it is fast,
side by side, so that they stay alike (same columns, same order).
"""

from collections import namedtuple


PER = ("document", "url")
SORTS = (
    "member",
    "fullname",
    "document",
    "url",
    "count",
    "seconds",
    "firstaccess",
    "lastaccess",
)

# What a page is of; built and checked by logpages.make_spec().
LogSpec = namedtuple(
    "LogSpec",
    "prefix per sort_on reverse since until member document min_seconds reached_end"
    " ranks",
    defaults=(None, None, None),
)

# The leading sort keys; every order ends with the tie-breakers below, so it
# is total and a page boundary never shuffles rows.
LEADING = {
    "member": ("member",),
    "fullname": ("rank",),
    "document": ("title", "path", "document_id"),
    "url": ("url",),
    "count": ("count",),
    # Unknown reading time (NULL) last in both directions: see order_by.
    "seconds": ("seconds",),
    "firstaccess": ("firstaccess",),
    "lastaccess": ("lastaccess",),
}

COLUMNS = (
    "member, count, firstaccess, lastaccess, document_id, path, uid, title, url, urls,"
    " seconds, reached_end"
)

DOCUMENTS = "clicktracker.documents d"
# '0' is the character after '/': [prefix, prefix + '0') is one range of
# the path index; the last test drops siblings such as prefix + '-x'.
IN_PREFIX = (
    "d.path >= %(prefix)s AND d.path < %(end)s "
    "AND (d.path = %(prefix)s OR d.path >= %(below)s)"
)
# A bot's hits are kept for its clickstream, not counted as reads. NOT
# EXISTS alone (NULL matches no visit) lets PostgreSQL plan an anti-join.
NO_BOTS = (
    "NOT EXISTS (SELECT 1 FROM clicktracker.visits v "
    "WHERE v.id = h.visit_id AND v.is_bot)"
)


def params(spec, limit=None, offset=0):
    prefix = spec.prefix.rstrip("/")  # '/' becomes '': everything
    return {
        "prefix": prefix,
        "below": prefix + "/",
        "end": prefix + "0",
        "since": spec.since,
        "until": spec.until,
        "member": spec.member,
        "document": spec.document,
        "members": list(spec.ranks or ()),
        "min_seconds": spec.min_seconds,
        "limit": limit,
        "offset": offset,
    }


def order_by(spec):
    keys = list(LEADING[spec.sort_on])
    for key in ("member", "path", "document_id", "url"):
        if key == "url" and spec.per != "url":
            continue
        if key not in keys:
            keys.append(key)
    direction = " DESC" if spec.reverse else ""
    # NULLS LAST: rows whose reading time is unknown come after the known
    # ones, read longest or shortest first alike (the order stays total).
    return ", ".join(
        key + direction + (" NULLS LAST" if key == "seconds" else "") for key in keys
    )


def _where_documents(spec):
    document = " AND d.id = %(document)s" if spec.document is not None else ""
    return IN_PREFIX + document


def _member(alias, spec):
    return f" AND {alias}.member = %(member)s" if spec.member is not None else ""


def windowed(spec):
    """Whether ``spec`` asks for a time window."""
    return spec.since is not None or spec.until is not None


def filtered(spec):
    """Whether ``spec`` asks for reading time or the end reached."""
    return spec.min_seconds is not None or bool(spec.reached_end)


def _reading(spec, seconds, reached_end, keyword):
    """The reading filters on the expressions given, after ``keyword``
    (" HAVING " for a grouped shape, " AND " otherwise); '' without them.
    NULL (unknown) passes neither test."""
    tests = []
    if spec.min_seconds is not None:
        tests.append(f"{seconds} >= %(min_seconds)s")
    if spec.reached_end:
        tests.append(reached_end)
    return keyword + " AND ".join(tests) if tests else ""


def _summed(spec):
    """HAVING of the shapes that sum a member's rows of a document."""
    return _reading(spec, "sum(a.seconds)", "bool_or(a.reached_end)", " HAVING ")


def _plain(spec, alias="a"):
    """The same tests on one row of the running totals (per URL)."""
    return _reading(spec, f"{alias}.seconds", f"{alias}.reached_end", " AND ")


def _window(spec):
    return "".join(
        (
            " AND h.at >= %(since)s" if spec.since is not None else "",
            " AND h.at < %(until)s" if spec.until is not None else "",
        )
    )


def _ranks(spec, member):
    """Join the caller's member order (sort by full name); '' otherwise."""
    if spec.sort_on != "fullname":
        return "", ""
    return (
        ", n.rank",
        " LEFT JOIN unnest(%(members)s::text[]) WITH ORDINALITY AS n(member, rank)"
        f" ON n.member = {member}",
    )


def _tail(spec, limit, total=False, order=True):
    over = ", count(*) OVER () AS total" if total else ""
    tail = f" ORDER BY {order_by(spec)}" if order else ""
    if limit:
        tail += " LIMIT %(limit)s OFFSET %(offset)s"
    return over, tail


def lazy(spec, limit):
    """Whether a page's reading time is looked up for its rows only, after
    LIMIT (``later``): for a page per document (per URL the figures are two
    more columns of rows read anyway, nothing to sum) that neither filters
    nor sorts by it, outside a time window (whose figures are the window's
    hits'); never for the download, which would look up every row."""
    return (
        bool(limit)
        and spec.per == "document"
        and not (filtered(spec) or windowed(spec) or spec.sort_on == "seconds")
    )


def later(spec, page, total=False):
    """``page`` (a shape's SQL without the reading columns, per document)
    with its rows' reading time: per row one look-up of the access_key
    index, then the page's order again (a join is not bound to keep it)."""
    rank = ", p.rank" if spec.sort_on == "fullname" else ""
    over = ", p.total" if total else ""
    return (
        "SELECT p.member, p.count, p.firstaccess, p.lastaccess, p.document_id,"  # noqa: S608
        " p.path, p.uid, p.title, p.url, p.urls, x.seconds, x.reached_end"
        f"{rank}{over} FROM ({page}) p CROSS JOIN LATERAL (SELECT"
        " sum(a.seconds)::bigint AS seconds, bool_or(a.reached_end) AS reached_end"
        " FROM clicktracker.access a WHERE a.document_id = p.document_id"
        f" AND a.member = p.member) x ORDER BY {order_by(spec)}"
    )


def _totals(spec, where, reading=True):
    """A document's rows of the running totals that ``where`` picks: one per
    member (its addresses summed) or per URL, with the reading filters;
    ``reading``: with the reading columns."""
    if spec.per == "document":
        columns = (
            ", sum(a.seconds)::bigint AS seconds, bool_or(a.reached_end) AS reached_end"
            if reading
            else ""
        )
        return (
            "SELECT a.member, NULL::text AS url, sum(a.count)::bigint AS count,"  # noqa: S608
            " min(a.firstaccess) AS firstaccess, max(a.lastaccess) AS lastaccess,"
            f" count(*)::int AS urls{columns} FROM clicktracker.access a"
            f" WHERE {where} GROUP BY a.member{_summed(spec)}"
        )
    columns = ", a.seconds, a.reached_end" if reading else ""
    return (
        "SELECT a.member, a.url, a.count, a.firstaccess, a.lastaccess,"  # noqa: S608
        f" 1 AS urls{columns} FROM clicktracker.access a"
        f" WHERE {where}{_plain(spec)}"
    )


def documents_query(spec, limit=True, total=False, order=True):
    """Per document under the prefix, its rows from the running totals.

    The shape for small prefixes (everything is read, counted and sorted),
    and for the sort by document at any prefix: documents come in title
    order from their index and each brings its own rows, so LIMIT stops
    after the first few documents.
    """
    late = lazy(spec, limit)
    inner = _totals(spec, f"a.document_id = d.id{_member('a', spec)}", not late)
    rank_column, rank_join = _ranks(spec, "r.member")
    over, tail = _tail(spec, limit, total, order)
    sql = (
        "SELECT r.member, r.count, r.firstaccess, r.lastaccess,"  # noqa: S608
        " d.id AS document_id, d.path, d.uid, d.title, r.url, r.urls"
        f"{'' if late else ', r.seconds, r.reached_end'}{rank_column}{over}"
        f" FROM {DOCUMENTS} CROSS JOIN LATERAL ({inner}) r{rank_join}"
        f" WHERE {_where_documents(spec)}{tail}"
    )
    return later(spec, sql, total) if late else sql


def members_query(spec, limit=True, total=False, order=True, of_rank=False):
    """Rows in member order from the access_member index (the default sort).

    At a large prefix the first page is the first member's rows: read in
    index order, checked against the prefix, and LIMIT stops there.
    ``of_rank``: only the rows of the member ``n.member`` of an outer query,
    unsorted (``ranked_query``).
    """
    late = lazy(spec, limit)
    if spec.per == "document":
        select = (
            "a.member, sum(a.count)::bigint AS count,"
            " min(a.firstaccess) AS firstaccess, max(a.lastaccess) AS lastaccess,"
            " d.id AS document_id, d.path, d.uid, d.title, NULL::text AS url,"
            " count(*)::int AS urls"
        )
        reading = (
            ", sum(a.seconds)::bigint AS seconds, bool_or(a.reached_end) AS reached_end"
        )
        group = " GROUP BY a.member, d.id" + _summed(spec)
    else:
        select = (
            "a.member, a.count, a.firstaccess, a.lastaccess, d.id AS document_id,"
            " d.path, d.uid, d.title, a.url, 1 AS urls"
        )
        reading = ", a.seconds, a.reached_end"
        group = _plain(spec)
    outer = " AND a.member = n.member" if of_rank else ""
    over, tail = _tail(spec, limit and not of_rank, total, order and not of_rank)
    sql = (
        f"SELECT {select}{'' if late else reading}{over}"  # noqa: S608
        f" FROM clicktracker.access a JOIN {DOCUMENTS} ON d.id = a.document_id"
        f" WHERE {_where_documents(spec)}{_member('a', spec)}{outer}{group}{tail}"
    )
    # Of a rank: the rows inside ranked_query, which adds the figures.
    return later(spec, sql, total) if late and not of_rank else sql


def ranked_query(spec, limit=True, total=False):
    """Rows in the caller's member order (by full name) at a large prefix.

    The members come sorted (a small array, sorted on its own so that the
    plan knows the order) and each brings its rows through the member
    index: the first page needs only the first few members. Never counts
    (``total`` is accepted for a uniform call).
    """
    late = lazy(spec, limit)
    inner = members_query(spec, limit=limit, of_rank=True)
    _over, tail = _tail(spec, limit)
    sql = (
        "SELECT r.member, r.count, r.firstaccess, r.lastaccess, r.document_id,"  # noqa: S608
        " r.path, r.uid, r.title, r.url, r.urls"
        f"{'' if late else ', r.seconds, r.reached_end'}, n.rank"
        " FROM (SELECT u.member, u.rank FROM unnest(%(members)s::text[])"
        " WITH ORDINALITY AS u(member, rank)"
        f" ORDER BY u.rank{' DESC' if spec.reverse else ''}) n"
        f" CROSS JOIN LATERAL ({inner}) r{tail}"
    )
    return later(spec, sql) if late else sql


def window_query(spec, limit=True, total=False, order=True):
    """Rows counted from the raw hits of the time window.

    Small prefixes go through the hits' (document_id, at) index; a short
    window of a large prefix through the BRIN index on ``at``.
    """
    group = "h.member, d.id" if spec.per == "document" else "h.member, d.id, h.url"
    url = "NULL::text" if spec.per == "document" else "h.url"
    urls = "count(DISTINCT h.url)::int" if spec.per == "document" else "1"
    rank_column, rank_join = _ranks(spec, "h.member")
    over, tail = _tail(spec, limit, total, order)
    # The reading time of the window's clicks, as the views are theirs.
    having = _reading(spec, "sum(h.seconds)", "bool_or(h.reached_end)", " HAVING ")
    return (
        "SELECT h.member, sum(1 + h.reloads)::bigint AS count,"  # noqa: S608
        " min(h.at) AS firstaccess, max(h.at) AS lastaccess, d.id AS document_id,"
        f" d.path, d.uid, d.title, {url} AS url, {urls} AS urls,"
        " sum(h.seconds)::bigint AS seconds, bool_or(h.reached_end) AS reached_end"
        f"{rank_column}{over}"
        f" FROM clicktracker.hits h JOIN {DOCUMENTS} ON d.id = h.document_id"
        f"{rank_join} WHERE {_hits_where(spec)} GROUP BY {group}{rank_column}"
        f"{having}{tail}"
    )


def _hits_where(spec):
    return f"{_where_documents(spec)}{_member('h', spec)}{_window(spec)} AND {NO_BOTS}"


def recent_query(spec, limit=True, total=False):
    """Rows last read at or after ``%(recent)s``, newest first, at a large
    prefix (``logpages.read_page`` widens ``recent`` until a page is full).

    A row's last view is a raw hit at that time, or a reload counted on an
    earlier click of a visit whose last hit is then: so the members and
    documents of those hits (BRIN index on ``at``, index on the visits'
    last hit) are all the rows that can qualify, and each brings its own
    totals. Never counts (``total`` is accepted for a uniform call).
    """
    late = lazy(spec, limit)
    where = "a.document_id = c.document_id AND a.member = c.member"
    inner = _totals(spec, where, not late)
    _over, tail = _tail(spec, limit)
    sql = (
        "SELECT r.member, r.count, r.firstaccess, r.lastaccess,"  # noqa: S608
        " d.id AS document_id, d.path, d.uid, d.title, r.url, r.urls"
        f"{'' if late else ', r.seconds, r.reached_end'}"
        " FROM (SELECT h.document_id, h.member"
        " FROM clicktracker.hits h WHERE h.at >= %(recent)s"
        " UNION SELECT h.document_id, h.member"
        " FROM clicktracker.hits h WHERE h.visit_id IN (SELECT v.id"
        " FROM clicktracker.visits v WHERE v.last_hit >= %(recent)s)) c"
        f" JOIN {DOCUMENTS} ON d.id = c.document_id"
        f" CROSS JOIN LATERAL ({inner}) r"
        f" WHERE {_where_documents(spec)} AND r.lastaccess >= %(recent)s{tail}"
    )
    return later(spec, sql) if late else sql


# How far back the raw hits reach (purged before that): recent_query can
# only find rows whose last view is still there. The oldest of the first
# ids, not min(at), which would read the whole table.
OLDEST_HIT = (
    "SELECT min(at) FROM (SELECT at FROM clicktracker.hits ORDER BY id LIMIT 1000) x"
)
RECENT = "SELECT now() - make_interval(secs => %s)"


def distinct_members_query(spec):
    """The members with rows for ``spec`` (to sort them by full name)."""
    if spec.since is not None or spec.until is not None:
        return (
            "SELECT DISTINCT h.member FROM clicktracker.hits h"  # noqa: S608
            f" JOIN {DOCUMENTS} ON d.id = h.document_id WHERE {_hits_where(spec)}"
        )
    return (
        "SELECT DISTINCT a.member FROM clicktracker.access a"  # noqa: S608
        f" JOIN {DOCUMENTS} ON d.id = a.document_id"
        f" WHERE {_where_documents(spec)}{_member('a', spec)}"
    )


def count_query(spec):
    """How many rows ``spec`` has, when the page itself did not say."""
    spec = spec._replace(sort_on="member")  # no ranks needed to count
    if spec.since is not None or spec.until is not None:
        inner = window_query(spec, limit=False, total=False, order=False)
    elif spec.member is not None:
        inner = members_query(spec, limit=False, order=False)
    else:
        inner = documents_query(spec, limit=False, total=False, order=False)
    return f"SELECT count(*) FROM ({inner}) x"  # noqa: S608


# Every member with any row, from the member index one jump at a time
# (PostgreSQL has no skip scan): a few ms for thousands of members, where
# a DISTINCT over ten million rows takes seconds. A superset of the members
# under a prefix, which is all a sort by full name needs.
ALL_MEMBERS = (
    "WITH RECURSIVE m AS ("
    "(SELECT member FROM clicktracker.access ORDER BY member LIMIT 1)"
    " UNION ALL SELECT (SELECT a.member FROM clicktracker.access a"
    " WHERE a.member > m.member ORDER BY a.member LIMIT 1)"
    " FROM m WHERE m.member IS NOT NULL)"
    " SELECT member FROM m WHERE member IS NOT NULL LIMIT %(cap)s"
)

# How many documents are under the prefix (counted up to a cap), and the
# statistics that turn it into an estimate of the rows there.
SIZE = (
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM clicktracker.documents d"  # noqa: S608
    f" WHERE {IN_PREFIX} LIMIT %(cap)s) x),"
    " (SELECT reltuples FROM pg_class"
    " WHERE oid = 'clicktracker.documents'::regclass),"
    " (SELECT reltuples FROM pg_class WHERE oid = 'clicktracker.access'::regclass)"
)


def estimate_documents_query():
    """The planner's count of documents under the prefix (beyond the cap)."""
    return f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {DOCUMENTS} WHERE {IN_PREFIX}"  # noqa: S608


def estimate_reading_query(spec):
    """The planner's count of running totals, in the whole site, that pass
    the reading filters (each row on its own: close enough for "about")."""
    return (
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM clicktracker.access a"  # noqa: S608
        f" WHERE true{_plain(spec)}"
    )


ACCESS_ROWS = (
    "SELECT reltuples FROM pg_class WHERE oid = 'clicktracker.access'::regclass"
)


def estimate_window_query(spec):
    """The planner's count of raw hits in the window, in the whole site."""
    return (
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM clicktracker.hits h"  # noqa: S608
        f" WHERE true{_window(spec)}"
    )
