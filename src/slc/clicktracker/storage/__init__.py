"""Where hits are kept: PostgreSQL, with a local spool as safety net."""

from slc.clicktracker.storage.postgresql import LogRow
from slc.clicktracker.storage.postgresql import PostgresqlStorage
from slc.clicktracker.storage.postgresql import StorageError


__all__ = ["LogRow", "PostgresqlStorage", "StorageError"]
