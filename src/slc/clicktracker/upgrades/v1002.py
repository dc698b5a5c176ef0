"""1001 -> 1002: bring the tracking database to the schema with visits."""

from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.storage import StorageError
from zope.component import queryUtility
import logging


logger = logging.getLogger("slc.clicktracker")


def upgrade_database(context):
    # Visit hits wait in the spool until the database has schema 2. A
    # database that is away now is upgraded later from the control panel.
    storage = queryUtility(IClickStorage)
    if not IClickStorageAdmin.providedBy(storage):
        return
    try:
        version = storage.setup_database()
    except StorageError as exc:
        logger.warning(
            "Click tracker database not upgraded now (%s); use 'Initialise or "
            "upgrade database' in the control panel once it is reachable.",
            exc,
        )
        return
    logger.info("Click tracker database at schema version %s.", version)
