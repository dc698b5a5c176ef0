"""The IClickStorage utility: DSN resolution, pools and the spool."""

from App.config import getConfiguration
from pathlib import Path
from plone import api
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import StorageError
from slc.clicktracker.storage import shared
from slc.clicktracker.storage.dsn import ENV_DSN
from slc.clicktracker.storage.dsn import effective_dsn
from slc.clicktracker.storage.shared import ENV_SPOOL
from slc.clicktracker.storage.shared import spool_path
from slc.clicktracker.storage.utility import ConfiguredStorage
from zope.component import getUtility
from zope.component.hooks import getSite
from zope.component.hooks import setSite
import psycopg2
import pytest
import time


RECORD = "slc.clicktracker.dsn"


@pytest.fixture
def storage(portal):
    return getUtility(IClickStorage)


def set_dsn(dsn):
    api.portal.set_registry_record(RECORD, dsn)


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def members(rows):
    return sorted((row.member, row.count) for row in rows)


def connections_to(dsn):
    """Server connections (other than ours) to the database of ``dsn``."""
    dbname = psycopg2.extensions.parse_dsn(dsn)["dbname"]
    conn = psycopg2.connect(dsn.replace(f"dbname={dbname}", "dbname=postgres"))
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


def user_tables(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        count = cur.fetchone()[0]
    conn.close()
    return count


def read_log(dsn, prefix, spool):
    """What a storage of its own sees in the database of ``dsn``."""
    direct = PostgresqlStorage(dsn=dsn, spool_path=str(spool))
    try:
        return members(direct.getLog(prefix))
    finally:
        direct.close()


def test_registered(storage):
    assert isinstance(storage, ConfiguredStorage)
    assert IClickStorage.providedBy(storage)
    assert IClickStorageAdmin.providedBy(storage)


def test_registry_dsn_is_used(integration, storage):
    set_dsn(integration["pg_dsn"])
    assert effective_dsn() == (integration["pg_dsn"], "registry")
    version = storage.setup_database()
    status = storage.status()
    assert status["configured"] is True
    assert status["connected"] is True
    assert status["schema_version"] == version
    assert status["dsn_source"] == "registry"
    assert storage.logAccess("alice", "/plone/doc", "http://nohost/plone/doc")
    assert members(storage.getLog("/plone")) == [("alice", 1)]


def test_environment_overrides_registry(
    integration, storage, pg_dsn, monkeypatch, tmp_path
):
    set_dsn(pg_dsn)
    monkeypatch.setenv(ENV_DSN, integration["pg_dsn"])
    assert effective_dsn() == (integration["pg_dsn"], "environment")
    storage.setup_database()
    storage.logAccess("alice", "/plone/doc", "http://nohost/plone/doc")
    assert storage.status()["dsn_source"] == "environment"
    # The hit is in the environment's database; the registry's one is untouched.
    other_spool = tmp_path / "other.sqlite"
    assert read_log(integration["pg_dsn"], "/plone", other_spool) == [("alice", 1)]
    assert user_tables(pg_dsn) == 0


def test_empty_environment_variable_is_unset(integration, storage, monkeypatch):
    set_dsn(integration["pg_dsn"])
    monkeypatch.setenv(ENV_DSN, "  ")
    assert effective_dsn() == (integration["pg_dsn"], "registry")


def test_each_dsn_has_its_own_pool(integration, storage, pg_dsn):
    # Sites of one instance may use different databases: both pools stay.
    set_dsn(integration["pg_dsn"])
    storage.setup_database()
    storage.logAccess("alice", "/plone/doc", "http://nohost/plone/doc")
    first = storage.storage()

    set_dsn(pg_dsn)
    storage.setup_database()
    storage.logAccess("bob", "/plone/doc", "http://nohost/plone/doc")
    assert storage.storage() is not first
    assert members(storage.getLog("/plone")) == [("bob", 1)]

    set_dsn(integration["pg_dsn"])
    assert storage.storage() is first
    assert members(storage.getLog("/plone")) == [("alice", 1)]
    assert connections_to(integration["pg_dsn"]) <= first.pool.size


def test_only_a_few_pools_stay_open(integration, storage, pg_dsn, monkeypatch):
    monkeypatch.setattr(shared, "MAX_STORAGES", 1)
    set_dsn(integration["pg_dsn"])
    storage.setup_database()
    first = storage.storage()
    set_dsn(pg_dsn)
    storage.setup_database()
    # The oldest pool was closed, not left holding connections.
    with pytest.raises(StorageError, match="closed"):
        first.getLog("/plone")
    assert connections_to(integration["pg_dsn"]) == 0


def test_same_dsn_reuses_the_pool(integration, storage):
    set_dsn(integration["pg_dsn"])
    assert storage.storage() is storage.storage()


def test_not_configured_spools_then_replays(integration, storage):
    status = storage.status()
    assert status["configured"] is False
    assert status["connected"] is False
    assert "No database is configured" in status["error"]
    backlog = status["backlog"]
    for n in range(5):
        assert storage.logAccess(f"member{n}", "/plone/doc", "http://nohost/plone/doc")
    assert storage.status()["backlog"] == backlog + 5

    set_dsn(integration["pg_dsn"])
    storage.setup_database()
    # The storage drains the spool in the background.
    wait_until(lambda: storage.status()["backlog"] == 0)
    assert members(storage.getLog("/plone")) == [(f"member{n}", 1) for n in range(5)]


def test_setup_without_dsn_says_so(integration, storage):
    with pytest.raises(StorageError, match="No database is configured"):
        storage.setup_database()


def test_no_site_means_no_registry(integration, storage):
    set_dsn(integration["pg_dsn"])
    site = getSite()
    setSite(None)
    try:
        assert effective_dsn() == ("", None)
        assert storage.status()["configured"] is False
        assert storage.logAccess("alice", "/plone/doc", "http://nohost/plone/doc")
    finally:
        setSite(site)


def test_record_missing_means_unset(integration, storage):
    registry = api.portal.get_tool("portal_registry")
    del registry.records[RECORD]
    assert effective_dsn() == ("", None)


def test_spool_from_environment(tmp_path):
    assert spool_path() == str(tmp_path / "spool.sqlite")


def test_spool_in_clienthome(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_SPOOL)
    monkeypatch.setattr(getConfiguration(), "clienthome", str(tmp_path), raising=False)
    assert spool_path() == str(tmp_path / "clicktracker-spool.sqlite")


def test_spool_without_clienthome(monkeypatch):
    monkeypatch.delenv(ENV_SPOOL)
    monkeypatch.setattr(getConfiguration(), "clienthome", None, raising=False)
    path = Path(spool_path())
    assert path.name == "clicktracker-spool.sqlite"
    assert path.parent.is_dir()
    assert spool_path() == str(path)


def test_visits_through_the_utility(integration, storage):
    # The utility offers visits by passing them to the configured storage.
    assert IVisitStorage.providedBy(storage)
    set_dsn(integration["pg_dsn"])
    storage.setup_database()
    first = storage.log_visit("alice", "/plone/doc", "http://nohost/plone/doc")
    again = storage.log_visit(
        "alice", "/plone/doc", "http://nohost/plone/doc", first.visit_id
    )
    assert first.started and again.reload and again.visit_id == first.visit_id
    (visit,) = storage.get_visits()
    assert (visit.hits, visit.reloads) == (1, 1)
    assert storage.count_visits() == 1
    assert storage.get_visit(first.visit_id).member == "alice"
    assert [c.reloads for c in storage.get_clickstream(first.visit_id)] == [1]
