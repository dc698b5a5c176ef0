"""Who read, confirmed and was reminded: the storage side of reading
accountability (``slc.clicktracker.readers``).

``PostgresqlStorage`` takes these methods from ``ReadingRecords``
(IReadStatusStorage, IConfirmationStorage, IReminderStorage). Read status
comes from the access totals; confirmations and reminders have tables of
their own in
``sql/migrations/0005.sql``. Both are keyed by document row, found or
created with ``clicktracker.find_document`` as a hit would, so a move or a
rename carries them along; reads are by path, summed over the document rows
one path may have (as ``read_status`` does).

Neither is written by a hit: these are rare writes (a member's click, a
reminder run) and cost the write path nothing.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.storage.hits import clean_member
from slc.clicktracker.storage.hits import clean_path
from slc.clicktracker.storage.hits import clean_when
from slc.clicktracker.storage.queries import clean_paths
from slc.clicktracker.storage.queries import read_status_query
from slc.clicktracker.storage.readrules import ruled_status_query
from slc.clicktracker.storage.readrules import ruled_totals_query
from slc.clicktracker.storage.readrules import split
from slc.clicktracker.storage.rows import Confirmation
from slc.clicktracker.storage.rows import ReaderTotals
from slc.clicktracker.storage.rows import ReadStatus
from slc.clicktracker.storage.rows import Reminder


# One statement each way, so a retry after a dropped connection is harmless:
# the ON CONFLICT makes a second run a no-op.
# DO UPDATE (to the same value) rather than DO NOTHING: RETURNING then gives
# the time kept also when the member had confirmed before.
CONFIRM = (
    "WITH d AS (SELECT clicktracker.find_document(%(path)s, %(uid)s, %(title)s) AS id) "
    "INSERT INTO clicktracker.confirmations AS c (document_id, member, confirmed) "
    "SELECT d.id, %(member)s, %(when)s FROM d "
    "ON CONFLICT (document_id, member) DO UPDATE SET confirmed = c.confirmed "
    "RETURNING c.confirmed"
)

# The claim: a member is returned only when this statement inserted their
# row or moved its time on. Two instances claiming at once serialise on the
# row; the second sees the first one's time and returns nobody.
CLAIM = (
    "WITH d AS (SELECT clicktracker.find_document(%(path)s, %(uid)s, %(title)s) AS id) "
    "INSERT INTO clicktracker.reminders AS r (document_id, member, sent) "
    "SELECT d.id, m, %(when)s FROM d, unnest(%(members)s::text[]) AS m "
    "ON CONFLICT (document_id, member) DO UPDATE SET sent = EXCLUDED.sent "
    "WHERE r.sent <= EXCLUDED.sent - %(not_within)s "
    "RETURNING r.member"
)

# Only the claim made at ``sent``: a later claim by someone else stays.
RELEASE = (
    "DELETE FROM clicktracker.reminders r USING clicktracker.documents d "
    "WHERE r.document_id = d.id AND d.path = %(path)s "
    "AND r.member = %(member)s AND r.sent = %(sent)s RETURNING 1"
)


# Both totals of the reading matrix from one scan of the access totals:
# rows with member NULL count a path's readers, rows with path NULL count
# the documents a member read (neither column is ever NULL in the data).
READER_TOTALS = (
    "SELECT d.path, a.member, count(DISTINCT a.member), count(DISTINCT d.path) "
    "FROM clicktracker.documents d "
    "JOIN clicktracker.access a ON a.document_id = d.id "
    "WHERE d.path = ANY(%(paths)s) AND a.member <> ALL(%(exclude)s) "
    "GROUP BY GROUPING SETS ((d.path), (a.member))"
)


def _per_path(table, column, aggregate, paths, members):
    """SQL and parameters: ``aggregate`` of ``table.column`` per path and
    member (summing the document rows one path may have)."""
    only = " AND t.member = ANY(%(members)s)" if members is not None else ""
    sql = (
        f"SELECT d.path, t.member, {aggregate}(t.{column}) "  # noqa: S608
        f"FROM clicktracker.documents d JOIN clicktracker.{table} t "
        "ON t.document_id = d.id "
        f"WHERE d.path = ANY(%(paths)s){only} "
        "GROUP BY d.path, t.member ORDER BY d.path, t.member"
    )
    return sql, {"paths": paths, "members": members}


def _confirmations_query(paths, members):
    return _per_path("confirmations", "confirmed", "min", paths, members)


def _reminders_query(paths, members):
    return _per_path("reminders", "sent", "max", paths, members)


def _clean_rules(rules):
    """``{cleaned path: terms}``; None stays None."""
    if rules is None:
        return None
    return {clean_path(path): terms for path, terms in rules.items()}


def _members(members):
    """Cleaned, sorted, distinct member ids; one str alone is one member."""
    if members is None:
        return None
    members = [members] if isinstance(members, str) else members
    return sorted({clean_member(member) for member in members})


class ReadingRecords:
    """IReadStatusStorage, IConfirmationStorage and IReminderStorage for
    PostgresqlStorage.

    Needs ``_read(sql, params, what)`` and ``_require_dsn()`` of the class
    it is mixed into; ``_read`` runs one autocommitted statement.
    """

    # -- IReadStatusStorage ------------------------------------------------------

    def read_status(self, paths, members=None, rules=None):
        paths = clean_paths(paths)
        members = _members(members)
        self._require_dsn()
        if not paths or members == []:
            return []
        plain, ruled = split(paths, _clean_rules(rules))
        what = "reading who read the documents"
        rows = []
        if plain:
            rows += self._read(*read_status_query(plain, members), what)
        if ruled:
            rows += self._read(*ruled_status_query(ruled, members), what)
        return sorted((ReadStatus(*row) for row in rows), key=lambda r: r[:2])

    def reader_totals(self, paths, exclude=(), rules=None):
        paths = clean_paths(paths)
        exclude = _members(exclude) or []
        self._require_dsn()
        plain, ruled = split(paths, _clean_rules(rules))
        what = "counting who read the documents"
        rows = []
        if plain:
            params = {"paths": plain, "exclude": exclude}
            rows += self._read(READER_TOTALS, params, what)
        if ruled:
            rows += self._read(*ruled_totals_query(ruled, exclude), what)
        per_member, per_path = {}, {}
        for path, member, readers, documents in rows:
            if member is None:
                per_path[path] = readers
            else:
                # Plain and ruled documents of one member add up.
                per_member[member] = per_member.get(member, 0) + documents
        return ReaderTotals(per_member, per_path)

    # -- IConfirmationStorage ---------------------------------------------------

    def confirm(self, path, member, uid=None, title=None, when=None):
        params = {
            "path": clean_path(path),
            "member": clean_member(member),
            "uid": uid or None,
            "title": title,
            "when": clean_when(when) or datetime.now(UTC),
        }
        rows = self._read(CONFIRM, params, "recording a confirmation")
        return rows[0][0]

    def confirmations(self, paths, members=None):
        rows = self._per_path(
            _confirmations_query, paths, members, "reading confirmations"
        )
        return [Confirmation(*row) for row in rows]

    # -- IReminderStorage -------------------------------------------------------

    def claim_reminders(
        self, path, members, not_within, uid=None, title=None, when=None
    ):
        if not isinstance(not_within, timedelta) or not_within < timedelta(0):
            raise ValueError(f"not_within must be a timedelta >= 0, got {not_within!r}")
        params = {
            "path": clean_path(path),
            "members": _members(members),
            "not_within": not_within,
            "uid": uid or None,
            "title": title,
            "when": clean_when(when) or datetime.now(UTC),
        }
        self._require_dsn()
        if not params["members"]:
            return []
        rows = self._read(CLAIM, params, "recording reminders")
        return sorted(row[0] for row in rows)

    def release_reminder(self, path, member, sent):
        params = {
            "path": clean_path(path),
            "member": clean_member(member),
            "sent": clean_when(sent, "sent"),
        }
        if params["sent"] is None:
            raise ValueError("sent must be the time of the claim")
        self._read(RELEASE, params, "releasing a reminder")

    def reminders(self, paths, members=None):
        rows = self._per_path(_reminders_query, paths, members, "reading reminders")
        return [Reminder(*row) for row in rows]

    def _per_path(self, query, paths, members, what):
        """The rows of ``query(paths, members)`` (cleaned first)."""
        paths = clean_paths(paths)
        members = _members(members)
        # Asking for nothing still says when there is no database.
        self._require_dsn()
        if not paths or members == []:
            return []
        sql, params = query(paths, members)
        return self._read(sql, params, what)
