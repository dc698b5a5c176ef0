"""Events of the tracking callback, for subscribers of other add-ons.

Notified with ``zope.event.notify`` after the storage took the hit, in this
order: ``IVisitEndedEvent`` (when the hit ended an earlier visit),
``IVisitStartedEvent`` (when it started one), ``IHitLoggedEvent``. A
subscriber that raises is logged and does not stop tracking, nor the other
events.

The callback's transaction is doomed: subscribers cannot write to the ZODB.
"""

from zope.interface import Attribute
from zope.interface import Interface
from zope.interface import implementer
import logging
import zope.event


logger = logging.getLogger(__name__)


class IHitLoggedEvent(Interface):
    """A member's view of a tracked page was recorded."""

    member = Attribute("User id, or token.ANONYMOUS")
    path = Attribute("Physical path of the object, as a str")
    url = Attribute("The URL it was viewed at (without fragment)")
    uid = Attribute("Its UID, or None")
    visit_id = Attribute("The visit the hit belongs to; None without visits")
    reload = Attribute("True when the same page was just shown again")
    when = Attribute("Aware datetime of the hit")
    request = Attribute("The callback's request")
    is_bot = Attribute("True for a hit recorded as a bot visit")


class IVisitStartedEvent(Interface):
    """A hit started a new visit."""

    visit_id = Attribute("The new visit's id")
    member = Attribute("User id, or token.ANONYMOUS")
    referrer = Attribute("Where the visitor came from, or None")
    user_agent = Attribute("The browser's User-Agent header")
    when = Attribute("Aware datetime of its first hit")


class IVisitEndedEvent(Interface):
    """A visit was found ended (idle too long, or too old).

    Visits have no logout: the end is noticed when the next hit of the same
    browser arrives, so ``when`` is that moment, not the last hit of the visit.
    """

    visit_id = Attribute("The visit that ended")
    when = Attribute("Aware datetime when the end was noticed")


@implementer(IHitLoggedEvent)
class HitLoggedEvent:
    def __init__(
        self, member, path, url, uid, visit_id, reload, when, request, is_bot=False
    ):
        self.member = member
        self.path = path
        self.url = url
        self.uid = uid
        self.visit_id = visit_id
        self.reload = reload
        self.when = when
        self.request = request
        self.is_bot = is_bot


@implementer(IVisitStartedEvent)
class VisitStartedEvent:
    def __init__(self, visit_id, member, referrer, user_agent, when):
        self.visit_id = visit_id
        self.member = member
        self.referrer = referrer
        self.user_agent = user_agent
        self.when = when


@implementer(IVisitEndedEvent)
class VisitEndedEvent:
    def __init__(self, visit_id, when):
        self.visit_id = visit_id
        self.when = when


def notify_safely(event):
    """Notify ``event``; a failing subscriber is logged, never raised."""
    try:
        zope.event.notify(event)
    except Exception:
        # Tracking must not depend on third-party code behaving.
        logger.exception("A subscriber failed on %s", type(event).__name__)
        return False
    return True
