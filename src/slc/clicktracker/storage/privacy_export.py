"""A member's data (``member_data``) as files: JSON, or a ZIP of CSV files.

Shared by the site's download views and ``clicktracker-privacy export``.
The ZIP holds one ``<table>.csv`` per table (UTF-8 with a BOM, every cell
quoted and made safe from spreadsheet formulas by ``browser/csvexport``,
which needs no Zope), columns as the database names them; a table without
rows is an empty file.
"""

from datetime import UTC
from datetime import datetime
from slc.clicktracker.csvexport import to_csv
import io
import json
import zipfile


def export_json(data):
    """``data`` as indented JSON text (tables in their order, UTF-8 safe)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_csv(rows):
    """The CSV text of one table's rows (dicts): a header of their columns,
    in the order first seen, then one line per row; "" for no rows."""
    columns = []
    for row in rows:
        columns.extend(column for column in row if column not in columns)
    if not columns:
        return ""
    return to_csv(columns, [[row.get(c) for c in columns] for row in rows])


def export_zip(data, now=None):
    """The bytes of a ZIP file with ``<table>.csv`` for every table."""
    stamp = (now or datetime.now(UTC)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, rows in data.items():
            text = export_csv(rows)
            body = ("\ufeff" + text).encode("utf-8") if text else b""
            archive.writestr(zipfile.ZipInfo(f"{table}.csv", stamp), body)
    return out.getvalue()
