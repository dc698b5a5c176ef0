"""The viewlet that puts the tracking script into tracked pages.

It renders one static ``<script>`` tag whose data- attributes carry all the
configuration (no inline JavaScript, so a strict Content-Security-Policy is
fine), or nothing at all. It runs on every page, so it stays cheap: no
catalog query, no storage call.
"""

from AccessControl import getSecurityManager
from Acquisition import aq_inner
from html import escape
from pathlib import Path
from plone import api
from plone.app.layout.viewlets.common import ViewletBase
from slc.clicktracker import bots
from slc.clicktracker import token
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.tracking import is_tracked
import hashlib


SCRIPT = Path(__file__).parent / "static" / "clicktracker.js"
# Changes with the file, so caches never serve an old script for a new one.
SCRIPT_VERSION = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:12]
SCRIPT_PATH = f"++resource++slc.clicktracker/clicktracker.js?v={SCRIPT_VERSION}"
CALLBACK = "@@clicktracker-callback"
TRACK_ANONYMOUS = "slc.clicktracker.track_anonymous"
# Zope's name for visitors who are not logged in (AccessControl.users.nobody).
ANONYMOUS_USER = "Anonymous User"


def tracked_member(request):
    """The member id to record for this request, or None to record nothing.

    ``token.ANONYMOUS`` for visitors who are not logged in, when anonymous
    tracking is switched on.
    """
    # The user plone.api would give, without its (costly) member wrapper.
    user = getSecurityManager().getUser()
    if user is None or user.getUserName() == ANONYMOUS_USER:
        if api.portal.get_registry_record(TRACK_ANONYMOUS, default=False):
            return token.ANONYMOUS
        return None
    return user.getId() or None


def is_bot_request(request):
    return bots.is_bot(request.getHeader("User-Agent"))


class ClickTrackerViewlet(ViewletBase):
    def update(self):
        # ViewletBase.update looks up state this viewlet does not need.
        pass

    def render(self):
        context = aq_inner(self.context)
        request = self.request
        if (
            IContentIsIgnored.providedBy(request)
            or not is_tracked(context)
            or is_bot_request(request)
        ):
            return ""
        member = tracked_member(request)
        if member is None:
            return ""
        portal = api.portal.get()
        attributes = (
            ("src", f"{portal.absolute_url()}/{SCRIPT_PATH}"),
            ("data-callback", f"{context.absolute_url()}/{CALLBACK}"),
            ("data-token", token.make_token(member, context, portal)),
        )
        html = " ".join(f'{name}="{escape(value)}"' for name, value in attributes)
        return f"<script defer {html}></script>"
