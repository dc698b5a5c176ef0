"""Helpers of the Zope-free tests (fixtures are in conftest.py)."""

import psycopg2
import time


def query(dsn, sql, params=None):
    """Run one statement on its own autocommit connection; rows if any."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)
