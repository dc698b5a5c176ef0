"""What the member data page and "My reading data" share: a member's data
as a summary (rows per table, with readable names) and as downloads (JSON,
or a ZIP of one CSV per table; the format is ``storage/privacy_export.py``'s).
"""

from slc.clicktracker import _
from slc.clicktracker.privacy import members
import re


# Readable names of the tables the storage reports; others show as stored.
TABLE_LABELS = {
    "hits": _("Page views"),
    "visits": _("Visits"),
    "access": _("Totals per document"),
    "received": _("View ids received"),
    "confirmations": _("“I have read this” confirmations"),
    "reminders": _("Reminders sent"),
}

FORMATS = {
    "json": ("application/json; charset=utf-8", "json"),
    "zip": ("application/zip", "zip"),
}


def summary_rows(data):
    """``[{"table", "label", "rows"}]`` of ``data`` ({table: rows}), the
    raw data first, tables without rows too."""
    known = list(TABLE_LABELS)
    order = sorted(data, key=lambda t: (known.index(t) if t in known else 99, t))
    return [
        {"table": table, "label": TABLE_LABELS.get(table, table), "rows": len(rows)}
        for table, rows in ((table, data[table]) for table in order)
    ]


def total(data):
    return sum(len(rows) for rows in data.values())


def file_name(member, extension):
    """A file name for ``member``'s download that any system accepts."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", member).strip("._") or "member"
    return f"reading-data-{safe[:60]}.{extension}"


def download(request, member, data, fmt):
    """The response body of ``member``'s ``data`` in ``fmt`` (json, zip);
    headers set: an attachment nobody caches."""
    from slc.clicktracker.storage import privacy_export

    content_type, extension = FORMATS[fmt]
    body = (
        privacy_export.export_json(data).encode("utf-8")
        if fmt == "json"
        else privacy_export.export_zip(data)
    )
    response = request.response
    response.setHeader("Content-Type", content_type)
    response.setHeader(
        "Content-Disposition", f'attachment; filename="{file_name(member, extension)}"'
    )
    response.setHeader("Cache-Control", "private, no-store")
    response.setHeader("X-Content-Type-Options", "nosniff")
    return body


def load(member):
    """``member``'s data ({table: rows}); StorageError when it cannot be had."""
    return members.member_data(member)
