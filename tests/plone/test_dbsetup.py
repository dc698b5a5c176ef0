"""The "slc.clicktracker database setup" GenericSetup profile."""

from plone import api
from plone.base.interfaces import INonInstallable
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.setuphandlers import DatabaseSetupFailed
from tests.helpers import user_tables
from zope.component import getAllUtilitiesRegisteredFor
from zope.component import getUtility
import pytest


PROFILE = "slc.clicktracker:dbsetup"
STEP = "slc.clicktracker-dbsetup"


def set_dsn(dsn):
    api.portal.set_registry_record("slc.clicktracker.dsn", dsn)


def run_profile(setup_tool, profile=PROFILE):
    return setup_tool.runAllImportStepsFromProfile(f"profile-{profile}")


def test_profile_registered(setup_tool):
    info = setup_tool.getProfileInfo(PROFILE)
    assert info["title"] == "slc.clicktracker database setup"


def test_profile_hidden_from_addons(portal):
    hidden = set()
    for utility in getAllUtilitiesRegisteredFor(INonInstallable):
        hidden.update(utility.getNonInstallableProfiles())
    assert PROFILE in hidden


def test_creates_schema_and_is_idempotent(integration, setup_tool):
    set_dsn(integration["pg_dsn"])
    assert user_tables(integration["pg_dsn"]) == 0
    first = run_profile(setup_tool)
    assert "database ready" in first["messages"][STEP]
    tables = user_tables(integration["pg_dsn"])
    assert tables > 0
    status = getUtility(IClickStorage).status()
    assert status["connected"] is True
    version = status["schema_version"]
    assert f"schema version {version}" in first["messages"][STEP]

    getUtility(IClickStorage).logAccess("alice", "/plone/doc", "http://x/doc")
    second = run_profile(setup_tool)
    assert "database ready" in second["messages"][STEP]
    assert user_tables(integration["pg_dsn"]) == tables
    status = getUtility(IClickStorage).status()
    assert status["schema_version"] == version
    # Running it again keeps what was recorded.
    assert status["hits"] == 1


# A failed setup is a failed import: the step raises (portal_setup then
# shows no "import done"), with the reason and no secrets in the message.


def test_empty_dsn_fails_with_clear_reason(integration, setup_tool):
    set_dsn("")
    with pytest.raises(DatabaseSetupFailed) as failure:
        run_profile(setup_tool)
    assert "No database is configured" in str(failure.value)


def test_unreachable_dsn_fails_with_clear_reason(integration, setup_tool, pg_cluster):
    # A port nothing listens on, in the cluster's socket directory.
    set_dsn(f"host={pg_cluster.tmpdir} port=1 dbname=nowhere password=StepSecret4")
    with pytest.raises(DatabaseSetupFailed) as failure:
        run_profile(setup_tool)
    reason = str(failure.value)
    assert "nowhere" in reason or "port 1" in reason or "connect" in reason
    assert "StepSecret4" not in reason
    assert failure.value.__cause__ is None  # no driver error chained to it


def test_other_profiles_leave_the_database_alone(integration, setup_tool):
    # The step is global; only the dbsetup profile's marker file enables it.
    set_dsn(integration["pg_dsn"])
    result = run_profile(setup_tool, "slc.clicktracker:default")
    assert not result["messages"].get(STEP)
    assert user_tables(integration["pg_dsn"]) == 0
