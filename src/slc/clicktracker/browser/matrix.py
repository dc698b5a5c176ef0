"""The reading matrix on a folder's Tracking tab (for "View reading status"):
members × the tracked documents directly in the folder, a tick where a
member has read a document, totals, and who is "ready" (has read them all);
and the same grid as CSV.

Columns come from the catalog (only a document with expected readers of
its own is woken, for its deadline and rule). The storage answers twice:
``reader_totals`` gives every member who read something and the totals
(those not expected are rows too), then ``read_status`` the reads of the
members on the page shown (all of them for the CSV), each document under
its own rule of what counts as read.
"""

from html import escape
from plone import api
from plone.batching import Batch
from Products.CMFCore.interfaces import IFolderish
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.browser import matrix_csv
from slc.clicktracker.browser.reports import BATCH_SIZE
from slc.clicktracker.browser.reports import TabPart
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.readtime import rule
from slc.clicktracker.storage.utility import read_status_storage
from slc.clicktracker.tokens import ANONYMOUS
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from zope.i18n import translate


# The matrix's own batch field: the access log has b_start, the readers
# report readers_start.
START_FIELD = "matrix_start"
MARKS = {readers.READ: "✓", readers.LATE: "✓!"}
BADGES = {readers.READ: "text-bg-success", readers.LATE: "text-bg-warning"}
# Translated once per page, then the time put in: up to 50 × 100 cells.
TIME = "\x00"
CELL_TEXTS = {
    readers.READ: _("msg_matrix_read", default="Read: ${time}", mapping={"time": TIME}),
    readers.LATE: _(
        "msg_matrix_read_late", default="Read late: ${time}", mapping={"time": TIME}
    ),
}
# The tooltip, the same words for screen readers (a title alone is not
# read out everywhere); the tick itself is hidden from them.
CELL = (
    '<td title="{text}"><span class="badge {badge}" aria-hidden="true">{mark}'
    '</span><span class="visually-hidden">{text}</span></td>'
)
EMPTY_CELL = "<td></td>"


class FolderMatrix(TabPart):
    """The matrix's part of ``@@tracking`` (rendered by it, not a page)."""

    what = "the reading matrix"
    index = ViewPageTemplateFile("templates/matrix.pt")
    broken = _("The reading matrix cannot be read right now; see the server log.")
    expectation = None
    storage = None

    def unreachable(self, reason):
        return _(
            "msg_matrix_unreachable",
            default="The reading matrix cannot be read right now: the click "
            "tracker database is unreachable (${reason}).",
            mapping={"reason": reason},
        )

    @staticmethod
    def applies(context):
        """Folders have a matrix (a document has the readers report)."""
        return IFolderish.providedBy(context)

    def update(self):
        """The columns, the expected readers and the reads."""
        self.setup()
        self.updated = True
        self.storage = read_status_storage()
        self.expectation = readers.expectation(self.context)
        self.columns = self._columns()
        self.rows = []
        self.expected_count = 0
        self.column_totals = [0] * len(self.columns)
        if self.storage is not None and self.columns:
            self.read(self._load, None)

    @property
    def available(self):
        return self.storage is not None

    def _columns(self):
        """The tracked documents directly in the folder, in folder order:
        ``{path, title, url, deadline, rule}`` each."""
        query = {
            "path": {"query": "/".join(self.context.getPhysicalPath()), "depth": 1},
            "is_folderish": False,
            "sort_on": "getObjPositionInParent",
        }
        if tracking.tracking_source(self.context) is None:
            # Below an untracked folder only what is tracked itself counts;
            # the catalog knows it (tracking.enable reindexes object_provides).
            query["object_provides"] = IContentIsTracked.__identifier__
        inherited = self.expectation or readers.Expectation((), None, False)
        catalog = api.portal.get_tool("portal_catalog")
        has_own = self._has_own_expectation(catalog)
        columns = []
        for brain in catalog(**query):
            found = inherited
            if has_own(brain):
                # Woken for its own deadline and rule (not in the catalog),
                # from the folder: cheaper than getObject's traversal.
                doc = self.context.get(brain.getId)
                own = readers.own_expectation(doc) if doc is not None else None
                found = own or inherited
            columns.append(
                {
                    "path": brain.getPath(),
                    "title": brain.Title or brain.getId,
                    "url": brain.getURL() + "/@@tracking",
                    "deadline": found.deadline,
                    "rule": found.rule,
                }
            )
        return columns

    @staticmethod
    def _has_own_expectation(catalog):
        """A test of a brain: may its document have an expectation of its
        own? The catalog's index of them says so without waking it; before
        the upgrade step has added that index, every document may."""
        if readers.INDEX not in catalog.indexes():
            return lambda brain: True
        index = catalog._catalog.getIndex(readers.INDEX)
        return lambda brain: index.getEntryForObject(brain.getRID(), None) is not None

    def _load(self):
        """The rows in order, with totals; the first reads only for the rows
        shown (``fill``): 50 members' cells, not every reader's."""
        paths = [column["path"] for column in self.columns]
        # Anonymous visitors are not a member who could be "ready".
        totals = self.storage.reader_totals(
            paths, exclude=[ANONYMOUS], rules=self.rules()
        )
        expected = set()
        if self.expectation is not None:
            expected = set(readers.expected_members(self.expectation.principals))
        names = self.fullnames(expected | set(totals.members))

        def by_name(member):
            return ((names.get(member) or member).casefold(), member)

        others = sorted(set(totals.members) - expected, key=by_name)
        members = sorted(expected, key=by_name) + others
        self.expected_count = len(expected)
        self.column_totals = [totals.paths.get(path, 0) for path in paths]
        everything = len(self.columns)
        for member in members:
            count = totals.members.get(member, 0)
            self.rows.append(
                {
                    "member": member,
                    "fullname": names.get(member) or "",
                    "expected": member in expected,
                    # None: not fetched yet; a member who read none has none.
                    "reads": None if count else {},
                    "count": count,
                    "ready": count == everything,
                }
            )

    def fill(self, rows):
        """The first reads of those of ``rows`` that lack them, in one
        storage call (empty when it fails: the page says why)."""
        missing = [row for row in rows if row["reads"] is None]
        if not missing:
            return
        paths = [column["path"] for column in self.columns]
        index = {path: number for number, path in enumerate(paths)}
        found = {row["member"]: {} for row in missing}

        def load():
            rows = self.storage.read_status(
                paths, members=list(found), rules=self.rules()
            )
            for status in rows:
                if status.path in index and status.read_at is not None:
                    found[status.member][index[status.path]] = status.read_at

        self.read(load, None)
        for row in missing:
            row["reads"] = found[row["member"]]

    # -- what the table shows -----------------------------------------------------

    @property
    def ready_count(self):
        return sum(1 for row in self.rows if row["ready"] and row["expected"])

    def ready_text(self):
        """ "7 of 12 expected readers are ready"."""
        if self.expectation is None:
            return None
        if not self.expected_count:
            return _("The groups named have no members: nobody is expected to read.")
        return _(
            "msg_matrix_ready",
            default="${ready} of ${total} expected readers are ready",
            mapping={
                "ready": f"{self.ready_count:,}",
                "total": f"{self.expected_count:,}",
            },
        )

    def batch(self):
        try:
            start = max(int(self.request.form.get(START_FIELD, 0)), 0)
        except (TypeError, ValueError):
            start = 0
        if start >= len(self.rows):
            start = 0  # an old link, after members left: the first page
        batch = Batch(self.rows, size=BATCH_SIZE, start=start)
        batch.b_start_str = START_FIELD
        return batch

    def display_rows(self, batch):
        """The rows of ``batch`` as the table shows them; ``cells`` is the
        HTML of the document cells (built here: see CELL_TEXTS)."""
        texts = {
            state: translate(text, context=self.request)
            for state, text in CELL_TEXTS.items()
        }
        deadlines = [column["deadline"] for column in self.columns]
        rows = list(batch)
        self.fill(rows)
        shown = []
        previous_expected = None
        for row in rows:
            cells = []
            for number, deadline in enumerate(deadlines):
                first = row["reads"].get(number)
                if first is None:
                    cells.append(EMPTY_CELL)
                    continue
                state = readers.read_state(first, deadline)
                text = texts[state].replace(TIME, self.format_time(first))
                cells.append(
                    CELL.format(
                        text=escape(text), badge=BADGES[state], mark=MARKS[state]
                    )
                )
            # A heading row where those who were not expected begin.
            others_start = not row["expected"] and previous_expected is not False
            others_start = others_start and self.expectation is not None
            previous_expected = row["expected"]
            shown.append(dict(row, cells="".join(cells), others_start=others_start))
        return shown

    def rules(self):  # {path: storage terms} of each document's rule
        return {c["path"]: rule.terms(c["rule"]) for c in self.columns}

    def rule_text(self):
        """Which rule says what "read" is: one for all documents, or each
        its own (as their readers reports say)."""
        found = {column["rule"] for column in self.columns}
        if len(found) == 1:
            return rule.describe(found.pop(), self.durations)
        return _("Each document counts as read by the rule of its expected readers.")

    def column_title(self, column):
        """The header's tooltip: the document's deadline, if it has one."""
        if column["deadline"] is None:
            return None
        return translate(
            _(
                "msg_matrix_deadline",
                default="Deadline: ${deadline}",
                mapping={"deadline": self.format_time(column["deadline"])},
            ),
            context=self.request,
        )

    # -- links and the download ----------------------------------------------------

    def csv_url(self):
        """``@@tracking`` with this request's query, as the CSV download."""
        query = dict(parse_qsl(self.request.get("QUERY_STRING", "")))
        query.pop(START_FIELD, None)
        query["format"] = "matrix-csv"
        return f"{self.context.absolute_url()}/@@tracking?{urlencode(query)}"

    def downloadable(self):
        return self.storage is not None and bool(self.columns)

    def download(self):
        self.fill(self.rows)  # every member's cells
        return None if self.failed else matrix_csv.download(self)
