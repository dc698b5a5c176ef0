"""The access log of an item and everything below it (the Tracking tab shows
it): grouping, sorting, paging, the date window and the CSV download.

A storage with ``IAccessLogStorage`` groups, sorts, pages and counts in the
database and streams the download (``accesslog_csv.py``); by default one
row per member and document, or per member and URL. For any other
``IClickStorage`` the whole ``getLog`` is read and paged here, one row per
member and URL, as before (``accesslog_getlog.py``). What the page says in
words is in ``accesslog_texts.py``; the reading time's columns and filters
(where the storage measures it) are in ``accesslog_reading.py``.
"""

from plone.batching import Batch
from slc.clicktracker import _
from slc.clicktracker.browser import accesslog_csv
from slc.clicktracker.browser.accesslog_getlog import WholeLog
from slc.clicktracker.browser.accesslog_reading import ReadingLog
from slc.clicktracker.browser.accesslog_texts import LABELS
from slc.clicktracker.browser.accesslog_texts import LogTexts
from slc.clicktracker.browser.reports import BATCH_SIZE
from slc.clicktracker.browser.reports import ReportView
from slc.clicktracker.browser.reports import is_http_url
from slc.clicktracker.browser.reports import text_field
from slc.clicktracker.interfaces import LogTooSlow
from slc.clicktracker.storage.utility import access_log_storage
from urllib.parse import urlencode
from zExceptions import Unauthorized


DEFAULT_SORT = "member"
REVERSE_ORDERS = ("descending", "reverse", "desc")
PER_FORMS = ("document", "url")

# The table's columns, per form; the CSV has them in the same order. Where
# the storage measures reading time, its columns follow the views.
TABLES = {
    "document": (
        "fullname",
        "member",
        "document",
        "count",
        "firstaccess",
        "lastaccess",
    ),
    "url": (
        "fullname",
        "member",
        "document",
        "url",
        "count",
        "firstaccess",
        "lastaccess",
    ),
    # A storage without IAccessLogStorage: getLog's rows, as before.
    "getlog": ("fullname", "member", "url", "count", "firstaccess", "lastaccess"),
}


class PageRows(list):
    """One page of rows that a ``Batch`` takes for the whole sequence
    (plone.batching's "optimized" batch: ``actual_result_count``)."""

    def __init__(self, rows, total):
        super().__init__(rows)
        self.actual_result_count = total


class AccessLogView(LogTexts, ReadingLog, WholeLog, ReportView):
    """The access log part of ``@@tracking``; ``can_view_log`` is set by it."""

    what = "the access log"
    can_view_log = False
    too_slow = None  # a LogTooSlow: the page offers other ways instead
    total = 0
    total_exact = True
    batch_size = BATCH_SIZE  # rows per page (the REST API lets clients choose)

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

    @property
    def prefix(self):
        return "/".join(self.context.getPhysicalPath())

    def update(self, load=True):
        """Read the request's form, and (``load``) the log if allowed."""
        self.setup()
        form = self.request.form
        self.windows_supported = True
        self.paged = access_log_storage() is not None
        per = form.get("per")
        self.per = per if self.paged and per in PER_FORMS else "document"
        self.columns = self.read_reading(TABLES[self.per if self.paged else "getlog"])
        sort_on = form.get("sort_on")
        sortable = sort_on in self.columns and self.sortable(sort_on)
        self.sort_on = sort_on if sortable else DEFAULT_SORT
        self.reverse = form.get("sort_order") in REVERSE_ORDERS
        self.read_window(_("The start date is after the end date: no hits match."))
        self.member_filter = text_field(form.get("member")) or None
        try:
            self.document_filter = int(text_field(form.get("document")))
        except ValueError:
            self.document_filter = None
        self.rows = []
        if self.can_view_log and load:
            self.rows = self.read(self._load_page if self.paged else self._load_all, [])

    @property
    def log_failed(self):
        return self.failed

    # -- reading --------------------------------------------------------------

    def _window(self):
        window = {}
        if self.since is not None:
            window["since"] = self.since
        if self.until is not None:
            window["until"] = self.until
        return window

    def _query_args(self):
        """What log_page and iter_log are asked for (except the paging)."""
        return dict(
            per=self.per,
            sort_on=self.sort_on,
            reverse=self.reverse,
            member=self.member_filter,
            document=self.document_filter,
            fullnames=self.fullnames,
            **self._window(),
            **self.reading_args(),
        )

    def _load_page(self):
        try:
            page = access_log_storage().log_page(
                self.prefix,
                offset=self.batch_start(),
                limit=self.batch_size,
                **self._query_args(),
            )
        except LogTooSlow as exc:
            self.too_slow = exc
            return []
        self.total, self.total_exact = page.total, page.exact
        return PageRows([self._access_row(row) for row in page.rows], page.total)

    def _access_row(self, row):
        url = row.url or ""
        return {
            "member": row.member,
            "fullname": self.fullname(row.member),
            "url": url,
            "href": url if is_http_url(url) else None,
            "count": row.count,
            "firstaccess": row.firstaccess,
            "lastaccess": row.lastaccess,
            "path": row.path,
            "document_id": getattr(row, "document_id", None),
            "title": row.title or row.path.rsplit("/", 1)[-1] or row.path,
            "document_url": self.request.physicalPathToURL(row.path),
            "urls": row.urls,
            "variants_url": self.variants_url(row),
            # A third party's rows may predate reading time.
            "seconds": getattr(row, "seconds", None),
            "reached_end": getattr(row, "reached_end", None),
        }

    # -- showing --------------------------------------------------------------

    def batch(self):
        return Batch(self.rows, size=BATCH_SIZE, start=self.batch_start())

    def display_rows(self, batch):
        """The rows of this page as the table shows them, cell by cell."""
        rows = []
        for row in batch:
            first_day, first_time = self.time_parts(row["firstaccess"])
            last_day, last_time = self.time_parts(row["lastaccess"])
            per_document = self.paged and self.per == "document"
            rows.append(
                dict(
                    row,
                    count="" if row["count"] is None else str(row["count"]),
                    first_day=first_day,
                    first_time=first_time,
                    last_day=last_day,
                    last_time=last_time,
                    path_pieces=self.pieces(row.get("path")),
                    url_pieces=self.pieces(row["url"]),
                    variants_text=self.addresses_text(row) if per_document else None,
                    **self.reading_cells(row),
                )
            )
        return rows

    def shown(self, batch):
        """The numbers of the first and last row on this page (from 1)."""
        if self.paged:
            return self.batch_start() + 1, self.batch_start() + len(self.rows)
        return batch.start, batch.end

    def column_labels(self):
        return [(column, LABELS[column]) for column in self.columns]

    # -- links that keep the form -------------------------------------------------

    def _query(self, **changes):
        params = {}
        if self.since_text:
            params["since"] = self.since_text
        if self.until_text:
            params["until"] = self.until_text
        if self.paged:
            params["per"] = self.per
        if self.member_filter:
            params["member"] = self.member_filter
        if self.document_filter is not None:
            params["document"] = str(self.document_filter)
        params.update(self.reading_params())
        params["sort_on"] = self.sort_on
        params["sort_order"] = "descending" if self.reverse else "ascending"
        params.update(changes)
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})

    def page_url(self, **changes):
        return f"{self.context_url}/@@tracking?{self._query(**changes)}"

    def sort_url(self, column):
        """The column header's link: sort by it, or flip the current order."""
        flip = column == self.sort_on and not self.reverse
        order = "descending" if flip else "ascending"
        return self.page_url(sort_on=column, sort_order=order)

    def per_url(self, per):
        """The switch between one row per document and one per URL."""
        sort_on = self.sort_on if self.sort_on in TABLES[per] else DEFAULT_SORT
        return self.page_url(per=per, sort_on=sort_on, member="", document="")

    def variants_url(self, row):
        """The URLs a member read a document at: the per-URL form, filtered;
        all of them, also those that alone would not pass a reading filter
        the row passes (the filter tests what the row sums)."""
        return self.page_url(
            per="url",
            member=row.member,
            document=str(row.document_id),
            sort_on="url",
            sort_order="ascending",
            **dict.fromkeys(self.reading_params(), ""),
        )

    def unfiltered_url(self):
        return self.page_url(member="", document="")

    def csv_url(self):
        return self.page_url(format="csv")

    def csv(self):
        if not self.can_view_log:
            raise Unauthorized("You may not view the access log here.")
        return accesslog_csv.download(self)
