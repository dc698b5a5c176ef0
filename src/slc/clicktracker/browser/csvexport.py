"""CSV output that spreadsheets open as data, never as formulas (no Zope here)."""

import csv
import io


# A cell starting with one of these is evaluated by Excel, LibreOffice and
# Google Sheets ("CSV injection"); the leading quote makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` as CSV cell text that cannot start a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(header, rows):
    """The CSV text of ``header`` and ``rows`` (sequences of cell values)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(value) for value in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
