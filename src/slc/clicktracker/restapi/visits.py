"""``GET <site>/@clicktracker-visits`` (who is active now, and the recent
visits) and ``GET <site>/@clicktracker-visits/<visit id>`` (one visit's
clickstream): the Visits page and the clickstream page as JSON, for
"slc.clicktracker: View access log".

The list takes the page's filters: ``member``, ``since`` and ``until``
(days, YYYY-MM-DD, in the site's time zone), ``hide_bots``; and ``b_start``
and ``b_size`` over the recent visits. ``active`` is not batched: the
newest few, as the page shows them.
"""

from slc.clicktracker.browser.accesslog import PageRows
from slc.clicktracker.browser.clickstream import ClickstreamView
from slc.clicktracker.browser.visits import VisitsView
from slc.clicktracker.permissions import VIEW_ACCESS_LOG
from slc.clicktracker.restapi import reports
from zope.interface import implementer
from zope.publisher.interfaces import IPublishTraverse


class VisitRows:
    """The visit pages' rows as JSON (a base of the views below)."""

    def index(self):
        return None  # the service answers, not the page's template

    def visit(self, row):
        start, end = row.started, row.last_hit
        return {
            "@id": f"{self.portal_url}/@clicktracker-visits/{row.visit_id}",
            "id": row.visit_id,
            "member": row.member,
            "fullname": self.fullname(row.member),
            "started": reports.iso(self, start),
            "last_hit": reports.iso(self, end),
            "duration_seconds": None
            if start is None or end is None
            else max(0, int((end - start).total_seconds())),
            "hits": row.hits,
            "reloads": row.reloads,
            "referrer": row.initial_referrer or None,
            "user_agent": row.user_agent or None,
            "is_bot": bool(row.is_bot),
            # Which bot, by today's lists (the visit keeps its User-Agent).
            "bot_name": self.bot_name(row.user_agent) if row.is_bot else None,
        }


class Visits(VisitRows, VisitsView):
    pass


class Clickstream(VisitRows, ClickstreamView):
    def not_found(self):
        raise reports.not_found(self.not_found_text())

    def _clicks(self):
        clicks = []
        for number, click in enumerate(
            self.storage.get_clickstream(self.visit_id), start=1
        ):
            found = {
                "number": number,
                "at": reports.iso(self, click.at),
                "url": click.url or None,
                "path": click.path or None,
                "title": click.title or None,
                "reloads": click.reloads,
            }
            if self.reading:
                # A third party's rows may not have them at all.
                for name in ("seconds", "depth", "reached_end"):
                    found[name] = getattr(click, name, None)
            clicks.append(found)
        return clicks


@implementer(IPublishTraverse)
class VisitsGet(reports.ReportService):
    """The list, or with one more name in the path, that visit."""

    def __init__(self, context, request):
        super().__init__(context, request)
        self.params = []

    def publishTraverse(self, request, name):
        # As plone.restapi's @users/<id>: the rest of the path is ours.
        self.params.append(name)
        return self

    def answer(self):
        reports.require(
            self.context, VIEW_ACCESS_LOG, "You may not view the visits of this site."
        )
        if len(self.params) > 1:
            raise reports.not_found("Only /@clicktracker-visits/<visit id>.")
        if self.params:
            return self.clickstream(self.params[0])
        return self.visits()

    def visits(self):
        request = self.request
        size = reports.batch_size(request)
        reports.check_days(request)
        view = Visits(self.context, request)
        view.batch_size = size
        view()
        reports.refuse(view)
        found = {
            "active": view.active,
            "idle_minutes": view.idle_minutes,
            "member": view.member or None,
            "since": view.since_text or None,
            "until": view.until_text or None,
            "hide_bots": view.hide_bots,
            "time_zone": view.timezone_name(),
        }
        rows = PageRows(view.rows, view.batch.sequence_length)
        found.update(reports.batched(request, rows, lambda row: row))
        return found

    def clickstream(self, visit_id):
        request = self.request
        request.form["visit"] = visit_id
        view = Clickstream(self.context, request)
        view()
        reports.refuse(view)
        return {
            **view.info,
            "reading": view.reading,
            "clicks": view.clicks,
            "time_zone": view.timezone_name(),
        }
