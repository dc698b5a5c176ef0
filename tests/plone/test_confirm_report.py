"""Confirmations in the readers report (issue 12): the "Confirmed" column,
its sort and filter, the headline, the CSV column, the reminder link, who
sees them. The button itself: test_confirm.py.
"""

from datetime import timedelta
from slc.clicktracker import readers
from tests.plone.helpers import DAY
from tests.plone.helpers import browser_as
from tests.plone.helpers import csv_rows
from tests.plone.helpers import element_text
from tests.plone.helpers import has_element
from tests.plone.helpers import hit
from tests.plone.helpers import text
from tests.plone.helpers import tree
from tests.plone.test_confirm import DOC
from tests.plone.test_confirm import doc_url
from tests.plone.test_confirm import expected_board
from tests.plone.test_confirm import storage_now
from zExceptions import Unauthorized
import pytest
import transaction


@pytest.fixture
def report(roles_site, storage):
    """Board (Ada "member", Cy "editor") is asked to confirm: Ada read the
    doc and confirmed, Cy has not read it; Ben (manager), not expected,
    read it."""
    expected_board(roles_site)
    hit(storage, "member", DOC, DAY)
    hit(storage, "manager", DOC, DAY)
    storage.confirm(DOC, "member", when=DAY + timedelta(hours=1))
    return roles_site


@pytest.fixture
def manager(functional, report):
    return browser_as(functional, "manager")


def tab(site, query=""):
    return f"{doc_url(site)}/@@tracking{query}"


def confirmed_cells(browser):
    rows = tree(browser).xpath('//table[@id="readers-table"]/tbody/tr')
    return {
        text(tr.xpath('td[@class="member"]')[0]): text(
            tr.xpath('td[@class="confirmed"]')[0]
        )
        for tr in rows
    }


def test_report_headline_and_column(manager, report):
    manager.open(tab(report))
    assert element_text(manager, "readers-headline") == (
        "1 of 2 expected readers have read this (50%); 1 of 2 have confirmed."
    )
    headers = tree(manager).xpath('//table[@id="readers-table"]//th/a')
    assert [text(a) for a in headers] == [
        "Name",
        "User ID",
        "Status",
        "First read",
        "Last read",
        "Confirmed",
        "Views",
        "Reading time",
        "To the end",
    ]
    assert confirmed_cells(manager) == {
        "editor": "",
        "member": "Mar 01, 2024 01:00 PM",
    }
    # Ben was not expected: his row has the column too, empty.
    others = tree(manager).xpath('//table[@id="readers-others-table"]//th')
    assert "Confirmed" in [text(th) for th in others]


def test_report_filter_and_sort_by_confirmation(manager, report):
    manager.open(tab(report))
    pills = {
        text(a): a.get("href")
        for a in tree(manager).xpath('//nav[@id="readers-filter"]/a')
    }
    assert list(pills) == [
        "All 2",
        "Not read 1",
        "Read late 0",
        "Read 1",
        "Confirmed 1",
        "Not confirmed 1",
    ]
    manager.open(pills["Confirmed 1"])
    assert list(confirmed_cells(manager)) == ["member"]
    manager.open(pills["Not confirmed 1"])
    assert list(confirmed_cells(manager)) == ["editor"]
    # Sorted like the times: those without one last, in both orders.
    manager.open(tab(report, "?readers_sort=confirmed"))
    assert list(confirmed_cells(manager)) == ["member", "editor"]
    manager.open(tab(report, "?readers_sort=confirmed&readers_order=descending"))
    assert list(confirmed_cells(manager)) == ["member", "editor"]


def test_empty_confirmation_filter_says_so(manager, report):
    storage_now().confirm(DOC, "editor")
    manager.open(tab(report, "?readers_status=unconfirmed"))
    assert element_text(manager, "readers-empty") == (
        "No expected reader has the status “Not confirmed”."
    )


def test_report_csv_has_the_confirmed_column(manager, report):
    manager.open(tab(report, "?format=readers-csv"))
    header, *rows = csv_rows(manager)
    assert header[5:] == [
        "First read (UTC)",
        "Last read (UTC)",
        "Confirmed (UTC)",
        "Views",
        "Reading time (seconds)",
        "Read to the end",
    ]
    confirmed = {row[1]: row[7] for row in rows}
    assert confirmed == {
        "editor": "",
        "member": "2024-03-01 13:00:00",
        "manager": "",
    }


def test_without_the_switch_no_confirmation_column(manager, report):
    readers.set_expectation(report["folder"], ["board"], confirm=False)
    transaction.commit()
    manager.open(tab(report))
    assert not tree(manager).xpath('//td[@class="confirmed"]')
    assert "confirmed" not in element_text(manager, "readers-headline")
    assert not has_element(manager, "readers-confirm-unavailable")
    # Sort and filter by it fall back.
    manager.open(tab(report, "?readers_sort=confirmed&readers_status=confirmed"))
    assert "Not read" in element_text(manager, "readers-table")
    manager.open(tab(report, "?format=readers-csv"))
    assert "Confirmed (UTC)" not in csv_rows(manager)[0]


def test_remind_link_only_while_someone_has_not_read(manager, report):
    manager.open(tab(report))
    link = tree(manager).xpath('//a[@id="readers-remind"]')[0]
    assert text(link) == "Remind those who have not read"
    assert link.get("href") == f"{doc_url(report)}/@@clicktracker-remind"
    hit(storage_now(), "editor", DOC, DAY)
    manager.open(tab(report))
    assert element_text(manager, "readers-headline").startswith("2 of 2 ")
    assert not has_element(manager, "readers-remind")


def test_editor_sees_confirmations_member_does_not(functional, report):
    editor = browser_as(functional, "editor")
    editor.open(tab(report))
    assert "member" in confirmed_cells(editor)
    ada = browser_as(functional, "member")
    with pytest.raises(Unauthorized):
        ada.open(tab(report))
    with pytest.raises(Unauthorized):
        ada.open(tab(report, "?format=readers-csv"))
