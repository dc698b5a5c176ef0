"""Fixtures shared by the Zope-free storage tests (helpers: helpers.py)."""

from slc.clicktracker.storage import PostgresqlStorage
import pytest


@pytest.fixture
def storage(pg_dsn, tmp_path):
    """A PostgresqlStorage on a fresh, set-up database, with its own spool."""
    storage = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "spool.sqlite")
    storage.setup_database()
    yield storage
    storage.close()
