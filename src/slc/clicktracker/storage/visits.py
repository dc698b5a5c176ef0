"""SQL of visits, clickstreams and purging (schema version 2), kept out of
postgresql.py, which wires it into PostgresqlStorage."""

from collections import namedtuple
import logging


logger = logging.getLogger("slc.clicktracker")

VisitResult = namedtuple("VisitResult", "visit_id started ended reload stored")
VisitRow = namedtuple(
    "VisitRow",
    "visit_id member started last_hit hits reloads initial_referrer user_agent is_bot",
)
ClickRow = namedtuple("ClickRow", "at url path title reloads")

# First schema version that has visits.
VISITS_VERSION = 2

LOG_VISIT = (
    "SELECT visit_id, started, ended, reload FROM clicktracker.log_visit_hit("
    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)

VISIT_COLUMNS = (
    "id, member, started, last_hit, hits, reloads, initial_referrer, user_agent, is_bot"
)

CLICKSTREAM = (
    "SELECT h.at, h.url, d.path, d.title, h.reloads "
    "FROM clicktracker.hits h JOIN clicktracker.documents d ON d.id = h.document_id "
    "WHERE h.visit_id = %s ORDER BY h.at, h.id"
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
    )


def visits_where(member=None, since=None, until=None, active_since=None, bots=True):
    """WHERE clause and parameters shared by getVisits and countVisits."""
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


def purge(conn, keep_days, batch_size):
    """Delete hits and visits older than ``keep_days`` days, batch by batch.

    ``conn`` is in autocommit mode: every statement is its own short
    transaction, holding row locks only on rows nobody logs to any more.
    Returns {'hits': n, 'visits': m}.
    """
    removed = {"hits": 0, "visits": 0}
    with conn.cursor() as cur:
        # One cutoff for the whole run, so "older than" means the same in
        # the first batch and the last.
        cur.execute(
            "SELECT now() - %s * interval '1 day', min(id), max(id) "
            "FROM clicktracker.hits",
            (keep_days,),
        )
        cutoff, low, high = cur.fetchone()
        # Raw hits have no index on their time (it would cost every hit a
        # btree insert), so walk the primary key in ranges of batch_size ids:
        # each statement reads and deletes at most batch_size rows, whatever
        # the order the times were logged in (spool replays come late).
        # Hits logged after we started have higher ids and are young anyway.
        if low is not None:
            for start in range(low, high + 1, batch_size):
                cur.execute(
                    "DELETE FROM clicktracker.hits "
                    "WHERE id >= %s AND id < %s AND at < %s",
                    (start, start + batch_size, cutoff),
                )
                removed["hits"] += cur.rowcount
        # Visits do have an index on their last hit.
        while True:
            cur.execute(
                # The outer test again: a visit that got a hit meanwhile is
                # re-checked against its new row and kept.
                "DELETE FROM clicktracker.visits WHERE last_hit < %s AND id IN ("
                "SELECT id FROM clicktracker.visits WHERE last_hit < %s "
                "ORDER BY last_hit LIMIT %s)",
                (cutoff, cutoff, batch_size),
            )
            removed["visits"] += cur.rowcount
            if not cur.rowcount:
                break
    logger.info(
        "purged %(hits)d hits and %(visits)d visits older than %(days)s days",
        {**removed, "days": keep_days},
    )
    return removed
