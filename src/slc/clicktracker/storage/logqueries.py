"""The SQL of the paged access log (``IAccessLogStorage``), by query shape.

``queries.py`` keeps the statements of everything else; these are built
from a ``LogSpec`` because one page can be asked for in many ways (two
groupings, seven sorts, filters, a time window) and each needs the shape
that lets PostgreSQL stop after one page. ``logpages.py`` picks the shape;
docs/storage.rst ("The paged access log") has the measurements.

Every shape returns the columns of ``rows.AccessRow`` in that order, then
(``total=True``) the number of rows before LIMIT.

Longer than 300 lines on purpose: each shape's SQL, with why it is fast,
side by side, so that they stay alike (same columns, same order).
"""

from collections import namedtuple


PER = ("document", "url")
SORTS = ("member", "fullname", "document", "url", "count", "firstaccess", "lastaccess")

# What a page is of; built and checked by logpages.make_spec().
LogSpec = namedtuple(
    "LogSpec",
    "prefix per sort_on reverse since until member document ranks",
    defaults=(None,),
)

# The leading sort keys; every order ends with the tie-breakers below, so it
# is total and a page boundary never shuffles rows.
LEADING = {
    "member": ("member",),
    "fullname": ("rank",),
    "document": ("title", "path", "document_id"),
    "url": ("url",),
    "count": ("count",),
    "firstaccess": ("firstaccess",),
    "lastaccess": ("lastaccess",),
}

COLUMNS = (
    "member, count, firstaccess, lastaccess, document_id, path, uid, title, url, urls"
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
    return ", ".join(key + direction for key in keys)


def _where_documents(spec):
    document = " AND d.id = %(document)s" if spec.document is not None else ""
    return IN_PREFIX + document


def _member(alias, spec):
    return f" AND {alias}.member = %(member)s" if spec.member is not None else ""


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


def documents_query(spec, limit=True, total=False, order=True):
    """Per document under the prefix, its rows from the running totals.

    The shape for small prefixes (everything is read, counted and sorted),
    and for the sort by document at any prefix: documents come in title
    order from their index and each brings its own rows, so LIMIT stops
    after the first few documents.
    """
    if spec.per == "document":
        inner = (
            "SELECT a.member, NULL::text AS url, sum(a.count)::bigint AS count,"  # noqa: S608
            " min(a.firstaccess) AS firstaccess, max(a.lastaccess) AS lastaccess,"
            " count(*)::int AS urls FROM clicktracker.access a"
            f" WHERE a.document_id = d.id{_member('a', spec)} GROUP BY a.member"
        )
    else:
        inner = (
            "SELECT a.member, a.url, a.count, a.firstaccess, a.lastaccess,"  # noqa: S608
            " 1 AS urls FROM clicktracker.access a"
            f" WHERE a.document_id = d.id{_member('a', spec)}"
        )
    rank_column, rank_join = _ranks(spec, "r.member")
    over, tail = _tail(spec, limit, total, order)
    return (
        "SELECT r.member, r.count, r.firstaccess, r.lastaccess,"  # noqa: S608
        " d.id AS document_id, d.path, d.uid, d.title, r.url, r.urls"
        f"{rank_column}{over}"
        f" FROM {DOCUMENTS} CROSS JOIN LATERAL ({inner}) r{rank_join}"
        f" WHERE {_where_documents(spec)}{tail}"
    )


def members_query(spec, limit=True, total=False, order=True, of_rank=False):
    """Rows in member order from the access_member index (the default sort).

    At a large prefix the first page is the first member's rows: read in
    index order, checked against the prefix, and LIMIT stops there.
    ``of_rank``: only the rows of the member ``n.member`` of an outer query,
    unsorted (``ranked_query``).
    """
    if spec.per == "document":
        select = (
            "a.member, sum(a.count)::bigint AS count,"
            " min(a.firstaccess) AS firstaccess, max(a.lastaccess) AS lastaccess,"
            " d.id AS document_id, d.path, d.uid, d.title, NULL::text AS url,"
            " count(*)::int AS urls"
        )
        group = " GROUP BY a.member, d.id"
    else:
        select = (
            "a.member, a.count, a.firstaccess, a.lastaccess, d.id AS document_id,"
            " d.path, d.uid, d.title, a.url, 1 AS urls"
        )
        group = ""
    outer = " AND a.member = n.member" if of_rank else ""
    over, tail = _tail(spec, limit and not of_rank, total, order and not of_rank)
    return (
        f"SELECT {select}{over} FROM clicktracker.access a"  # noqa: S608
        f" JOIN {DOCUMENTS} ON d.id = a.document_id"
        f" WHERE {_where_documents(spec)}{_member('a', spec)}{outer}{group}{tail}"
    )


def ranked_query(spec, limit=True, total=False):
    """Rows in the caller's member order (by full name) at a large prefix.

    The members come sorted (a small array, sorted on its own so that the
    plan knows the order) and each brings its rows through the member
    index: the first page needs only the first few members. Never counts
    (``total`` is accepted for a uniform call).
    """
    inner = members_query(spec, of_rank=True)
    _over, tail = _tail(spec, limit)
    return (
        "SELECT r.member, r.count, r.firstaccess, r.lastaccess, r.document_id,"  # noqa: S608
        " r.path, r.uid, r.title, r.url, r.urls, n.rank"
        " FROM (SELECT u.member, u.rank FROM unnest(%(members)s::text[])"
        " WITH ORDINALITY AS u(member, rank)"
        f" ORDER BY u.rank{' DESC' if spec.reverse else ''}) n"
        f" CROSS JOIN LATERAL ({inner}) r{tail}"
    )


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
    return (
        "SELECT h.member, sum(1 + h.reloads)::bigint AS count,"  # noqa: S608
        " min(h.at) AS firstaccess, max(h.at) AS lastaccess, d.id AS document_id,"
        f" d.path, d.uid, d.title, {url} AS url, {urls} AS urls{rank_column}{over}"
        f" FROM clicktracker.hits h JOIN {DOCUMENTS} ON d.id = h.document_id"
        f"{rank_join} WHERE {_hits_where(spec)} GROUP BY {group}{rank_column}{tail}"
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
    if spec.per == "document":
        inner = (
            "SELECT a.member, NULL::text AS url, sum(a.count)::bigint AS count,"  # noqa: S608
            " min(a.firstaccess) AS firstaccess, max(a.lastaccess) AS lastaccess,"
            " count(*)::int AS urls FROM clicktracker.access a"
            " WHERE a.document_id = c.document_id AND a.member = c.member"
            " GROUP BY a.member"
        )
    else:
        inner = (
            "SELECT a.member, a.url, a.count, a.firstaccess, a.lastaccess,"  # noqa: S608
            " 1 AS urls FROM clicktracker.access a"
            " WHERE a.document_id = c.document_id AND a.member = c.member"
        )
    _over, tail = _tail(spec, limit)
    return (
        "SELECT r.member, r.count, r.firstaccess, r.lastaccess,"  # noqa: S608
        " d.id AS document_id, d.path, d.uid, d.title, r.url, r.urls"
        " FROM (SELECT h.document_id, h.member FROM clicktracker.hits h"
        " WHERE h.at >= %(recent)s UNION SELECT h.document_id, h.member"
        " FROM clicktracker.hits h WHERE h.visit_id IN (SELECT v.id"
        " FROM clicktracker.visits v WHERE v.last_hit >= %(recent)s)) c"
        f" JOIN {DOCUMENTS} ON d.id = c.document_id"
        f" CROSS JOIN LATERAL ({inner}) r"
        f" WHERE {_where_documents(spec)} AND r.lastaccess >= %(recent)s{tail}"
    )


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


def estimate_window_query(spec):
    """The planner's count of raw hits in the window, in the whole site."""
    return (
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM clicktracker.hits h"  # noqa: S608
        f" WHERE true{_window(spec)}"
    )
