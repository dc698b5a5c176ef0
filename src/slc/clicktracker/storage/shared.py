"""The process-wide PostgresqlStorages, one per DSN, and the spool they share.

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
"""

from App.config import getConfiguration
from collections import OrderedDict
from pathlib import Path
from slc.clicktracker.storage import spool as spools
from slc.clicktracker.storage.postgresql import PostgresqlStorage
from zope.component.hooks import getSite
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
