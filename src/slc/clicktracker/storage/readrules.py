"""Read status under a rule ("count as read when read for at least N
seconds / when read to the end"): when each member first met it.

Used by ``ReadingRecords`` (``reading.py``) for the paths that have such a
rule; paths counted as read when opened keep the plain query on the access
totals (``queries.read_status_query``).

A seconds rule is met at the first click (in time order) by which the
member's reading time of the document adds up to the seconds asked for, in
one or several sittings; an end rule at the first click that reached the
end. Clicks of bot visits never count. When the raw clicks have been purged
(``purge``) but the access totals show the rule met, the last view is the
time given: the latest it can have been.
"""

from collections import namedtuple


# need: seconds of reading asked for (0: none); need_end: the end asked for.
Terms = namedtuple("Terms", "need need_end")

OPENED = Terms(0, False)

_ASKED = (
    "asked AS (SELECT * FROM unnest(%(paths)s::text[], %(need)s::int[],"
    " %(ends)s::boolean[]) AS q(path, need, need_end))"
)

_TOTALS = (
    "totals AS (SELECT q.path, a.member, min(a.firstaccess) AS first_view,"
    " max(a.lastaccess) AS last_view, sum(a.count)::bigint AS views,"
    " sum(a.seconds)::bigint AS seconds, bool_or(a.reached_end) AS reached_end,"
    " q.need, q.need_end"
    " FROM asked q JOIN clicktracker.documents d ON d.path = q.path"
    " JOIN clicktracker.access a ON a.document_id = d.id{only_a}"
    " GROUP BY q.path, a.member, q.need, q.need_end)"
)

# Running totals per member and path over the clicks in time order.
_MET = (
    "met AS (SELECT path, member, min(at) AS at FROM ("
    " SELECT q.path, h.member, h.at, h.reached_end, q.need, q.need_end,"
    " sum(coalesce(h.seconds, 0)) OVER (PARTITION BY q.path, h.member"
    " ORDER BY h.at, h.id) AS total"
    " FROM asked q JOIN clicktracker.documents d ON d.path = q.path"
    " JOIN clicktracker.hits h ON h.document_id = d.id"
    " LEFT JOIN clicktracker.visits v ON v.id = h.visit_id"
    " WHERE v.is_bot IS NOT TRUE{only_h}) x"
    " WHERE total >= need AND (reached_end OR NOT need_end)"
    " GROUP BY path, member)"
)

_SELECT = (
    "SELECT t.path, t.member, t.first_view, t.last_view, t.views, t.seconds,"
    " t.reached_end, coalesce(m.at, CASE WHEN coalesce(t.seconds, 0) >= t.need"
    " AND (t.reached_end OR NOT t.need_end) THEN t.last_view END) AS read_at"
    " FROM totals t LEFT JOIN met m ON m.path = t.path AND m.member = t.member"
)


def ruled_status_query(rules, members=None):
    """SQL and parameters: rows as ``read_status`` gives them, for the paths
    of ``rules`` (``{cleaned path: Terms}``), ordered by path and member.

    :param members: cleaned member ids (a list) or None for every member.
    """
    paths = sorted(rules)
    only_a = " WHERE a.member = ANY(%(members)s)" if members is not None else ""
    only_h = " AND h.member = ANY(%(members)s)" if members is not None else ""
    sql = (
        f"WITH {_ASKED}, {_TOTALS.format(only_a=only_a)},"
        f" {_MET.format(only_h=only_h)} {_SELECT} ORDER BY t.path, t.member"
    )
    params = {
        "paths": paths,
        "need": [int(rules[path].need) for path in paths],
        "ends": [bool(rules[path].need_end) for path in paths],
        "members": members,
    }
    return sql, params


def ruled_totals_query(rules, exclude):
    """SQL and parameters of ``reader_totals`` for the paths of ``rules``:
    rows (path, member, readers, documents) as ``READER_TOTALS`` gives."""
    sql, params = ruled_status_query(rules)
    sql = (
        "SELECT path, member, count(DISTINCT member), count(DISTINCT path)"  # noqa: S608
        f" FROM ({sql}) s WHERE read_at IS NOT NULL AND member <> ALL(%(exclude)s)"
        " GROUP BY GROUPING SETS ((path), (member))"
    )
    return sql, params | {"exclude": exclude}


def split(paths, rules):
    """``(plain paths, {path: Terms})``: those read when opened, the others.

    :param rules: ``{path: Terms or (need, need_end)}`` or None; paths are
        cleaned as ``paths`` are.
    """
    ruled = {}
    for path, terms in (rules or {}).items():
        terms = Terms(*terms)
        if terms.need < 0:
            raise ValueError(f"a rule cannot ask for {terms.need} seconds")
        if path in paths and terms != OPENED:
            ruled[path] = terms
    return [path for path in paths if path not in ruled], ruled
