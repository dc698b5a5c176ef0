"""Fixtures and helpers shared by the Zope-free storage tests."""

from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.testing import PostgresCluster
import psycopg2
import pytest
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


@pytest.fixture
def storage(pg_dsn, tmp_path):
    """A PostgresqlStorage on a fresh, set-up database, with its own spool."""
    storage = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "spool.sqlite")
    storage.setup_database()
    yield storage
    storage.close()


@pytest.fixture
def cluster():
    """A private cluster a test may stop and start (outages)."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.stop()
