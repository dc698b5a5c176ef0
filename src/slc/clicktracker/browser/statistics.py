"""``@@clicktracker-statistics`` on the site root: the most read documents
of the last 7, 30, 90 or 365 days (by distinct readers, with views and the
median reading time), the tracked documents read least (those nobody read
first), and the whole site's views per day (the chart of ``chart.py``).

Needs "slc.clicktracker: View access log" (see stats.zcml) and a storage
with ``IStatisticsStorage``. Its figures cover complete days up to
yesterday, prepared once a day by the storage; the page says when they
are still being prepared.

Tracked documents come from the catalog: every item that is not a folder
below an object carrying the tracking marker (folders are read through
their documents; a folder's own views are mostly its listing).
"""

from datetime import datetime
from datetime import timedelta
from plone import api
from plone.batching import Batch
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker.browser import crumbs
from slc.clicktracker.browser.chart import ViewsChart
from slc.clicktracker.browser.durations import Durations
from slc.clicktracker.browser.reports import BATCH_SIZE
from slc.clicktracker.browser.reports import ReportView
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.storage.utility import statistics_storage
from urllib.parse import urlencode


WINDOWS = (7, 30, 90, 365)
DEFAULT_WINDOW = 30
# Each list pages on its own.
MOST_START, LEAST_START = "most_start", "least_start"


class SiteChart(ViewsChart):
    """The whole site's views per day, in the page's period (the page has
    the switch)."""

    anchor = "statistics-chart"

    def __init__(self, context, request, days):
        super().__init__(context, request, can_view=True)
        self.windows = (days,)

    def prefix(self):
        return None


class StatisticsView(ReportView):
    """Most and least read documents, and views per day of the whole site."""

    index = ViewPageTemplateFile("templates/statistics.pt")
    what = "the site statistics"
    broken = _("The site statistics cannot be read right now; see the server log.")
    prepared = None

    def unreachable(self, reason):
        return _(
            "msg_statistics_unreachable",
            default="The site statistics cannot be read right now: the click "
            "tracker database is unreachable (${reason}).",
            mapping={"reason": reason},
        )

    def __call__(self):
        self.setup()
        self.portal_url = self.context.absolute_url()
        self.page_url = f"{self.portal_url}/@@clicktracker-statistics"
        self.panel_url = f"{self.portal_url}/@@clicktracker-controlpanel"
        crumbs.show(
            self.request,
            [
                (self.panel_url, _("Click tracker settings")),
                (self.page_url, _("Site statistics")),
            ],
        )
        try:
            days = int(self.request.form.get("days", DEFAULT_WINDOW))
        except (TypeError, ValueError):
            days = DEFAULT_WINDOW
        self.days = days if days in WINDOWS else DEFAULT_WINDOW
        self.today = datetime.now(self.tz).date()
        self.zone = self.timezone_name()
        self.durations = Durations(self.request)
        self.most, self.most_batch = [], None
        self.least, self.least_batch = [], None
        self.storage = statistics_storage()
        if self.storage is None:
            self.fail(
                _(
                    "The click storage in use does not count views over time, "
                    "so there are no statistics to show."
                )
            )
        else:
            self.read(self._most, None)
            self.read(self._least, None)
        self.chart = SiteChart(self.context, self.request, self.days)
        return self.index()

    def _start(self, field):
        try:
            return max(int(self.request.form.get(field, 0)), 0)
        except (TypeError, ValueError):
            return 0

    def _most(self):
        start = self._start(MOST_START)
        page = self.storage.most_read(self.zone, self.days, start, BATCH_SIZE)
        if page.total and start >= page.total:  # an old link: the first page
            start = 0
            page = self.storage.most_read(self.zone, self.days, 0, BATCH_SIZE)
        self.prepared = page.prepared
        # A range stands in for the rows: the storage gives the page only.
        self.most_batch = Batch(range(page.total), BATCH_SIZE, start)
        self.most_batch.b_start_str = MOST_START
        found = self._brains([row.path for row in page.rows])
        self.most = [self._row(row, found.get(row.path)) for row in page.rows]

    def _least(self):
        brains = self._tracked()
        paths = [path for path, _brain in brains]
        page = self.storage.document_stats(paths, self.zone, self.days)
        self.prepared = self.prepared or page.prepared
        if page.prepared is None:
            return
        figures = {row.path: row for row in page.rows}
        rows = [self._row(figures.get(path), brain, path) for path, brain in brains]
        rows.sort(key=lambda r: (r["readers"], r["views"], r["title"].casefold()))
        start = self._start(LEAST_START)
        self.least_batch = Batch(rows, BATCH_SIZE, start if start < len(rows) else 0)
        self.least_batch.b_start_str = LEAST_START
        self.least = list(self.least_batch)

    def _tracked(self):
        """``[(path, brain)]`` of the tracked documents this user may see."""
        portal = api.portal.get()
        catalog = api.portal.get_tool("portal_catalog")
        if IContentIsTracked.providedBy(portal):
            roots = ["/".join(portal.getPhysicalPath())]
        else:
            # Unrestricted: a tracked folder one may not open still tracks
            # the documents in it one may.
            marked = catalog.unrestrictedSearchResults(
                object_provides=IContentIsTracked.__identifier__
            )
            roots = sorted({brain.getPath() for brain in marked})
        if not roots:
            return []
        found = catalog.searchResults(path={"query": roots}, is_folderish=False)
        return [(brain.getPath(), brain) for brain in found]

    def _brains(self, paths):
        if not paths:
            return {}
        catalog = api.portal.get_tool("portal_catalog")
        found = catalog.searchResults(path={"query": paths, "depth": 0})
        return {brain.getPath(): brain for brain in found}

    def _row(self, figures, brain, path=None):
        """A row of either list; ``brain`` None: not (or no longer) in the
        site, or not visible to this user."""
        path = figures.path if figures is not None else path
        title = (brain.Title or brain.getId) if brain is not None else None
        return {
            "path": path,
            "title": title or (figures.title if figures else None) or path,
            "url": brain.getURL() + "/@@tracking" if brain is not None else None,
            "readers": figures.readers if figures else 0,
            "views": figures.views if figures else 0,
            "median": self.durations(figures.median_seconds if figures else None),
        }

    # -- what the template shows ---------------------------------------------------

    def window_links(self):
        return [
            {
                "days": days,
                "url": f"{self.page_url}?{urlencode({'days': days})}",
                "current": days == self.days,
            }
            for days in WINDOWS
        ]

    def period_text(self):
        """Which days the lists count, or None before their first preparation."""
        if self.prepared is None:
            return None
        last = self.prepared - timedelta(days=1)
        first = self.prepared - timedelta(days=self.days)
        return _(
            "msg_statistics_period",
            default="Complete days from ${first} to ${last}, in the time zone "
            "${timezone}.",
            mapping={
                "first": self.local_times.format(first, "date_format_short"),
                "last": self.local_times.format(last, "date_format_short"),
                "timezone": self.zone,
            },
        )

    def preparing(self):
        """Whether newer figures are being prepared."""
        return self.storage is not None and (
            self.prepared is None or self.prepared < self.today
        )

    def chart_html(self):
        return self.chart.html()
