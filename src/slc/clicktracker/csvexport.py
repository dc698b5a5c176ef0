"""CSV downloads that spreadsheets open as data, never as formulas.

The one place reports write CSV; nothing here needs Zope.
"""

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
    # Every cell quoted: a spreadsheet whose locale separates with ";" (or
    # a tab) would split an unquoted "x;=1+1" and run the part after it.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(value) for value in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def csv_download(response, filename, header, rows):
    """Make ``response`` a CSV file download of ``header`` and ``rows``.

    :param filename: the file's name, without characters a header cannot
        carry (callers build it from ids and dates).
    :returns: the body, UTF-8 with a BOM (which makes Excel read it as UTF-8).
    """
    response.setHeader("Content-Type", "text/csv; charset=utf-8")
    response.setHeader("Content-Disposition", f'attachment; filename="{filename}"')
    # Who read what is personal data: keep it out of shared caches.
    response.setHeader("Cache-Control", "private, no-store")
    return ("\ufeff" + to_csv(header, rows)).encode("utf-8")


def csv_chunks(header, rows, size=1000):
    """The bytes of ``csv_download``'s body, ``size`` rows at a time.

    For downloads too large to hold: ``rows`` is consumed lazily. Every
    chunk goes through ``to_csv`` (a chunk's first row in the place of the
    header, which ``to_csv`` writes like any row), so cells are made safe
    and quoted exactly as there.
    """
    yield ("\ufeff" + to_csv(header, ())).encode("utf-8")
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield to_csv(chunk[0], chunk[1:]).encode("utf-8")
            chunk = []
    if chunk:
        yield to_csv(chunk[0], chunk[1:]).encode("utf-8")
