"""The IClickStorage utility: a PostgresqlStorage configured at call time.

The DSN is looked up on every call (``dsn.effective_dsn``), so a change in
the control panel (or of the environment) takes effect without a restart.

The spool (an SQLite file that keeps hits while PostgreSQL is unreachable or
not configured) is ``SLC_CLICKTRACKER_SPOOL`` when set, else
``<clienthome>/clicktracker-spool.sqlite`` (``clienthome`` is the instance's
``var`` directory). All storages of the process share it; each spooled hit
says which database it belongs to. A site without a database spools for
``pending:<site path>``; once the site has one, those hits go there.

Connection pools belong to a process, not to a ZODB connection, so storages
live in a module-level dict shared by all threads, one per DSN (a few: sites
of one instance may use different databases).

Environment: ``SLC_CLICKTRACKER_POOL_SIZE`` (connections per database,
default 2: keep it below the number of Zope worker threads, so that a hung
database can never hold them all) and ``SLC_CLICKTRACKER_SPOOL_MAX_MB``
(the spool's cap, default 64).

Views and other Zope code get the storage through ``click_storage()``,
``visit_storage()`` and ``admin_storage()`` here: one path from the UI to
the storage.
"""

from App.config import getConfiguration
from collections import OrderedDict
from pathlib import Path
from slc.clicktracker.interfaces import IAccessLogStorage
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.interfaces import IReadStatusStorage
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.storage import spool as spools
from slc.clicktracker.storage.dsn import NOT_CONFIGURED
from slc.clicktracker.storage.dsn import effective_dsn
from slc.clicktracker.storage.dsn import mask
from slc.clicktracker.storage.postgresql import PostgresqlStorage
from zope.component import queryUtility
from zope.component.hooks import getSite
from zope.interface import classImplements
from zope.interface import implementer
import functools
import logging
import os
import tempfile
import threading


logger = logging.getLogger(__name__)

ENV_SPOOL = "SLC_CLICKTRACKER_SPOOL"
ENV_POOL_SIZE = "SLC_CLICKTRACKER_POOL_SIZE"
ENV_SPOOL_MAX_MB = "SLC_CLICKTRACKER_SPOOL_MAX_MB"
SPOOL_NAME = "clicktracker-spool.sqlite"
PENDING = "pending:"
# Storages kept open at once; the oldest is closed beyond that (its pool;
# the shared spool stays).
MAX_STORAGES = 8

_storages = OrderedDict()  # (dsn, spool path, destination) -> PostgresqlStorage
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


def _number(name, default):
    try:
        value = int(os.environ.get(name, "") or default)
    except ValueError:
        logger.warning("%s is not a whole number; using %s", name, default)
        return default
    return max(value, 1)


def pending_destination(site=None):
    """Where a site without a database spools: for that site only."""
    site = site if site is not None else getSite()
    path = "/".join(site.getPhysicalPath()) if site is not None else ""
    return f"{PENDING}{path}"


def get_storage(dsn, spool, destination=None):
    """The process-wide PostgresqlStorage for ``dsn`` and spool file ``spool``.

    :param destination: the spool destination of a storage without a DSN
        (``pending_destination()``); storages with a DSN derive theirs.
    """
    key = (dsn, spool, destination)
    storage = _storages.get(key)  # the usual case, without waiting for the lock
    if storage is not None:
        return storage
    with _lock:
        storage = _storages.get(key)
        if storage is not None:
            return storage
        storage = _storages[key] = PostgresqlStorage(
            dsn=dsn,
            spool=spools.shared(
                spool, max_bytes=_number(ENV_SPOOL_MAX_MB, 64) * 1024 * 1024
            ),
            pool_size=_number(ENV_POOL_SIZE, 2),
            destination=destination,
        )
        while len(_storages) > MAX_STORAGES:
            _close(_storages.popitem(last=False)[1])
        return storage


def _close(storage):
    try:
        storage.close()
    except Exception:
        logger.exception("Could not close a click tracker storage")


def close_all():
    """Close every pool and spool (process shutdown, tests)."""
    with _lock:
        while _storages:
            _close(_storages.popitem()[1])
        spools.close_shared()


@implementer(IClickStorage, IClickStorageAdmin, IVisitStorage)
class ConfiguredStorage:
    """Delegates to the PostgresqlStorage for the DSN configured right now.

    Writes: another thread may switch the DSN and close the storage (and its
    spool) while a hit is on its way; then the storage configured now takes
    the hit (``_retry``).
    """

    def storage(self):
        dsn, _source = effective_dsn()
        if not dsn:
            return get_storage("", spool_path(), pending_destination())
        storage = get_storage(dsn, spool_path())
        if storage.spool.pending:
            self._adopt(storage)
        return storage

    @staticmethod
    def _adopt(storage):
        """Hits this site spooled before it had a database go to this one."""
        if storage.spool.relabel(pending_destination(), storage.destination):
            storage.replayer.kick()

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
        status = dict(self.storage().status())
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
        return self.storage().setup_database()

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

    # -- IAccessLogStorage, IReadStatusStorage ----------------------------------

    def log_page(self, prefix, *args, **kw):
        return self.storage().log_page(prefix, *args, **kw)

    def iter_log(self, prefix, *args, **kw):
        return self.storage().iter_log(prefix, *args, **kw)

    def read_status(self, paths, members=None):
        return self.storage().read_status(paths, members=members)


classImplements(ConfiguredStorage, IAccessLogStorage, IReadStatusStorage)


def access_log_storage():
    """The click storage when it pages the access log itself, else None."""
    storage = queryUtility(IClickStorage)
    return storage if IAccessLogStorage.providedBy(storage) else None


def read_status_storage():
    """The click storage when it says who read what (readers report), else None."""
    storage = queryUtility(IClickStorage)
    return storage if IReadStatusStorage.providedBy(storage) else None
