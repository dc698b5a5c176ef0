"""Install and uninstall hooks, and the database setup import step."""

from plone.base.interfaces import INonInstallable
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage.utility import admin_storage
from zope.interface import implementer


DBSETUP_MARKER = "slc.clicktracker-dbsetup.txt"
LOGGER_NAME = "slc.clicktracker"


@implementer(INonInstallable)
class HiddenProfiles:
    """Keep the uninstall and database profiles out of Site Setup -> Add-ons.

    The database profile is run from portal_setup's Import tab instead.
    """

    def getNonInstallableProfiles(self):
        return ["slc.clicktracker:uninstall", "slc.clicktracker:dbsetup"]

    def getNonInstallableProducts(self):
        return []


def setup_database(context):
    """Import step: create or upgrade the click tracker tables.

    Import steps run for every profile; the marker file limits this one to
    the ``dbsetup`` profile. Failures are reported through the setup logger,
    which portal_setup shows in its import results, rather than as a
    traceback: a missing or wrong DSN is a configuration problem.
    """
    if context.readDataFile(DBSETUP_MARKER) is None:
        return
    logger = context.getLogger(LOGGER_NAME)
    storage = admin_storage()
    if storage is None:
        logger.error("The click tracker storage cannot set up a database.")
        return
    try:
        version = storage.setup_database()
    except StorageError as exc:
        logger.error(f"Click tracker database not set up: {exc}")
        return
    logger.info(f"Click tracker database ready, schema version {version}.")
