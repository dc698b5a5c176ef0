"""What every IClickStorage must do: a reusable pytest test base.

Use it for your own storage::

    from slc.clicktracker.testing.contract import ClickStorageContract
    import pytest

    class TestMyStorage(ClickStorageContract):
        @pytest.fixture
        def storage(self):
            return MyStorage()   # empty, ready to record

Only ``logAccess`` and ``getLog`` are exercised.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
import pytest


T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def summary(rows):
    return [(row.member, row.count, row.url) for row in rows]


class ClickStorageContract:
    """Subclasses provide a ``storage`` fixture returning an empty storage."""

    ORDER_KEYS = ("member", "url", "count", "lastaccess")

    def fill(self, storage):
        """Distinct counts, times, members and urls, so every order is total."""
        hits = [
            ("carol", "/Plone/f/a", "http://nohost/plone/f/a", 1),
            ("alice", "/Plone/f/a", "http://nohost/plone/f/a", 2),
            ("alice", "/Plone/f/a", "http://nohost/plone/f/a", 7),
            ("bob", "/Plone/f/b", "http://nohost/plone/f/b", 3),
            ("bob", "/Plone/f/b", "http://nohost/plone/f/b", 4),
            ("bob", "/Plone/f/b", "http://nohost/plone/f/b", 5),
            ("dave", "/Plone/f", "http://nohost/plone/f", 6),
        ]
        for member, path, url, minute in hits:
            assert storage.logAccess(member, path, url, when=at(minute)) is True

    def test_logaccess_returns_true(self, storage):
        assert storage.logAccess("alice", "/Plone/doc", "http://x/doc") is True

    def test_nothing_logged_gives_empty_log(self, storage):
        assert list(storage.getLog("/Plone")) == []

    def test_one_row_per_member_and_url(self, storage):
        self.fill(storage)
        assert summary(storage.getLog("/Plone/f")) == [
            ("alice", 2, "http://nohost/plone/f/a"),
            ("bob", 3, "http://nohost/plone/f/b"),
            ("carol", 1, "http://nohost/plone/f/a"),
            ("dave", 1, "http://nohost/plone/f"),
        ]

    def test_different_urls_of_one_document_are_separate_rows(self, storage):
        storage.logAccess("alice", "/Plone/d", "http://x/d", when=at(1))
        storage.logAccess("alice", "/Plone/d", "http://x/d/view", when=at(2))
        storage.logAccess("alice", "/Plone/d", "http://x/d", when=at(3))
        assert summary(storage.getLog("/Plone/d")) == [
            ("alice", 2, "http://x/d"),
            ("alice", 1, "http://x/d/view"),
        ]

    def test_first_and_last_access(self, storage):
        self.fill(storage)
        (row,) = storage.getLog("/Plone/f/b")
        assert row.firstaccess == at(3)
        assert row.lastaccess == at(5)
        assert row.path == "/Plone/f/b"

    def test_prefix_is_the_path_itself_and_below(self, storage):
        self.fill(storage)
        assert [r.member for r in storage.getLog("/Plone/f/a")] == ["alice", "carol"]
        assert len(storage.getLog("/Plone/f")) == 4
        assert len(storage.getLog("/Plone")) == 4
        assert storage.getLog("/Plone/f/a/b") == []

    def test_prefix_does_not_match_siblings_sharing_its_start(self, storage):
        storage.logAccess("alice", "/Plone/a", "http://x/a")
        storage.logAccess("bob", "/Plone/ab", "http://x/ab")
        storage.logAccess("carol", "/Plone/a-b", "http://x/a-b")
        storage.logAccess("dave", "/Plone/a/b", "http://x/a/b")
        assert [r.member for r in storage.getLog("/Plone/a")] == ["alice", "dave"]
        assert [r.member for r in storage.getLog("/Plone/ab")] == ["bob"]

    def test_trailing_slash_in_prefix_is_ignored(self, storage):
        self.fill(storage)
        assert summary(storage.getLog("/Plone/f/")) == summary(
            storage.getLog("/Plone/f")
        )

    def test_path_may_be_a_physical_path_tuple(self, storage):
        storage.logAccess("alice", ("", "Plone", "t", "doc"), "http://x/doc")
        assert [r.path for r in storage.getLog("/Plone/t")] == ["/Plone/t/doc"]
        assert len(storage.getLog(("", "Plone", "t"))) == 1

    @pytest.mark.parametrize("key", ORDER_KEYS)
    def test_order_by(self, storage, key):
        self.fill(storage)
        rows = storage.getLog("/Plone", order_by=key)
        values = [getattr(row, key) for row in rows]
        assert values == sorted(values)
        assert len(set(values)) > 1
        backwards = storage.getLog("/Plone", order_by=key, order_reverse=True)
        assert [getattr(row, key) for row in backwards] == sorted(values, reverse=True)

    def test_default_order_is_member(self, storage):
        self.fill(storage)
        assert summary(storage.getLog("/Plone")) == summary(
            storage.getLog("/Plone", order_by="member")
        )

    def test_unknown_order_raises(self, storage):
        self.fill(storage)
        with pytest.raises(ValueError):
            storage.getLog("/Plone", order_by="path; DROP TABLE x")

    def test_rows_by_attribute_and_index(self, storage):
        storage.logAccess("alice", "/Plone/d", "http://x/d", when=at(1))
        (row,) = storage.getLog("/Plone/d")
        assert (row[0], row[1], row[2], row[3]) == ("alice", 1, at(1), "http://x/d")
        assert (row.member, row.count, row.lastaccess, row.url) == tuple(row[:4])
        assert row.firstaccess == at(1)
        assert row.path == "/Plone/d"

    def test_uid_is_reported(self, storage):
        storage.logAccess("alice", "/Plone/d", "http://x/d", uid="abc123")
        assert [r.uid for r in storage.getLog("/Plone/d")] == ["abc123"]

    def test_time_window(self, storage):
        self.fill(storage)
        rows = storage.getLog("/Plone", since=at(3), until=at(5))
        # since is inclusive, until exclusive
        assert summary(rows) == [("bob", 2, "http://nohost/plone/f/b")]
        (row,) = rows
        assert (row.firstaccess, row.lastaccess) == (at(3), at(4))
        assert summary(storage.getLog("/Plone/f/a", since=at(2))) == [
            ("alice", 2, "http://nohost/plone/f/a")
        ]
        assert summary(storage.getLog("/Plone/f/a", until=at(2))) == [
            ("carol", 1, "http://nohost/plone/f/a")
        ]

    def test_empty_member_is_rejected(self, storage):
        with pytest.raises(ValueError):
            storage.logAccess("", "/Plone/d", "http://x/d")

    def test_relative_or_empty_path_is_rejected(self, storage):
        with pytest.raises(ValueError):
            storage.logAccess("alice", "", "http://x/d")
        with pytest.raises(ValueError):
            storage.logAccess("alice", "Plone/d", "http://x/d")

    def test_sql_metacharacters_are_just_text(self, storage):
        member = "o'brien\"; DROP TABLE x; --"
        path = "/Plone/100%_\\x'"
        assert storage.logAccess(member, path, "http://x/?a=1&b='2'%")
        storage.logAccess("bob", "/Plone/100X_\\x'", "http://x/other")
        assert summary(storage.getLog(path)) == [(member, 1, "http://x/?a=1&b='2'%")]
