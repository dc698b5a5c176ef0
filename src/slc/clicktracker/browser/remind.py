"""``@@clicktracker-remind``: the "Remind those who have not read" step.

GET lists who would get a reminder (and who cannot: no e-mail address, or
reminded within the interval); the form there POSTs, with plone.protect's
authenticator, and the page then says what was sent. The work itself is
``slc.clicktracker.reminders.send``, which the scheduled run uses too.
"""

from plone import api
from plone.protect.authenticator import check as check_authenticator
from plone.protect.authenticator import createToken
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import readers
from slc.clicktracker import reminders
from slc.clicktracker.browser.reports import ReportView


class RemindView(ReportView):
    """Confirm, then send, reminders for one item."""

    what = "who to remind"
    index = ViewPageTemplateFile("templates/remind.pt")
    broken = _("Reminders cannot be sent right now; see the server log.")
    plan = None
    outcome = None

    def unreachable(self, reason):
        return _(
            "msg_remind_unreachable",
            default="Reminders cannot be sent right now: the click tracker "
            "database is unreachable (${reason}).",
            mapping={"reason": reason},
        )

    def __call__(self):
        self.setup()
        self.expectation = readers.expectation(self.context)
        self.tab_url = self.context.absolute_url() + "/@@tracking"
        if self.request.get("REQUEST_METHOD") == "POST":
            # A forged request is refused before anything is claimed or sent.
            check_authenticator(self.request)
            self.outcome = self.read(self._send, None)
        elif self.expectation is not None:
            self.plan = self.read(self._plan, None)
        return self.index()

    def _plan(self):
        try:
            return reminders.plan(self.context)
        except reminders.RemindersUnavailable as reason:
            self.fail(reason.args[0])

    def _send(self):
        user = api.user.get_current()
        sender = user.getProperty("fullname", "") or user.getId()
        try:
            return reminders.send(self.context, sender=sender)
        except reminders.RemindersUnavailable as reason:
            self.fail(reason.args[0])

    def mail_problem(self):
        return reminders.mail_problem()

    def authenticator(self):
        return createToken()

    def sent_label(self):
        count = len(self.outcome.sent)
        if not count:
            return _("No reminder sent.")
        if count == 1:
            return _("One reminder sent.")
        return _(
            "msg_reminders_sent",
            default="${count} reminders sent.",
            mapping={"count": count},
        )
