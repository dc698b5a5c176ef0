"""``@@clicktracker-clickstream?visit=<id>`` on the site root: the pages of
one visit, in order (same permission as the visits page), with each
click's reading time, depth and end where the storage measures them
(``IReadingTimeStorage``; without it those columns are left out)."""

from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import visitcookie
from slc.clicktracker.browser.durations import Durations
from slc.clicktracker.browser.reports import is_http_url
from slc.clicktracker.browser.visits import VisitReportView
from slc.clicktracker.storage.utility import reading_time_storage
from zope.i18n import translate


class ClickstreamView(VisitReportView):
    """The pages of one visit, in order."""

    index = ViewPageTemplateFile("templates/visits_clickstream.pt")

    def __call__(self):
        self.setup()
        visit_id = self.request.form.get("visit")
        self.visit_id = visit_id if isinstance(visit_id, str) else ""
        self.info = None
        self.clicks = []
        self.reading = reading_time_storage() is not None
        if self.failed:
            return self.index()
        if not visitcookie.VISIT_ID.fullmatch(self.visit_id):
            return self.not_found()
        row = self.read(lambda: self.storage.get_visit(self.visit_id), None)
        if self.failed:
            return self.index()
        if row is None:
            return self.not_found()
        self.info = self.visit(row)
        self.clicks = self.read(self._clicks, [])
        return self.index()

    def trail(self):
        return [*super().trail(), (self.request.getURL(), _("Clickstream"))]

    def not_found(self):
        self.request.response.setStatus(404)
        self.fail(self.not_found_text())
        return self.index()

    def not_found_text(self):
        return _(
            "msg_visit_not_found",
            default="There is no visit “${visit}”: it never existed, or it was purged.",
            mapping={"visit": self.visit_id[:80]},
        )

    def _clicks(self):
        durations = Durations(self.request)
        clicks = []
        for number, click in enumerate(
            self.storage.get_clickstream(self.visit_id), start=1
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
                    **self._reading(click, durations),
                }
            )
        return clicks

    def _reading(self, click, durations):
        """The click's reading cells (the figures None when unknown; a
        third party's rows may not have them at all)."""
        if not self.reading:
            return {}
        seconds = getattr(click, "seconds", None)
        depth = getattr(click, "depth", None)
        return {
            "seconds": None if seconds is None else durations(seconds),
            "depth": None if depth is None else self._percent(depth),
            "reached_end": getattr(click, "reached_end", None),
        }

    def _percent(self, depth):
        """ "85%", in the page's language (translated once per page)."""
        if "_percent_pattern" not in self.__dict__:
            self._percent_pattern = translate(
                _("depth_percent", default="${percent}%"), context=self.request
            )
        return self._percent_pattern.replace("${percent}", str(depth))
