"""``@@clicktracker-clickstream?visit=<id>`` on the site root: the pages of
one visit, in order (same permission as the visits page)."""

from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import visitcookie
from slc.clicktracker.browser.reports import is_http_url
from slc.clicktracker.browser.visits import VisitReportView


class ClickstreamView(VisitReportView):
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
                }
            )
        return clicks
