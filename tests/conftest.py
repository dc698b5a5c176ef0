"""Fixtures shared by the whole suite; Zope-free, see plone/conftest.py."""

from slc.clicktracker.testing import CLUSTER
import pytest


pytest_plugins = ["pytest_plone"]


@pytest.fixture(scope="session")
def package_name() -> str:
    return "slc.clicktracker"


@pytest.fixture(scope="session")
def pg_cluster():
    """The run's single throwaway PostgreSQL cluster (shared with the layers)."""
    CLUSTER.start()
    return CLUSTER


@pytest.fixture
def pg_dsn(pg_cluster):
    """DSN of a fresh database for this test, dropped afterwards."""
    name = pg_cluster.create_database()
    yield pg_cluster.dsn(name)
    pg_cluster.drop_database(name)
