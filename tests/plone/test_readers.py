"""Expected readers (readers.py): the setting, its inheritance, who is
expected through (nested) groups, and the read state (issue 12)."""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from plone import api
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
from slc.clicktracker import readers
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IReadStatusStorage
from slc.clicktracker.storage import ReadStatus
from slc.clicktracker.storage import utility
from tests.plone.helpers import ListStorage
from zope.annotation.interfaces import IAnnotations
from zope.component import getGlobalSiteManager
import pytest
import time
import transaction


DEADLINE = datetime(2031, 5, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def site(portal):
    """A folder with a subfolder and documents; users and (nested) groups."""
    setRoles(portal, TEST_USER_ID, ["Manager"])
    folder = api.content.create(portal, "Folder", id="folder", title="Folder")
    sub = api.content.create(folder, "Folder", id="sub", title="Sub")
    api.content.create(folder, "Document", id="doc", title="Doc")
    api.content.create(sub, "Document", id="deep", title="Deep")
    api.content.create(portal, "Document", id="news", title="News")
    for name in ("alice", "bob", "carol", "dave", "erin"):
        api.user.create(email=f"{name}@example.org", username=name, password="x" * 12)
    gtool = api.portal.get_tool("portal_groups")
    # staff > board > {carol}; staff > {alice}; board > staff (a cycle).
    for group in ("staff", "board", "loners", "empty"):
        api.group.create(groupname=group, title=group.title())
    api.group.add_user(groupname="staff", username="alice")
    api.group.add_user(groupname="board", username="carol")
    api.group.add_user(groupname="loners", username="dave")
    gtool.addPrincipalToGroup("board", "staff")
    gtool.addPrincipalToGroup("staff", "board")
    return portal


# -- the setting and its inheritance ------------------------------------------------


def test_nothing_set(site):
    assert readers.own_expectation(site["folder"]) is None
    assert readers.expectation(site["folder"]["doc"]) is None
    assert readers.expectation_source(site["folder"]["doc"]) is None


def test_set_and_read_back(site):
    doc = site["folder"]["doc"]
    readers.set_expectation(doc, [" bob", "staff", "bob", "alice"], DEADLINE, True)
    want = readers.Expectation(("alice", "bob", "staff"), DEADLINE, True)
    assert readers.own_expectation(doc) == want
    assert readers.expectation(doc) == want
    assert readers.expectation_source(doc).aq_base is doc.aq_base
    data = IAnnotations(doc)[readers.ANNOTATION_KEY]
    assert data["principals"] == ("alice", "bob", "staff")


def test_inherited_from_the_nearest_parent(site):
    folder, sub = site["folder"], site["folder"]["sub"]
    readers.set_expectation(folder, ["staff"])
    for obj in (folder["doc"], sub, sub["deep"]):
        assert readers.own_expectation(obj) is None
        assert readers.expectation(obj).principals == ("staff",)
        assert readers.expectation_source(obj).aq_base is folder.aq_base
    # Its own overrides for it and below it, not for its siblings.
    readers.set_expectation(sub, ["bob"], DEADLINE)
    assert readers.expectation(sub["deep"]) == readers.Expectation(
        ("bob",), DEADLINE, False
    )
    assert readers.expectation_source(sub["deep"]).aq_base is sub.aq_base
    assert readers.expectation(folder["doc"]).principals == ("staff",)
    assert readers.expectation(site["news"]) is None
    # Removed: the folder's applies again.
    readers.clear_expectation(sub)
    assert readers.expectation(sub["deep"]).principals == ("staff",)
    readers.clear_expectation(sub)  # nothing there: no error


def test_site_root_is_the_last_source(site):
    readers.set_expectation(site, ["erin"])
    assert readers.expectation(site["folder"]["sub"]["deep"]).principals == ("erin",)
    assert readers.expectation_source(site["news"]).aq_base is site.aq_base
    # Above the site nothing counts (the Zope root is no Plone site).
    readers.clear_expectation(site)
    assert readers.expectation(site["news"]) is None


def test_reading_writes_nothing(site):
    doc = site["folder"]["doc"]
    readers.set_expectation(site["folder"], ["bob"])
    transaction.savepoint()  # flush: only what follows is registered
    jar = site._p_jar
    readers.expectation(doc)
    readers.expectation_source(site["folder"]["sub"]["deep"])
    readers.own_expectation(site["news"])
    readers.clear_expectation(site["news"])  # none there
    readers.expected_members(("staff", "bob"))
    assert jar._registered_objects == []


def test_deadline_is_stored_in_utc(site):
    vienna = timezone(timedelta(hours=2))
    readers.set_expectation(site, ["bob"], datetime(2031, 5, 6, 11, 0, tzinfo=vienna))
    deadline = readers.own_expectation(site).deadline
    assert deadline == DEADLINE and deadline.tzinfo is UTC


@pytest.mark.parametrize(
    "deadline", [datetime(2031, 5, 6, 9, 0), date(2031, 5, 6), "2031-05-06", 0]
)
def test_bad_deadline_refused(site, deadline):
    with pytest.raises(ValueError, match="deadline"):
        readers.set_expectation(site, ["bob"], deadline)
    assert readers.own_expectation(site) is None


def test_unknown_principal_refused_and_nothing_saved(site):
    doc = site["folder"]["doc"]
    readers.set_expectation(doc, ["bob"])
    with pytest.raises(ValueError, match="^Unknown user or group: nobody$"):
        readers.set_expectation(doc, ["alice", "nobody"])
    with pytest.raises(readers.UnknownPrincipal) as refused:
        readers.set_expectation(doc, ["zed", "staff", "ghost"], DEADLINE)
    assert refused.value.principals == ("ghost", "zed")
    assert str(refused.value) == "Unknown user or group: ghost, zed"
    assert readers.own_expectation(doc) == readers.Expectation(("bob",), None, False)


@pytest.mark.parametrize("principals", ["bob", None, [], ["", "  "], ["bob", 3], 7])
def test_bad_principals_refused(site, principals):
    with pytest.raises(ValueError):
        readers.set_expectation(site, principals)
    assert readers.own_expectation(site) is None


# -- who is expected ------------------------------------------------------------------


def test_users_and_groups_resolved(site):
    assert readers.expected_members(("bob", "loners")) == {
        "bob": "bob",
        "dave": "loners",
    }
    assert readers.expected_members(()) == {}
    assert readers.expected_members(("empty",)) == {}


def test_nested_groups_and_a_cycle(site):
    # staff holds alice and board; board holds carol and staff again.
    everyone = {"alice": "staff", "carol": "staff"}
    assert readers.expected_members(("staff",)) == everyone
    assert readers.expected_members(("board",)) == {"alice": "board", "carol": "board"}
    # Named directly beats a group; of two groups the first (sorted) names them.
    assert readers.expected_members(("staff", "carol", "board")) == {
        "alice": "board",
        "carol": "carol",
    }


def test_resolved_at_report_time(site):
    readers.set_expectation(site["folder"], ["loners"])
    api.group.add_user(groupname="loners", username="erin")
    principals = readers.expectation(site["folder"]["doc"]).principals
    assert set(readers.expected_members(principals)) == {"dave", "erin"}


def test_unknown_and_deleted_principals_left_out(site):
    readers.set_expectation(site, ["bob", "loners", "staff"])
    gtool = api.portal.get_tool("portal_groups")
    # A principal the group still lists but which is no user (nor group).
    gtool.addPrincipalToGroup("ghost", "loners")
    api.user.delete(username="bob")
    api.group.delete(groupname="staff")
    api.user.delete(username="dave")
    principals = readers.expectation(site).principals
    assert principals == ("bob", "loners", "staff")  # as entered
    assert readers.expected_members(principals) == {}
    assert readers.expected_members(("nobody", "carol")) == {"carol": "carol"}


def test_two_thousand_members(site):
    users = site.acl_users.source_users
    groups = site.acl_users.source_groups
    api.group.create(groupname="all")
    api.group.create(groupname="half")
    for i in range(2000):
        users.addUser(f"u{i:04}", f"u{i:04}", "x" * 12)
        groups.addPrincipalToGroup(f"u{i:04}", "half" if i % 2 else "all")
    groups.addPrincipalToGroup("half", "all")
    started = time.perf_counter()
    expected = readers.expected_members(("all", "bob"))
    took = time.perf_counter() - started
    assert len(expected) == 2001
    assert expected["u0001"] == "all" and expected["bob"] == "bob"
    # Generous for shared machines; a lookup per user took ten times that.
    assert took < 1.0, took


def test_read_state():
    before, after = DEADLINE - timedelta(seconds=1), DEADLINE + timedelta(seconds=1)
    assert readers.read_state(None, None) == readers.UNREAD == "unread"
    assert readers.read_state(None, DEADLINE) == "unread"
    assert readers.read_state(after, None) == readers.READ == "read"
    assert readers.read_state(before, DEADLINE) == "read"
    assert readers.read_state(DEADLINE, DEADLINE) == "read"
    assert readers.read_state(after, DEADLINE) == readers.LATE == "late"


# -- the storage utility --------------------------------------------------------------


def test_the_utility_reads_status(storage):
    assert utility.read_status_storage() is storage
    assert IReadStatusStorage.providedBy(storage)
    when = datetime(2031, 5, 6, 9, 0, tzinfo=UTC)
    storage.logAccess("ann", "/plone/doc", "http://nohost/plone/doc", when=when)
    storage.logAccess("bob", "/plone/doc", "http://nohost/plone/doc", when=when)
    assert storage.read_status(["/plone/doc"], members=["ann"]) == [
        ReadStatus("/plone/doc", "ann", when, when, 1, None, None, when)
    ]


def test_a_storage_without_read_status(portal):
    gsm = getGlobalSiteManager()
    original = gsm.getUtility(IClickStorage)
    gsm.registerUtility(ListStorage(), IClickStorage)
    try:
        assert utility.read_status_storage() is None
    finally:
        gsm.registerUtility(original, IClickStorage)
    assert utility.read_status_storage() is original
