"""``@@clicktracker-visits`` and ``@@clicktracker-clickstream`` on the site root.

Both need "slc.clicktracker: View access log" (see visits.zcml), are never
tracked themselves, and read a storage that offers visits
(``IVisitStorage``); with any other storage they say so.
"""

from datetime import timedelta
from plone.batching import Batch
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import visits
from slc.clicktracker.browser.tracking import TrackingView
from slc.clicktracker.browser.tracking import is_http_url
from slc.clicktracker.browser.tracking import site_timezone
from slc.clicktracker.controlpanel.dsn import scrub
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.storage import StorageError
from slc.clicktracker.storage.utility import effective_dsn
from urllib.parse import urlencode
from ZODB.POSException import ConflictError
from zope.interface import alsoProvides
import logging
import psycopg2


logger = logging.getLogger("slc.clicktracker")

BATCH_SIZE = 50
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


class ReportView(BrowserView):
    """What both pages share: storage access, messages, names and times."""

    # The access log's helpers, reused as they are.
    fullname = TrackingView.fullname
    format_time = TrackingView.format_time
    _local = TrackingView._local
    _text = staticmethod(TrackingView._text)
    _parse_day = TrackingView._parse_day
    _start_of = TrackingView._start_of

    def setup(self):
        # A report is not a reading of the site: never record it.
        alsoProvides(self.request, IContentIsIgnored)
        self.messages = []
        self.failed = False
        self.tz = site_timezone()
        self.portal_url = self.context.absolute_url()
        self.visits_url = f"{self.portal_url}/@@clicktracker-visits"
        self.storage = visits.visit_storage()
        if self.storage is None:
            self.fail(
                _(
                    "The click storage in use does not record visits, so there "
                    "are no visits or clickstreams to show."
                )
            )

    def fail(self, message):
        self.failed = True
        self.messages.append(("error", message))

    def read(self, work, default):
        """``work()``, or ``default`` with a message when the storage fails."""
        if self.failed:
            return default
        try:
            return work()
        except ConflictError:
            raise
        except (StorageError, psycopg2.Error, OSError) as exc:
            logger.warning("Cannot read visits: %s", exc)
            dsn, _source = effective_dsn()
            self.fail(
                _(
                    "msg_visits_unreachable",
                    default="Visits cannot be read right now: the click tracker "
                    "database is unreachable (${reason}).",
                    mapping={"reason": scrub(" ".join(str(exc).split()), dsn)},
                )
            )
        except Exception:
            logger.exception("Cannot read visits")
            self.fail(_("Visits cannot be read right now; see the server log."))
        return default

    def clickstream_url(self, visit_id):
        return f"{self.portal_url}/@@clicktracker-clickstream?" + urlencode(
            {"visit": visit_id}
        )

    def member_label(self, member):
        name = self.fullname(member)
        return f"{name} ({member})" if name else member

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
        }

    @property
    def timezone_name(self):
        return str(self.tz)


class VisitsView(ReportView):
    """Active visits, and recent visits filtered by member and days."""

    index = ViewPageTemplateFile("templates/visits.pt")

    def __call__(self):
        self.setup()
        form = self.request.form
        self.member = self._text(form.get("member"))
        self.since_text = self._text(form.get("since"))
        self.until_text = self._text(form.get("until"))
        self.hide_bots = bool(form.get("hide_bots"))
        since_day = self._parse_day(self.since_text, _("From"))
        until_day = self._parse_day(self.until_text, _("To"))
        if since_day and until_day and since_day > until_day:
            self.messages.append(
                ("warning", _("The start date is after the end date: no visits match."))
            )
        self.filters = {
            "member": self.member or None,
            "since": self._start_of(since_day),
            # "To" includes that whole day.
            "until": self._start_of(until_day, days=1),
            "include_bots": not self.hide_bots,
        }
        self.active = self.read(self._active, [])
        self.batch, self.rows = self.read(self._recent, (None, []))
        return self.index()

    def _active(self):
        config = visits.settings()
        since = visits.now() - timedelta(seconds=config.idle_timeout)
        rows = self.storage.getVisits(active_since=since, limit=ACTIVE_LIMIT)
        self.idle_minutes = config.idle_timeout // 60
        return [self.visit(row) for row in rows]

    def _recent(self):
        total = self.storage.countVisits(**self.filters)
        try:
            start = max(0, int(self.request.form.get("b_start", 0)))
        except (TypeError, ValueError):
            start = 0
        # A range stands in for the rows: the batch needs only their number,
        # and the storage gives just the page shown.
        batch = Batch(range(total), BATCH_SIZE, start)
        rows = []
        if batch.length > 0:
            rows = self.storage.getVisits(
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


class ClickstreamView(ReportView):
    """The pages of one visit, in order."""

    index = ViewPageTemplateFile("templates/visits_clickstream.pt")

    def __call__(self):
        self.setup()
        visit_id = self.request.form.get("visit")
        self.visit_id = visit_id if isinstance(visit_id, str) else ""
        self.info = None
        self.clicks = []
        if self.failed:
            return self.index()
        if not visits.VISIT_ID.fullmatch(self.visit_id):
            return self.not_found()
        row = self.read(lambda: self.storage.getVisit(self.visit_id), None)
        if self.failed:
            return self.index()
        if row is None:
            return self.not_found()
        self.info = self.visit(row)
        self.clicks = self.read(self._clicks, [])
        return self.index()

    def not_found(self):
        self.request.response.setStatus(404)
        self.fail(
            _(
                "msg_visit_not_found",
                default="There is no visit “${visit}”: it never existed, or it "
                "was purged.",
                mapping={"visit": self.visit_id[:80]},
            )
        )
        return self.index()

    def _clicks(self):
        clicks = []
        for number, click in enumerate(
            self.storage.getClickstream(self.visit_id), start=1
        ):
            url = click.url or ""
            clicks.append(
                {
                    "number": number,
                    "at": self.format_time(click.at),
                    "url": url,
                    "href": url if is_http_url(url) else None,
                    "path": click.path or "",
                    "title": click.title or "",
                    "reloads": click.reloads,
                }
            )
        return clicks
