"""Every SQL statement the Python side sends, with the parameters it takes.

The table and function definitions themselves are in ``sql/`` (migrations
for tables, ``db.sql`` for functions); this module only calls them.
"""

from slc.clicktracker.storage.hits import clean_path
from slc.clicktracker.storage.hits import clean_when
from slc.clicktracker.storage.hits import is_visit_hit


# First schema version that has visits.
VISITS_VERSION = 2

# -- writing hits ---------------------------------------------------------------

LOG_HIT = "SELECT clicktracker.log_hit(%s, %s, %s, %s, %s, %s, %s, %s)"

LOG_VISIT = (
    "SELECT visit_id, started, ended, reload, duplicate "
    "FROM clicktracker.log_visit_hit("
    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def hit_params(hit):
    return (
        hit.member,
        hit.path,
        hit.url,
        hit.uid,
        hit.referrer,
        hit.title,
        hit.at,
        hit.hit_id,
    )


def visit_params(hit):
    return (
        hit.visit_id,
        hit.new_visit_id,
        hit.member,
        hit.path,
        hit.url,
        hit.uid,
        hit.referrer,
        hit.title,
        hit.at,
        hit.user_agent,
        bool(hit.is_bot),
        hit.idle_timeout,
        hit.max_age,
        hit.hit_id,
    )


def write_params(hit):
    """The statement that stores ``hit`` and its parameters."""
    if is_visit_hit(hit):
        return LOG_VISIT, visit_params(hit)
    return LOG_HIT, hit_params(hit)


MOVE_PATHS = "SELECT clicktracker.move_paths(%s, %s)"

# -- the access log -------------------------------------------------------------

ORDERS = {
    "member": ("member", "url"),
    "url": ("url", "member"),
    "count": ("count", "member", "url"),
    "lastaccess": ("lastaccess", "member", "url"),
}


def log_query(prefix, order_by=None, order_reverse=False, since=None, until=None):
    """SQL and parameters of getLog(); public so tests can EXPLAIN it.

    :raises ValueError: for an unknown order or a bad prefix or window.
    """
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
        count, first, last = "sum(a.count)", "min(a.firstaccess)", "max(a.lastaccess)"
        recent = "a.lastaccess"
        window = ""
    else:
        source = "clicktracker.hits a"
        # A reload is counted on the click it repeated (schema 2).
        count, first, last = "sum(1 + a.reloads)", "min(a.at)", "max(a.at)"
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
        f"SELECT a.member AS member, {count}::bigint AS count, "  # noqa: S608
        f"{last} AS lastaccess, a.url AS url, {first} AS firstaccess, "
        f"(array_agg(d.path ORDER BY {pick}))[1] AS path, "
        f"(array_agg(d.uid ORDER BY {pick}))[1] AS uid "
        f"FROM clicktracker.documents d JOIN {source} ON a.document_id = d.id "
        "WHERE d.path >= %(prefix)s AND d.path < %(end)s "
        "AND (d.path = %(prefix)s OR d.path >= %(below)s)"
        f"{window} GROUP BY a.member, a.url ORDER BY {order}"
    )
    return sql, params


# -- the readers report -----------------------------------------------------------


def clean_paths(paths):
    """``paths`` as a sorted list of distinct cleaned paths.

    :param paths: an iterable of paths (str or ``getPhysicalPath()`` tuple),
        or one path alone: a str, or a tuple that starts with the root's
        empty id as physical paths do.
    :raises ValueError: for a relative or empty path.
    """
    if isinstance(paths, str) or (
        isinstance(paths, (tuple, list)) and paths and paths[0] == ""
    ):
        paths = [paths]
    return sorted({clean_path(path) for path in paths})


def read_status_query(paths, members=None):
    """SQL and parameters of read_status(); public so tests can EXPLAIN it.

    :param paths: cleaned paths (``clean_paths``).
    :param members: cleaned member ids (a list) or None for every member.
    """
    # The access totals hold no bot's views (db.sql: count_view). Documents
    # of one path (an object deleted and replaced by another of the same id
    # leaves its old one there) are summed, as getLog does.
    # access_key (document_id, member, ...) finds a document's rows, also
    # those of the members asked for.
    only = " AND a.member = ANY(%(members)s)" if members is not None else ""
    # Counted as read when opened: read at the first view.
    sql = (
        "SELECT d.path, a.member, min(a.firstaccess), max(a.lastaccess), "  # noqa: S608
        "sum(a.count)::bigint, sum(a.seconds)::bigint, bool_or(a.reached_end), "
        "min(a.firstaccess) "
        "FROM clicktracker.documents d "
        "JOIN clicktracker.access a ON a.document_id = d.id "
        f"WHERE d.path = ANY(%(paths)s){only} "
        "GROUP BY d.path, a.member ORDER BY d.path, a.member"
    )
    return sql, {"paths": list(paths), "members": members}


# -- visits and clickstreams ----------------------------------------------------

VISIT_COLUMNS = (
    "id, member, started, last_hit, hits, reloads, initial_referrer, user_agent, is_bot"
)

GET_VISIT = f"SELECT {VISIT_COLUMNS} FROM clicktracker.visits WHERE id = %s"  # noqa: S608

# The columns of rows.ClickRow; the reading figures NULL (None) when unknown.
CLICKSTREAM = (
    "SELECT h.at, h.url, d.path, d.title, h.reloads, h.seconds, h.depth,"
    " h.reached_end "
    "FROM clicktracker.hits h JOIN clicktracker.documents d ON d.id = h.document_id "
    "WHERE h.visit_id = %s ORDER BY h.at, h.id"
)


def visits_where(member=None, since=None, until=None, active_since=None, bots=True):
    """WHERE clause and parameters shared by get_visits and count_visits."""
    tests = []
    params = {}
    if member is not None:
        tests.append("member = %(member)s")
        params["member"] = member
    if since is not None:
        tests.append("started >= %(since)s")
        params["since"] = since
    if until is not None:
        tests.append("started < %(until)s")
        params["until"] = until
    if active_since is not None:
        tests.append("last_hit >= %(active_since)s")
        params["active_since"] = active_since
    if not bots:
        tests.append("NOT is_bot")
    return (" WHERE " + " AND ".join(tests) if tests else ""), params


def visits_query(limit, offset, **filters):
    where, params = visits_where(**filters)
    params.update(limit=limit, offset=offset)
    sql = (
        f"SELECT {VISIT_COLUMNS} FROM clicktracker.visits{where} "  # noqa: S608
        "ORDER BY started DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s"
    )
    return sql, params


def count_query(**filters):
    where, params = visits_where(**filters)
    return f"SELECT count(*) FROM clicktracker.visits{where}", params  # noqa: S608


# -- status and housekeeping ----------------------------------------------------

COUNTS = (
    "SELECT (SELECT count(*) FROM clicktracker.hits), "
    "(SELECT count(*) FROM clicktracker.documents)"
)

# One cutoff for the whole purge run, and the id range of the raw hits.
PURGE_START = (
    "SELECT now() - %s * interval '1 day', min(id), max(id) FROM clicktracker.hits"
)
PURGE_HITS = "DELETE FROM clicktracker.hits WHERE id >= %s AND id < %s AND at < %s"
# The outer test again: a visit that got a hit meanwhile is re-checked
# against its new row and kept.
PURGE_VISITS = (
    "DELETE FROM clicktracker.visits WHERE last_hit < %s AND id IN ("
    "SELECT id FROM clicktracker.visits WHERE last_hit < %s "
    "ORDER BY last_hit LIMIT %s)"
)
