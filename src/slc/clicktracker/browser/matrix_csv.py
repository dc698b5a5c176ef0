"""The reading matrix as a CSV download: every member (not one page), the
first-read time in each cell or nothing, and the totals.

Five hundred members × a hundred documents are 50,000 cells: written at
once through ``csvexport``, which makes every cell safe from formulas.
"""

from datetime import datetime
from slc.clicktracker.browser.csvexport import csv_download
import re


def header(view):
    tz = view.timezone_name()
    titles = [f"{column['title']} (first read, {tz})" for column in view.columns]
    return ["Name", "User ID", "Expected", *titles, "Documents read", "Ready"]


def cells(view, row):
    """The CSV cells of ``row`` (a dict of ``FolderMatrix``'s rows)."""
    reads = row["reads"]
    times = [view.iso_time(reads.get(number)) for number in range(len(view.columns))]
    return [
        row["fullname"],
        row["member"],
        "yes" if row["expected"] else "no",
        *times,
        row["count"],
        "yes" if row["ready"] else "no",
    ]


def totals(view):
    """The last line: how many members read each document, how many are ready."""
    ready = sum(1 for row in view.rows if row["ready"])
    return ["Members who read it", "", "", *view.column_totals, "", ready]


def filename(view):
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", view.context.getId() or "folder")
    stamp = datetime.now(view.tz).strftime("%Y%m%d")
    return f"matrix-{name}-{stamp}.csv"


def download(view):
    """The body of the download of ``view`` (an updated ``FolderMatrix``)."""
    rows = [cells(view, row) for row in view.rows]
    rows.append(totals(view))
    return csv_download(view.request.response, filename(view), header(view), rows)
