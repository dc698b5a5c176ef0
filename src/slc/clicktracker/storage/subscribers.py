"""Keep recorded paths in step when content is renamed or moved."""

from Acquisition import aq_base
from slc.clicktracker.storage.utility import admin_storage
import logging
import transaction


logger = logging.getLogger(__name__)


def physical_path(parent, name):
    return "/".join((*parent.getPhysicalPath(), name))


def content_moved(obj, event):
    """Subscriber for (IContentish, IObjectMovedEvent).

    Adding and removing are moves too, with one parent missing; only a real
    rename or cut-and-paste concerns recorded hits.
    """
    if event.oldParent is None or event.newParent is None:
        return
    # Zope re-sends the event to every object inside a moved folder;
    # ``move`` already covers everything below the moved object.
    if aq_base(obj) is not aq_base(event.object):
        return
    old_path = physical_path(event.oldParent, event.oldName)
    new_path = physical_path(event.newParent, event.newName)
    if old_path == new_path:
        return
    # PostgreSQL is not part of the ZODB transaction: move the rows only once
    # the move itself is committed, so a conflict retry or an abort leaves them.
    transaction.get().addAfterCommitHook(_move_after_commit, (old_path, new_path))


def _move_after_commit(committed, old_path, new_path):
    if not committed:
        return
    try:
        storage = admin_storage()
        if storage is not None:
            storage.move(old_path, new_path)
    except Exception:
        # The move already happened in Plone; failing here must not be the
        # user's problem.
        logger.exception(
            "Could not move recorded hits from %s to %s", old_path, new_path
        )
