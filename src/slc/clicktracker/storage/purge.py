"""Housekeeping: delete raw hits and visits older than the retention."""

from slc.clicktracker.storage import queries
import logging


logger = logging.getLogger("slc.clicktracker")


def purge(conn, keep_days, batch_size):
    """Delete hits and visits older than ``keep_days`` days, batch by batch.

    :param conn: a psycopg2 connection in autocommit mode: every statement is
        its own short transaction, holding row locks only on rows nobody
        logs to any more.
    :returns: ``{'hits': n, 'visits': m}``.
    :raises psycopg2.Error: when the database fails; batches done stay done.
    """
    removed = {"hits": 0, "visits": 0}
    with conn.cursor() as cur:
        # One cutoff for the whole run, so "older than" means the same in
        # the first batch and the last.
        cur.execute(queries.PURGE_START, (keep_days,))
        cutoff, low, high = cur.fetchone()
        # Raw hits have no index on their time (it would cost every hit a
        # btree insert), so walk the primary key in ranges of batch_size ids:
        # each statement reads and deletes at most batch_size rows, whatever
        # the order the times were logged in (spool replays come late).
        # Hits logged after we started have higher ids and are young anyway.
        if low is not None:
            for start in range(low, high + 1, batch_size):
                cur.execute(queries.PURGE_HITS, (start, start + batch_size, cutoff))
                removed["hits"] += cur.rowcount
        # Visits do have an index on their last hit.
        while True:
            cur.execute(queries.PURGE_VISITS, (cutoff, cutoff, batch_size))
            removed["visits"] += cur.rowcount
            if not cur.rowcount:
                break
    logger.info(
        "purged %(hits)d hits and %(visits)d visits older than %(days)s days",
        {**removed, "days": keep_days},
    )
    return removed
