"""Erase or pseudonymise one member's data, or pseudonymise old data: what
the member data page, the member deletion subscriber and the "Pseudonymise
old data" button share. Each writes one audit line to the Zope log: who
did it, to whom, how many rows per table.
"""

from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.privacy import settings
from slc.clicktracker.storage.utility import click_storage
import logging


logger = logging.getLogger("slc.clicktracker")


def privacy_storage():
    """The click storage when it can export and erase members' data, else None."""
    from slc.clicktracker.interfaces import IPrivacyStorage

    storage = click_storage()
    return storage if IPrivacyStorage.providedBy(storage) else None


def _storage():
    storage = privacy_storage()
    if storage is None:
        raise StorageError("this click storage cannot export or erase members' data")
    return storage


def counts_text(counts):
    """``hits=3, visits=1`` (tables with rows only; "no rows" else)."""
    text = ", ".join(f"{table}={n}" for table, n in sorted(counts.items()) if n)
    return text or "no rows"


def summary(member):
    """``{table: rows}`` stored about ``member``."""
    return {table: len(rows) for table, rows in _storage().member_data(member).items()}


def member_data(member):
    return _storage().member_data(member)


def pseudonym_of(member, config=None):
    """The member's pseudonym under the site's key (None without a key)."""
    from slc.clicktracker.storage.privacy import pseudonym

    key = (config or settings.read()).key
    return pseudonym(member, key) if key else None


def erase(member, actor, why="on request"):
    """Erase everything stored about ``member``; ``{table: rows}``."""
    counts = _storage().erase_member(member)
    logger.info(
        "Privacy audit: %s erased the data of member %r (%s): %s",
        actor,
        member,
        why,
        counts_text(counts),
    )
    return counts


def pseudonymise(member, actor, why="on request"):
    """Replace ``member`` by its pseudonym everywhere; (pseudonym, counts)."""
    name = pseudonym_of(member)
    if name is None:
        raise StorageError("the site has no pseudonym key (reinstall or upgrade)")
    counts = _storage().pseudonymise_member(member, name)
    logger.info(
        "Privacy audit: %s pseudonymised member %r as %s (%s): %s",
        actor,
        member,
        name,
        why,
        counts_text(counts),
    )
    return name, counts


def pseudonymise_old(actor):
    """Pseudonymise data older than the configured days; ``{table: rows}``,
    or None when the setting is 0 (never)."""
    config = settings.read()
    days = config.pseudonymise_after_days
    if not days:
        return None
    if config.key is None:
        raise StorageError("the site has no pseudonym key (reinstall or upgrade)")
    counts = _storage().pseudonymise_before(days, config.key)
    logger.info(
        "Privacy audit: %s pseudonymised the data older than %d days: %s",
        actor,
        days,
        counts_text(counts),
    )
    return counts
