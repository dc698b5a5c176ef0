"""The readers report on a document's Tracking tab (for "View reading
status"): how many of the expected readers have read it, one row per
expected reader (read, read late, not read; and when they confirmed, where
the item asks for it), sorted and filtered, then those who read it without
being expected; and the same rows as CSV.

Expected readers come from ``slc.clicktracker.readers`` (groups resolved
now), reads from a storage with ``IReadStatusStorage``, confirmations
from one with ``IConfirmationStorage``. All rows are worked
out at once (a few thousand at most: the members of the groups named), then
sorted and paged here; names come from ``names.many``, which remembers them.
"""

from datetime import UTC
from datetime import datetime
from plone import api
from plone.batching import Batch
from Products.CMFCore.interfaces import IFolderish
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import readers
from slc.clicktracker.browser import readers_csv
from slc.clicktracker.browser.readers_links import ReadersLinks
from slc.clicktracker.browser.readers_texts import COLUMN_LABELS
from slc.clicktracker.browser.readers_texts import CONFIRM_FILTERS
from slc.clicktracker.browser.readers_texts import STATUSES
from slc.clicktracker.browser.readers_texts import ReadersTexts
from slc.clicktracker.browser.readingfilter import ReadingFilter
from slc.clicktracker.browser.reports import BATCH_SIZE
from slc.clicktracker.browser.reports import TabPart
from slc.clicktracker.readtime import rule
from slc.clicktracker.storage.utility import confirmation_storage
from slc.clicktracker.storage.utility import read_status_storage
from slc.clicktracker.storage.utility import reading_time_storage
from slc.clicktracker.tokens import ANONYMOUS


# Reading time and end: where the storage measures them, after the views.
READING = ("seconds", "reached_end")
COLUMNS = tuple(column for column in COLUMN_LABELS if column not in READING)
DEFAULT_SORT = "status"
TIMES = ("first_read", "last_read", "confirmed")
# Readers who were not expected: only so many on the page, all in the CSV.
OTHERS_SHOWN = BATCH_SIZE
# The report's own form fields: the access log on the same page has others.
FIELDS = ("readers_sort", "readers_order", "readers_status", "readers_start")
FIELDS += ("readers_min", "readers_end")


class ReadersReport(ReadersTexts, ReadersLinks, TabPart):
    """The report's part of ``@@tracking`` (rendered by it, not a page)."""

    what = "the readers report"
    index = ViewPageTemplateFile("templates/readers.pt")
    broken = _("The readers report cannot be read right now; see the server log.")
    expectation = None
    storage = None
    confirm_storage = None
    confirmed_count = 0
    measures_reading = False

    def unreachable(self, reason):
        return _(
            "msg_readers_unreachable",
            default="The readers report cannot be read right now: the click "
            "tracker database is unreachable (${reason}).",
            mapping={"reason": reason},
        )

    @staticmethod
    def applies(context):
        """Whether ``context`` has a readers report: documents, not folders
        (what a folder's readers read is a matter for each document)."""
        return not IFolderish.providedBy(context)

    @property
    def path(self):
        return "/".join(self.context.getPhysicalPath())

    def update(self):
        """Read the form, the expectation in force and the reads."""
        self.setup()
        self.updated = True
        self.expectation = readers.expectation(self.context)
        self.storage = read_status_storage()
        self.measures_reading = reading_time_storage() is not None
        self.reading_filter = ReadingFilter(self.request.form, "readers")
        if self.reading_filter.error and self.measures_reading:
            self.messages.append(("warning", self.reading_filter.error))
        if self.asks_confirm:
            self.confirm_storage = confirmation_storage()
        form = self.request.form
        sort_on = form.get("readers_sort")
        self.sort_on = sort_on if sort_on in self.columns() else DEFAULT_SORT
        self.reverse = form.get("readers_order") == "descending"
        status = form.get("readers_status")
        filters = STATUSES + (CONFIRM_FILTERS if self.shows_confirmed else ())
        self.status_filter = status if status in filters else None
        self.rows, self.others = [], []
        self.counts = dict.fromkeys(STATUSES, 0)
        if self.expectation is not None and self.storage is not None:
            self.read(self._load, None)

    @property
    def available(self):
        return self.storage is not None

    @property
    def asks_confirm(self):
        """Whether the expectation in force asks readers to confirm."""
        return self.expectation is not None and self.expectation.confirm

    @property
    def shows_confirmed(self):
        """Whether rows have a "Confirmed" column: asked, and the storage
        keeps confirmations (else the page says they are unavailable)."""
        return self.asks_confirm and self.confirm_storage is not None

    def columns(self):
        columns = COLUMNS
        if self.shows_confirmed:
            columns = columns[:-1] + ("confirmed",) + columns[-1:]
        if self.measures_reading:
            columns += READING
        return columns

    @property
    def rule(self):
        """The rule in force: when a document counts as read."""
        return self.expectation.rule if self.expectation else rule.DEFAULT

    def _load(self):
        expected = readers.expected_members(self.expectation.principals)
        rules = {self.path: rule.terms(self.rule)}
        found = {
            row.member: row
            for row in self.storage.read_status([self.path], rules=rules)
        }
        confirmed = {}
        if self.shows_confirmed:
            confirmed = {
                row.member: row.confirmed
                for row in self.confirm_storage.confirmations([self.path])
            }
        deadline = self.expectation.deadline
        names = self.fullnames(set(expected) | set(found))
        groups = {}
        rows = [
            self._row(member, found.get(member), deadline, names, via, groups)
            for member, via in expected.items()
        ]
        others = [
            self._row(member, status, deadline, names)
            for member, status in found.items()
            if member not in expected
        ]
        for row in rows + others:
            row["confirmed"] = confirmed.get(row["member"])
        for row in rows:
            self.counts[row["status"]] += 1
        self.confirmed_count = sum(row["confirmed"] is not None for row in rows)
        self.rows = self.sorted(rows)
        self.others = self.sorted(others)

    def _row(self, member, status, deadline, names, via=None, groups=None):
        first = status.read_at if status is not None else None
        fullname = names.get(member, "")
        if member == ANONYMOUS:
            fullname = self.translate(_("Anonymous visitors"))
        row = {
            "member": member,
            "fullname": fullname,
            "status": readers.read_state(first, deadline),
            "first_read": first,
            "last_read": status.last_read if status is not None else None,
            "views": status.views if status is not None else 0,
            "seconds": status.seconds if status is not None else None,
            "reached_end": status.reached_end if status is not None else None,
            "via": via,
            "via_title": None,
        }
        if via is not None and via != member:
            if via not in groups:
                group = api.group.get(groupname=via)
                groups[via] = (group and group.getProperty("title")) or via
            row["via_title"] = groups[via]
        return row

    # -- sorting, filtering, paging ---------------------------------------------

    def sorted(self, rows):
        """``rows`` in the chosen order; rows without a time stay last."""
        column = self.sort_on

        def by_name(row):
            return ((row["fullname"] or row["member"]).casefold(), row["member"])

        if column in TIMES:
            missing = sorted((r for r in rows if r[column] is None), key=by_name)
            present = [r for r in rows if r[column] is not None]
            present.sort(key=lambda r: (r[column], by_name(r)), reverse=self.reverse)
            return present + missing
        keys = {
            "status": lambda r: (STATUSES.index(r["status"]), by_name(r)),
            "fullname": by_name,
            "member": lambda r: r["member"],
            "views": lambda r: (r["views"], by_name(r)),
            "seconds": lambda r: (r["seconds"] or -1, by_name(r)),
            "reached_end": lambda r: (r["reached_end"] or False, by_name(r)),
        }
        return sorted(rows, key=keys[column], reverse=self.reverse)

    @property
    def filtered(self):
        rows = self.rows
        if self.measures_reading and self.reading_filter.active:
            match = self.reading_filter.matches
            rows = [row for row in rows if match(row["seconds"], row["reached_end"])]
        if self.status_filter is None:
            return rows
        if self.status_filter in CONFIRM_FILTERS:
            want = self.status_filter == "confirmed"
            return [row for row in rows if (row["confirmed"] is not None) == want]
        return [row for row in rows if row["status"] == self.status_filter]

    def batch(self):
        try:
            start = max(int(self.request.form.get("readers_start", 0)), 0)
        except (TypeError, ValueError):
            start = 0
        batch = Batch(self.filtered, size=BATCH_SIZE, start=start)
        batch.b_start_str = "readers_start"  # the access log has b_start
        return batch

    def shown_others(self):
        return self.display_rows(self.others[:OTHERS_SHOWN])

    def more_others(self):
        return max(len(self.others) - OTHERS_SHOWN, 0)

    # -- the headline -----------------------------------------------------------

    @property
    def total(self):
        return len(self.rows)

    @property
    def have_read(self):
        return self.counts["read"] + self.counts["late"]

    def percent(self, count):
        """``count`` as a whole percentage of the expected readers, rounded
        down: "100%" only when everybody has read it."""
        return count * 100 // self.total if self.total else 0

    def bar_width(self, status):
        return f"{self.counts[status] * 100 / self.total:.2f}" if self.total else "0"

    def deadline_passed(self):
        deadline = self.expectation.deadline if self.expectation else None
        return deadline is not None and deadline <= datetime.now(UTC)

    def downloadable(self):
        return self.expectation is not None and self.storage is not None

    def download(self):
        return readers_csv.download(self)
