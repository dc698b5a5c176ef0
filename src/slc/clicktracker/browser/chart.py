"""Views over time on the Tracking tab (documents and folders, for those
who may see a report there): views and distinct readers per day in the
last 30, 90 or 365 days, as a chart and as a table.

The chart is SVG drawn here, on the server: no script and no charting
library (nothing to load, nothing a strict Content-Security-Policy must
allow: no inline style either, the looks are in ``static/chart.css``), it
prints, and it is the table's data, day for day. Bars are views, the line
distinct readers; each day has a tooltip (``<title>``), the whole an
``aria-label`` that sums it up, and the table is one click away.
"""

from datetime import datetime
from datetime import timedelta
from html import escape
from plone.base.interfaces import IPloneSiteRoot
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import tracking
from slc.clicktracker.browser.reports import TabPart
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.storage.utility import statistics_storage
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from zope.i18n import translate
import math


# The drawing's own units (viewBox); CSS scales it to the page's width.
WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 34
X_LABELS = 6


def nice_top(value):
    """The top of the axis and its step: 1, 2 or 5 times a power of ten,
    four steps or fewer."""
    if value <= 4:
        return 4, 1
    power = 10 ** math.floor(math.log10(value / 4))
    step = next(power * f for f in (1, 2, 5, 10) if power * f * 4 >= value)
    return step * math.ceil(value / step), step


def render_svg(days, label, tooltip, day_text):
    """The chart of ``days`` (DayViews) as SVG markup.

    :param label: the ``aria-label`` (a summary, translated).
    :param tooltip: ``tooltip(day)``: a day's tooltip (translated).
    :param day_text: ``day_text(date)``: a day as the axis shows it.
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    known = [d.views for d in days if d.views is not None]
    top, step = nice_top(max(known, default=0))
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.75, 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-label="{escape(label)}" class="chart-svg">'
    ]
    for tick in range(0, top + 1, step):
        y = TOP + plot_h - tick / top * plot_h
        out.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}"'
            f' y1="{y:.1f}" y2="{y:.1f}"/><text class="chart-tick" x="{LEFT - 6}"'
            f' y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>'
        )
    every = max(math.ceil(len(days) / X_LABELS), 1)
    points, lines = [], []
    for number, day in enumerate(days):
        x = LEFT + number * slot
        middle = x + slot / 2
        if day.views is None:
            out.append(
                f'<rect class="chart-unknown" x="{x:.2f}" y="{TOP}"'
                f' width="{slot:.2f}" height="{plot_h}"/>'
            )
            lines.append(points)
            points = []
        else:
            height = day.views / top * plot_h
            out.append(
                f'<rect class="chart-bar" x="{middle - bar / 2:.2f}"'
                f' y="{TOP + plot_h - height:.2f}" width="{bar:.2f}"'
                f' height="{height:.2f}"/>'
            )
            points.append((middle, TOP + plot_h - day.readers / top * plot_h))
        if number % every == 0:
            out.append(
                f'<text class="chart-day" x="{middle:.1f}" y="{HEIGHT - 10}"'
                f' text-anchor="middle">{escape(day_text(day.day))}</text>'
            )
    lines.append(points)
    for line in lines:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        if len(line) > 1:
            for kind in ("chart-halo", "chart-line"):
                out.append(f'<polyline class="{kind}" points="{coords}"/>')
        if len(line) == 1 or len(days) <= 31:
            out.extend(
                f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>'
                for x, y in line
            )
    out.append(
        f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}"'
        f' y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    # Last, on top: a whole column per day carries the tooltip (a thin
    # bar alone would be hard to point at).
    for number, day in enumerate(days):
        data = "" if day.views is None else f"{day.views} {day.readers}"
        out.append(
            f'<rect class="chart-hit" x="{LEFT + number * slot:.2f}" y="{TOP}"'
            f' width="{slot:.2f}" height="{plot_h}" data-day="{day.day}"'
            f' data-figures="{data}"><title>{escape(tooltip(day))}</title></rect>'
        )
    out.append("</svg>")
    return "".join(out)


class ViewsChart(TabPart):
    """The chart's part of ``@@tracking`` (rendered by it, not a page)."""

    what = "the views over time"
    index = ViewPageTemplateFile("templates/chart.pt")
    broken = _("The views over time cannot be read right now; see the server log.")
    windows = (30, 90, 365)
    field = "chart_days"
    days = None
    storage = None

    def unreachable(self, reason):
        return _(
            "msg_chart_unreachable",
            default="The views over time cannot be read right now: the click "
            "tracker database is unreachable (${reason}).",
            mapping={"reason": reason},
        )

    def applies(self):
        """Whether the tab shows it: to those who may see a report, with a
        storage that counts per day, on items that are tracked or were
        (views in the period shown)."""
        if not self.can_view or statistics_storage() is None:
            return False
        if tracking.is_tracked(self.context):
            return True
        self.update()
        return self.failed or any(day.views for day in self.series)

    def window(self):
        """The period asked for (``chart_days``), else the first offered."""
        try:
            days = int(self.request.form.get(self.field, 0))
        except (TypeError, ValueError):
            days = 0
        return days if days in self.windows else self.windows[0]

    def prefix(self):
        """What is counted: the item and all below it; None at the site
        root, whose days come from the prepared daily totals."""
        if IPloneSiteRoot.providedBy(self.context):
            return None
        return "/".join(self.context.getPhysicalPath())

    def update(self):
        if self.updated:
            return
        self.setup()
        self.updated = True
        self.days = self.window()
        self.today = datetime.now(self.tz).date()
        self.since = self.today - timedelta(days=self.days - 1)
        self.series = []
        self.storage = statistics_storage()
        if self.storage is not None:
            self.series = self.read(self._load, [])

    def _load(self):
        try:
            return self.storage.views_per_day(
                self.prefix(), self.since, self.today, self.timezone_name()
            )
        except LogTooSlow:
            self.failed = True
            self.messages.append(
                (
                    "warning",
                    _(
                        "There are too many views here to count them per day "
                        "in time: choose a shorter period, or a folder further "
                        "down."
                    ),
                )
            )
            return []

    # -- what the template shows ---------------------------------------------------

    def day_text(self, day):
        return self.local_times.format(day, "date_format_short")

    def rows(self):
        """The table: day, views, readers as text ("–": not counted yet)."""
        return [
            {
                "day": self.day_text(d.day),
                "iso": d.day.isoformat(),
                "views": "–" if d.views is None else f"{d.views:,}",
                "readers": "–" if d.readers is None else f"{d.readers:,}",
            }
            for d in self.series
        ]

    def totals(self):
        known = [d for d in self.series if d.views is not None]
        return {
            "views": sum(d.views for d in known),
            "busiest": max(known, key=lambda d: d.views, default=None),
            "readers": max((d.readers for d in known), default=0),
            "unknown": len(self.series) - len(known),
        }

    def svg(self):
        totals = self.totals()
        busiest = totals["busiest"]
        label = _(
            "msg_chart_label",
            default="Views per day from ${first} to ${last}: ${views} views in "
            "all, the most on ${busiest} (${most}); at most ${readers} readers "
            "a day.",
            mapping={
                "first": self.day_text(self.since),
                "last": self.day_text(self.today),
                "views": f"{totals['views']:,}",
                "busiest": self.day_text(busiest.day) if busiest else "–",
                "most": f"{busiest.views:,}" if busiest else "0",
                "readers": f"{totals['readers']:,}",
            },
        )
        texts = {
            "known": translate(
                _(
                    "msg_chart_day",
                    default="${day}: ${views} views, ${readers} readers",
                    mapping={"day": "\x00d", "views": "\x00v", "readers": "\x00r"},
                ),
                context=self.request,
            ),
            "unknown": translate(
                _(
                    "msg_chart_day_unknown",
                    default="${day}: not counted yet",
                    mapping={"day": "\x00d"},
                ),
                context=self.request,
            ),
        }

        def tooltip(day):
            if day.views is None:
                return texts["unknown"].replace("\x00d", self.day_text(day.day))
            return (
                texts["known"]
                .replace("\x00d", self.day_text(day.day))
                .replace("\x00v", f"{day.views:,}")
                .replace("\x00r", f"{day.readers:,}")
            )

        label = translate(label, context=self.request)
        return render_svg(self.series, label, tooltip, self.day_text)

    def window_links(self):
        """The periods offered, each a link to this page showing it."""
        query = dict(parse_qsl(self.request.get("QUERY_STRING", "")))
        base = self.request.get("ACTUAL_URL") or self.context.absolute_url()
        links = []
        for days in self.windows:
            query[self.field] = str(days)
            links.append(
                {
                    "days": days,
                    "url": f"{base}?{urlencode(query)}#{self.anchor}",
                    "current": days == self.days,
                }
            )
        return links

    anchor = "tracking-chart"
