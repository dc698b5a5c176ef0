"""``@@tracking``, the Tracking tab: tracking status and its switch, then the
access log (``accesslog.py``) for those who may read it."""

from plone import api
from plone.protect.authenticator import check as check_authenticator
from plone.protect.authenticator import createToken
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import tracking
from slc.clicktracker.browser.accesslog import AccessLogView
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.permissions import MANAGE_TRACKING
from slc.clicktracker.permissions import VIEW_ACCESS_LOG
from zExceptions import Unauthorized


class TrackingView(AccessLogView):
    """Status and switch for "Manage tracking", the log for "View access log"."""

    index = ViewPageTemplateFile("templates/tracking.pt")

    def __call__(self):
        self.can_manage = bool(
            api.user.has_permission(MANAGE_TRACKING, obj=self.context)
        )
        self.can_view_log = bool(
            api.user.has_permission(VIEW_ACCESS_LOG, obj=self.context)
        )
        if not (self.can_manage or self.can_view_log):
            raise Unauthorized("You may not manage tracking here.")
        form = self.request.form
        if self.request.get("REQUEST_METHOD") == "POST" and "tracking_action" in form:
            return self.toggle(form.get("tracking_action"))
        if form.get("format") == "csv":
            return self.csv()
        self.update()
        return self.index()

    def status(self):
        """``(state, source)``; state is "direct", "inherited" or "none"."""
        source = tracking.tracking_source(self.context)
        if source is None:
            return "none", None
        if IContentIsTracked.providedBy(self.context):
            return "direct", source
        return "inherited", source

    def source_info(self):
        _state, source = self.status()
        if source is None:
            return None
        return {
            "title": source.Title() or source.getId(),
            "url": source.absolute_url() + "/@@tracking",
        }

    def authenticator(self):
        return createToken()

    def toggle(self, action):
        if not self.can_manage:
            raise Unauthorized("You may not change tracking here.")
        # The marker is a ZODB write plone.protect would catch only after the
        # fact; refuse forged requests before changing anything.
        check_authenticator(self.request)
        if action == "enable":
            self._enable()
        elif action == "disable":
            self._disable()
        else:
            self.notify(_("Unknown action: nothing was changed."), "error")
        self.request.response.redirect(self.context_url + "/@@tracking")
        return ""

    def _enable(self):
        if IContentIsTracked.providedBy(self.context):
            self.notify(_("This item was already tracked."), "info")
            return
        tracking.enable(self.context)
        self.notify(
            _(
                "Tracking enabled: views of this item and everything "
                "below it are now recorded."
            ),
            "info",
        )

    def _disable(self):
        context = self.context
        direct = IContentIsTracked.providedBy(context)
        if direct:
            tracking.disable(context)
        source = tracking.tracking_source(context)
        if source is None:
            if direct:
                self.notify(_("Tracking disabled."), "info")
            else:
                self.notify(_("This item was not tracked."), "info")
            return
        mapping = {
            "title": source.Title() or source.getId(),
            "url": source.absolute_url(),
        }
        if direct:
            message = _(
                "msg_disabled_still_inherited",
                default="Tracking set on this item was removed, but it "
                "is still tracked through ${title} (${url}).",
                mapping=mapping,
            )
        else:
            message = _(
                "msg_cannot_disable_inherited",
                default="This item is tracked through ${title} "
                "(${url}); tracking can only be disabled there.",
                mapping=mapping,
            )
        self.notify(message, "warning")

    def notify(self, message, kind):
        api.portal.show_message(message=message, request=self.request, type=kind)
