"""``@@clicktracker-visits`` on the site root: who is active now, and the
recent visits, filtered by member and days.

Needs "slc.clicktracker: View access log" (see visits.zcml) and a storage
that offers visits (``IVisitStorage``); with any other storage it says so.
"""

from datetime import timedelta
from plone.batching import Batch
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import bots
from slc.clicktracker import settings
from slc.clicktracker import visitcookie
from slc.clicktracker.browser import crumbs
from slc.clicktracker.browser.reports import BATCH_SIZE
from slc.clicktracker.browser.reports import ReportView
from slc.clicktracker.browser.reports import is_http_url
from slc.clicktracker.browser.reports import text_field
from slc.clicktracker.storage.utility import visit_storage
from urllib.parse import urlencode


# "Active now" is a glance, not a report: the newest ones only.
ACTIVE_LIMIT = 50


def duration(start, end):
    """``"1 h 05 min"``, ``"3 min 20 s"`` or ``"0 s"``."""
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


class VisitReportView(ReportView):
    """What the visits page and the clickstream page share."""

    what = "visits"
    broken = _("Visits cannot be read right now; see the server log.")

    def unreachable(self, reason):
        return _(
            "msg_visits_unreachable",
            default="Visits cannot be read right now: the click tracker "
            "database is unreachable (${reason}).",
            mapping={"reason": reason},
        )

    def setup(self):
        super().setup()
        self.portal_url = self.context.absolute_url()
        self.visits_url = f"{self.portal_url}/@@clicktracker-visits"
        self.panel_url = f"{self.portal_url}/@@clicktracker-controlpanel"
        crumbs.show(self.request, self.trail())
        self.config = settings.read()
        self.storage = visit_storage()
        if self.storage is None:
            self.fail(
                _(
                    "The click storage in use does not record visits, so there "
                    "are no visits or clickstreams to show."
                )
            )

    def trail(self):
        """The breadcrumbs after Site Setup: (URL, title), this page last."""
        return [
            (self.panel_url, _("Click tracker settings")),
            (self.visits_url, _("Visits")),
        ]

    def clickstream_url(self, visit_id):
        return f"{self.portal_url}/@@clicktracker-clickstream?" + urlencode(
            {"visit": visit_id}
        )

    def visit(self, row):
        """A VisitRow as the templates show it (all text, escaped there)."""
        referrer = row.initial_referrer or ""
        return {
            "id": row.visit_id,
            "url": self.clickstream_url(row.visit_id),
            "member": row.member,
            "fullname": self.fullname(row.member),
            "started": self.format_time(row.started),
            "last_hit": self.format_time(row.last_hit),
            "duration": duration(row.started, row.last_hit),
            "hits": row.hits,
            "reloads": row.reloads,
            "referrer": referrer,
            "referrer_href": referrer if is_http_url(referrer) else None,
            "user_agent": row.user_agent or "",
            "is_bot": bool(row.is_bot),
            # Which bot, by today's lists (the visit keeps its User-Agent).
            "bot_name": self.bot_name(row.user_agent) if row.is_bot else None,
        }

    def bot_name(self, user_agent):
        config = self.config
        return bots.bot_name(user_agent, config.bot_patterns, config.bot_exceptions)


class VisitsView(VisitReportView):
    """Active visits, and recent visits filtered by member and days."""

    index = ViewPageTemplateFile("templates/visits.pt")
    batch_size = BATCH_SIZE  # visits per page (the REST API lets clients choose)

    def __call__(self):
        self.setup()
        form = self.request.form
        self.member = text_field(form.get("member"))
        self.hide_bots = bool(form.get("hide_bots"))
        self.read_window(_("The start date is after the end date: no visits match."))
        self.filters = {
            "member": self.member or None,
            "since": self.since,
            "until": self.until,
            "include_bots": not self.hide_bots,
        }
        self.active = self.read(self._active, [])
        self.batch, self.rows = self.read(self._recent, (None, []))
        return self.index()

    def _active(self):
        config = settings.read()
        since = visitcookie.now() - timedelta(seconds=config.idle_timeout)
        rows = self.storage.get_visits(active_since=since, limit=ACTIVE_LIMIT)
        self.idle_minutes = config.idle_timeout // 60
        return [self.visit(row) for row in rows]

    def _recent(self):
        total = self.storage.count_visits(**self.filters)
        # A range stands in for the rows: the batch needs only their number,
        # and the storage gives just the page shown.
        batch = Batch(range(total), self.batch_size, self.batch_start())
        rows = []
        if batch.length > 0:
            rows = self.storage.get_visits(
                **self.filters, limit=batch.length, offset=batch.first
            )
        return batch, [self.visit(row) for row in rows]

    def filter_query(self):
        """The filters as a query string, for links that keep them."""
        query = {
            "member": self.member,
            "since": self.since_text,
            "until": self.until_text,
        }
        if self.hide_bots:
            query["hide_bots"] = "1"
        return urlencode({k: v for k, v in query.items() if v})
