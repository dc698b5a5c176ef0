"""``GET <content>/@tracking``: whether the content is tracked, the token a
frontend sends to ``@hit``, and, for those who may manage tracking or see
its reports, the tracking status and the expected readers.

What each member gets (the Tracking tab's rules):

* everyone who may view the content: ``hit`` -- where and with which token
  to report a view, or null when nothing of theirs would be recorded (not
  tracked, anonymous while anonymous tracking is off). Tracked pages of the
  Classic UI carry the same token in their source, so it tells a member
  nothing the page would not;
* "Manage tracking", "View access log" or "View reading status": also
  ``status`` (direct, inherited, none), ``source``, ``expected_readers`` and
  links to the reports they may see.

Also the ``tracking`` component of plone.restapi's ``@components`` (and
``?expand=tracking``), so that a frontend gets the token with the content.
"""

from Acquisition import aq_inner
from plone import api
from plone.restapi.interfaces import IExpandableElement
from slc.clicktracker import readers
from slc.clicktracker import settings
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker.browser.matrix import FolderMatrix
from slc.clicktracker.browser.readers_report import ReadersReport
from slc.clicktracker.interfaces import IClickTrackerLayer
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.permissions import MANAGE_TRACKING
from slc.clicktracker.permissions import VIEW_ACCESS_LOG
from slc.clicktracker.permissions import VIEW_READING_STATUS
from slc.clicktracker.restapi.base import ClickTrackerService
from zope.component import adapter
from zope.interface import Interface
from zope.interface import implementer


def link(obj):
    return {"@id": obj.absolute_url(), "title": obj.Title() or obj.getId()}


def hit_info(context):
    """``{"@id", "token"}`` for ``@hit``, or None when no view of the
    current user would be recorded here."""
    if not tracking.is_tracked(context):
        return None
    member = tracking.tracked_member(settings.read())
    if member is None:
        return None
    return {
        "@id": f"{context.absolute_url()}/@hit",
        "token": tokens.make_token(member, context, api.portal.get()),
    }


def principal(principal_id):
    group = api.group.get(groupname=principal_id)
    if group is not None:
        title = group.getProperty("title") or principal_id
        return {"id": principal_id, "type": "group", "title": title}
    user = api.user.get(userid=principal_id)
    if user is not None:
        title = user.getProperty("fullname") or principal_id
        return {"id": principal_id, "type": "user", "title": title}
    # Removed since it was set: named by id, so that a client can drop it.
    return {"id": principal_id, "type": None, "title": principal_id}


def expectation_info(context):
    found = readers.expectation(context)
    if found is None:
        return None
    source = readers.expectation_source(context)
    return {
        "principals": [principal(p) for p in found.principals],
        "deadline": found.deadline.isoformat() if found.deadline else None,
        "confirm": found.confirm,
        "rule": {"kind": found.rule.kind, "seconds": found.rule.seconds or None},
        "inherited": aq_inner(source) is not aq_inner(context),
        "source": link(source),
    }


def status(context):
    source = tracking.tracking_source(context)
    if source is None:
        return "none", None
    if IContentIsTracked.providedBy(context):
        return "direct", source
    return "inherited", source


def allowed(context):
    """The three permissions of the Tracking tab, by name."""
    return {
        name: bool(api.user.has_permission(permission, obj=context))
        for name, permission in (
            ("manage", MANAGE_TRACKING),
            ("view_log", VIEW_ACCESS_LOG),
            ("view_readers", VIEW_READING_STATUS),
        )
    }


def reports(context, may, expected):
    """Links to the reports ``may`` allows; ``expected``: whether expected
    readers apply here (only then is there a readers report)."""
    url = context.absolute_url()
    found = {}
    if may["view_log"]:
        found["log"] = f"{url}/@tracking-log"
    if may["view_readers"] and expected:
        if ReadersReport.applies(context):
            found["readers"] = f"{url}/@readers"
    if may["view_readers"] and FolderMatrix.applies(context):
        found["matrix"] = f"{url}/@readers-matrix"
    return found


def tracking_info(context):
    context = aq_inner(context)
    info = {"@id": f"{context.absolute_url()}/@tracking", "hit": hit_info(context)}
    may = allowed(context)
    if not any(may.values()):
        # Whether it is tracked is for those who manage or report it; the
        # hit link says enough for a frontend.
        return info
    state, source = status(context)
    expected = expectation_info(context)
    info.update(
        tracked=state != "none",
        status=state,
        source=None if source is None else link(source),
        expected_readers=expected,
        can_manage=may["manage"],
        reports=reports(context, may, expected is not None),
    )
    return info


class TrackingGet(ClickTrackerService):
    def answer(self):
        return tracking_info(self.context)


@implementer(IExpandableElement)
@adapter(Interface, IClickTrackerLayer)
class TrackingComponent:
    """``@components.tracking``: the link, or everything when expanded."""

    def __init__(self, context, request):
        self.context = context
        self.request = request

    def __call__(self, expand=False):
        url = f"{self.context.absolute_url()}/@tracking"
        if not expand:
            return {"tracking": {"@id": url}}
        return {"tracking": tracking_info(self.context)}
