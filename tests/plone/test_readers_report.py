"""The readers report on a document's Tracking tab (issue 12): who of the
expected readers read it in time, late or not at all, who else read it, the
deadline, sorting, the status filter, the CSV, and who may see it.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from tests.plone.helpers import DAY
from tests.plone.helpers import ROLE_PASSWORD
from tests.plone.helpers import browser_as
from tests.plone.helpers import create_board
from tests.plone.helpers import csv_rows
from tests.plone.helpers import element_text
from tests.plone.helpers import has_element
from tests.plone.helpers import hit
from tests.plone.helpers import readers_rows
from tests.plone.helpers import text
from tests.plone.helpers import tree
from tests.plone.test_tracking_view import TupleStorage
from zExceptions import Unauthorized
from zope.component import getGlobalSiteManager
import pytest
import transaction


DOC = "/plone/folder/doc"
DEADLINE = DAY + timedelta(days=1)


@pytest.fixture
def report(roles_site, storage):
    """Board (Ada, Cy) and Sam are expected by DEADLINE: Ada read in time,
    Cy late (three times), Sam not at all; Ben (manager) read it unexpected."""
    create_board()
    folder = roles_site["folder"]
    tracking.enable(folder)
    readers.set_expectation(folder, ["board", "siteadmin"], deadline=DEADLINE)
    transaction.commit()
    hit(storage, "member", DOC, DAY)
    hit(storage, "member", DOC, DAY + timedelta(days=3))
    for hours in (48, 49, 50):
        hit(storage, "editor", DOC, DAY + timedelta(hours=hours))
    hit(storage, "manager", DOC, DAY)
    return roles_site


@pytest.fixture
def manager(functional, report):
    return browser_as(functional, "manager")


def tab(obj, query=""):
    return f"{obj.absolute_url()}/@@tracking{query}"


def members(browser, table="readers-table"):
    return [row["member"] for row in readers_rows(browser, table)]


# -- what it shows --------------------------------------------------------------


def test_headline_rows_and_others(manager, report):
    manager.open(tab(report["folder"]["doc"]))
    assert element_text(manager, "readers-headline") == (
        "2 of 3 expected readers have read this (66%)"
    )
    # Not read first, then read late, then read; names within each.
    rows = readers_rows(manager)
    assert [(r["member"], r["status"], r["views"]) for r in rows] == [
        ("siteadmin", "Not read", "0"),
        ("editor", "Read late", "3"),
        ("member", "Read", "2"),
    ]
    assert rows[0]["fullname"] == "Sam Admin"
    assert rows[1]["fullname"] == "Cy Editor through Board"
    assert rows[0]["firstread"] == rows[0]["lastread"] == ""
    assert rows[2]["firstread"] == "Mar 01, 2024 12:00 PM"
    assert rows[2]["lastread"] == "Mar 04, 2024 12:00 PM"
    others = readers_rows(manager, "readers-others-table")
    assert [(r["member"], r["status"]) for r in others] == [("manager", "Read")]
    assert "Read by others (not expected)" in manager.contents


def test_progress_bar_and_deadline(manager, report):
    manager.open(tab(report["folder"]["doc"]))
    bar = tree(manager).xpath('//*[@id="readers-progress"]')[0]
    assert bar.get("aria-label") == "1 read in time, 1 read late, 1 not read"
    widths = [div.get("style") for div in bar.xpath("div")]
    assert widths == ["width: 33.33%", "width: 33.33%"]
    deadline = element_text(manager, "readers-deadline")
    assert deadline.startswith("Deadline: ")
    assert "(passed)" in deadline
    # After the deadline, not read is shown as a problem.
    badge = tree(manager).xpath(
        '//tr[@data-status="unread"]//span[contains(@class, "badge")]'
    )[0]
    assert "text-bg-danger" in badge.get("class")


def test_time_left_before_the_deadline(manager, report):
    folder = report["folder"]
    soon = datetime.now(UTC) + timedelta(days=3, hours=4, minutes=30)
    readers.set_expectation(folder, ["board", "siteadmin"], deadline=soon)
    transaction.commit()
    manager.open(tab(folder["doc"]))
    assert element_text(manager, "readers-time-left") == "3 d 4 h left"
    # Not read before the deadline is no problem yet.
    badge = tree(manager).xpath(
        '//tr[@data-status="unread"]//span[contains(@class, "badge")]'
    )[0]
    assert "text-bg-secondary" in badge.get("class")


def test_no_deadline(manager, report):
    folder = report["folder"]
    readers.set_expectation(folder, ["board"])
    transaction.commit()
    manager.open(tab(folder["doc"]))
    assert element_text(manager, "readers-deadline").startswith("No deadline.")
    # Without a deadline every read is in time.
    assert [(r["member"], r["status"]) for r in readers_rows(manager)] == [
        ("member", "Read"),  # Ada
        ("editor", "Read"),  # Cy
    ]


def test_groups_are_resolved_when_the_report_is_made(manager, report):
    api.group.add_user(groupname="board", username="manager")
    transaction.commit()
    manager.open(tab(report["folder"]["doc"]))
    assert "manager" in members(manager)
    assert not has_element(manager, "readers-others-table")
    assert element_text(manager, "readers-headline").startswith("3 of 4")


def test_no_report_on_a_folder_nor_without_expected_readers(manager, report):
    folder = report["folder"]
    manager.open(tab(folder))
    assert not has_element(manager, "tracking-readers")
    assert has_element(manager, "expected-form")
    readers.clear_expectation(folder)
    transaction.commit()
    manager.open(tab(folder["doc"]))
    assert not has_element(manager, "tracking-readers")


def test_an_empty_group(manager, report):
    folder = report["folder"]
    api.group.create(groupname="empty", title="Empty")
    readers.set_expectation(folder, ["empty"])
    transaction.commit()
    manager.open(tab(folder["doc"]))
    assert "nobody is expected" in element_text(manager, "readers-headline")
    assert not has_element(manager, "readers-progress")
    # Ada, Ben, Cy
    assert members(manager, "readers-others-table") == ["member", "manager", "editor"]


# -- sorting and filtering ----------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "order"),
    [
        ("Name", ["member", "editor", "siteadmin"]),  # Ada, Cy, Sam
        ("User ID", ["editor", "member", "siteadmin"]),
        # Already the sort (not read first): its header flips it.
        ("Status", ["member", "editor", "siteadmin"]),
        ("First read", ["member", "editor", "siteadmin"]),
        ("Last read", ["editor", "member", "siteadmin"]),
        ("Views", ["siteadmin", "member", "editor"]),
    ],
)
def test_sort_by_clicking_column_headers(manager, report, label, order):
    manager.open(tab(report["folder"]["doc"]))
    header = tree(manager).xpath(f'//table[@id="readers-table"]//th/a[.="{label}"]')
    manager.open(header[0].get("href"))
    assert members(manager) == order
    sorted_th = tree(manager).xpath('//table[@id="readers-table"]//th[@aria-sort]')
    assert [text(th.xpath("a")[0]) for th in sorted_th] == [label]


def test_every_sort_differs_from_the_default():
    # Otherwise the test above could pass without sorting anything.
    default = ["siteadmin", "editor", "member"]
    for mark in test_sort_by_clicking_column_headers.pytestmark:
        assert all(order != default for _label, order in mark.args[1])


def test_times_missing_stay_last_in_both_orders(manager, report):
    url = tab(report["folder"]["doc"], "?readers_sort=first_read")
    manager.open(url)
    assert members(manager)[-1] == "siteadmin"
    manager.open(f"{url}&readers_order=descending")
    assert members(manager) == ["editor", "member", "siteadmin"]


def test_filter_by_status(manager, report):
    doc = report["folder"]["doc"]
    manager.open(tab(doc))
    pills = {
        text(a): a.get("href")
        for a in tree(manager).xpath('//nav[@id="readers-filter"]/a')
    }
    assert list(pills) == ["All 3", "Not read 1", "Read late 1", "Read 1"]
    manager.open(pills["Not read 1"])
    assert members(manager) == ["siteadmin"]
    active = tree(manager).xpath('//nav[@id="readers-filter"]/a[@aria-current]')
    assert text(active[0]) == "Not read 1"
    # The others are not expected readers: no status filter applies to them.
    assert members(manager, "readers-others-table") == ["manager"]


def test_empty_filter_says_so(manager, report):
    folder = report["folder"]
    readers.set_expectation(folder, ["board"])
    transaction.commit()
    manager.open(tab(folder["doc"], "?readers_status=unread"))
    assert element_text(manager, "readers-empty") == (
        "No expected reader has the status “Not read”."
    )


def test_unknown_form_values_fall_back(manager, report):
    query = "?readers_sort=__class__&readers_status=bogus&readers_start=x"
    manager.open(tab(report["folder"]["doc"], query))
    assert members(manager) == ["siteadmin", "editor", "member"]


def test_batching(functional, manager, report, storage):
    for number in range(55):
        userid = f"reader{number:02}"
        api.user.create(
            email=f"{userid}@example.org", username=userid, password=ROLE_PASSWORD
        )
        api.group.add_user(groupname="board", username=userid)
    transaction.commit()
    doc = report["folder"]["doc"]
    manager.open(tab(doc, "?readers_sort=member"))
    assert len(members(manager)) == 50
    assert element_text(manager, "readers-headline").startswith("2 of 58 ")
    # The report's own batch field: the access log's b_start is another.
    link = tree(manager).xpath('//a[contains(@href, "readers_start:int=50")]')
    assert link
    manager.open(link[0].get("href"))
    assert members(manager)[-1] == "siteadmin"
    assert len(members(manager)) == 8


# -- the CSV ----------------------------------------------------------------------


def test_csv_has_the_rows_then_the_others(manager, report):
    doc = report["folder"]["doc"]
    manager.open(tab(doc))
    manager.getLink(id="readers-csv").click()
    header, *rows = csv_rows(manager)
    assert header == [
        "Name",
        "User ID",
        "Expected",
        "Expected through",
        "Status",
        "First read (UTC)",
        "Last read (UTC)",
        "Views",
        "Reading time (seconds)",
        "Read to the end",
    ]
    # Reading time unknown: the script never reported (hits stored directly).
    assert [row[-2:] for row in rows] == [["", ""]] * 4
    rows = [row[:-2] for row in rows]
    assert rows == [
        ["Sam Admin", "siteadmin", "yes", "siteadmin", "Not read", "", "", "0"],
        [
            "Cy Editor",
            "editor",
            "yes",
            "board",
            "Read late",
            "2024-03-03 12:00:00",
            "2024-03-03 14:00:00",
            "3",
        ],
        [
            "Ada Member",
            "member",
            "yes",
            "board",
            "Read",
            "2024-03-01 12:00:00",
            "2024-03-04 12:00:00",
            "2",
        ],
        [
            "Ben Manager",
            "manager",
            "no",
            "",
            "Read",
            "2024-03-01 12:00:00",
            "2024-03-01 12:00:00",
            "1",
        ],
    ]
    assert manager.headers["Content-Disposition"].startswith(
        'attachment; filename="readers-doc-'
    )
    # Every cell quoted (csvexport), whatever the separator of the locale.
    body = manager.contents
    body = body.decode("utf-8") if isinstance(body, bytes) else body
    assert body.lstrip("\ufeff").startswith('"Name","User ID"')


def test_csv_keeps_the_filter_and_the_sort(manager, report):
    doc = report["folder"]["doc"]
    manager.open(tab(doc, "?readers_status=read"))
    manager.getLink(id="readers-csv").click()
    assert [row[1] for row in csv_rows(manager)[1:]] == ["member", "manager"]


def test_csv_cells_cannot_be_formulas(manager, report, storage):
    hit(storage, "=cmd|'/C calc'!A0", DOC, DAY)
    manager.open(tab(report["folder"]["doc"], "?format=readers-csv"))
    cells = [cell for row in csv_rows(manager) for cell in row]
    assert "'=cmd|'/C calc'!A0" in cells


def test_values_are_escaped(manager, report, storage):
    hit(storage, "<b>bold</b>", DOC, DAY)
    manager.open(tab(report["folder"]["doc"]))
    assert "<b>bold</b>" not in manager.contents
    assert "&lt;b&gt;bold&lt;/b&gt;" in manager.contents


# -- storages that cannot say ------------------------------------------------------


@pytest.fixture
def tuple_storage(report):
    registry = getGlobalSiteManager()
    original = registry.getUtility(IClickStorage)
    registry.registerUtility(TupleStorage(), IClickStorage)
    yield
    registry.registerUtility(original, IClickStorage)


def test_storage_without_read_status(manager, report, tuple_storage):
    doc = report["folder"]["doc"]
    manager.open(tab(doc))
    assert element_text(manager, "readers-unavailable") == (
        "The readers report is not available with this storage."
    )
    assert not has_element(manager, "readers-table")
    # The download explains itself the same way.
    manager.open(tab(doc, "?format=readers-csv"))
    assert has_element(manager, "readers-unavailable")


def test_storage_unreachable(functional, manager, report):
    functional["pg_cluster"].drop_database(functional["pg_dbname"])
    doc = report["folder"]["doc"]
    manager.open(tab(doc))
    messages = tree(manager).xpath('//*[contains(@class, "readers-message")]')
    assert "database is unreachable" in " ".join(text(m) for m in messages)
    assert not has_element(manager, "readers-table")
    assert "Traceback" not in manager.contents
    manager.open(tab(doc, "?format=readers-csv"))
    assert "database is unreachable" in manager.contents


# -- who may see it -------------------------------------------------------------------

# login name -> (sees the report, reads the access log)
MATRIX = {
    "member": (None, None),
    "editor": (True, False),
    "siteadmin": (True, True),
    "manager": (True, True),
}


@pytest.mark.parametrize(("name", "rights"), MATRIX.items())
def test_who_sees_the_report(functional, report, name, rights):
    sees_report, sees_log = rights
    browser = browser_as(functional, name)
    doc = report["folder"]["doc"]
    if sees_report is None:
        with pytest.raises(Unauthorized):
            browser.open(tab(doc))
        with pytest.raises(Unauthorized):
            browser.open(tab(doc, "?format=readers-csv"))
        return
    browser.open(tab(doc))
    assert has_element(browser, "readers-table") is sees_report
    assert has_element(browser, "tracking-log") is sees_log
    browser.open(tab(doc, "?format=readers-csv"))
    assert [row[1] for row in csv_rows(browser)[1:]][0] == "siteadmin"


def test_reading_status_without_manage_tracking(functional, report):
    # A role that may see who read what, but not change the setting.
    report.manage_permission(
        "slc.clicktracker: View reading status",
        ["Manager", "Site Administrator", "Editor", "Reviewer"],
        acquire=True,
    )
    api.user.create(
        email="chair@example.org",
        username="chair",
        password=ROLE_PASSWORD,
        roles=["Member", "Reviewer"],
    )
    transaction.commit()
    browser = browser_as(functional, "chair")
    doc = report["folder"]["doc"]
    browser.open(doc.absolute_url())
    assert 'id="contentview-tracking"' in browser.contents
    browser.open(tab(doc))
    assert members(browser) == ["siteadmin", "editor", "member"]
    assert not has_element(browser, "expected-form")
    assert not has_element(browser, "tracking-toggle")
    assert not has_element(browser, "tracking-log")
    with pytest.raises(Unauthorized):
        browser.open(tab(doc, "?format=csv"))
