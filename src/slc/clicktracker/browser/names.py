"""Members' full names for reports of many rows.

Read from the site's user folder: the membership tool (``api.user.get``)
wraps every user as member data, about five times the cost. Sorting by
name needs every reader's name at once (thousands under a site root), so
those are also remembered for a few minutes across requests (``many``); a
renamed member sorts by the old name until then.

A member id with no user (deleted from the site, or a pseudonym of the
data protection functions, "~...") is named by the id itself, marked
"(removed)" or "(pseudonymised)", so that reports of old data stay
readable and sortable.
"""

from plone import api
from slc.clicktracker import _
from slc.clicktracker.tokens import ANONYMOUS
from slc.clicktracker.tokens import is_pseudonym
from ZODB.POSException import ConflictError
from zope.globalrequest import getRequest
from zope.i18n import translate
from zope.i18nmessageid import Message
import threading
import time


TTL = 300  # seconds
MAX_ENTRIES = 100_000

_remembered = {}  # (user folder path, member) -> (full name, expiry)
_lock = threading.Lock()


REMOVED = _("name_removed", default="${member} (removed)")
PSEUDONYMISED = _("name_pseudonymised", default="${member} (pseudonymised)")


def fullname(member):
    """The user's full name, or the user id of a user without one (such as
    Zope's ``admin``); a member id without a user marked (see ``marked``);
    "" for no member and anonymous visitors."""
    return marked(member, _lookup(member))


def marked(member, name):
    """``name``, or when it is empty, ``member`` marked as removed or
    pseudonymised (in the request's language)."""
    if name or not member or member == ANONYMOUS:
        return name
    message = PSEUDONYMISED if is_pseudonym(member) else REMOVED
    message = Message(message, mapping={"member": member})
    return translate(message, context=getRequest())


def is_user(member):
    """Whether ``member`` is a user of the site (or of Zope's root)."""
    return bool(_lookup(member))


def _lookup(member):
    """The full name or user id; "" when unknown or deleted."""
    if not member or is_pseudonym(member):
        return ""  # a pseudonym is no user: no need to ask the user folder
    try:
        portal = api.portal.get()
        user = portal.acl_users.getUserById(member)
        if user is None:
            # Zope's own users (such as ``admin``) live at its root.
            user = portal.getPhysicalRoot().acl_users.getUserById(member)
    except ConflictError:
        raise
    except Exception:
        # An odd id from the log must not break the report.
        return ""
    if user is None:
        return ""
    return user.getProperty("fullname", "") or member


def many(members):
    """``{member: full name}`` for ``members``, remembered for TTL seconds."""
    site = "/".join(api.portal.get().getPhysicalPath())
    now = time.monotonic()
    found, missing = {}, []
    for member in members:
        hit = _remembered.get((site, member))
        if hit is not None and hit[1] > now:
            found[member] = hit[0]
        else:
            missing.append(member)
    fresh = {member: _lookup(member) for member in missing}
    with _lock:
        if len(_remembered) + len(fresh) > MAX_ENTRIES:
            _remembered.clear()
        for member, name in fresh.items():
            _remembered[(site, member)] = (name, now + TTL)
    found.update(fresh)
    return {member: marked(member, name) for member, name in found.items()}
