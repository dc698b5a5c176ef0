"""Upgrade steps that bring the tracking database to the add-on's schema.

Used by every profile upgrade that comes with a new schema version (1002:
visits; 1004: hits stored exactly once).
"""

from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage.utility import admin_storage
import logging


logger = logging.getLogger("slc.clicktracker")


def upgrade_database(context):
    # Hits the old schema cannot take wait in the spool until it is
    # upgraded. A database that is away now is upgraded later from the
    # control panel.
    storage = admin_storage()
    if storage is None:
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
