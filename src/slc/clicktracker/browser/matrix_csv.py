"""The reading matrix as a CSV download: every member (not one page), the
first-read time in each cell or nothing, and the totals.

Five hundred members × a hundred documents are 50,000 cells: written at
once through ``csvexport``, which makes every cell safe from formulas.
"""

from datetime import datetime
from slc.clicktracker import _
from slc.clicktracker.browser.readers_csv import words
from slc.clicktracker.csvexport import csv_download
from zope.i18n import translate
import re


def header(view):
    """The first row, in the reader's language (times stay ISO)."""
    request = view.request
    tz = view.timezone_name()
    titles = [
        translate(
            _(
                "csv_first_read_of",
                default="${title} (first read, ${timezone})",
                mapping={"title": column["title"], "timezone": tz},
            ),
            context=request,
        )
        for column in view.columns
    ]
    return [
        translate(_("Name"), context=request),
        translate(_("User ID"), context=request),
        translate(_("csv_expected", default="Expected"), context=request),
        *titles,
        translate(_("Documents read"), context=request),
        translate(_("csv_ready", default="Ready"), context=request),
    ]


def cells(view, row, said=None):
    """The CSV cells of ``row`` (a dict of ``FolderMatrix``'s rows);
    ``said``: ``readers_csv.words(request)``."""
    said = said or words(None)
    reads = row["reads"]
    times = [view.iso_time(reads.get(number)) for number in range(len(view.columns))]
    return [
        row["fullname"],
        row["member"],
        said[bool(row["expected"])],
        *times,
        row["count"],
        said[bool(row["ready"])],
    ]


def totals(view):
    """The last line: how many members read each document, how many are ready."""
    ready = sum(1 for row in view.rows if row["ready"])
    label = translate(_("Members who read it"), context=view.request)
    return [label, "", "", *view.column_totals, "", ready]


def filename(view):
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", view.context.getId() or "folder")
    stamp = datetime.now(view.tz).strftime("%Y%m%d")
    return f"matrix-{name}-{stamp}.csv"


def download(view):
    """The body of the download of ``view`` (an updated ``FolderMatrix``)."""
    said = words(view.request)
    rows = [cells(view, row, said) for row in view.rows]
    rows.append(totals(view))
    return csv_download(view.request.response, filename(view), header(view), rows)
