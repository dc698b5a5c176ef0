"""The readers report as a CSV download: the expected readers in the
table's order and filter, then those who read without being expected.

A few thousand rows at most (the members of the groups named, and the
others who read one document): written at once through ``csvexport``.
"""

from datetime import datetime
from slc.clicktracker.browser.csvexport import csv_download
import re


# Data, not a page: the same words in every language, as the access log's.
STATUS_TEXTS = {"read": "Read", "late": "Read late", "unread": "Not read"}


def header(tz, confirmed=False, reading=False):
    """The first row; ``confirmed``: with the column of confirmations (where
    the item asks for them), as the table has it, before the views;
    ``reading``: with reading time and end, after them."""
    names = [
        "Name",
        "User ID",
        "Expected",
        "Expected through",
        "Status",
        f"First read ({tz})",
        f"Last read ({tz})",
    ]
    if confirmed:
        names.append(f"Confirmed ({tz})")
    names.append("Views")
    if reading:
        names += ["Reading time (seconds)", "Read to the end"]
    return names


def cells(view, row, expected):
    """The CSV cells of ``row`` (a dict of ``ReadersReport``'s rows)."""
    found = [
        row["fullname"],
        row["member"],
        "yes" if expected else "no",
        row["via"] or "",
        STATUS_TEXTS[row["status"]],
        view.iso_time(row["first_read"]),
        view.iso_time(row["last_read"]),
    ]
    if view.shows_confirmed:
        found.append(view.iso_time(row.get("confirmed")))
    found.append(row["views"])
    if view.measures_reading:
        end = row["reached_end"]
        found += ["" if row["seconds"] is None else row["seconds"]]
        found += ["" if end is None else ("yes" if end else "no")]
    return found


def filename(view):
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", view.context.getId() or "item")
    stamp = datetime.now(view.tz).strftime("%Y%m%d")
    return f"readers-{name}-{stamp}.csv"


def download(view):
    """The body of the download of ``view`` (an updated ``ReadersReport``)."""
    rows = [cells(view, row, True) for row in view.filtered]
    rows += [cells(view, row, False) for row in view.others]
    first = header(
        view.timezone_name(),
        confirmed=view.shows_confirmed,
        reading=view.measures_reading,
    )
    return csv_download(view.request.response, filename(view), first, rows)
