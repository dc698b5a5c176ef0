"""Helpers of the Zope-free tests (fixtures are in conftest.py)."""

from slc.clicktracker.storage import schema
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


def large_site(dsn):
    """An autocommit connection to ``dsn`` set up with 5,000 documents
    ``/Plone/f<0..49>/d<0..99>`` (titled "Title <n>") and no views yet."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    schema.setup(conn)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO clicktracker.documents (uid, path, title)"
            " SELECT md5(i::text), '/Plone/f' || i / 100 || '/d' || i % 100,"
            " 'Title ' || i FROM generate_series(0, 4999) i"
        )
    return conn


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)
