"""The IClickStorage utility: a PostgresqlStorage configured at call time.

The DSN is looked up on every call (``dsn.effective_dsn``), so a change in
the control panel (or of the environment) takes effect without a restart.

The spool (an SQLite file that keeps hits while PostgreSQL is unreachable or
not configured) is ``SLC_CLICKTRACKER_SPOOL`` when set, else
``<clienthome>/clicktracker-spool.sqlite`` (``clienthome`` is the instance's
``var`` directory).

Connection pools belong to a process, not to a ZODB connection, so storages
live in a module-level dict shared by all threads.

Views and other Zope code get the storage through ``click_storage()``,
``visit_storage()`` and ``admin_storage()`` here: one path from the UI to
the storage.
"""

from App.config import getConfiguration
from pathlib import Path
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.storage.dsn import NOT_CONFIGURED
from slc.clicktracker.storage.dsn import effective_dsn
from slc.clicktracker.storage.dsn import mask
from slc.clicktracker.storage.postgresql import PostgresqlStorage
from zope.component import queryUtility
from zope.interface import implementer
import functools
import logging
import os
import tempfile
import threading


logger = logging.getLogger(__name__)

ENV_SPOOL = "SLC_CLICKTRACKER_SPOOL"
SPOOL_NAME = "clicktracker-spool.sqlite"

_storages = {}  # (dsn, spool path) -> PostgresqlStorage
_lock = threading.Lock()


# -- what views use -------------------------------------------------------------


def click_storage():
    """The registered IClickStorage utility, or None."""
    return queryUtility(IClickStorage)


def visit_storage():
    """The click storage when it offers visits (IVisitStorage), else None."""
    storage = queryUtility(IClickStorage)
    return storage if IVisitStorage.providedBy(storage) else None


def admin_storage():
    """The click storage when it offers administration, else None."""
    storage = queryUtility(IClickStorage)
    return storage if IClickStorageAdmin.providedBy(storage) else None


# -- the process-wide storages --------------------------------------------------


def spool_path():
    """Where hits wait for PostgreSQL; see the module docstring."""
    clienthome = getattr(getConfiguration(), "clienthome", None)
    return _spool_path(os.environ.get(ENV_SPOOL, "").strip(), clienthome)


@functools.lru_cache(maxsize=64)
def _spool_path(configured, clienthome):
    # Cached: this runs for every hit and would otherwise stat the directory.
    if configured:
        return configured
    if clienthome and Path(clienthome).is_dir():
        return str(Path(clienthome) / SPOOL_NAME)
    # Only without a real instance (bare test runs, scripts): a directory of
    # this process, so that unrelated runs never replay each other's hits.
    directory = tempfile.mkdtemp(prefix="slc-clicktracker-")
    logger.warning(
        "No Zope clienthome and no %s: spooling hits to %s", ENV_SPOOL, directory
    )
    return str(Path(directory) / SPOOL_NAME)


def get_storage(dsn, spool):
    """The process-wide PostgresqlStorage for ``(dsn, spool)``.

    A storage for another DSN on the same spool belongs to an earlier
    configuration: it is closed, so its pool keeps no connections open and
    only one storage at a time owns the spool file (a spool is not meant to
    be shared).
    """
    key = (dsn, spool)
    storage = _storages.get(key)  # the usual case, without waiting for the lock
    if storage is not None:
        return storage
    with _lock:
        storage = _storages.get(key)
        if storage is not None:
            return storage
        for old_key in [k for k in _storages if k[1] == spool]:
            _close(_storages.pop(old_key))
        storage = _storages[key] = PostgresqlStorage(dsn=dsn, spool_path=spool)
        return storage


def _close(storage):
    try:
        storage.close()
    except Exception:
        logger.exception("Could not close a click tracker storage")


def close_all():
    """Close every pool (process shutdown, tests)."""
    with _lock:
        while _storages:
            _close(_storages.popitem()[1])


@implementer(IClickStorage, IClickStorageAdmin, IVisitStorage)
class ConfiguredStorage:
    """Delegates to the PostgresqlStorage for the DSN configured right now.

    Writes: another thread may switch the DSN and close the storage (and its
    spool) while a hit is on its way; then the storage configured now takes
    the hit (``_retry``).
    """

    def storage(self):
        dsn, _source = effective_dsn()
        return get_storage(dsn, spool_path())

    def _switched(self, storage):
        """The storage configured now, when it is not ``storage``; else None."""
        current = self.storage()
        return current if current is not storage else None

    def logAccess(self, member, path, url, **kw):
        storage = self.storage()
        try:
            stored = storage.logAccess(member, path, url, **kw)
        except StorageError:
            stored = False
        if not stored and (current := self._switched(storage)) is not None:
            try:
                return current.logAccess(member, path, url, **kw)
            except StorageError:
                return False
        return stored

    def log_visit(self, member, path, url, visit_id=None, **kw):
        storage = self.storage()
        try:
            result = storage.log_visit(member, path, url, visit_id, **kw)
        except StorageError:
            current = self._switched(storage)
            if current is None:
                raise
            return current.log_visit(member, path, url, visit_id, **kw)
        if not result.stored and (current := self._switched(storage)) is not None:
            return current.log_visit(member, path, url, visit_id, **kw)
        return result

    def getLog(self, prefix, order_by=None, order_reverse=False, **kw):
        return self.storage().getLog(
            prefix, order_by=order_by, order_reverse=order_reverse, **kw
        )

    def status(self):
        """The storage's status plus where the configuration comes from."""
        dsn, source = effective_dsn()
        spool = spool_path()
        status = dict(get_storage(dsn, spool).status())
        status["dsn_source"] = source
        status["masked_dsn"] = mask(dsn)
        status["spool_path"] = spool
        if not dsn:
            status["error"] = status.get("error") or NOT_CONFIGURED
        return status

    def setup_database(self):
        """Create or upgrade the schema of the configured database.

        The storage then drains the spool in the background.
        """
        dsn, _source = effective_dsn()
        if not dsn:
            raise StorageNotConfigured(NOT_CONFIGURED)
        return get_storage(dsn, spool_path()).setup_database()

    def move(self, old_path, new_path):
        return self.storage().move(old_path, new_path)

    def replay(self):
        return self.storage().replay()

    def get_visits(self, **kw):
        return self.storage().get_visits(**kw)

    def count_visits(self, **kw):
        return self.storage().count_visits(**kw)

    def get_visit(self, visit_id):
        return self.storage().get_visit(visit_id)

    def get_clickstream(self, visit_id):
        return self.storage().get_clickstream(visit_id)

    def purge(self, keep_days, batch_size=5000):
        return self.storage().purge(keep_days, batch_size=batch_size)
