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


def post_install(context):
    """After installing: index expected readers that are still stored on
    content from an earlier installation (the catalog index comes back
    empty; the annotations stayed); make the pseudonym key."""
    from slc.clicktracker.upgrades.expected_index import index_expectations
    from slc.clicktracker.upgrades.privacy import make_pseudonym_key

    index_expectations(context)
    make_pseudonym_key(context)


class DatabaseSetupFailed(Exception):
    """The database setup step failed; the message says why, without secrets.

    Raised, not just logged: portal_setup reports an import whose steps all
    returned as done, whatever they logged. An exception view
    (``controlpanel/setupfailed.py``) shows the reason instead of a traceback.
    """


def setup_database(context):
    """Import step: create or upgrade the click tracker tables.

    Import steps run for every profile; the marker file limits this one to
    the ``dbsetup`` profile. A missing or wrong DSN fails the import with
    ``DatabaseSetupFailed``, which aborts its transaction.
    """
    if context.readDataFile(DBSETUP_MARKER) is None:
        return
    logger = context.getLogger(LOGGER_NAME)
    try:
        version = _setup()
    except DatabaseSetupFailed as failure:
        logger.error(f"Click tracker database not set up: {failure}")
        raise
    logger.info(f"Click tracker database ready, schema version {version}.")


def _setup():
    storage = admin_storage()
    if storage is None:
        raise DatabaseSetupFailed("the click tracker storage cannot set up a database")
    try:
        return storage.setup_database()
    except StorageError as exc:
        # Storages remove secrets from their messages; the driver's error
        # they wrap may still hold them, so it is not chained.
        raise DatabaseSetupFailed(" ".join(str(exc).split())) from None
