"""Where hits are kept: PostgreSQL, with a local spool as safety net."""

from slc.clicktracker.storage.postgresql import LogRow
from slc.clicktracker.storage.postgresql import PostgresqlStorage
from slc.clicktracker.storage.postgresql import StorageError
from slc.clicktracker.storage.visits import ClickRow
from slc.clicktracker.storage.visits import VisitResult
from slc.clicktracker.storage.visits import VisitRow


__all__ = [
    "ClickRow",
    "LogRow",
    "PostgresqlStorage",
    "StorageError",
    "VisitResult",
    "VisitRow",
]
