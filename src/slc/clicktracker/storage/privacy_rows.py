"""Everything stored about one member, as JSON-able rows (member_data).

Each table's rows are read whole (``t.*``), so a column added later is
exported without a change here; documents' paths and titles are joined in
where a row names its document by id only. Values become what JSON holds:
times as ISO 8601 text, UUIDs as text.
"""

from datetime import date
from datetime import datetime
from datetime import time
from decimal import Decimal
from uuid import UUID


DOCUMENT = " LEFT JOIN clicktracker.documents d ON d.id = t.document_id"
WITH_DOCUMENT = (
    "SELECT t.*, d.path, d.title FROM clicktracker.{table} t"  # noqa: S608
    + DOCUMENT
)

# Per table: the rows about %(member)s, oldest first.
MEMBER_ROWS = {
    "hits": WITH_DOCUMENT.format(table="hits")
    + " WHERE t.member = %(member)s ORDER BY t.at, t.id",
    "visits": "SELECT t.* FROM clicktracker.visits t"
    " WHERE t.member = %(member)s ORDER BY t.started, t.id",
    # A view's reading figures, through the click it was counted on.
    "received": "SELECT t.* FROM clicktracker.received t"
    " JOIN clicktracker.hits h ON h.id = t.hit"
    " WHERE h.member = %(member)s ORDER BY t.hit_id",
    "access": WITH_DOCUMENT.format(table="access")
    + " WHERE t.member = %(member)s ORDER BY t.firstaccess, t.document_id, t.url",
    "confirmations": WITH_DOCUMENT.format(table="confirmations")
    + " WHERE t.member = %(member)s ORDER BY t.confirmed, t.document_id",
    "reminders": WITH_DOCUMENT.format(table="reminders")
    + " WHERE t.member = %(member)s ORDER BY t.sent, t.document_id",
}


def plain(value):
    """``value`` as JSON holds it."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def read(cur, member):
    """``{table: [row dicts]}`` of every table that names members."""
    data = {}
    for name, statement in MEMBER_ROWS.items():
        cur.execute(statement, {"member": member})
        columns = [column.name for column in cur.description]
        data[name] = [
            {column: plain(value) for column, value in zip(columns, row, strict=True)}
            for row in cur.fetchall()
        ]
    return data
