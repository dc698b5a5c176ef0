"""Confirmations and reminders on PostgreSQL (issue 12): once per member
and document, carried along by moves, claimed atomically across instances."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.interfaces import IConfirmationStorage
from slc.clicktracker.interfaces import IReminderStorage
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.storage import Confirmation
from slc.clicktracker.storage import PostgresqlStorage
from slc.clicktracker.storage import Reminder
from tests.unit.helpers import query
from zope.interface.verify import verifyObject
import pytest


T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DOC = "/Plone/board/agenda"
OTHER = "/Plone/board/minutes"
DAY = timedelta(days=1)


def at(hours):
    return T0 + timedelta(hours=hours)


def test_provides_the_interfaces(storage):
    assert verifyObject(IConfirmationStorage, storage)
    assert verifyObject(IReminderStorage, storage)


# -- confirmations ----------------------------------------------------------------


def test_a_confirmation_is_kept_once_with_its_first_time(storage):
    assert storage.confirm(DOC, "ann", uid="u1", title="Agenda", when=at(1)) == at(1)
    # A second click (another tab, a stale page) keeps the first time.
    assert storage.confirm(DOC, "ann", uid="u1", when=at(5)) == at(1)
    storage.confirm(OTHER, "ann", when=at(2))
    storage.confirm(DOC, "bob", uid="u1", when=at(3))
    assert storage.confirmations([OTHER, DOC]) == [
        Confirmation(DOC, "ann", at(1)),
        Confirmation(DOC, "bob", at(3)),
        Confirmation(OTHER, "ann", at(2)),
    ]
    assert storage.confirmations(DOC, members="bob") == [
        Confirmation(DOC, "bob", at(3))
    ]
    assert storage.confirmations([DOC], members=[]) == []
    assert storage.confirmations(["/Plone/nothing"]) == []


def test_a_confirmation_finds_the_document_a_hit_created(storage, pg_dsn):
    storage.logAccess("ann", DOC, "http://nohost" + DOC, uid="u1", when=at(0))
    storage.confirm(DOC, "ann", uid="u1", when=at(1))
    # One document row: the confirmation joined the one the view made.
    assert query(pg_dsn, "SELECT count(*) FROM clicktracker.documents") == [(1,)]


def test_confirmations_follow_a_move(storage):
    storage.confirm(DOC, "ann", uid="u1", when=at(1))
    storage.move("/Plone/board", "/Plone/meetings/board")
    assert storage.confirmations(["/Plone/meetings/board/agenda"]) == [
        Confirmation("/Plone/meetings/board/agenda", "ann", at(1))
    ]


def test_bad_confirmations_are_refused(storage):
    with pytest.raises(ValueError):
        storage.confirm("relative/path", "ann")
    with pytest.raises(ValueError):
        storage.confirm(DOC, "ann", when=datetime(2024, 1, 1))  # naive
    assert storage.confirmations([DOC]) == []


def test_the_default_time_is_now(storage):
    before = datetime.now(UTC)
    confirmed = storage.confirm(DOC, "ann")
    assert before - timedelta(seconds=5) <= confirmed <= datetime.now(UTC)


# -- reminders --------------------------------------------------------------------


def test_nobody_is_reminded_twice_within_the_interval(storage):
    assert storage.claim_reminders(DOC, ["bob", "cid"], DAY, when=at(0)) == [
        "bob",
        "cid",
    ]
    # An hour later: both were reminded; dan is new.
    assert storage.claim_reminders(DOC, ["cid", "bob", "dan"], DAY, when=at(1)) == [
        "dan"
    ]
    # A day later bob and cid may be reminded again; dan not yet.
    assert storage.claim_reminders(DOC, ["bob", "cid", "dan"], DAY, when=at(24)) == [
        "bob",
        "cid",
    ]
    # Another document is another matter.
    assert storage.claim_reminders(OTHER, "bob", DAY, when=at(1)) == ["bob"]
    assert storage.reminders([DOC, OTHER]) == [
        Reminder(DOC, "bob", at(24)),
        Reminder(DOC, "cid", at(24)),
        Reminder(DOC, "dan", at(1)),
        Reminder(OTHER, "bob", at(1)),
    ]
    assert storage.reminders([DOC], members=["dan"]) == [Reminder(DOC, "dan", at(1))]


def test_a_released_claim_can_be_made_again(storage):
    assert storage.claim_reminders(DOC, ["bob"], DAY, when=at(0)) == ["bob"]
    # The mail to bob failed: the next run reminds him.
    storage.release_reminder(DOC, "bob", at(0))
    assert storage.reminders([DOC]) == []
    assert storage.claim_reminders(DOC, ["bob"], DAY, when=at(1)) == ["bob"]
    # Releasing a claim that is not the current one changes nothing.
    storage.release_reminder(DOC, "bob", at(0))
    assert storage.reminders([DOC]) == [Reminder(DOC, "bob", at(1))]


def test_claims_racing_from_many_instances_remind_once(pg_dsn, tmp_path):
    # Separate storages (pools) stand for separate Zope instances.
    storages = [
        PostgresqlStorage(pg_dsn, spool_path=tmp_path / f"spool{n}.sqlite")
        for n in range(4)
    ]
    storages[0].setup_database()
    members = [f"m{n:03}" for n in range(200)]
    try:
        with ThreadPoolExecutor(8) as pool:
            claimed = list(
                pool.map(
                    lambda n: storages[n % 4].claim_reminders(DOC, members, DAY),
                    range(16),
                )
            )
    finally:
        for storage in storages:
            storage.close()
    every = [member for found in claimed for member in found]
    assert sorted(every) == members  # each member claimed by exactly one run


def test_bad_reminder_calls_are_refused(storage):
    for not_within in (-DAY, 3600, None):
        with pytest.raises(ValueError):
            storage.claim_reminders(DOC, ["bob"], not_within)
    with pytest.raises(ValueError):
        storage.release_reminder(DOC, "bob", None)
    assert storage.claim_reminders(DOC, [], DAY) == []
    assert storage.reminders([DOC]) == []


# -- no database ----------------------------------------------------------------


def test_not_configured():
    storage = PostgresqlStorage("")
    for call in (
        lambda: storage.confirm(DOC, "ann"),
        lambda: storage.confirmations([DOC]),
        lambda: storage.claim_reminders(DOC, ["bob"], DAY),
        lambda: storage.reminders([DOC]),
    ):
        with pytest.raises(StorageNotConfigured):
            call()


def test_database_failure_is_a_storage_error(pg_dsn, tmp_path):
    # A database without the schema: the statements fail in PostgreSQL.
    storage = PostgresqlStorage(pg_dsn, spool_path=tmp_path / "s.sqlite")
    try:
        with pytest.raises(StorageError, match="recording a confirmation"):
            storage.confirm(DOC, "ann")
        with pytest.raises(StorageError, match="recording reminders"):
            storage.claim_reminders(DOC, ["bob"], DAY)
    finally:
        storage.close()
