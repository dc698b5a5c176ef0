"""Where hits are kept: PostgreSQL, with a local spool as safety net.

Usable without Zope. The Zope side reaches it through the ``IClickStorage``
utility (``storage.utility``), never through these classes directly.
"""

from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage.postgresql import PostgresqlStorage
from slc.clicktracker.storage.rows import AccessRow
from slc.clicktracker.storage.rows import ClickRow
from slc.clicktracker.storage.rows import Confirmation
from slc.clicktracker.storage.rows import LogPage
from slc.clicktracker.storage.rows import LogRow
from slc.clicktracker.storage.rows import ReaderTotals
from slc.clicktracker.storage.rows import ReadStatus
from slc.clicktracker.storage.rows import Reminder
from slc.clicktracker.storage.rows import VisitResult
from slc.clicktracker.storage.rows import VisitRow


__all__ = [
    "AccessRow",
    "ClickRow",
    "Confirmation",
    "LogPage",
    "LogRow",
    "PostgresqlStorage",
    "ReadStatus",
    "ReaderTotals",
    "Reminder",
    "StorageError",
    "VisitResult",
    "VisitRow",
]
