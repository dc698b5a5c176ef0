""" "Count as read when …" (issue 13): set with the expected readers,
inherited with them, applied and named by every report that says read or
not read; reading time and "to the end" in the readers report, filtered."""

from datetime import timedelta
from plone import api
from slc.clicktracker import readers
from slc.clicktracker import readinglist
from slc.clicktracker import tracking
from slc.clicktracker.readtime import rule
from slc.clicktracker.reminders import plan
from slc.clicktracker.storage.hits import new_hit_id
from tests.plone.helpers import DAY
from tests.plone.helpers import browser_as
from tests.plone.helpers import create_board
from tests.plone.helpers import element_text
from tests.plone.helpers import readers_rows
from tests.plone.helpers import submit
from tests.plone.helpers import text
from tests.plone.helpers import tree
import pytest
import transaction


DOC = "/plone/folder/doc"


def read(storage, member, minutes, seconds=None, end=False):
    """A view at DAY + minutes, and what the script measured of it."""
    view = new_hit_id()
    storage.log_visit(
        member,
        DOC,
        f"http://nohost{DOC}",
        when=DAY + timedelta(minutes=minutes),
        user_agent="Mozilla/5.0",
        hit_id=view,
    )
    if seconds is not None:
        storage.log_reading(view, member, seconds, 100 if end else 30, end)


@pytest.fixture
def site(roles_site, storage):
    """Board (Ada "member", Cy "editor") expected on the folder. Ada read
    the document 3 min to the end; Cy glanced (10 s), then read 50 s."""
    create_board()
    folder = roles_site["folder"]
    tracking.enable(folder)
    readers.set_expectation(folder, ["board"])
    transaction.commit()
    read(storage, "member", 0, seconds=180, end=True)
    read(storage, "editor", 1, seconds=10)
    read(storage, "editor", 90, seconds=50)
    return roles_site


def set_rule(site, found):
    readers.set_expectation(site["folder"], ["board"], read_rule=found)
    transaction.commit()


def statuses(browser):
    return {row["member"]: row["status"] for row in readers_rows(browser)}


def tab(obj, query=""):
    return f"{obj.absolute_url()}/@@tracking{query}"


def test_opened_is_the_default_and_said(functional, site):
    manager = browser_as(functional, "manager")
    manager.open(tab(site["folder"]["doc"]))
    assert element_text(manager, "readers-rule") == "Counted as read when opened."
    assert statuses(manager) == {"editor": "Read", "member": "Read"}
    cells = {
        tr.xpath('td[@class="member"]')[0].text: (
            text(tr.xpath('td[contains(@class, "reading")]')[0]),
            text(tr.xpath('td[@class="reached-end"]')[0]),
        )
        for tr in tree(manager).xpath('//table[@id="readers-table"]/tbody/tr')
    }
    assert cells == {
        "member": ("3 min", "✓read to the end"),
        "editor": ("1 min", ""),
    }


def test_a_seconds_rule_counts_sittings_together(functional, site):
    set_rule(site, rule.make_rule(rule.SECONDS, 45))
    manager = browser_as(functional, "manager")
    manager.open(tab(site["folder"]["doc"]))
    assert element_text(manager, "readers-rule") == (
        "Counted as read when read for at least 45 s."
    )
    assert statuses(manager) == {"editor": "Read", "member": "Read"}
    rows = {row["member"]: row["firstread"] for row in readers_rows(manager)}
    # Cy met it with the second sitting, 90 minutes after the first view.
    assert "01:30 PM" in rows["editor"]
    set_rule(site, rule.make_rule(rule.SECONDS, 120))
    manager.open(tab(site["folder"]["doc"]))
    assert statuses(manager) == {"editor": "Not read", "member": "Read"}
    assert element_text(manager, "readers-headline").startswith("1 of 2 ")


def test_the_end_rule_applies_everywhere(functional, site, storage):
    set_rule(site, rule.make_rule(rule.END))
    manager = browser_as(functional, "manager")
    manager.open(tab(site["folder"]["doc"]))
    assert statuses(manager) == {"editor": "Not read", "member": "Read"}
    # The folder's matrix: the same rule, said there too.
    manager.open(tab(site["folder"]))
    assert element_text(manager, "matrix-rule") == (
        "Counted as read when read to the end."
    )
    assert element_text(manager, "matrix-ready").startswith("1 of 2 ")
    # Reminders go to those who have not read it by the rule.
    found = plan(site["folder"]["doc"])
    assert [r.member for r in found.to_remind] == ["editor"]
    # My reading list says so too.
    entries = readinglist.reading_list(api.user.get(userid="editor").getUser())
    assert [e.state for e in entries.entries] == [readers.UNREAD]
    editor = browser_as(functional, "editor")
    editor.open(f"{site.absolute_url()}/@@reading-list")
    (hint,) = tree(editor).xpath('//*[contains(@class, "reading-list-rule")]')
    assert text(hint) == "Counted as read when read to the end."


def test_the_rule_is_set_in_the_form_and_inherited(functional, site):
    manager = browser_as(functional, "manager")
    folder = site["folder"]
    save_rule(manager, folder, "group:board", "1,5")
    transaction.begin()
    assert readers.expectation(folder["doc"]).rule == rule.Rule(rule.SECONDS, 90)
    manager.open(tab(folder["doc"]))
    assert element_text(manager, "expected-current-rule") == (
        "Counted as read when read for at least 1 min 30 s."
    )


@pytest.mark.parametrize("minutes", ["", "0", "abc", "99999", "-2"])
def test_a_bad_reading_time_is_refused_and_nothing_lost(functional, site, minutes):
    manager = browser_as(functional, "manager")
    folder = site["folder"]
    save_rule(manager, folder, "group:board;user:siteadmin", minutes)
    assert "is not a reading time" in element_text(manager, "expected-errors")
    # What was typed is still there, the setting unchanged.
    page = tree(manager)
    assert page.xpath('//input[@id="readers-rule-minutes"]/@value') == [minutes]
    assert "siteadmin" in page.xpath('//input[@id="readers-principals"]/@value')[0]
    transaction.begin()
    assert readers.expectation(folder).principals == ("board",)


def test_the_reading_filter(functional, site):
    manager = browser_as(functional, "manager")
    doc = site["folder"]["doc"]
    manager.open(tab(doc, "?readers_min=2"))
    assert [row["member"] for row in readers_rows(manager)] == ["member"]
    manager.open(tab(doc, "?readers_end=1"))
    assert [row["member"] for row in readers_rows(manager)] == ["member"]
    manager.open(tab(doc, "?readers_min=1&readers_status=read"))
    assert sorted(row["member"] for row in readers_rows(manager)) == [
        "editor",
        "member",
    ]
    # A typo filters nothing and says so.
    manager.open(tab(doc, "?readers_min=ten"))
    assert len(readers_rows(manager)) == 2
    assert "is not a number of minutes" in manager.contents


def save_rule(browser, folder, principals, minutes):
    """Save the expected readers form: ``principals``, read for at least
    ``minutes``."""
    browser.open(tab(folder))
    submit(
        browser,
        tab(folder),
        _authenticator=tree(browser).xpath('//input[@name="_authenticator"]/@value')[0],
        readers_principals=principals,
        readers_rule="seconds",
        readers_rule_minutes=minutes,
        readers_action="save",
    )
