"""Housekeeping: delete everything that names a member and is older than
the retention (docs/privacy.rst, "How long it is kept").

Raw hits by their time, visits by their last hit, received hit ids by the
time in the id, reminders by when they were sent, confirmations by when
they were given, and access totals by their last view: a total still in
use stays whole. The daily figures of the site statistics name nobody and
stay; the documents' figures are rebuilt each day from the hits left.
"""

from slc.clicktracker.storage import batches
from slc.clicktracker.storage import queries
from slc.clicktracker.tokens import uuid7
import logging


logger = logging.getLogger("slc.clicktracker")

# Received hit ids are UUIDs version 7 whose time is the expiry of the
# page's token (at most a day after the view): those below the cutoff's
# smallest id are older than the cutoff.
PURGE_RECEIVED = (
    "DELETE FROM clicktracker.received WHERE hit_id IN ("
    "SELECT hit_id FROM clicktracker.received WHERE hit_id < %(below)s"
    " ORDER BY hit_id LIMIT %(batch)s)"
)

# Per table without a time index: the column whose time must be older.
BY_PAGES = {
    "access": "lastaccess",
    "confirmations": "confirmed",
    "reminders": "sent",
}
PURGE_PAGES = (
    "DELETE FROM {table} WHERE ctid >= %(start)s::tid AND ctid < %(end)s::tid"
    " AND {column} < %(cutoff)s"
)

TABLES = ("hits", "visits", "received", "access", "confirmations", "reminders")


def nothing():
    """What a purge that deletes nothing returns."""
    return dict.fromkeys(TABLES, 0)


def purge(conn, keep_days, batch_size):
    """Delete what is older than ``keep_days`` days, batch by batch.

    :param conn: a psycopg2 connection in autocommit mode: every statement is
        its own short transaction, holding row locks only on rows nobody
        logs to any more.
    :returns: rows deleted per table (``TABLES``).
    :raises psycopg2.Error: when the database fails; batches done stay done.
    """
    removed = nothing()
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
        below = uuid7(cutoff.timestamp(), 0)
        removed["received"] = batches.run_until_done(
            cur, PURGE_RECEIVED, {"below": below, "batch": batch_size}
        )
        for name, column in BY_PAGES.items():
            statement = batches.sql.SQL(PURGE_PAGES).format(
                table=batches.table(name), column=batches.sql.Identifier(column)
            )
            removed[name] = batches.run_ranges(
                cur,
                statement,
                batches.page_ranges(cur, name, batch_size),
                {"cutoff": cutoff},
            )
    logger.info(
        "purged rows older than %(days)s days: %(hits)d hits, %(visits)d visits, "
        "%(received)d received ids, %(access)d access totals, "
        "%(confirmations)d confirmations, %(reminders)d reminders",
        {**removed, "days": keep_days},
    )
    return removed
