"""When a member is deleted from Plone: erase or pseudonymise their data,
as the setting ``on_member_deleted`` says.

PlonePAS notifies ``PrincipalDeleted(user id)`` for each user deleted
(Users and Groups, ``api.user.delete``). The database is changed only after
the deletion is committed (a retried or aborted request deletes nobody's
data), and a failure there is logged: it never stops the deletion. The
manager can erase later on the member data page, which also takes ids of
members who no longer exist.
"""

from plone import api
from slc.clicktracker.privacy import members
from slc.clicktracker.privacy import settings
from slc.clicktracker.tokens import ANONYMOUS
import logging
import transaction


logger = logging.getLogger("slc.clicktracker")


def member_deleted(event):
    member = event.principal
    if not isinstance(member, str) or not member or member == ANONYMOUS:
        return
    if not settings.installed():
        return  # a Zope root user, or a site without the add-on
    config = settings.read()
    if config.on_member_deleted not in (settings.ERASE, settings.PSEUDONYMISE):
        return
    actor = api.user.get_current().getId() or "Zope"
    args = (config.on_member_deleted, member, actor)
    txn = transaction.get()
    # PAS notifies once per user manager plugin that deleted the id.
    if (_apply, args, {}) not in list(txn.getAfterCommitHooks()):
        txn.addAfterCommitHook(_apply, args=args)


def _apply(committed, action, member, actor):
    if not committed:
        return
    why = "member deleted from the site"
    try:
        if action == settings.ERASE:
            members.erase(member, actor, why)
        else:
            members.pseudonymise(member, actor, why)
    except Exception:
        # Never raise from an after-commit hook: the deletion is done.
        logger.exception(
            "Data of the deleted member %r not %s: do it on the member data "
            "page when the database is back.",
            member,
            "erased" if action == settings.ERASE else "pseudonymised",
        )
