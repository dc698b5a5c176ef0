"""A member's data rights: export, erase, pseudonymise (IPrivacyStorage).

Mixed into PostgresqlStorage, like ``readtime``. Each call runs on a
connection of its own (not one of the pool's, which hits need), in short
batches (``privacy_batches``), as the purge does; what the rows are and
why is docs/privacy.rst.

A pseudonym is ``~`` and 20 letters and digits from an HMAC-SHA256 of the
member id with the site's key: stable (the same member, the same key, the
same pseudonym, so long-term figures still add up per person) and never a
Plone user id (those never start with ``~``), so a pseudonym is never
pseudonymised again.
"""

from slc.clicktracker.interfaces import IPrivacyStorage
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage import batches
from slc.clicktracker.storage import privacy_batches
from slc.clicktracker.storage import privacy_rows
from slc.clicktracker.storage import schema
from slc.clicktracker.storage.hits import clean_member
from slc.clicktracker.tokens import ANONYMOUS
from slc.clicktracker.tokens import PSEUDONYM_PREFIX as PREFIX
from slc.clicktracker.tokens import is_pseudonym
from zope.interface import implementer
import base64
import hashlib
import hmac
import logging
import psycopg2
import psycopg2.extensions


logger = logging.getLogger("slc.clicktracker")

MIN_KEY_BYTES = 16
PSEUDONYM_LENGTH = 20  # base32 characters: 100 bits


def clean_key(key):
    """The pseudonym key: bytes, at least MIN_KEY_BYTES; ValueError if not."""
    if not isinstance(key, bytes):
        raise ValueError(f"the pseudonym key must be bytes, not {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"the pseudonym key must have at least {MIN_KEY_BYTES} bytes, "
            f"got {len(key)}"
        )
    return key


def pseudonym(member, key):
    """The stable pseudonym of ``member`` under ``key`` (bytes)."""
    digest = hmac.new(clean_key(key), member.encode("utf-8"), hashlib.sha256)
    text = base64.b32encode(digest.digest()).decode("ascii").lower()
    return PREFIX + text[:PSEUDONYM_LENGTH]


def clean_person(member, name="member"):
    """A member id that names a person: not empty, not the anonymous member."""
    if not isinstance(member, str):
        raise ValueError(f"{name} must be a str, got {member!r}")
    member = clean_member(member, name)
    if not member.strip():
        raise ValueError(f"{name} must not be empty")
    if member == ANONYMOUS:
        raise ValueError(f"{ANONYMOUS} is no member: it stands for every visitor")
    return member


@implementer(IPrivacyStorage)
class Privacy:
    """Mixin of PostgresqlStorage (which supplies ``_connect`` and
    ``storage_error``)."""

    # Per statement: one batch, or one table's rows of a member (export).
    privacy_statement_timeout_ms = 120_000

    def member_data(self, member):
        member = clean_person(member)

        def work(conn):
            # One snapshot for all tables; reading blocks no writer.
            conn.set_session(
                isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ,
                readonly=True,
            )
            try:
                with conn.cursor() as cur:
                    return privacy_rows.read(cur, member)
            finally:
                conn.rollback()

        return self._privacy_run("exporting a member's data", work)

    def erase_member(self, member, batch_size=5000):
        member = clean_person(member)
        batch_size = batches.clean_batch(batch_size)

        def work(conn):
            with conn.cursor() as cur:
                return privacy_batches.erase(cur, member, batch_size)

        removed = self._privacy_run("erasing a member's data", work, autocommit=True)
        logger.info("erased the data of member %r: %s", member, _counts(removed))
        return removed

    def pseudonymise_member(self, member, pseudonym, batch_size=5000):
        member = clean_person(member)
        new = clean_person(pseudonym, "pseudonym")
        if not is_pseudonym(new):
            raise ValueError(f"a pseudonym starts with {PREFIX!r}, got {new!r}")
        if new == member:
            raise ValueError("the pseudonym must differ from the member id")
        batch_size = batches.clean_batch(batch_size)

        def work(conn):
            with conn.cursor() as cur:
                return privacy_batches.rename(
                    cur, lambda old: new, batch_size, member=member
                )

        changed = self._privacy_run("pseudonymising a member", work, autocommit=True)
        logger.info("pseudonymised member %r as %r: %s", member, new, _counts(changed))
        return changed

    def pseudonymise_before(self, days, key, batch_size=5000):
        if isinstance(days, bool) or not isinstance(days, (int, float)) or days <= 0:
            raise ValueError(f"days must be a number above 0, got {days!r}")
        key = clean_key(key)
        batch_size = batches.clean_batch(batch_size)

        def work(conn):
            with conn.cursor() as cur:
                cur.execute("SELECT now() - %s * interval '1 day'", (days,))
                (cutoff,) = cur.fetchone()
                return privacy_batches.rename(
                    cur, lambda old: pseudonym(old, key), batch_size, cutoff=cutoff
                )

        changed = self._privacy_run("pseudonymising old rows", work, autocommit=True)
        logger.info("pseudonymised rows older than %s days: %s", days, _counts(changed))
        return changed

    def _privacy_run(self, what, work, autocommit=False):
        """``work(conn)`` on a connection of its own, the schema checked."""
        conn = self._connect(self.privacy_statement_timeout_ms)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                version = schema.read_version(cur)
            if version is None or version < schema.newest():
                raise StorageError(
                    "The clicktracker schema is at version "
                    f"{version or 'none'}; set up or upgrade the database first "
                    f"(version {schema.newest()} is needed)."
                )
            conn.autocommit = autocommit
            return work(conn)
        except psycopg2.Error as error:
            raise self.storage_error(f"{what} failed", error) from error
        finally:
            conn.close()


def _counts(rows):
    return ", ".join(f"{count} {table}" for table, count in rows.items())
