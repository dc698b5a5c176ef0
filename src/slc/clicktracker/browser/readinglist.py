"""``@@reading-list``: the signed-in member's own reading list (see
``slc.clicktracker.readinglist``), linked from the personal menu.

It shows the current user's status only and takes no user id: whose list
it is comes from the login, never from the request.
"""

from datetime import UTC
from plone import api
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import readers
from slc.clicktracker import readinglist
from slc.clicktracker.browser.durations import Durations
from slc.clicktracker.browser.localtimes import LocalTimes
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.readtime import rule
from slc.clicktracker.sitezone import site_timezone
from zExceptions import Unauthorized
from zope.interface import alsoProvides


STATUS_LABELS = {
    readers.UNREAD: _("Not read"),
    readers.LATE: _("Read late"),
    readers.READ: _("Read"),
}
# Bootstrap's text-bg-* pick a text colour that contrasts with the badge.
BADGES = {readers.READ: "text-bg-success", readers.LATE: "text-bg-warning"}


class EntryTexts:
    """The entries of a reading list as the page and the portlet show them:
    times in the site's time zone and formats, labels and badges."""

    def __init__(self, request):
        self.tz = site_timezone()
        self.times = LocalTimes(request)
        self.durations = Durations(request)

    def timezone_name(self):
        return getattr(self.tz, "key", None) or str(self.tz)

    def time(self, value, msgid="date_format_long"):
        if value is None:
            return ""
        if value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)  # storages record aware times
        return self.times.format(value.astimezone(self.tz), msgid)

    def day_and_time(self, value):
        """(day, time of day): a narrow cell wraps between the two only."""
        return (self.time(value, "date_format_short"), self.time(value, "time_format"))

    def rows(self, found, entries=None):
        """``entries`` (default: all of ``found``, a ReadingList) as dicts."""
        return [
            self.row(entry, found.confirmations_known)
            for entry in (found.entries if entries is None else entries)
        ]

    def row(self, entry, confirmations_known):
        item, state = entry.item, entry.state
        if state == readers.UNREAD:
            # Not read is a problem only once the deadline has passed.
            badge = "text-bg-danger" if entry.overdue else "text-bg-secondary"
        else:
            badge = BADGES.get(state)
        asks = item.confirm and confirmations_known
        deadline_day, deadline_time = self.day_and_time(item.deadline)
        first_day, first_time = self.day_and_time(entry.first_read)
        return {
            "path": item.path,
            "title": item.title,
            "url": item.url,
            "deadline": self.time(item.deadline),
            "deadline_day": deadline_day,
            "deadline_time": deadline_time,
            "overdue": entry.overdue,
            "state": state or "unknown",
            "status_label": STATUS_LABELS.get(state),
            "badge": badge,
            "first_read": self.time(entry.first_read),
            "first_day": first_day,
            "first_time": first_time,
            "confirmed": self.time(entry.confirmed) if entry.confirmed else "",
            "please_confirm": bool(asks and entry.confirmed is None),
            # Said where it is not the default: what "read" asks of me.
            "rule": None
            if item.rule == rule.DEFAULT
            else rule.describe(item.rule, self.durations),
        }


class ReadingListView(BrowserView):
    """The page; for members only (anonymous visitors are sent to log in)."""

    index = ViewPageTemplateFile("templates/readinglist.pt")

    def __call__(self):
        if api.user.is_anonymous():
            raise Unauthorized("Log in to see your reading list.")
        # Looking at the list is no reading of the site root it is on.
        alsoProvides(self.request, IContentIsIgnored)
        self.found = readinglist.reading_list(api.user.get_current())
        self.texts = EntryTexts(self.request)
        self.rows = self.texts.rows(self.found)
        return self.index()

    @property
    def failed(self):
        return self.found.status == readinglist.FAILED

    @property
    def unavailable(self):
        return self.found.status == readinglist.UNAVAILABLE

    def summary(self):
        """ "2 of 5 still to read" (or None when there is nothing)."""
        if not self.found.entries or self.found.status != readinglist.KNOWN:
            return None
        unread = sum(1 for e in self.found.entries if e.state == readers.UNREAD)
        # Read, but the confirmation asked for is still missing.
        to_confirm = len(self.found.to_do()) - unread
        if unread:
            return _(
                "msg_reading_list_summary",
                default="${unread} of ${total} still to read.",
                mapping={"unread": unread, "total": len(self.found.entries)},
            )
        if to_confirm:
            return _(
                "msg_reading_list_to_confirm",
                default="You have read everything on your list; ${count} still "
                "to confirm.",
                mapping={"count": to_confirm},
            )
        return _("You have read everything on your list.")
