"""Erasing and renaming a member's rows, batch by batch (storage/privacy.py).

Renaming replaces member ids by pseudonyms. Where a table has one row per
member and document (access totals, confirmations, reminders), a renamed
row may meet one the pseudonym has already: they are merged (counts and
reading seconds added, first and last times kept, the first confirmation,
the last reminder). Each statement is its own short transaction over a
bounded set of rows (``batches``).
"""

from slc.clicktracker.storage import batches
from slc.clicktracker.storage.batches import sql
from slc.clicktracker.tokens import ANONYMOUS
from slc.clicktracker.tokens import PSEUDONYM_PREFIX as PREFIX


# Rows of one member; or rows older than the cutoff, not yet pseudonymised.
OF_MEMBER = "member = %(member)s"
OLD = (
    "{column} < %(cutoff)s AND member <> %(anonymous)s"
    " AND left(member, 1) <> %(prefix)s"
)
TIMES = {
    "hits": "at",
    "visits": "last_hit",
    "access": "lastaccess",
    "confirmations": "confirmed",
    "reminders": "sent",
}
RENAMED = ("hits", "visits", "access", "confirmations", "reminders")
ERASED = ("received", *RENAMED)

# received has no member: its rows go with the member's hits, found
# through the hit row they name, walking received by its key.
ERASE_RECEIVED = (
    "WITH batch AS (SELECT hit_id, hit FROM clicktracker.received"
    " WHERE hit_id > %(after)s ORDER BY hit_id LIMIT %(batch)s),"
    " gone AS (DELETE FROM clicktracker.received r USING batch b"
    " JOIN clicktracker.hits h ON h.id = b.hit"
    " WHERE r.hit_id = b.hit_id AND h.member = %(member)s RETURNING 1)"
    " SELECT (SELECT hit_id FROM batch ORDER BY hit_id DESC LIMIT 1)::text,"
    " (SELECT count(*) FROM gone)"
)
NIL = "00000000-0000-0000-0000-000000000000"
ERASE_HITS = (
    "DELETE FROM clicktracker.hits WHERE id >= %(start)s AND id < %(end)s"
    " AND member = %(member)s"
)
ERASE_BY_MEMBER = (
    "DELETE FROM {table} WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM {table} WHERE member = %(member)s LIMIT %(batch)s))"
)
# The documents' figures of the site statistics are rebuilt without them
# the next time the statistics are read.
STALE_STATS = "DELETE FROM clicktracker.stats_prepared"

MAP = "unnest(%(olds)s::text[], %(news)s::text[]) AS m(old, new)"
PICK_HITS = (
    "SELECT DISTINCT member FROM clicktracker.hits"
    " WHERE id >= %(start)s AND id < %(end)s AND {where}"
)
RENAME_HITS = (
    f"UPDATE clicktracker.hits SET member = m.new FROM {MAP}"  # noqa: S608
    " WHERE id >= %(start)s AND id < %(end)s AND member = m.old AND {where}"
)
PICK = "SELECT ctid::text, member FROM {table} WHERE {where}{pages} LIMIT %(batch)s"
IN_PAGES = " AND ctid >= %(start)s::tid AND ctid < %(end)s::tid"
PICKED = "ctid = ANY(%(ctids)s::tid[]) AND member = m.old AND {where}"
RENAME = {
    "visits": (
        f"UPDATE clicktracker.visits SET member = m.new"  # noqa: S608
        f" FROM {MAP} WHERE {PICKED}"
    ),
    "access": (
        f"WITH m AS (SELECT * FROM {MAP}), moved AS ("  # noqa: S608
        f"DELETE FROM clicktracker.access USING m WHERE {PICKED} RETURNING"
        " document_id, m.new, url, count, firstaccess, lastaccess, seconds,"
        " reached_end) INSERT INTO clicktracker.access AS a (document_id,"
        " member, url, count, firstaccess, lastaccess, seconds, reached_end)"
        " SELECT * FROM moved ON CONFLICT (document_id, member, md5(url))"
        " DO UPDATE SET count = a.count + EXCLUDED.count,"
        " firstaccess = least(a.firstaccess, EXCLUDED.firstaccess),"
        " lastaccess = greatest(a.lastaccess, EXCLUDED.lastaccess),"
        " seconds = CASE WHEN a.seconds IS NULL THEN EXCLUDED.seconds"
        " WHEN EXCLUDED.seconds IS NULL THEN a.seconds"
        " ELSE a.seconds + EXCLUDED.seconds END,"
        " reached_end = CASE WHEN a.reached_end OR EXCLUDED.reached_end THEN true"
        " ELSE coalesce(a.reached_end, EXCLUDED.reached_end) END"
    ),
    "confirmations": (
        f"WITH m AS (SELECT * FROM {MAP}), moved AS ("  # noqa: S608
        f"DELETE FROM clicktracker.confirmations USING m WHERE {PICKED}"
        " RETURNING document_id, m.new, confirmed)"
        " INSERT INTO clicktracker.confirmations AS c SELECT * FROM moved"
        " ON CONFLICT (document_id, member)"
        " DO UPDATE SET confirmed = least(c.confirmed, EXCLUDED.confirmed)"
    ),
    "reminders": (
        f"WITH m AS (SELECT * FROM {MAP}), moved AS ("  # noqa: S608
        f"DELETE FROM clicktracker.reminders USING m WHERE {PICKED}"
        " RETURNING document_id, m.new, sent)"
        " INSERT INTO clicktracker.reminders AS r SELECT * FROM moved"
        " ON CONFLICT (document_id, member)"
        " DO UPDATE SET sent = greatest(r.sent, EXCLUDED.sent)"
    ),
}


def erase(cur, member, batch_size):
    """Delete every row about ``member``; rows deleted per table (``ERASED``)."""
    params = {"member": member, "batch": batch_size}
    removed = dict.fromkeys(ERASED, 0)
    after = NIL
    while after is not None:
        cur.execute(ERASE_RECEIVED, {**params, "after": after})
        after, gone = cur.fetchone()
        removed["received"] += gone
    ranges = batches.hit_ranges(cur, batch_size)
    removed["hits"] = batches.run_ranges(cur, ERASE_HITS, ranges, params)
    # Hits the member logged meanwhile (a member still at work).
    tail = batches.more_hit_ranges(cur, ranges[-1][1] if ranges else 0, batch_size)
    removed["hits"] += batches.run_ranges(cur, ERASE_HITS, tail, params)
    for name in RENAMED[1:]:
        statement = sql.SQL(ERASE_BY_MEMBER).format(table=batches.table(name))
        removed[name] = batches.run_until_done(cur, statement, params)
    if any(removed.values()):
        cur.execute(STALE_STATS)
    return removed


def rename(cur, new_name, batch_size, member=None, cutoff=None):
    """Replace member ids by ``new_name(old)``: all rows of ``member``, or
    (``cutoff``) those older than it, except the anonymous member's and
    pseudonyms. Rows changed per table (``RENAMED``)."""
    params = {
        "member": member,
        "cutoff": cutoff,
        "anonymous": ANONYMOUS,
        "prefix": PREFIX,
        "batch": batch_size,
    }
    changed = dict.fromkeys(RENAMED, 0)
    for name in RENAMED:
        where = sql.SQL(OF_MEMBER if cutoff is None else OLD).format(
            column=sql.Identifier(TIMES[name])
        )
        if name == "hits":
            changed[name] = _rename_hits(cur, where, new_name, member, params)
            continue
        # One member: its rows through the member index where there is
        # one; old rows: page by page (no time index to follow).
        ranges = (
            [None] if cutoff is None else batches.page_ranges(cur, name, batch_size)
        )
        changed[name] = _rename_rows(cur, name, where, new_name, ranges, params)
    return changed


def _rename_hits(cur, where, new_name, member, params):
    pick = sql.SQL(PICK_HITS).format(where=where)
    statement = sql.SQL(RENAME_HITS).format(where=where)
    changed = 0
    ranges = batches.hit_ranges(cur, params["batch"])
    ranges += batches.more_hit_ranges(
        cur, ranges[-1][1] if ranges else 0, params["batch"]
    )
    for start, end in ranges:
        window = {**params, "start": start, "end": end}
        if member is None:
            cur.execute(pick, window)
            olds = [row[0] for row in cur.fetchall()]
            if not olds:
                continue
        else:
            olds = [member]
        news = [new_name(old) for old in olds]
        cur.execute(statement, {**window, "olds": olds, "news": news})
        changed += cur.rowcount
    return changed


def _rename_rows(cur, name, where, new_name, ranges, params):
    batch = params["batch"]
    pick_sql = sql.SQL(PICK).format(
        table=batches.table(name), where=where, pages=sql.SQL(IN_PAGES)
    )
    pick_all = sql.SQL(PICK).format(
        table=batches.table(name), where=where, pages=sql.SQL("")
    )
    statement = sql.SQL(RENAME[name]).format(where=where)
    changed = 0
    for pages in ranges:
        window = dict(params)
        if pages is not None:
            window.update(start=pages[0], end=pages[1])
        while True:
            cur.execute(pick_all if pages is None else pick_sql, window)
            rows = cur.fetchall()
            if not rows:
                break
            olds = sorted({member for _ctid, member in rows})
            cur.execute(
                statement,
                {
                    **window,
                    "ctids": [ctid for ctid, _member in rows],
                    "olds": olds,
                    "news": [new_name(old) for old in olds],
                },
            )
            changed += cur.rowcount
            # Fewer than a batch: the range is done. Nothing changed: the
            # rows moved meanwhile (a view updated them); pick again later.
            if len(rows) < batch or cur.rowcount <= 0:
                break
    return changed
