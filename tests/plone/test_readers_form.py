"""The Tracking tab's "Expected readers" form (issue 12): who may use it,
what it stores, where a setting comes from, and how it refuses bad input.
"""

from datetime import UTC
from datetime import datetime
from plone import api
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.browser.expected import parse_principals
from tests.plone.helpers import browser_as
from tests.plone.helpers import create_board
from tests.plone.helpers import element_text
from tests.plone.helpers import fresh
from tests.plone.helpers import has_element
from tests.plone.helpers import submit
from tests.plone.helpers import text
from tests.plone.helpers import tree
from zExceptions import Forbidden
from zExceptions import Unauthorized
import json
import pytest
import transaction


@pytest.fixture
def site(roles_site):
    """roles_site with the group "board" and the folder tracked."""
    create_board()
    tracking.enable(roles_site["folder"])
    transaction.commit()
    return roles_site


@pytest.fixture
def manager(functional, site):
    return browser_as(functional, "manager")


def tab(obj):
    return f"{obj.absolute_url()}/@@tracking"


def portal_message(browser):
    return " ".join(
        text(e) for e in tree(browser).xpath('//*[contains(@class, "portalMessage")]')
    )


def fill(browser, principals, day="", clock=""):
    form = browser.getForm(id="expected-form")
    form.getControl(name="readers_principals").value = principals
    form.getControl(name="readers_date").value = day
    form.getControl(name="readers_time").value = clock
    form.getControl("Save expected readers").click()


def own(obj):
    return readers.own_expectation(fresh(obj))


# -- the field's value ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("user:alice;group:board", ["alice", "board"]),
        ("alice\nboard\n", ["alice", "board"]),
        (" alice , board;alice ", ["alice", "board"]),
        ("group:", ["group:"]),  # not a prefix without an id after it
        ("", []),
        (None, []),
    ],
)
def test_parse_principals(text, ids):
    assert parse_principals(text) == ids


# -- who sees the form --------------------------------------------------------

# login name -> sees the form (has "Manage tracking")
SEES_FORM = {"member": None, "editor": True, "siteadmin": True, "manager": True}


@pytest.mark.parametrize(("name", "sees"), SEES_FORM.items())
def test_who_sees_the_form(functional, site, name, sees):
    browser = browser_as(functional, name)
    doc = site["folder"]["doc"]
    if sees is None:
        with pytest.raises(Unauthorized):
            browser.open(tab(doc))
        return
    browser.open(tab(doc))
    assert has_element(browser, "expected-form") is sees


def test_member_cannot_post(functional, site):
    browser = browser_as(functional, "member")
    doc = site["folder"]["doc"]
    with pytest.raises(Unauthorized):
        submit(browser, tab(doc), readers_action="save", readers_principals="member")
    assert own(doc) is None


def test_untracked_item_offers_no_form_but_says_when(functional, roles_site):
    browser = browser_as(functional, "manager")
    browser.open(tab(roles_site["folder"]["doc"]))
    assert not has_element(browser, "expected-form")
    assert "Once this item is tracked" in element_text(browser, "expected-hint")


# -- saving -------------------------------------------------------------------


def test_save_with_the_widgets_values(manager, site):
    # The site's time zone is not UTC: the deadline is read in it.
    api.portal.set_registry_record("plone.portal_timezone", "Europe/Vienna")
    transaction.commit()
    doc = site["folder"]["doc"]
    manager.open(tab(doc))
    fill(manager, "group:board;user:siteadmin", "2031-03-05", "18:00")
    assert manager.url == tab(doc)  # redirected (PRG)
    assert "Expected readers saved." in portal_message(manager)
    expectation = own(doc)
    assert expectation.principals == ("board", "siteadmin")
    assert expectation.deadline == datetime(2031, 3, 5, 17, 0, tzinfo=UTC)
    assert not expectation.confirm
    assert element_text(manager, "expected-source").startswith("Set on this item")
    assert element_text(manager, "expected-current-principals") == "Board, Sam Admin"
    assert element_text(manager, "expected-current-deadline") == (
        "Mar 05, 2031 06:00 PM (Europe/Vienna)"
    )
    # The form shows what is set, ready for the widget.
    form = manager.getForm(id="expected-form")
    assert form.getControl(name="readers_principals").value == (
        "group:board;user:siteadmin"
    )
    assert form.getControl(name="readers_date").value == "2031-03-05"
    assert form.getControl(name="readers_time").value == "18:00"
    field = tree(manager).xpath('//input[@id="readers-principals"]')[0]
    options = json.loads(field.get("data-pat-select2"))
    assert options["initialValues"] == {
        "group:board": "Board",
        "user:siteadmin": "Sam Admin",
    }
    assert options["vocabularyUrl"] == (
        f"{site.absolute_url()}/@@getVocabulary?name=plone.app.vocabularies.Principals"
    )


def test_the_widgets_vocabulary_answers_an_editor(functional, site):
    browser = browser_as(functional, "editor")
    browser.open(
        f"{site.absolute_url()}/@@getVocabulary"
        "?name=plone.app.vocabularies.Principals&query=Boa"
    )
    found = json.loads(browser.contents)["results"]
    assert {"id": "group:board", "text": "Board"} in found


def test_save_typed_ids_without_a_deadline(manager, site):
    doc = site["folder"]["doc"]
    manager.open(tab(doc))
    fill(manager, "siteadmin\nboard")
    expectation = own(doc)
    assert expectation.principals == ("board", "siteadmin")
    assert expectation.deadline is None
    assert element_text(manager, "expected-current-deadline") == "none"


def test_a_day_without_a_time_ends_at_23_59(manager, site):
    doc = site["folder"]["doc"]
    manager.open(tab(doc))
    fill(manager, "board", "2031-03-05")
    assert own(doc).deadline == datetime(2031, 3, 5, 23, 59, tzinfo=UTC)


def test_a_past_deadline_is_saved_with_a_note(manager, site):
    doc = site["folder"]["doc"]
    manager.open(tab(doc))
    fill(manager, "board", "2001-01-01", "12:00")
    assert own(doc).deadline == datetime(2001, 1, 1, 12, 0, tzinfo=UTC)
    assert "has passed already" in portal_message(manager)


def test_saving_keeps_the_confirmation_switch(manager, site):
    doc = site["folder"]["doc"]
    readers.set_expectation(doc, ["editor"], confirm=True)
    transaction.commit()
    manager.open(tab(doc))
    fill(manager, "board")
    assert own(doc).principals == ("board",)
    assert own(doc).confirm is True


# -- refusing bad input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("principals", "day", "clock", "message"),
    [
        ("board;nobody", "", "", "Unknown user or group: nobody"),
        ("", "2031-03-05", "", "Name at least one user or group."),
        ("board", "2031-02-30", "", "“2031-02-30” is not a date"),
        ("board", "05.03.2031", "", "use the form YYYY-MM-DD"),
        ("board", "2031-03-05", "6pm", "“6pm” is not a time of day"),
        ("board", "", "18:00", "A deadline needs a date"),
    ],
)
def test_bad_input_is_explained_and_nothing_saved(
    manager, site, principals, day, clock, message
):
    doc = site["folder"]["doc"]
    readers.set_expectation(doc, ["editor"])
    transaction.commit()
    manager.open(tab(doc))
    fill(manager, principals, day, clock)
    errors = element_text(manager, "expected-errors")
    assert errors.startswith("Nothing was saved:")
    assert message in errors
    assert own(doc).principals == ("editor",)
    assert own(doc).deadline is None
    # The form keeps what was sent, to be corrected.
    form = manager.getForm(id="expected-form")
    assert form.getControl(name="readers_principals").value == principals
    assert form.getControl(name="readers_date").value == day
    assert "Traceback" not in manager.contents


def test_post_without_token_changes_nothing(manager, site):
    doc = site["folder"]["doc"]
    with pytest.raises(Forbidden):
        submit(manager, tab(doc), readers_action="save", readers_principals="board")
    assert own(doc) is None


def test_post_with_a_forged_token_changes_nothing(manager, site):
    doc = site["folder"]["doc"]
    with pytest.raises(Forbidden):
        submit(
            manager,
            tab(doc),
            readers_action="save",
            readers_principals="board",
            _authenticator="forged",
        )
    assert own(doc) is None


def test_get_changes_nothing(manager, site):
    doc = site["folder"]["doc"]
    manager.open(tab(doc))
    token = manager.getForm(id="expected-form").getControl(name="_authenticator")
    manager.open(
        f"{tab(doc)}?readers_action=save&readers_principals=board"
        f"&_authenticator={token.value}"
    )
    assert own(doc) is None


# -- inherited, overridden, removed ---------------------------------------------


def test_inherited_setting_says_where_it_comes_from(manager, site):
    folder = site["folder"]
    readers.set_expectation(folder, ["board"])
    transaction.commit()
    manager.open(tab(folder["doc"]))
    assert element_text(manager, "expected-source").startswith("Set on Minutes;")
    link = tree(manager).xpath('//a[@id="expected-source-link"]')[0]
    assert link.get("href") == tab(folder)
    assert element_text(manager, "expected-current-principals") == "Board"
    # Nothing of the doc's own to remove; saving here overrides.
    assert not has_element(manager, "expected-remove")
    fill(manager, "siteadmin")
    assert own(folder["doc"]).principals == ("siteadmin",)
    assert own(folder).principals == ("board",)
    assert element_text(manager, "expected-source").startswith("Set on this item")


def test_remove_brings_back_the_inherited_setting(manager, site):
    folder = site["folder"]
    readers.set_expectation(folder, ["board"])
    readers.set_expectation(folder["doc"], ["siteadmin"])
    transaction.commit()
    manager.open(tab(folder["doc"]))
    manager.getControl("Remove").click()
    assert own(folder["doc"]) is None
    assert "those set on Minutes apply again" in portal_message(manager)
    assert element_text(manager, "expected-current-principals") == "Board"


def test_remove(manager, site):
    folder = site["folder"]
    readers.set_expectation(folder, ["board"])
    transaction.commit()
    manager.open(tab(folder))
    manager.getControl("Remove").click()
    assert own(folder) is None
    assert "Expected readers removed." in portal_message(manager)
    assert element_text(manager, "expected-source") == (
        "Nobody is expected to read this item yet."
    )


def test_a_deleted_group_shows_by_id(manager, site):
    doc = site["folder"]["doc"]
    readers.set_expectation(doc, ["board", "siteadmin"])
    api.group.delete(groupname="board")
    transaction.commit()
    manager.open(tab(doc))
    assert element_text(manager, "expected-current-principals") == "board, Sam Admin"


def test_a_huge_group_is_refused_with_a_clear_message(manager, site, monkeypatch):
    # The limit is lowered rather than thousands of users created: the board
    # has two members, the limit one.
    monkeypatch.setattr(readers, "MAX_EXPECTED", 1)
    doc = site["folder"]["doc"]
    manager.open(tab(doc))
    fill(manager, "board", "", "")
    errors = element_text(manager, "expected-errors")
    assert "These users and groups are 2 members; at most 1 expected readers" in (
        errors
    )
    assert own(doc) is None
