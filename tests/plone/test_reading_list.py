"""A member's own reading list (issue 12): ``@@reading-list``, the catalog
index it searches, the personal menu's link and the dashboard portlet.

alice is expected through the nested group staff > board on the meeting
folder, directly on two documents; the minutes name bob only; the memo's
folder is not tracked.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
from slc.clicktracker import readers
from slc.clicktracker import readinglist
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IReadStatusStorage
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage import ReadStatus
from slc.clicktracker.storage.utility import confirmation_storage
from tests.plone.helpers import PASSWORD
from tests.plone.helpers import ListStorage
from tests.plone.helpers import open_browser
from tests.plone.helpers import text
from tests.plone.helpers import tree
from zExceptions import Unauthorized
from zope.component import getGlobalSiteManager
from zope.interface import implementer
import pytest
import transaction


NOW = datetime.now(UTC).replace(microsecond=0)
PASSED = NOW - timedelta(days=1)  # the meeting's deadline
SOON = NOW + timedelta(days=3)  # the paper's
ALICE_LIST = ["/plone/policy", "/plone/meeting/agenda", "/plone/meeting/sub/annex"]


@pytest.fixture(name="site")
def site_fixture(functional):
    """Members alice, bob, dave; groups board (alice, bob) inside staff
    (dave); tracked content with expectations; nothing read yet."""
    portal = functional["portal"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    api.portal.set_registry_record("plone.portal_timezone", "UTC")
    for name in ("alice", "bob", "dave"):
        api.user.create(email=f"{name}@example.org", username=name, password=PASSWORD)
    api.group.create(groupname="board", title="Board")
    api.group.create(groupname="staff", title="Staff")
    for name in ("alice", "bob"):
        api.group.add_user(groupname="board", username=name)
    api.group.add_user(groupname="staff", username="dave")
    api.portal.get_tool("portal_groups").addPrincipalToGroup("board", "staff")

    def create(container, type_, id_, title):
        obj = api.content.create(container, type_, id=id_, title=title)
        api.content.transition(obj, "publish")
        return obj

    meeting = create(portal, "Folder", "meeting", "Meeting")
    create(meeting, "Document", "agenda", "Agenda")
    minutes = create(meeting, "Document", "minutes", "Minutes")
    sub = create(meeting, "Folder", "sub", "Annexes")
    create(sub, "Document", "annex", "Annex")
    policy = create(portal, "Document", "policy", "Policy")
    loose = create(portal, "Folder", "loose", "Not tracked")
    create(loose, "Document", "memo", "Memo")
    for obj in (meeting, policy):
        tracking.enable(obj)
    readers.set_expectation(meeting, ["staff"], deadline=PASSED)
    readers.set_expectation(minutes, ["bob"])  # overrides: not alice
    readers.set_expectation(policy, ["alice"])
    readers.set_expectation(loose, ["alice"])
    transaction.commit()
    return portal


@pytest.fixture(name="reads")
def reads_fixture(site, storage):
    """alice read the agenda in time and the annex late."""
    for path, when in (
        ("/plone/meeting/agenda", PASSED - timedelta(hours=2)),
        ("/plone/meeting/sub/annex", PASSED + timedelta(hours=2)),
    ):
        storage.logAccess("alice", path, f"http://nohost{path}", when=when)
    return storage


def as_member(functional, name):
    return open_browser(functional, name)


def list_url(site):
    return f"{site.absolute_url()}/@@reading-list"


def rows(browser):
    """The table's rows: path, state, title, deadline, status cell, first read."""
    return [
        {
            "path": tr.get("data-path"),
            "state": tr.get("data-state"),
            "title": text(tr.xpath('td[@class="title"]')[0]),
            "deadline": text(tr.xpath('td[@class="deadline"]')[0]),
            "status": text(tr.xpath('td[@class="status"]')[0]),
            "firstread": text(tr.xpath('td[@class="firstread"]')[0]),
        }
        for tr in tree(browser).xpath('//tr[@class="reading-list-row"]')
    ]


def paths(browser):
    return [row["path"] for row in rows(browser)]


def items_of(userid):
    """The items of ``userid``'s list, as the function finds them."""
    user = api.user.get(userid=userid).getUser()
    return sorted(
        i.path for i in readinglist.expected_items({userid, *user.getGroups()})
    )


# -- which items -----------------------------------------------------------------------


def test_items_from_folder_and_document_expectations(functional, reads):
    browser = as_member(functional, "alice")
    browser.open(list_url(functional["portal"]))
    # Not read first (the policy), then by deadline and title; the minutes
    # leave alice out, the memo is not tracked, folders are no items.
    assert paths(browser) == ALICE_LIST
    first = rows(browser)[0]
    assert first["title"] == "Policy"
    assert first["deadline"] == "No deadline"
    assert first["status"] == "Not read"


def test_nested_group_and_own_expectation(site):
    # alice and bob through board inside staff, dave directly in staff.
    assert items_of("dave") == ["/plone/meeting/agenda", "/plone/meeting/sub/annex"]
    assert items_of("bob") == [
        "/plone/meeting/agenda",
        "/plone/meeting/minutes",
        "/plone/meeting/sub/annex",
    ]
    assert items_of("alice") == sorted(ALICE_LIST)
    # The groups PAS gives include the nested one.
    assert "staff" in api.user.get(userid="alice").getUser().getGroups()


def test_the_nearest_expectation_decides(site):
    annexes = site["meeting"]["sub"]
    readers.set_expectation(annexes, ["dave"])
    assert "/plone/meeting/sub/annex" not in items_of("alice")
    assert "/plone/meeting/sub/annex" in items_of("dave")
    readers.clear_expectation(annexes)
    assert "/plone/meeting/sub/annex" in items_of("alice")
    # A document's own expectation that names alice counts once.
    readers.set_expectation(site["meeting"]["agenda"], ["alice", "board"])
    assert items_of("alice") == sorted(ALICE_LIST)


def test_untracked_items_are_not_listed(site):
    tracking.disable(site["meeting"])
    assert items_of("alice") == ["/plone/policy"]
    # Tracking a folder tracks what is below it.
    tracking.enable(site["loose"])
    assert items_of("alice") == ["/plone/loose/memo", "/plone/policy"]


def test_expectation_on_the_site_root(site):
    readers.set_expectation(site, ["dave"])
    assert items_of("dave") == ["/plone/meeting/agenda", "/plone/meeting/sub/annex"]
    tracking.enable(site)
    # The untracked folder's own expectation is nearer.
    assert "/plone/loose/memo" not in items_of("dave")
    readers.clear_expectation(site["loose"])
    assert "/plone/loose/memo" in items_of("dave")


def test_only_what_the_member_may_view(functional, site, storage):
    api.content.transition(site["policy"], "retract")
    transaction.commit()
    browser = as_member(functional, "alice")
    browser.open(list_url(site))
    assert "/plone/policy" not in paths(browser)
    assert "/plone/meeting/agenda" in paths(browser)


# -- statuses --------------------------------------------------------------------------


def test_status_read_late_unread_and_first_read(functional, reads):
    browser = as_member(functional, "alice")
    browser.open(list_url(functional["portal"]))
    found = {row["path"]: row for row in rows(browser)}
    assert found["/plone/policy"]["state"] == "unread"
    assert found["/plone/meeting/agenda"]["status"] == "Read"
    assert found["/plone/meeting/sub/annex"]["status"] == "Read late"
    assert found["/plone/meeting/agenda"]["firstread"] != ""
    assert found["/plone/policy"]["firstread"] == ""
    # Read, so not overdue although the deadline has passed.
    assert "overdue" not in found["/plone/meeting/agenda"]["deadline"]
    summary = tree(browser).xpath('//*[@id="reading-list-summary"]')[0]
    assert text(summary) == "1 of 3 still to read."


def test_overdue_and_order_by_deadline(functional, reads):
    # bob has read nothing: the meeting's (passed) first, by title; the
    # minutes have no deadline.
    browser = as_member(functional, "bob")
    browser.open(list_url(functional["portal"]))
    found = rows(browser)
    assert [row["path"] for row in found] == [
        "/plone/meeting/agenda",
        "/plone/meeting/sub/annex",
        "/plone/meeting/minutes",
    ]
    assert found[0]["deadline"].endswith("overdue")
    assert "overdue" not in found[2]["deadline"]
    badge = tree(browser).xpath('//tr[@data-state="unread"]//td[@class="status"]/span')
    assert "text-bg-danger" in badge[0].get("class")


def test_confirmation_asked(functional, site, storage):
    paper = api.content.create(site["meeting"], "Document", id="paper", title="Paper")
    api.content.transition(paper, "publish")
    readers.set_expectation(paper, ["alice"], deadline=SOON, confirm=True)
    transaction.commit()
    storage.logAccess(
        "alice", "/plone/meeting/paper", "http://nohost/plone/meeting/paper"
    )
    browser = as_member(functional, "alice")
    browser.open(list_url(site))
    found = {row["path"]: row for row in rows(browser)}
    assert found["/plone/meeting/paper"]["status"] == "Read Please confirm"
    # Items that do not ask for it say nothing about confirming.
    assert found["/plone/policy"]["status"] == "Not read"
    confirmation_storage().confirm("/plone/meeting/paper", "alice")
    browser.open(list_url(site))
    found = {row["path"]: row for row in rows(browser)}
    assert found["/plone/meeting/paper"]["status"] == "Read Confirmed"


# -- security --------------------------------------------------------------------------


def test_anonymous_is_refused(functional, site):
    browser = open_browser(functional)
    with pytest.raises(Unauthorized):
        browser.open(list_url(site))
    # With Zope's error handling: the login form.
    browser.handleErrors = True
    browser.open(list_url(site))
    assert "login" in browser.url


def test_only_my_own_status(functional, reads):
    # alice read the agenda; bob's list never says so, whatever he asks for.
    browser = as_member(functional, "bob")
    for query in ("", "?userid=alice", "?member=alice&user=alice"):
        browser.open(list_url(functional["portal"]) + query)
        found = {row["path"]: row["state"] for row in rows(browser)}
        assert found["/plone/meeting/agenda"] == "unread"
        assert "/plone/policy" not in found


@implementer(IClickStorage, IReadStatusStorage)
class Recorder(ListStorage):
    """Says who read what (alice: the policy), keeps no confirmations."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def read_status(self, paths, members=None, rules=None):
        self.calls.append((sorted(paths), members))
        return [ReadStatus("/plone/policy", "alice", NOW, NOW, 1, None, None, NOW)]


def test_one_storage_call_for_my_reads_only(site):
    storage = Recorder()
    with registered(storage):
        found = readinglist.reading_list(api.user.get(userid="alice").getUser())
    assert storage.calls == [(sorted(ALICE_LIST), ["alice"])]
    assert [e.state for e in found.entries] == ["unread", "unread", "read"]


def test_confirmation_asked_without_a_storage_for_it(site):
    readers.set_expectation(site["policy"], ["alice"], confirm=True)
    with registered(Recorder()):
        found = readinglist.reading_list(api.user.get(userid="alice").getUser())
    # Nobody can say whether she confirmed: the list does not ask her to.
    assert not found.confirmations_known
    assert found.to_do() == found.entries[:2]


# -- when the storage cannot say -------------------------------------------------------


class registered:
    """Register ``storage`` as the click storage for a while."""

    def __init__(self, storage):
        self.storage = storage

    def __enter__(self):
        registry = getGlobalSiteManager()
        self.original = registry.getUtility(IClickStorage)
        registry.registerUtility(self.storage, IClickStorage)

    def __exit__(self, *exc):
        getGlobalSiteManager().registerUtility(self.original, IClickStorage)


@implementer(IClickStorage, IReadStatusStorage)
class BrokenStorage(ListStorage):
    def read_status(self, paths, members=None, rules=None):
        raise StorageError("the database is unreachable (connection refused)")


def test_storage_failure_still_lists_the_items(functional, site):
    browser = as_member(functional, "alice")
    with registered(BrokenStorage()):
        browser.open(list_url(site))
    assert browser.headers["status"].startswith("200")
    notice = tree(browser).xpath('//*[@id="reading-list-failed"]')
    assert "cannot be read right now" in text(notice[0])
    # The reason is for the server log, not for members.
    assert "connection refused" not in browser.contents
    assert sorted(paths(browser)) == sorted(ALICE_LIST)
    assert {row["status"] for row in rows(browser)} == {"Unknown"}


def test_no_database_configured(functional, site):
    browser = as_member(functional, "alice")
    browser.open(list_url(site))
    assert tree(browser).xpath('//*[@id="reading-list-failed"]')
    assert len(rows(browser)) == 3


def test_storage_without_read_status(functional, site):
    browser = as_member(functional, "alice")
    with registered(ListStorage()):
        browser.open(list_url(site))
    assert tree(browser).xpath('//*[@id="reading-list-unavailable"]')
    assert len(rows(browser)) == 3


def test_nothing_to_read(functional, site, storage):
    api.user.create(email="eve@example.org", username="eve", password=PASSWORD)
    transaction.commit()
    browser = as_member(functional, "eve")
    browser.open(list_url(site))
    empty = tree(browser).xpath('//*[@id="reading-list-empty"]')
    assert text(empty[0]).startswith("Nothing to read")
    assert not tree(browser).xpath('//*[@id="reading-list-table"]')
