"""Installing and uninstalling the add-on through Site Setup -> Add-ons."""

from pathlib import Path
from plone import api
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickTrackerLayer
from slc.clicktracker.storage import schema
from zope.component import getUtility
import psycopg2
import pytest


# The default profile's version (metadata.xml): every upgrade ends there.
NEWEST = ("1008",)


RECORD_PREFIX = "slc.clicktracker."


def registry_records():
    registry = api.portal.get_tool("portal_registry")
    return [key for key in registry.records.keys() if key.startswith(RECORD_PREFIX)]


def configlet_ids(portal):
    return [a.getId() for a in portal.portal_controlpanel.listActions()]


class TestInstall:
    def test_product_installed(self, installer, package_name):
        assert installer.is_product_installed(package_name) is True

    def test_listed_in_addons(self, installer, package_name):
        assert installer.is_product_installable(package_name)
        # Site Setup offers the default profile, never the uninstall one.
        profile = installer.get_install_profile(package_name)
        assert profile["id"] == f"{package_name}:default"

    def test_browserlayer(self, browser_layers):
        assert IClickTrackerLayer in browser_layers

    def test_registry_records(self, portal):
        assert f"{RECORD_PREFIX}dsn" in registry_records()
        assert api.portal.get_registry_record(f"{RECORD_PREFIX}dsn") == ""

    def test_controlpanel_listed(self, portal):
        assert "clicktracker" in configlet_ids(portal)

    def test_tracking_tab(self, portal):
        assert "tracking" in portal.portal_actions.object.objectIds()

    def test_profile_version(self, setup_tool, package_name):
        assert setup_tool.getLastVersionForProfile(f"{package_name}:default") == (
            NEWEST
        )


class TestUninstall:
    @pytest.fixture(autouse=True)
    def _uninstalled(self, uninstalled):
        pass

    def test_product_uninstalled(self, installer, package_name):
        assert installer.is_product_installed(package_name) is False

    def test_browserlayer_removed(self, browser_layers):
        assert IClickTrackerLayer not in browser_layers

    def test_registry_records_removed(self, portal):
        assert registry_records() == []

    def test_controlpanel_removed(self, portal):
        assert "clicktracker" not in configlet_ids(portal)

    def test_tracking_tab_removed(self, portal):
        assert "tracking" not in portal.portal_actions.object.objectIds()


class TestUpgrade:
    def test_1000_to_1001_adds_permissions_and_settings(self, portal, setup_tool):
        from plone.registry.interfaces import IRegistry
        from zope.component import getUtility

        profile = "slc.clicktracker:default"
        registry = getUtility(IRegistry)
        del registry.records[f"{RECORD_PREFIX}track_anonymous"]
        portal.manage_permission("slc.clicktracker: View access log", [], 1)
        setup_tool.setLastVersionForProfile(profile, "1000")

        setup_tool.upgradeProfile(profile)

        assert setup_tool.getLastVersionForProfile(profile) == NEWEST
        assert registry[f"{RECORD_PREFIX}track_anonymous"] is False
        roles = [
            r["name"]
            for r in portal.rolesOfPermission("slc.clicktracker: View access log")
            if r["selected"]
        ]
        assert "Manager" in roles and "Site Administrator" in roles


def test_1002_to_1003_points_the_records_to_the_moved_schema(portal, setup_tool):
    from plone.registry.interfaces import IRegistry
    from zope.component import getUtility

    profile = "slc.clicktracker:default"
    registry = getUtility(IRegistry)
    registry[f"{RECORD_PREFIX}idle_timeout"] = 45
    old = "slc.clicktracker.controlpanel.settings.IClickTrackerSettings"
    for name in registry.records.keys(RECORD_PREFIX, RECORD_PREFIX + "~"):
        registry.records[name].field.interfaceName = old
    setup_tool.setLastVersionForProfile(profile, "1002")

    setup_tool.upgradeProfile(profile)

    assert setup_tool.getLastVersionForProfile(profile) == NEWEST
    field = registry.records[f"{RECORD_PREFIX}idle_timeout"].field
    assert field.interfaceName == "slc.clicktracker.settings.IClickTrackerSettings"
    assert registry[f"{RECORD_PREFIX}idle_timeout"] == 45


def test_1003_to_1004_upgrades_the_database(integration, setup_tool):
    dsn = integration["pg_dsn"]
    # A database at schema version 2, as the add-on left it before 1004.
    database_at(dsn, 2)
    api.portal.set_registry_record("slc.clicktracker.dsn", dsn)
    storage = getUtility(IClickStorage)
    assert "upgrade the database" in storage.status()["error"]
    profile = "slc.clicktracker:default"
    setup_tool.setLastVersionForProfile(profile, "1003")

    setup_tool.upgradeProfile(profile)

    assert setup_tool.getLastVersionForProfile(profile) == NEWEST
    status = storage.status()
    assert status["schema_version"] == schema.newest() and status["error"] is None
    assert storage.logAccess("alice", "/plone/d", "http://nohost/plone/d")


def test_1004_to_1005_adds_the_reading_status_permission(portal, setup_tool):
    permission = "slc.clicktracker: View reading status"
    action = portal.portal_actions.object.tracking
    # As a site at 1004 was: no roles for the permission, the tab without it.
    portal.manage_permission(permission, [], 1)
    action.permissions = tuple(p for p in action.permissions if p != permission)
    profile = "slc.clicktracker:default"
    setup_tool.setLastVersionForProfile(profile, "1004")

    setup_tool.upgradeProfile(profile)

    assert setup_tool.getLastVersionForProfile(profile) == NEWEST
    roles = {r["name"] for r in portal.rolesOfPermission(permission) if r["selected"]}
    assert roles == {"Manager", "Site Administrator", "Editor"}
    assert permission in portal.portal_actions.object.tracking.permissions


def test_1001_to_1002_upgrades_the_database(integration, setup_tool):
    dsn = integration["pg_dsn"]
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        v1 = Path(__file__).parents[1] / "unit" / "data" / "db_v1.sql"
        cur.execute(v1.read_text())  # schema version 1 only
    conn.close()
    api.portal.set_registry_record("slc.clicktracker.dsn", dsn)
    profile = "slc.clicktracker:default"
    setup_tool.setLastVersionForProfile(profile, "1001")

    setup_tool.upgradeProfile(profile)

    storage = getUtility(IClickStorage)
    assert storage.status()["schema_version"] == schema.migrations()[-1][0]


# What each schema version added, undone: a database as that version left
# it (the data kept; today's functions stay until the upgrade loads them
# again, as they would be the older ones in a real database).
UNDO = {
    7: "DROP TABLE clicktracker.stats_days, clicktracker.stats_documents,"
    " clicktracker.stats_prepared",
    6: "ALTER TABLE clicktracker.received DROP COLUMN hit, DROP COLUMN seconds,"
    " DROP COLUMN depth, DROP COLUMN reached_end;"
    " ALTER TABLE clicktracker.hits DROP COLUMN seconds, DROP COLUMN depth,"
    " DROP COLUMN reached_end;"
    " ALTER TABLE clicktracker.access DROP COLUMN seconds, DROP COLUMN reached_end",
    5: "DROP TABLE clicktracker.confirmations, clicktracker.reminders",
    4: "DROP INDEX clicktracker.access_member, clicktracker.documents_title,"
    " clicktracker.hits_at",
    3: "DROP TABLE clicktracker.received",
}


def database_at(dsn, version, before=None):
    """The newest schema taken back to ``version``; ``before`` (SQL) runs
    first, on the newest schema."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    schema.setup(conn)
    with conn.cursor() as cur:
        if before:
            cur.execute(before)
        for number in sorted(UNDO, reverse=True):
            if number > version:
                cur.execute(UNDO[number])
        cur.execute("UPDATE clicktracker.schema_version SET version = %s", (version,))
    conn.close()


def test_1005_to_1006_reading_accountability(integration, setup_tool):
    from plone.registry.interfaces import IRegistry
    from slc.clicktracker import readers
    from slc.clicktracker import tracking

    portal = integration["portal"]
    dsn = integration["pg_dsn"]
    # A database at schema version 4 and a site at 1005, as before reminders.
    database_at(dsn, 4)
    api.portal.set_registry_record("slc.clicktracker.dsn", dsn)
    registry = getUtility(IRegistry)
    for name in list(
        registry.records.keys(RECORD_PREFIX + "reminder_", RECORD_PREFIX + "reminder~")
    ):
        del registry.records[name]
    portal.portal_actions.user.manage_delObjects(["reading-list"])
    catalog = api.portal.get_tool("portal_catalog")
    setRoles(portal, TEST_USER_ID, ["Manager"])
    folder = api.content.create(container=portal, type="Folder", id="board")
    tracking.enable(folder)
    readers.set_expectation(folder, ["test_user_1_"])
    catalog.delIndex(readers.INDEX)
    profile = "slc.clicktracker:default"
    setup_tool.setLastVersionForProfile(profile, "1005")

    setup_tool.upgradeProfile(profile)

    assert setup_tool.getLastVersionForProfile(profile) == NEWEST
    assert getUtility(IClickStorage).status()["schema_version"] == schema.newest()
    assert registry[f"{RECORD_PREFIX}reminder_days_ahead"] == 3
    assert "reading-list" in portal.portal_actions.user.objectIds()
    found = catalog.unrestrictedSearchResults(**{readers.INDEX: "test_user_1_"})
    assert [brain.getPath() for brain in found] == ["/plone/board"]


def test_1006_to_1007_reading_time(integration, setup_tool):
    from plone.registry.interfaces import IRegistry
    from slc.clicktracker.storage.hits import new_hit_id

    dsn = integration["pg_dsn"]
    # A database at schema version 5 with a hit, a site at 1006.
    database_at(
        dsn,
        5,
        "SELECT clicktracker.log_hit('ann', '/plone/doc', 'http://nohost/doc',"
        " NULL, NULL, 'Doc', now())",
    )
    api.portal.set_registry_record("slc.clicktracker.dsn", dsn)
    registry = getUtility(IRegistry)
    del registry.records[f"{RECORD_PREFIX}max_reading_minutes"]
    profile = "slc.clicktracker:default"
    setup_tool.setLastVersionForProfile(profile, "1006")

    setup_tool.upgradeProfile(profile)

    assert setup_tool.getLastVersionForProfile(profile) == NEWEST
    storage = getUtility(IClickStorage)
    assert storage.status()["schema_version"] == schema.newest()
    assert registry[f"{RECORD_PREFIX}max_reading_minutes"] == 120
    # The old view's reading time is unknown, not zero; a new view measures.
    (row,) = storage.read_status(["/plone/doc"])
    assert (row.views, row.seconds, row.reached_end) == (1, None, None)
    view = new_hit_id()
    storage.logAccess("ann", "/plone/doc", "http://nohost/doc", hit_id=view)
    assert storage.log_reading(view, "ann", 30, 100, True)
    (row,) = storage.read_status(["/plone/doc"])
    assert (row.views, row.seconds, row.reached_end) == (2, 30, True)
