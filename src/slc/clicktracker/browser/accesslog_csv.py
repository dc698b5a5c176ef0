"""The access log as a CSV download: the table's columns, in its order.

With ``IAccessLogStorage`` the rows are streamed: the view returns an
iterator (``IUnboundStreamIterator``) that the WSGI server drains after the
request, a few hundred rows at a time, so that Zope's memory stays flat
however long the log. (``response.write`` would not do: under WSGI,
ZPublisher keeps what it writes in memory until the view returns.) The
iterator runs after the request has ended, so everything that needs Zope,
the members' names, is looked up before the first byte.

Other storages get today's download: every row read, then written at once.
"""

from datetime import datetime
from slc.clicktracker import _
from slc.clicktracker.csvexport import csv_chunks
from slc.clicktracker.csvexport import csv_download
from slc.clicktracker.csvexport import to_csv
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage.utility import access_log_storage
from zope.i18n import translate
from zope.interface import implementer
from ZPublisher.Iterators import IUnboundStreamIterator
import itertools
import logging
import re


logger = logging.getLogger("slc.clicktracker")

# The CSV's columns for each of the table's, in the reader's language (the
# cells stay data: ISO times, numbers, true/false); times name the time zone.
CSV_COLUMNS = {
    "fullname": (_("Name"),),
    "member": (_("User ID"),),
    "document": (_("Document"), _("Path")),
    "url": (_("URL"),),
    "count": (_("Views"),),
    # Where the storage measures reading time: whole seconds, and true or
    # false; empty when unknown (as a spreadsheet's empty cell, not 0).
    "seconds": (_("csv_reading_seconds", default="reading_seconds"),),
    "reached_end": (_("csv_reached_end", default="reached_end"),),
    "firstaccess": (_("First access"),),
    "lastaccess": (_("Last access"),),
}
TIMES = ("firstaccess", "lastaccess")
BOOLEANS = {True: "true", False: "false"}
ROWS_PER_CHUNK = 500


def header(columns, tz, request=None):
    labels = [
        (column, translate(label, context=request))
        for column in columns
        for label in CSV_COLUMNS[column]
    ]
    return [f"{text} ({tz})" if column in TIMES else text for column, text in labels]


def cells(view, row, columns):
    """The CSV cells of ``row`` (a dict of the view's rows)."""
    values = {
        "fullname": (row["fullname"],),
        "member": (row["member"],),
        "document": (row.get("title") or "", row.get("path") or ""),
        "url": (row["url"],),
        "count": ("" if row["count"] is None else row["count"],),
        "seconds": ("" if row.get("seconds") is None else row["seconds"],),
        "reached_end": (BOOLEANS.get(row.get("reached_end"), ""),),
        "firstaccess": (view.iso_time(row["firstaccess"]),),
        "lastaccess": (view.iso_time(row["lastaccess"]),),
    }
    return [value for column in columns for value in values[column]]


def filename(view):
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", view.context.getId() or "site")
    per = "-urls" if view.paged and view.per == "url" else ""
    stamp = datetime.now(view.tz).strftime("%Y%m%d")
    return f"access-log-{name}{per}-{stamp}.csv"


def download(view):
    """The download for ``view`` (an AccessLogView), or its page explaining
    why there is none."""
    view.update(load=False)
    head = header(view.columns, view.timezone_name(), view.request)
    if not view.paged:
        view.rows = view.read(view._load_all, [])
        if view.failed:
            return view.index()
        rows = (cells(view, row, view.columns) for row in view.rows)
        return csv_download(view.request.response, filename(view), head, rows)
    rows = view.read(lambda: start(view), None)
    if view.failed:
        # Better the page with its explanation than an empty download.
        return view.index()
    response = view.request.response
    # The headers of csv_download, which returns a whole body instead.
    response.setHeader("Content-Type", "text/csv; charset=utf-8")
    response.setHeader(
        "Content-Disposition", f'attachment; filename="{filename(view)}"'
    )
    response.setHeader("Cache-Control", "private, no-store")
    return Stream(head, rows, view)


def start(view):
    """The rows as CSV cells; the first already read, so that a database
    that fails at once gives the explaining page, not a broken file."""
    names = {}

    def fullnames(members):
        names.update(view.fullnames(members))
        return names

    args = dict(view._query_args(), fullnames=fullnames)
    found = access_log_storage().iter_log(view.prefix, **args)
    first = next(found, None)
    rows = found if first is None else itertools.chain((first,), found)
    columns = view.columns

    def row_cells(row):
        url = row.url or ""
        return cells(
            view,
            {
                "fullname": names.get(row.member, ""),
                "member": row.member,
                "title": row.title,
                "path": row.path,
                "url": url,
                "count": row.count,
                "firstaccess": row.firstaccess,
                "lastaccess": row.lastaccess,
                "seconds": getattr(row, "seconds", None),
                "reached_end": getattr(row, "reached_end", None),
            },
            columns,
        )

    return _Rows(map(row_cells, rows), found)


class _Rows:
    """Cells of the rows, and the storage's generator to close."""

    def __init__(self, cells, generator):
        self.cells = cells
        self.generator = generator


@implementer(IUnboundStreamIterator)
class Stream:
    """The CSV body, one chunk of rows per ``next()``, for the WSGI server."""

    def __init__(self, head, rows, view):
        self._rows = rows
        self._chunks = csv_chunks(head, rows.cells, ROWS_PER_CHUNK)
        self._what = view.prefix

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._chunks)
        except StorageError as exc:
            # Headers are sent: all that is left is to say so in the file.
            logger.warning("The download of %s broke off: %s", self._what, exc)
            self._chunks = iter(
                [
                    to_csv(
                        [f"The download is incomplete: {' '.join(str(exc).split())}"],
                        (),
                    ).encode("utf-8")
                ]
            )
            return next(self._chunks)

    def close(self):
        # Called by the server when done or when the client went away:
        # closing the storage's generator closes its database connection.
        self._chunks.close()
        self._rows.generator.close()
