"""The IClickStorage utility: a PostgresqlStorage configured at call time.

The DSN is looked up on every call, so a change in the control panel (or of
the environment) takes effect without a restart:

1. the environment variable ``SLC_CLICKTRACKER_DSN`` when it is non-empty
   (keeps passwords out of the ZODB);
2. else the registry record ``slc.clicktracker.dsn`` of the current site;
3. else nothing: hits are only spooled, and replayed once a DSN is set.

The spool (an SQLite file that keeps hits while PostgreSQL is unreachable or
not configured) is ``SLC_CLICKTRACKER_SPOOL`` when set, else
``<clienthome>/clicktracker-spool.sqlite`` (``clienthome`` is the instance's
``var`` directory).

Connection pools belong to a process, not to a ZODB connection, so storages
live in a module-level dict shared by all threads.
"""

from App.config import getConfiguration
from pathlib import Path
from plone.registry.interfaces import IRegistry
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import StorageError
from zope.component import queryUtility
from zope.interface import implementer
import functools
import logging
import os
import tempfile
import threading


logger = logging.getLogger(__name__)

ENV_DSN = "SLC_CLICKTRACKER_DSN"
ENV_SPOOL = "SLC_CLICKTRACKER_SPOOL"
RECORD = "slc.clicktracker.dsn"
SPOOL_NAME = "clicktracker-spool.sqlite"

SOURCE_ENVIRONMENT = "environment"
SOURCE_REGISTRY = "registry"

NOT_CONFIGURED = (
    "No database is configured: set the connection string (DSN) in Site Setup "
    f"-> Click tracker settings, or the environment variable {ENV_DSN}."
)

_storages = {}  # (dsn, spool path) -> PostgresqlStorage
_lock = threading.Lock()


def registry_dsn():
    """The DSN stored in the current site's registry, or "".

    Outside a site (no registry utility) or before the add-on is installed
    (no record) this is simply "", never an error.
    """
    # The registry itself, not plone.api: this runs for every hit.
    registry = queryUtility(IRegistry)
    value = registry.get(RECORD) if registry is not None else None
    return (value or "").strip()


def environment_dsn():
    return os.environ.get(ENV_DSN, "").strip()


def effective_dsn():
    """``(dsn, source)``: the DSN in use and where it came from (or None)."""
    dsn = environment_dsn()
    if dsn:
        return dsn, SOURCE_ENVIRONMENT
    dsn = registry_dsn()
    if dsn:
        return dsn, SOURCE_REGISTRY
    return "", None


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
    """Delegates to the PostgresqlStorage for the DSN configured right now."""

    def storage(self):
        dsn, _source = effective_dsn()
        return get_storage(dsn, spool_path())

    def _write(self, method, *args, **kw):
        # Another thread may switch the DSN and close the storage (and its
        # spool) under us: then the current storage takes the hit.
        storage = self.storage()
        try:
            result = getattr(storage, method)(*args, **kw)
        except StorageError:
            current = self.storage()
            if current is storage:
                raise
            return getattr(current, method)(*args, **kw)
        if not getattr(result, "stored", result):
            current = self.storage()
            if current is not storage:
                return getattr(current, method)(*args, **kw)
        return result

    def logAccess(self, member, path, url, **kw):
        try:
            return self._write("logAccess", member, path, url, **kw)
        except StorageError:
            return False

    def logVisit(self, member, path, url, visit_id=None, **kw):
        return self._write("logVisit", member, path, url, visit_id, **kw)

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
            raise StorageError(NOT_CONFIGURED)
        return get_storage(dsn, spool_path()).setup_database()

    def move(self, old_path, new_path):
        return self.storage().move(old_path, new_path)

    def replay(self):
        return self.storage().replay()

    def getVisits(self, **kw):
        return self.storage().getVisits(**kw)

    def countVisits(self, **kw):
        return self.storage().countVisits(**kw)

    def getVisit(self, visit_id):
        return self.storage().getVisit(visit_id)

    def getClickstream(self, visit_id):
        return self.storage().getClickstream(visit_id)

    def purge(self, keep_days, batch_size=5000):
        return self.storage().purge(keep_days, batch_size=batch_size)
