"""Members' full names for reports of many rows.

Read from the site's user folder: the membership tool (``api.user.get``)
wraps every user as member data, about five times the cost. Sorting by
name needs every reader's name at once (thousands under a site root), so
those are also remembered for a few minutes across requests (``many``); a
renamed member sorts by the old name until then.
"""

from plone import api
from ZODB.POSException import ConflictError
import threading
import time


TTL = 300  # seconds
MAX_ENTRIES = 100_000

_remembered = {}  # (user folder path, member) -> (full name, expiry)
_lock = threading.Lock()


def fullname(member):
    """The user's full name, or the user id of a user without one (such as
    Zope's ``admin``); "" when unknown or deleted."""
    if not member:
        return ""
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
    fresh = {member: fullname(member) for member in missing}
    with _lock:
        if len(_remembered) + len(fresh) > MAX_ENTRIES:
            _remembered.clear()
        for member, name in fresh.items():
            _remembered[(site, member)] = (name, now + TTL)
    found.update(fresh)
    return found
