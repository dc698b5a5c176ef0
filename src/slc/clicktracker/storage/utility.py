"""The IClickStorage utility: a PostgresqlStorage configured at call time.

The DSN is looked up on every call (``dsn.effective_dsn``), so a change in
the control panel (or of the environment) takes effect without a restart.
Which storage serves a DSN, and the spool, are ``storage.shared``'s.

Views and other Zope code get the storage through ``click_storage()`` and
the other accessors here, each returning None when the registered storage
lacks that capability: one path from the UI to the storage.
"""

from slc.clicktracker.interfaces import IAccessLogStorage
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.interfaces import IConfirmationStorage
from slc.clicktracker.interfaces import IPrivacyStorage
from slc.clicktracker.interfaces import IReadingTimeStorage
from slc.clicktracker.interfaces import IReadStatusStorage
from slc.clicktracker.interfaces import IReminderStorage
from slc.clicktracker.interfaces import IStatisticsStorage
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.storage.dsn import NOT_CONFIGURED
from slc.clicktracker.storage.dsn import effective_dsn
from slc.clicktracker.storage.dsn import mask
from slc.clicktracker.storage.shared import get_storage
from slc.clicktracker.storage.shared import pending_destination
from slc.clicktracker.storage.shared import spool_path
from zope.component import queryUtility
from zope.interface import classImplements
from zope.interface import implementer


# -- what views use -------------------------------------------------------------


def click_storage():
    """The registered IClickStorage utility, or None."""
    return queryUtility(IClickStorage)


def visit_storage():
    """The click storage when it offers visits (IVisitStorage), else None."""
    return _capable(IVisitStorage)


def admin_storage():
    """The click storage when it offers administration, else None."""
    return _capable(IClickStorageAdmin)


def _capable(interface):
    storage = queryUtility(IClickStorage)
    return storage if interface.providedBy(storage) else None


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

    def read_status(self, paths, members=None, rules=None):
        return self.storage().read_status(paths, members=members, rules=rules)

    def reader_totals(self, paths, exclude=(), rules=None):
        return self.storage().reader_totals(paths, exclude=exclude, rules=rules)

    # -- IConfirmationStorage, IReminderStorage ------------------------------

    def confirm(self, path, member, **kw):
        return self.storage().confirm(path, member, **kw)

    def confirmations(self, paths, members=None):
        return self.storage().confirmations(paths, members=members)

    def claim_reminders(self, path, members, not_within, **kw):
        return self.storage().claim_reminders(path, members, not_within, **kw)

    def release_reminder(self, path, member, sent):
        return self.storage().release_reminder(path, member, sent)

    def reminders(self, paths, members=None):
        return self.storage().reminders(paths, members=members)

    # -- IReadingTimeStorage -------------------------------------------------------

    def log_reading(self, hit_id, member, seconds, depth, reached_end):
        return self.storage().log_reading(hit_id, member, seconds, depth, reached_end)

    # -- IStatisticsStorage ---------------------------------------------------

    def views_per_day(self, prefix, since, until, zone):
        return self.storage().views_per_day(prefix, since, until, zone)

    def most_read(self, zone, days, offset=0, limit=50):
        return self.storage().most_read(zone, days, offset=offset, limit=limit)

    def document_stats(self, paths, zone, days):
        return self.storage().document_stats(paths, zone, days)

    def prepare_statistics(self, zone, today=None):
        return self.storage().prepare_statistics(zone, today=today)

    # -- IPrivacyStorage ------------------------------------------------------

    def member_data(self, member):
        return self.storage().member_data(member)

    def erase_member(self, member, batch_size=5000):
        return self.storage().erase_member(member, batch_size=batch_size)

    def pseudonymise_member(self, member, pseudonym, batch_size=5000):
        return self.storage().pseudonymise_member(
            member, pseudonym, batch_size=batch_size
        )

    def pseudonymise_before(self, days, key, batch_size=5000):
        return self.storage().pseudonymise_before(days, key, batch_size=batch_size)


classImplements(
    ConfiguredStorage,
    IAccessLogStorage,
    IReadStatusStorage,
    IConfirmationStorage,
    IReminderStorage,
    IReadingTimeStorage,
)
classImplements(ConfiguredStorage, IStatisticsStorage)
classImplements(ConfiguredStorage, IPrivacyStorage)


def access_log_storage():
    """The click storage when it pages the access log itself, else None."""
    return _capable(IAccessLogStorage)


def read_status_storage():
    """The click storage when it says who read what (readers report), else None."""
    return _capable(IReadStatusStorage)


def confirmation_storage():
    """The click storage when it keeps "I have read this" confirmations, else None."""
    return _capable(IConfirmationStorage)


def reminder_storage():
    """The click storage when it records reminders sent, else None."""
    return _capable(IReminderStorage)


def statistics_storage():
    """The click storage when it counts views over time (charts, the site
    statistics), else None."""
    return _capable(IStatisticsStorage)


def reading_time_storage():
    """The click storage when it keeps reading time and depth, else None."""
    return _capable(IReadingTimeStorage)
