"""The access log of an item and everything below it: rows, sorting,
batching, the date window and the CSV download (the Tracking tab shows it)."""

from collections.abc import Mapping
from datetime import datetime
from plone.batching import Batch
from slc.clicktracker import _
from slc.clicktracker.browser.csvexport import csv_download
from slc.clicktracker.browser.reports import BATCH_SIZE
from slc.clicktracker.browser.reports import ReportView
from slc.clicktracker.browser.reports import is_http_url
from slc.clicktracker.storage.utility import click_storage
from urllib.parse import urlencode
from zExceptions import Unauthorized
import re


# Sort keys the storage orders by itself; the others are sorted here.
STORAGE_SORTS = ("member", "url", "count", "lastaccess")
PYTHON_SORTS = ("fullname", "firstaccess")
DEFAULT_SORT = "member"
REVERSE_ORDERS = ("descending", "reverse", "desc")

CSV_HEADER = ("User ID", "Full name", "URL", "Views", "First access", "Last access")

_MISSING = object()


def row_value(row, name, index=None):
    """Field ``name`` of a log row: attribute, mapping key, else ``row[index]``.

    Third-party storages may return plain tuples; careful: a tuple has
    methods called ``count`` and ``index``, which are not the data.
    """
    if isinstance(row, Mapping):
        value = row.get(name, _MISSING)
    else:
        value = getattr(row, name, _MISSING)
    if value is not _MISSING and not callable(value):
        return value
    if index is not None and not isinstance(row, Mapping):
        try:
            return row[index]
        except (IndexError, KeyError, TypeError):
            pass
    return None


def _sort_key(value):
    # Rows without the value (older third-party storages) sort together,
    # without comparing None to datetimes.
    return (value is not None, value if value is not None else 0)


class AccessLogView(ReportView):
    """The access log part of ``@@tracking``; ``can_view_log`` is set by it."""

    what = "the access log"
    can_view_log = False

    def unreachable(self, reason):
        return _(
            "msg_storage_unreachable",
            default="The access log cannot be read right now: the click "
            "tracker database is unreachable (${reason}).",
            mapping={"reason": reason},
        )

    broken = _("The access log cannot be read right now; see the server log.")

    @property
    def context_url(self):
        return self.context.absolute_url()

    def update(self):
        """Read the request's sort and window, and the log if allowed."""
        self.setup()
        form = self.request.form
        self.windows_supported = True
        sort_on = form.get("sort_on")
        self.sort_on = (
            sort_on if sort_on in STORAGE_SORTS + PYTHON_SORTS else DEFAULT_SORT
        )
        self.reverse = form.get("sort_order") in REVERSE_ORDERS
        self.read_window(_("The start date is after the end date: no hits match."))
        self.rows = self.read(self._load, []) if self.can_view_log else []

    @property
    def log_failed(self):
        return self.failed

    def _load(self):
        storage = click_storage()
        if storage is None:
            self.fail(_("No click storage is registered."))
            return []
        prefix = "/".join(self.context.getPhysicalPath())
        order_by = self.sort_on if self.sort_on in STORAGE_SORTS else None
        reverse = self.reverse if order_by else False
        window = {}
        if self.since is not None:
            window["since"] = self.since
        if self.until is not None:
            window["until"] = self.until
        try:
            raw = storage.getLog(prefix, order_by, reverse, **window)
        except TypeError:
            if not window:
                raise
            # An older storage without since/until: say so, show all.
            self.windows_supported = False
            self.messages.append(
                (
                    "warning",
                    _(
                        "This click storage does not support time windows: "
                        "the whole log is shown."
                    ),
                )
            )
            raw = storage.getLog(prefix, order_by, reverse)
        rows = [self._row(row) for row in raw]
        if self.sort_on == "fullname":
            # Members without a name (deleted ones) sort by their id.
            rows.sort(
                key=lambda row: (
                    (row["fullname"] or row["member"]).lower(),
                    row["member"],
                    row["url"],
                ),
                reverse=self.reverse,
            )
        elif self.sort_on == "firstaccess":
            rows.sort(
                key=lambda row: (
                    _sort_key(row["firstaccess"]),
                    row["member"],
                    row["url"],
                ),
                reverse=self.reverse,
            )
        return rows

    def _row(self, row):
        member = str(row_value(row, "member", 0) or "")
        url = str(row_value(row, "url", 3) or "")
        return {
            "member": member,
            "fullname": self.fullname(member),
            "url": url,
            "href": url if is_http_url(url) else None,
            "count": row_value(row, "count", 1),
            "firstaccess": row_value(row, "firstaccess"),
            "lastaccess": row_value(row, "lastaccess", 2),
        }

    def batch(self):
        return Batch(self.rows, size=BATCH_SIZE, start=self.batch_start())

    def display(self, row):
        return dict(
            row,
            firstaccess=self.format_time(row["firstaccess"]),
            lastaccess=self.format_time(row["lastaccess"]),
            count="" if row["count"] is None else str(row["count"]),
        )

    def _query(self, **changes):
        params = {}
        if self.since_text:
            params["since"] = self.since_text
        if self.until_text:
            params["until"] = self.until_text
        params["sort_on"] = self.sort_on
        params["sort_order"] = "descending" if self.reverse else "ascending"
        params.update(changes)
        return urlencode(params)

    def sort_url(self, column):
        """The column header's link: sort by it, or flip the current order."""
        flip = column == self.sort_on and not self.reverse
        order = "descending" if flip else "ascending"
        return (
            f"{self.context_url}/@@tracking?"
            f"{self._query(sort_on=column, sort_order=order)}"
        )

    def aria_sort(self, column):
        if column != self.sort_on:
            return None
        return "descending" if self.reverse else "ascending"

    def csv_url(self):
        return f"{self.context_url}/@@tracking?{self._query(format='csv')}"

    def csv(self):
        if not self.can_view_log:
            raise Unauthorized("You may not view the access log here.")
        self.update()
        if self.failed:
            # Better the page with its explanation than an empty download.
            return self.index()
        tz = self.timezone_name()
        header = (
            *CSV_HEADER[:4],
            f"{CSV_HEADER[4]} ({tz})",
            f"{CSV_HEADER[5]} ({tz})",
        )
        rows = (
            (
                row["member"],
                row["fullname"],
                row["url"],
                "" if row["count"] is None else row["count"],
                self.iso_time(row["firstaccess"]),
                self.iso_time(row["lastaccess"]),
            )
            for row in self.rows
        )
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.context.getId() or "site")
        stamp = datetime.now(self.tz).strftime("%Y%m%d")
        return csv_download(
            self.request.response, f"access-log-{name}-{stamp}.csv", header, rows
        )
