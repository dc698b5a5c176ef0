"""The viewlet that puts the tracking script into tracked pages.

It renders one static ``<script>`` tag whose data- attributes carry all the
configuration (no inline JavaScript, so a strict Content-Security-Policy is
fine), or nothing at all. It runs on every page, so it stays cheap: no
catalog query, no storage call.

What it renders may be cached and served to others (plone.app.caching's
RAM cache, a proxy): it depends only on what caches key pages by (the
object, the member, the catalog counter, see ``slc.clicktracker.caching``),
never on the User-Agent. Bots get the script like everyone; the callback
refuses their hits.
"""

from Acquisition import aq_inner
from html import escape
from pathlib import Path
from plone import api
from plone.app.layout.viewlets.common import ViewletBase
from slc.clicktracker import settings
from slc.clicktracker import tokens
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.tracking import is_tracked
from slc.clicktracker.tracking import tracked_member
import hashlib


# The minified copy of static/clicktracker.js (scripts/minify.py).
SCRIPT = Path(__file__).parent / "static" / "clicktracker.min.js"
# Changes with the file, so caches never serve an old script for a new one.
SCRIPT_VERSION = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:12]
SCRIPT_PATH = f"++resource++slc.clicktracker/clicktracker.min.js?v={SCRIPT_VERSION}"
CALLBACK = "@@clicktracker-callback"


class ClickTrackerViewlet(ViewletBase):
    def update(self):
        # ViewletBase.update looks up state this viewlet does not need.
        pass

    def render(self):
        context = aq_inner(self.context)
        request = self.request
        if IContentIsIgnored.providedBy(request) or not is_tracked(context):
            return ""
        member = tracked_member(settings.read())
        if member is None:
            return ""
        portal = api.portal.get()
        attributes = (
            ("src", f"{portal.absolute_url()}/{SCRIPT_PATH}"),
            ("data-callback", f"{context.absolute_url()}/{CALLBACK}"),
            ("data-token", tokens.make_token(member, context, portal)),
        )
        html = " ".join(f'{name}="{escape(value)}"' for name, value in attributes)
        return f"<script defer {html}></script>"
