"""The reading matrix on a folder's Tracking tab (issue 12): members ×
the tracked documents of the folder, in folder order, expected readers
first, ticks with the first read, late reads, totals, who is ready,
batching, the CSV, who may see it and storages that cannot say.

Longer than most modules: every test reads the same meeting (the fixture)
through the same table helpers.
"""

from datetime import timedelta
from lxml import html
from plone import api
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.browser import matrix
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.tokens import ANONYMOUS
from tests.plone.helpers import DAY
from tests.plone.helpers import ROLE_PASSWORD
from tests.plone.helpers import browser_as
from tests.plone.helpers import create_board
from tests.plone.helpers import csv_rows
from tests.plone.helpers import element_text
from tests.plone.helpers import has_element
from tests.plone.helpers import hit
from tests.plone.helpers import text
from tests.plone.helpers import tree
from tests.plone.test_tracking_view import TupleStorage
from zExceptions import Unauthorized
from zope.component import getGlobalSiteManager
import pytest
import transaction


DEADLINE = DAY + timedelta(days=1)
FOLDER = "/plone/folder"


@pytest.fixture
def meeting(roles_site, storage):
    """The folder "Minutes" holds, in this order, Budget, Doc and Agenda
    (tracked through it) and a subfolder. Board (Ada, Cy) and Sam are
    expected by DEADLINE; Agenda has a later deadline of its own.

    Ada read all three in time; Cy read Doc late and Agenda in time (its
    own deadline); Sam nothing; Ben (not expected) read Budget.
    """
    create_board()
    folder = roles_site["folder"]
    for docid in ("agenda", "budget"):
        api.content.create(folder, "Document", id=docid, title=docid.title())
    annex = api.content.create(folder, "Folder", id="annex", title="Annex")
    api.content.create(annex, "Document", id="inner", title="Inner")
    folder.moveObjectsToTop(["budget"])
    tracking.enable(folder)
    readers.set_expectation(folder, ["board", "siteadmin"], deadline=DEADLINE)
    readers.set_expectation(
        folder["agenda"], ["board", "siteadmin"], deadline=DAY + timedelta(days=5)
    )
    transaction.commit()
    for docid in ("budget", "doc", "agenda"):
        hit(storage, "member", f"{FOLDER}/{docid}", DAY)
    hit(storage, "member", f"{FOLDER}/doc", DAY + timedelta(days=3))
    hit(storage, "editor", f"{FOLDER}/doc", DAY + timedelta(days=2))
    hit(storage, "editor", f"{FOLDER}/agenda", DAY + timedelta(days=2))
    hit(storage, "manager", f"{FOLDER}/budget", DAY)
    # Neither anonymous visitors nor readers of what is further down count.
    hit(storage, ANONYMOUS, f"{FOLDER}/budget", DAY)
    hit(storage, "outsider", f"{FOLDER}/annex/inner", DAY)
    return roles_site


@pytest.fixture
def manager(functional, meeting):
    return browser_as(functional, "manager")


def tab(obj, query=""):
    return f"{obj.absolute_url()}/@@tracking{query}"


def matrix_rows(browser):
    """The matrix's member rows: member, name, marks, tooltips, count, ready."""
    rows = []
    for tr in tree(browser).xpath('//table[@id="matrix-table"]/tbody/tr'):
        if "matrix-others" in tr.get("class"):
            rows.append("--others--")
            continue
        cells = tr.xpath("td[not(@class)]")
        rows.append(
            {
                "member": tr.get("data-member"),
                "name": text(tr.xpath('th//*[@class="matrix-name"]')[0]),
                "id": text(tr.xpath('th//*[contains(@class, "matrix-id")]')[0]),
                "marks": [text(td.xpath("span")[0]) if len(td) else "" for td in cells],
                "titles": [td.get("title") for td in cells],
                "count": text(tr.xpath('td[@class="matrix-count"]')[0]),
                "ready": "table-success" in tr.get("class"),
                "badge": bool(tr.xpath('th//*[contains(@class, "matrix-ready")]')),
            }
        )
    return rows


def members(browser):
    return [
        row if isinstance(row, str) else row["member"] for row in matrix_rows(browser)
    ]


def column_titles(browser):
    return [
        text(a)
        for a in tree(browser).xpath(
            '//table[@id="matrix-table"]//th[@class="matrix-doc"]/a'
        )
    ]


def cells_of(browser, member):
    """The document cells of ``member``'s row."""
    row = f'//tr[@data-member="{member}"]/td[not(@class)]'
    return tree(browser).xpath(row)


def column_totals(browser):
    totals = tree(browser).xpath('//tfoot//td[@class="matrix-total"]')
    return [text(td) for td in totals]


# -- what it shows ------------------------------------------------------------------


def test_columns_in_folder_order_linked_to_their_tabs(manager, meeting):
    manager.open(tab(meeting["folder"]))
    assert column_titles(manager) == ["Budget", "Doc", "Agenda"]
    links = tree(manager).xpath('//th[@class="matrix-doc"]/a')
    assert links[0].get("href") == tab(meeting["folder"]["budget"])
    # Each header tells the deadline that applies to its document.
    assert links[1].get("title") == "Deadline: Mar 02, 2024 12:00 PM"
    assert links[2].get("title") == "Deadline: Mar 06, 2024 12:00 PM"


def test_only_documents_with_their_own_readers_are_woken(monkeypatch, manager, meeting):
    woken = []
    own_expectation = readers.own_expectation

    def spy(obj):
        woken.append(obj.getId())
        return own_expectation(obj)

    monkeypatch.setattr(readers, "own_expectation", spy)
    manager.open(tab(meeting["folder"]))
    # The folder (where the expectation is looked up) and Agenda, no other.
    assert sorted(set(woken) - {"folder"}) == ["agenda"]


def test_own_deadlines_before_the_index_exists(manager, meeting):
    """A site not yet upgraded has no index of expected readers: every
    document is asked for its own deadline."""
    catalog = api.portal.get_tool("portal_catalog")
    catalog.delIndex(readers.INDEX)
    transaction.commit()
    manager.open(tab(meeting["folder"]))
    links = tree(manager).xpath('//th[@class="matrix-doc"]/a')
    assert links[2].get("title") == "Deadline: Mar 06, 2024 12:00 PM"
    assert matrix_rows(manager)[1]["marks"] == ["", "✓!", "✓"]


def test_rows_expected_first_then_others(manager, meeting):
    manager.open(tab(meeting["folder"]))
    # Ada, Cy, Sam by name; then Ben, who was not expected.
    assert members(manager) == [
        "member",
        "editor",
        "siteadmin",
        "--others--",
        "manager",
    ]
    rows = matrix_rows(manager)
    assert (rows[0]["name"], rows[0]["id"]) == ("Ada Member", "member")
    assert "Read without being expected" in element_text(manager, "matrix-table")


def test_ticks_tooltips_and_late_marks(manager, meeting):
    manager.open(tab(meeting["folder"]))
    ada, cy, sam, _others, ben = matrix_rows(manager)
    assert ada["marks"] == ["✓", "✓", "✓"]
    # The first read, not the last (Ada read Doc again later).
    assert ada["titles"] == ["Read: Mar 01, 2024 12:00 PM"] * 3
    # Doc after the folder's deadline; Agenda before its own, later one.
    assert cy["marks"] == ["", "✓!", "✓"]
    assert cy["titles"] == [
        None,
        "Read late: Mar 03, 2024 12:00 PM",
        "Read: Mar 03, 2024 12:00 PM",
    ]
    assert sam["marks"] == ["", "", ""]
    assert ben["marks"] == ["✓", "", ""]
    late = cells_of(manager, "editor")[1]
    assert "text-bg-warning" in late.xpath("span")[0].get("class")
    # Screen readers get the words, not the tick.
    assert late.xpath("span")[0].get("aria-hidden") == "true"
    assert text(late.xpath('span[@class="visually-hidden"]')[0]).startswith("Read late")


def test_totals_and_who_is_ready(manager, meeting):
    manager.open(tab(meeting["folder"]))
    rows = [row for row in matrix_rows(manager) if isinstance(row, dict)]
    assert [row["count"] for row in rows] == ["3", "2", "0", "1"]
    assert [row["ready"] for row in rows] == [True, False, False, False]
    assert [row["badge"] for row in rows] == [True, False, False, False]
    assert column_totals(manager) == ["2", "2", "2"]
    assert element_text(manager, "matrix-ready") == "1 of 3 expected readers are ready"
    assert "has read all 3 documents" in element_text(manager, "matrix-legend")


def test_groups_resolved_now_and_others_become_expected(manager, meeting):
    api.group.add_user(groupname="board", username="manager")
    transaction.commit()
    manager.open(tab(meeting["folder"]))
    assert members(manager) == ["member", "manager", "editor", "siteadmin"]
    assert element_text(manager, "matrix-ready") == "1 of 4 expected readers are ready"


def test_without_expected_readers_the_readers_are_the_rows(manager, meeting):
    folder = meeting["folder"]
    readers.clear_expectation(folder)
    transaction.commit()
    manager.open(tab(folder))
    # Ada, Ben, Cy: no heading, no ready count; Agenda keeps its own deadline.
    assert members(manager) == ["member", "manager", "editor"]
    assert not has_element(manager, "matrix-ready")
    assert has_element(manager, "matrix-no-expectation")
    cy = matrix_rows(manager)[2]
    assert cy["marks"] == ["", "✓", "✓"]


def test_only_tracked_documents_below_an_untracked_folder(manager, meeting):
    folder = meeting["folder"]
    tracking.disable(folder)
    tracking.enable(folder["agenda"])
    transaction.commit()
    manager.open(tab(folder))
    assert column_titles(manager) == ["Agenda"]
    assert [row["count"] for row in matrix_rows(manager)] == ["1", "1", "0"]
    tracking.disable(folder["agenda"])
    transaction.commit()
    manager.open(tab(folder))
    assert element_text(manager, "matrix-no-documents") == (
        "There are no tracked documents directly in this folder."
    )
    assert not has_element(manager, "matrix-table")


def test_nobody_has_read_yet(functional, manager, meeting):
    folder = meeting["folder"]
    readers.clear_expectation(folder)
    api.content.create(folder, "Folder", id="empty", title="Empty")
    transaction.commit()
    api.content.create(folder["empty"], "Document", id="new", title="New")
    transaction.commit()
    manager.open(tab(folder["empty"]))
    assert (
        element_text(manager, "matrix-nobody") == "Nobody has read these documents yet."
    )


def test_no_matrix_on_a_document(manager, meeting):
    manager.open(tab(meeting["folder"]["doc"]))
    assert not has_element(manager, "tracking-matrix")
    assert has_element(manager, "tracking-readers")


def test_values_are_escaped(manager, meeting, storage):
    hit(storage, "<b>bold</b>", f"{FOLDER}/doc", DAY)
    manager.open(tab(meeting["folder"]))
    assert "<b>bold</b>" not in manager.contents
    assert "&lt;b&gt;bold&lt;/b&gt;" in manager.contents


# -- batching ---------------------------------------------------------------------


def test_batched_by_members(monkeypatch, manager, meeting):
    monkeypatch.setattr(matrix, "BATCH_SIZE", 2)
    folder = meeting["folder"]
    manager.open(tab(folder, "?readers_start=7&b_start=0"))
    assert members(manager) == ["member", "editor"]
    assert element_text(manager, "matrix-count") == "Members 1–2 of 4"
    # The matrix's own batch field; the other reports' fields stay.
    link = tree(manager).xpath('//a[contains(@href, "matrix_start:int=2")]')
    assert "readers_start=7" in link[0].get("href")
    manager.open(link[0].get("href"))
    # The heading says where the others begin, on whichever page.
    assert members(manager) == ["siteadmin", "--others--", "manager"]
    # Totals and the ready count are of every member, not of the page.
    assert column_totals(manager) == ["2", "2", "2"]
    assert element_text(manager, "matrix-ready") == "1 of 3 expected readers are ready"


def test_many_members(functional, manager, meeting, storage):
    for number in range(120):
        userid = f"reader{number:03}"
        api.user.create(
            email=f"{userid}@example.org", username=userid, password=ROLE_PASSWORD
        )
        api.group.add_user(groupname="board", username=userid)
        if number % 2:
            hit(storage, userid, f"{FOLDER}/doc", DAY)
    transaction.commit()
    manager.open(tab(meeting["folder"]))
    assert len(members(manager)) == matrix.BATCH_SIZE
    assert element_text(manager, "matrix-count") == "Members 1–50 of 124"
    assert column_totals(manager) == ["2", "62", "2"]
    # The table scrolls sideways in its own box, not the page.
    wrapper = tree(manager).xpath('//table[@id="matrix-table"]/..')[0]
    assert "table-responsive" in wrapper.get("class")


def test_unknown_start_falls_back(manager, meeting):
    manager.open(tab(meeting["folder"], "?matrix_start=x"))
    assert members(manager)[0] == "member"
    # Beyond the last member (an old link): the first page.
    manager.open(tab(meeting["folder"], "?matrix_start=400"))
    assert element_text(manager, "matrix-count") == "Members 1–4 of 4"


# -- the CSV ----------------------------------------------------------------------


def test_csv_has_every_member_and_the_totals(monkeypatch, manager, meeting):
    monkeypatch.setattr(matrix, "BATCH_SIZE", 2)
    manager.open(tab(meeting["folder"]))
    manager.getLink(id="matrix-csv").click()
    assert csv_rows(manager) == [
        [
            "Name",
            "User ID",
            "Expected",
            "Budget (first read, UTC)",
            "Doc (first read, UTC)",
            "Agenda (first read, UTC)",
            "Documents read",
            "Ready",
        ],
        [
            "Ada Member",
            "member",
            "yes",
            "2024-03-01 12:00:00",
            "2024-03-01 12:00:00",
            "2024-03-01 12:00:00",
            "3",
            "yes",
        ],
        [
            "Cy Editor",
            "editor",
            "yes",
            "",
            "2024-03-03 12:00:00",
            "2024-03-03 12:00:00",
            "2",
            "no",
        ],
        ["Sam Admin", "siteadmin", "yes", "", "", "", "0", "no"],
        ["Ben Manager", "manager", "no", "2024-03-01 12:00:00", "", "", "1", "no"],
        ["Members who read it", "", "", "2", "2", "2", "", "1"],
    ]
    assert manager.headers["Content-Disposition"].startswith(
        'attachment; filename="matrix-folder-'
    )


def test_csv_cells_cannot_be_formulas(manager, meeting, storage):
    hit(storage, "=cmd|'/C calc'!A0", f"{FOLDER}/doc", DAY)
    manager.open(tab(meeting["folder"], "?format=matrix-csv"))
    cells = [cell for row in csv_rows(manager) for cell in row]
    assert "'=cmd|'/C calc'!A0" in cells


def test_csv_without_documents_shows_the_page(manager, meeting):
    folder = meeting["folder"]
    tracking.disable(folder)
    transaction.commit()
    manager.open(tab(folder, "?format=matrix-csv"))
    assert has_element(manager, "matrix-no-documents")


# -- storages that cannot say ------------------------------------------------------


@pytest.fixture
def tuple_storage(meeting):
    registry = getGlobalSiteManager()
    original = registry.getUtility(IClickStorage)
    registry.registerUtility(TupleStorage(), IClickStorage)
    yield
    registry.registerUtility(original, IClickStorage)


def test_storage_without_read_status(manager, meeting, tuple_storage):
    folder = meeting["folder"]
    manager.open(tab(folder))
    assert element_text(manager, "matrix-unavailable") == (
        "The reading matrix is not available with this storage."
    )
    assert not has_element(manager, "matrix-table")
    manager.open(tab(folder, "?format=matrix-csv"))
    assert has_element(manager, "matrix-unavailable")


def test_storage_unreachable(functional, manager, meeting):
    functional["pg_cluster"].drop_database(functional["pg_dbname"])
    folder = meeting["folder"]
    manager.open(tab(folder))
    messages = tree(manager).xpath('//*[contains(@class, "matrix-message")]')
    assert "database is unreachable" in " ".join(text(m) for m in messages)
    assert not has_element(manager, "matrix-table")
    assert "Traceback" not in manager.contents
    manager.open(tab(folder, "?format=matrix-csv"))
    assert "database is unreachable" in manager.contents


# -- who may see it -------------------------------------------------------------------

# login name -> (sees the matrix, reads the access log); None: the tab refuses
RIGHTS = {
    "member": (None, None),
    "editor": (True, False),
    "siteadmin": (True, True),
    "manager": (True, True),
}


@pytest.mark.parametrize(("name", "rights"), RIGHTS.items())
def test_who_sees_the_matrix(functional, meeting, name, rights):
    sees_matrix, sees_log = rights
    browser = browser_as(functional, name)
    folder = meeting["folder"]
    if sees_matrix is None:
        # A Member has none of the tab's permissions: no tab, no download.
        with pytest.raises(Unauthorized):
            browser.open(tab(folder))
        with pytest.raises(Unauthorized):
            browser.open(tab(folder, "?format=matrix-csv"))
        return
    browser.open(tab(folder))
    assert has_element(browser, "matrix-table") is sees_matrix
    assert has_element(browser, "tracking-log") is sees_log
    browser.open(tab(folder, "?format=matrix-csv"))
    assert [row[1] for row in csv_rows(browser)[1:3]] == ["member", "editor"]


def test_manage_tracking_alone_does_not_show_it(functional, meeting):
    """Someone who may switch tracking but not see the reading status."""
    folder = meeting["folder"]
    api.user.create(email="tom@example.org", username="tom", password=ROLE_PASSWORD)
    folder.manage_permission(
        "slc.clicktracker: Manage tracking", ["Manager", "Reviewer"], acquire=True
    )
    api.user.grant_roles(username="tom", obj=folder, roles=["Reviewer"])
    transaction.commit()
    browser = browser_as(functional, "tom")
    browser.open(tab(folder))
    assert has_element(browser, "tracking-status")
    assert not has_element(browser, "tracking-matrix")
    with pytest.raises(Unauthorized):
        browser.open(tab(folder, "?format=matrix-csv"))


def test_html_is_compact(manager, meeting):
    """A tick cell is small: 5,000 of them on a page must stay light."""
    manager.open(tab(meeting["folder"]))
    cell = cells_of(manager, "member")[0]
    assert len(html.tostring(cell)) < 200
