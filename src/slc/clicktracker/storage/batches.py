"""Walking big tables in short statements: purge and the privacy functions.

Every statement here is its own transaction (the connection is in
autocommit mode) that touches a bounded number of rows, so that the row
locks it takes are held briefly and hit logging on other Zope instances
never waits long. Raw hits are walked by ranges of their primary key (they
have no index on time or member: each would cost every hit a btree
insert); the other tables by ranges of their pages (``ctid``, a TID range
scan), which reads each page once however the rows are spread.
"""

from psycopg2 import sql


# Rows per page assumed when PostgreSQL has no estimate yet.
ROWS_PER_PAGE = 60

SIZE = (
    "SELECT pg_relation_size(c.oid) / current_setting('block_size')::int,"
    " c.reltuples, c.relpages FROM pg_class c"
    " WHERE c.oid = %s::regclass"
)


def clean_batch(batch_size):
    """``batch_size`` if it is an int >= 1; ValueError if not."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise ValueError(f"batch_size must be an int, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
    return batch_size


def table(name):
    """The SQL identifier of ``clicktracker.<name>``."""
    return sql.Identifier("clicktracker", name)


def hit_ranges(cur, batch_size):
    """``(start, end)`` id ranges of ``batch_size`` covering today's hits.

    Hits logged later have higher ids; the caller walks them afterwards
    when it must (``more_hit_ranges``).
    """
    cur.execute("SELECT min(id), max(id) FROM clicktracker.hits")
    low, high = cur.fetchone()
    if low is None:
        return []
    return [(start, start + batch_size) for start in range(low, high + 1, batch_size)]


def more_hit_ranges(cur, done_until, batch_size):
    """The ranges of hits logged since ``hit_ranges`` was taken."""
    cur.execute("SELECT max(id) FROM clicktracker.hits")
    (high,) = cur.fetchone()
    if high is None or high < done_until:
        return []
    return [
        (start, start + batch_size) for start in range(done_until, high + 1, batch_size)
    ]


def page_ranges(cur, name, batch_size):
    """``(first, end)`` page ranges of table ``name`` holding about
    ``batch_size`` rows each, as TID literals for ``ctid >= %s AND ctid < %s``.
    """
    cur.execute(SIZE, (f"clicktracker.{name}",))
    pages, tuples, estimated_pages = cur.fetchone()
    if not pages:
        return []
    per_page = ROWS_PER_PAGE
    if tuples and tuples > 0 and estimated_pages:
        per_page = max(1, round(tuples / estimated_pages))
    step = max(1, batch_size // per_page)
    # One more range past the end: rows that moved there meanwhile.
    return [
        (f"({first},0)", f"({first + step},0)")
        for first in range(0, pages + step, step)
    ]


def run_ranges(cur, statement, ranges, params):
    """Run ``statement`` (with ``%(start)s`` and ``%(end)s``) once per range;
    the rows it changed in all."""
    changed = 0
    for start, end in ranges:
        cur.execute(statement, {**params, "start": start, "end": end})
        changed += cur.rowcount
    return changed


def run_until_done(cur, statement, params):
    """Run ``statement`` (which changes at most a batch of rows) until it
    changes nothing; the rows it changed in all."""
    changed = 0
    while True:
        cur.execute(statement, params)
        if cur.rowcount <= 0:
            return changed
        changed += cur.rowcount
