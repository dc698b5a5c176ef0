"""The readers report as a CSV download: the expected readers in the
table's order and filter, then those who read without being expected.

A few thousand rows at most (the members of the groups named, and the
others who read one document): written at once through ``csvexport``.
"""

from datetime import datetime
from slc.clicktracker import _
from slc.clicktracker.csvexport import csv_download
from zope.i18n import translate
import re


# In the reader's language, as the page; times stay ISO, in the time zone
# that the headers name.
WORDS = {
    "read": _("Read"),
    "late": _("Read late"),
    "unread": _("Not read"),
    True: _("csv_yes", default="yes"),
    False: _("csv_no", default="no"),
}


def header(tz, confirmed=False, reading=False, request=None):
    """The first row; ``confirmed``: with the column of confirmations (where
    the item asks for them), as the table has it, before the views;
    ``reading``: with reading time and end, after them."""
    names = [
        _("Name"),
        _("User ID"),
        _("csv_expected", default="Expected"),
        _("Expected through"),
        _("Status"),
        (_("First read"), tz),
        (_("Last read"), tz),
    ]
    if confirmed:
        names.append((_("Confirmed"), tz))
    names.append(_("Views"))
    if reading:
        names += [_("Reading time (seconds)"), _("Read to the end")]
    return [
        f"{translate(name[0], context=request)} ({name[1]})"
        if isinstance(name, tuple)
        else translate(name, context=request)
        for name in names
    ]


def words(request):
    """WORDS translated once for all rows."""
    return {key: translate(text, context=request) for key, text in WORDS.items()}


def cells(view, row, expected, said=None):
    """The CSV cells of ``row`` (a dict of ``ReadersReport``'s rows);
    ``said``: ``words(request)``."""
    said = said or words(None)
    found = [
        row["fullname"],
        row["member"],
        said[bool(expected)],
        row["via"] or "",
        said[row["status"]],
        view.iso_time(row["first_read"]),
        view.iso_time(row["last_read"]),
    ]
    if view.shows_confirmed:
        found.append(view.iso_time(row.get("confirmed")))
    found.append(row["views"])
    if view.measures_reading:
        end = row["reached_end"]
        found += ["" if row["seconds"] is None else row["seconds"]]
        found += ["" if end is None else said[bool(end)]]
    return found


def filename(view):
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", view.context.getId() or "item")
    stamp = datetime.now(view.tz).strftime("%Y%m%d")
    return f"readers-{name}-{stamp}.csv"


def download(view):
    """The body of the download of ``view`` (an updated ``ReadersReport``)."""
    said = words(view.request)
    rows = [cells(view, row, True, said) for row in view.filtered]
    rows += [cells(view, row, False, said) for row in view.others]
    first = header(
        view.timezone_name(),
        confirmed=view.shows_confirmed,
        reading=view.measures_reading,
        request=view.request,
    )
    return csv_download(view.request.response, filename(view), first, rows)
