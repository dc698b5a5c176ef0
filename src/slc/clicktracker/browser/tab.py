"""``@@tracking``, the Tracking tab: tracking status and its switch, the
expected readers (``expected.py``), the readers report of a document
(``readers_report.py``) or the reading matrix of a folder (``matrix.py``),
then the access log (``accesslog.py``), each for those who may see it."""

from plone import api
from plone.protect.authenticator import check as check_authenticator
from plone.protect.authenticator import createToken
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.browser.accesslog import AccessLogView
from slc.clicktracker.browser.chart import ViewsChart
from slc.clicktracker.browser.expected import ExpectedReadersForm
from slc.clicktracker.browser.matrix import FolderMatrix
from slc.clicktracker.browser.readers_report import ReadersReport
from slc.clicktracker.browser.urls import tab_link
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.permissions import MANAGE_TRACKING
from slc.clicktracker.permissions import VIEW_ACCESS_LOG
from slc.clicktracker.permissions import VIEW_READING_STATUS
from zExceptions import Unauthorized


class TrackingView(AccessLogView):
    """Status, switch and expected readers for "Manage tracking", the
    readers report and the matrix for "View reading status", the log for
    "View access log"."""

    index = ViewPageTemplateFile("templates/tracking.pt")

    def __call__(self):
        self.can_manage = bool(
            api.user.has_permission(MANAGE_TRACKING, obj=self.context)
        )
        self.can_view_log = bool(
            api.user.has_permission(VIEW_ACCESS_LOG, obj=self.context)
        )
        self.can_view_readers = bool(
            api.user.has_permission(VIEW_READING_STATUS, obj=self.context)
        )
        if not (self.can_manage or self.can_view_log or self.can_view_readers):
            raise Unauthorized("You may not manage tracking here.")
        self.expected_form = ExpectedReadersForm(
            self.context, self.request, can_manage=self.can_manage
        )
        self.readers_report = ReadersReport(
            self.context, self.request, can_view=self.can_view_readers
        )
        self.matrix = FolderMatrix(
            self.context, self.request, can_view=self.can_view_readers
        )
        self.chart = ViewsChart(
            self.context,
            self.request,
            can_view=self.can_view_log or self.can_view_readers,
        )
        form = self.request.form
        posted = self.request.get("REQUEST_METHOD") == "POST"
        if posted and "tracking_action" in form:
            return self.toggle(form.get("tracking_action"))
        # A refused save shows the page again, with what was sent.
        if posted and "readers_action" in form:
            if self.expected_form.handle(form.get("readers_action")):
                return ""
        if form.get("format") == "csv":
            return self.csv()
        part = {"readers-csv": self.readers_report, "matrix-csv": self.matrix}.get(
            form.get("format")
        )
        body = part.csv() if part is not None else None
        if body is not None:
            return body
        self.update()
        return self.index()

    def show_expected(self):
        """The form, where it is of use: on tracked items, and where
        expected readers are set (so that they can be removed)."""
        if not self.can_manage:
            return False
        if self.status()[0] != "none":
            return True
        return readers.expectation(self.context) is not None

    def show_readers(self):
        """The report, on documents that have expected readers."""
        if not (self.can_view_readers and ReadersReport.applies(self.context)):
            return False
        return readers.expectation(self.context) is not None

    def show_matrix(self):
        """The members × documents matrix, on folders."""
        return self.can_view_readers and FolderMatrix.applies(self.context)

    def show_chart(self):
        """Views over time, for those who may see a report."""
        return self.chart.applies()

    def chart_html(self):
        return self.chart.html()

    def matrix_html(self):
        return self.matrix.html()

    def expected_html(self):
        return self.expected_form()

    def readers_html(self):
        return self.readers_report.html()

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
        return None if source is None else tab_link(source)

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
