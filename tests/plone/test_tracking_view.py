"""The Tracking tab: status, switching tracking on and off, the access log."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from lxml import html
from plone import api
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickTrackerLayer
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.interfaces import IContentIsTracked
from tests.plone.helpers import COLUMNS
from tests.plone.helpers import DAY
from tests.plone.helpers import ROLE_PASSWORD
from tests.plone.helpers import ROLE_USERS
from tests.plone.helpers import browser_as
from tests.plone.helpers import csv_rows
from tests.plone.helpers import fresh
from tests.plone.helpers import hit
from tests.plone.helpers import is_tracked_directly
from tests.plone.helpers import log_rows
from tests.plone.helpers import submit
from tests.plone.helpers import tab_urls
from tests.plone.helpers import text
from urllib.parse import urlencode
from zExceptions import Forbidden
from zope.component import getGlobalSiteManager
from zope.interface import alsoProvides
import pytest
import transaction


# -- fixtures and helpers ------------------------------------------------------


@pytest.fixture
def manager(functional, roles_site):
    return browser_as(functional, "manager")


def status_text(browser):
    tree = html.fromstring(browser.contents)
    return text(tree.get_element_by_id("tracking-status-text"))


def portal_message(browser):
    tree = html.fromstring(browser.contents)
    return " ".join(
        text(e) for e in tree.xpath('//*[contains(@class, "portalMessage")]')
    )


def page_messages(browser):
    tree = html.fromstring(browser.contents)
    return [text(e) for e in tree.xpath('//*[contains(@class, "tracking-message")]')]


def members(browser):
    return [row["member"] for row in log_rows(browser)]


def token_for(browser, url):
    """The authenticator the page gave this browser's user."""
    browser.open(url)
    form = browser.getForm(id="tracking-toggle")
    return form.getControl(name="_authenticator").value


# -- which content is tracked ---------------------------------------------------


def test_folder_tracking_is_inherited(integration):
    portal = integration["portal"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    folder = api.content.create(container=portal, type="Folder", id="f")
    doc = api.content.create(container=folder, type="Document", id="d")
    assert tracking.tracking_source(doc) is None

    tracking.enable(folder)
    assert tracking.is_tracked(doc)
    assert tracking.tracking_source(doc).getPhysicalPath() == folder.getPhysicalPath()
    assert not IContentIsTracked.providedBy(doc)

    tracking.disable(folder)
    assert not tracking.is_tracked(doc)


def test_site_root_can_be_tracked(integration):
    portal = integration["portal"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    doc = api.content.create(container=portal, type="Document", id="d")
    tracking.enable(portal)
    assert tracking.is_tracked(doc)
    assert tracking.tracking_source(doc) == portal
    tracking.disable(portal)
    assert not tracking.is_tracked(doc)


def test_view_marks_its_request_ignored(integration):
    portal = integration["portal"]
    request = integration["request"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    alsoProvides(request, IClickTrackerLayer)
    view = api.content.get_view("tracking", portal, request)
    page = view()
    assert IContentIsIgnored.providedBy(request)
    # Without a DSN the log explains itself instead of failing.
    assert "No click tracker database is configured" in page


# -- the Tracking tab -----------------------------------------------------------


def test_tab_on_content_and_site_root(manager, roles_site):
    manager.open(f"{roles_site.absolute_url()}/folder/doc")
    assert tab_urls(manager) == [f"{roles_site.absolute_url()}/folder/doc/@@tracking"]
    manager.open(roles_site.absolute_url())
    assert tab_urls(manager) == [f"{roles_site.absolute_url()}/@@tracking"]


def test_tab_opens_the_page_on_site_root(manager, roles_site):
    manager.open(roles_site.absolute_url())
    manager.getLink(url=f"{roles_site.absolute_url()}/@@tracking").click()
    assert status_text(manager) == "This item is not tracked."


def object_action_ids(portal):
    return list(portal.portal_actions.object.objectIds())


def test_action_installed(integration):
    assert "tracking" in object_action_ids(integration["portal"])


def test_uninstall_removes_the_action(integration, installer, package_name):
    installer.uninstall_product(package_name)
    assert "tracking" not in object_action_ids(integration["portal"])


def test_upgrade_to_1001_adds_the_action(integration, setup_tool):
    portal = integration["portal"]
    portal.portal_actions.object.manage_delObjects(["tracking"])
    profile = "slc.clicktracker:default"
    setup_tool.setLastVersionForProfile(profile, "1000")
    setup_tool.upgradeProfile(profile)
    assert "tracking" in object_action_ids(portal)


# -- status and switching -------------------------------------------------------


def test_status_texts(manager, roles_site):
    folder = roles_site["folder"]
    manager.open(f"{folder['doc'].absolute_url()}/@@tracking")
    assert status_text(manager) == "This item is not tracked."

    tracking.enable(folder)
    transaction.commit()
    manager.open(f"{folder['doc'].absolute_url()}/@@tracking")
    assert status_text(manager) == "This item is tracked through Minutes."
    link = html.fromstring(manager.contents).get_element_by_id("tracking-source")
    assert link.get("href") == f"{folder.absolute_url()}/@@tracking"

    manager.open(f"{folder.absolute_url()}/@@tracking")
    assert status_text(manager).startswith("This item is tracked directly")


def test_enable_and_disable_with_the_form(manager, roles_site):
    doc = roles_site["folder"]["doc"]
    manager.open(f"{doc.absolute_url()}/@@tracking")
    manager.getControl("Enable tracking").click()
    assert manager.url == f"{doc.absolute_url()}/@@tracking"  # redirected (PRG)
    assert "Tracking enabled" in portal_message(manager)
    assert is_tracked_directly(doc)
    assert status_text(manager).startswith("This item is tracked directly")

    manager.getControl("Disable tracking").click()
    assert "Tracking disabled." in portal_message(manager)
    assert not is_tracked_directly(doc)
    assert status_text(manager) == "This item is not tracked."


def test_enable_on_site_root(manager, roles_site):
    manager.open(f"{roles_site.absolute_url()}/@@tracking")
    manager.getControl("Enable tracking").click()
    assert is_tracked_directly(roles_site)
    assert tracking.is_tracked(fresh(roles_site)["folder"]["doc"])


def test_inherited_tracking_offers_no_disable_button(manager, roles_site):
    folder = roles_site["folder"]
    tracking.enable(folder)
    transaction.commit()
    manager.open(f"{folder['doc'].absolute_url()}/@@tracking")
    assert "can only be disabled there" in manager.contents
    assert 'id="tracking-disable"' not in manager.contents
    assert 'id="tracking-enable"' not in manager.contents


def test_disable_inherited_tracking_is_refused(manager, roles_site):
    folder = roles_site["folder"]
    tracking.enable(folder)
    transaction.commit()
    # The page offers no button; a hand-made POST is refused all the same.
    token = token_for(manager, f"{folder.absolute_url()}/@@tracking")
    url = f"{folder['doc'].absolute_url()}/@@tracking"
    submit(manager, url, tracking_action="disable", _authenticator=token)
    message = portal_message(manager)
    assert "tracked through Minutes" in message
    assert "can only be disabled there" in message
    assert is_tracked_directly(folder)
    assert status_text(manager) == "This item is tracked through Minutes."


def test_disable_direct_tracking_below_a_tracked_parent(manager, roles_site):
    folder = roles_site["folder"]
    tracking.enable(folder)
    tracking.enable(folder["doc"])
    transaction.commit()
    manager.open(f"{folder['doc'].absolute_url()}/@@tracking")
    manager.getControl("Disable tracking").click()
    assert "still tracked through Minutes" in portal_message(manager)
    assert not is_tracked_directly(folder["doc"])
    assert is_tracked_directly(folder)


def test_post_without_token_changes_nothing(manager, roles_site):
    doc = roles_site["folder"]["doc"]
    with pytest.raises(Forbidden):
        submit(manager, f"{doc.absolute_url()}/@@tracking", tracking_action="enable")
    assert not is_tracked_directly(doc)


def test_post_with_wrong_token_changes_nothing(manager, roles_site):
    doc = roles_site["folder"]["doc"]
    with pytest.raises(Forbidden):
        submit(
            manager,
            f"{doc.absolute_url()}/@@tracking",
            tracking_action="enable",
            _authenticator="forged",
        )
    assert not is_tracked_directly(doc)


def test_post_with_token_works(manager, roles_site):
    doc = roles_site["folder"]["doc"]
    url = f"{doc.absolute_url()}/@@tracking"
    token = token_for(manager, url)
    submit(manager, url, tracking_action="enable", _authenticator=token)
    assert is_tracked_directly(doc)


def test_get_changes_nothing(manager, roles_site):
    doc = roles_site["folder"]["doc"]
    url = f"{doc.absolute_url()}/@@tracking"
    token = token_for(manager, url)
    query = urlencode({"tracking_action": "enable", "_authenticator": token})
    manager.open(f"{url}?{query}")
    assert not is_tracked_directly(doc)
    assert status_text(manager) == "This item is not tracked."


# -- the access log ---------------------------------------------------------------


# Hits of the sorting tests: member -> (url, days after DAY of each hit).
# Each column orders the three members differently (test_sort_orders_differ).
SORT_HITS = {
    "member": ("/plone/folder/doc-a", (3, 5)),
    "editor": ("/plone/folder/doc-b", (4,)),
    "manager": ("/plone/folder/doc-c", (0, 1, 2)),
}


@pytest.fixture
def sort_log(storage):
    for member, (path, days) in SORT_HITS.items():
        for day in days:
            hit(storage, member, path, DAY + timedelta(days=day))
    return storage


def test_log_shows_hits(manager, roles_site, sort_log):
    # One row per member and document by default (issue 11, item 12) ...
    manager.open(f"{roles_site['folder'].absolute_url()}/@@tracking")
    rows = {row["member"]: row for row in log_rows(manager)}
    assert set(rows) == set(SORT_HITS)
    assert "/plone/folder/doc-a" in rows["member"]["document"]
    assert "url" not in rows["member"]
    # ... and one per member and URL on request, as before.
    manager.open(f"{roles_site['folder'].absolute_url()}/@@tracking?per=url")
    rows = {row["member"]: row for row in log_rows(manager)}
    assert set(rows) == set(SORT_HITS)
    member = rows["member"]
    assert member["fullname"] == "Ada Member"
    assert member["url"] == "http://nohost/plone/folder/doc-a"
    assert member["count"] == "2"
    assert member["firstaccess"] == api.portal.get_localized_time(
        DAY + timedelta(days=3), long_format=True
    )
    assert member["lastaccess"] == api.portal.get_localized_time(
        DAY + timedelta(days=5), long_format=True
    )
    assert "Mar 04, 2024" in member["firstaccess"]
    link = html.fromstring(manager.contents).xpath('//td[@class="url"]/a')[0]
    assert link.get("href") == link.text_content()


def test_log_covers_the_subtree_only(manager, roles_site, storage):
    hit(storage, "member", "/plone/folder/doc", DAY)
    hit(storage, "editor", "/plone/folder-2/doc", DAY)
    hit(storage, "manager", "/plone/other", DAY)
    manager.open(f"{roles_site['folder'].absolute_url()}/@@tracking")
    assert members(manager) == ["member"]
    manager.open(f"{roles_site.absolute_url()}/@@tracking")
    assert sorted(members(manager)) == ["editor", "manager", "member"]


def expected_order(column):
    def value(member):
        path, days = SORT_HITS[member]
        return {
            "member": member,
            "fullname": ROLE_USERS[member][0],
            "url": path,
            "document": path,  # no titles: by path
            "count": len(days),
            "firstaccess": min(days),
            "lastaccess": max(days),
        }[column]

    return sorted(SORT_HITS, key=value)


# The per-document table (the default) has a Document column instead of the
# URL; the per-URL table has both (issue 11, item 12).
@pytest.mark.parametrize(
    ("label", "column", "per"),
    [
        ("Name", "fullname", "document"),
        ("User ID", "member", "document"),
        ("Document", "document", "document"),
        ("Views", "count", "document"),
        ("First access", "firstaccess", "document"),
        ("Last access", "lastaccess", "document"),
        ("URL", "url", "url"),
        ("Document", "document", "url"),
        ("Views", "count", "url"),
    ],
)
def test_sort_by_clicking_column_headers(
    manager, roles_site, sort_log, label, column, per
):
    expected = expected_order(column)
    # Start sorted by another column: the current one's header flips the order.
    other = "lastaccess" if column == "member" else "member"
    manager.open(
        f"{roles_site['folder'].absolute_url()}/@@tracking?sort_on={other}&per={per}"
    )
    click_header(manager, label)
    assert members(manager) == expected
    click_header(manager, label)
    assert members(manager) == expected[::-1]
    click_header(manager, label)
    assert members(manager) == expected


def click_header(browser, label):
    tree = html.fromstring(browser.contents)
    (link,) = [a for a in tree.xpath("//th/a") if text(a) == label]
    browser.open(link.get("href"))


def test_sort_orders_differ(sort_log):
    # Otherwise the test above could pass without sorting anything.
    assert len({tuple(expected_order(column)) for column in COLUMNS}) == 6


def test_unknown_sort_falls_back_to_member(manager, roles_site, sort_log):
    url = f"{roles_site['folder'].absolute_url()}/@@tracking"
    manager.open(f"{url}?sort_on=__class__&sort_order=sideways")
    assert members(manager) == sorted(SORT_HITS)
    manager.open(f"{url}?sort_on:list=url&b_start=nonsense")
    assert members(manager) == sorted(SORT_HITS)


def test_batching(manager, roles_site, storage):
    for number in range(60):
        hit(storage, f"reader{number:02}", "/plone/folder/doc", DAY)
    manager.open(f"{roles_site['folder'].absolute_url()}/@@tracking?sort_on=member")
    first = members(manager)
    assert first == [f"reader{number:02}" for number in range(50)]
    tree = html.fromstring(manager.contents)
    next_links = [
        a.get("href")
        for a in tree.xpath('//*[contains(@class, "pagination")]//a')
        if "b_start" in a.get("href", "")
    ]
    assert next_links
    manager.open(next_links[-1])
    assert members(manager) == [f"reader{number:02}" for number in range(50, 60)]


def test_time_window(manager, roles_site, storage):
    path = "/plone/folder/doc"
    start = datetime(2024, 3, 10, tzinfo=UTC)
    hit(storage, "member", path, start - timedelta(minutes=1))  # before
    hit(storage, "member", path, start)
    hit(storage, "member", path, start + timedelta(days=2, hours=23, minutes=59))
    hit(storage, "member", path, start + timedelta(days=3))  # after
    hit(storage, "editor", path, start + timedelta(days=5))
    manager.open(f"{roles_site['folder'].absolute_url()}/@@tracking")
    manager.getControl(name="since").value = "2024-03-10"
    manager.getControl(name="until").value = "2024-03-12"
    manager.getControl("Show").click()
    rows = log_rows(manager)
    assert [(row["member"], row["count"]) for row in rows] == [("member", "2")]
    assert rows[0]["firstaccess"] == api.portal.get_localized_time(
        start, long_format=True
    )
    # The window survives sorting.
    click_header(manager, "Views")
    assert members(manager) == ["member"]

    manager.open(f"{roles_site['folder'].absolute_url()}/@@tracking?since=2024-03-13")
    assert [(r["member"], r["count"]) for r in log_rows(manager)] == [
        ("editor", "1"),
        ("member", "1"),
    ]


def test_invalid_dates_are_explained(manager, roles_site, sort_log):
    url = f"{roles_site['folder'].absolute_url()}/@@tracking"
    manager.open(f"{url}?since=yesterday&until=2024-02-30")
    messages = " ".join(page_messages(manager))
    assert "“yesterday” is not a date" in messages
    assert "“2024-02-30” is not a date" in messages
    assert sorted(members(manager)) == sorted(SORT_HITS)  # limits ignored
    manager.open(f"{url}?since=2024-03-05&until=2024-03-01")
    assert "after the end date" in " ".join(page_messages(manager))
    assert log_rows(manager) == []


def all_pages(browser, url):
    rows = []
    start = 0
    while True:
        browser.open(f"{url}&b_start:int={start}")
        page = log_rows(browser)
        if not page:
            return rows
        rows.extend(page)
        start += len(page)


def test_csv_has_the_rows_of_the_page(manager, roles_site, storage):
    for number in range(55):
        hit(storage, f"reader{number:02}", "/plone/folder/doc", DAY)
        if number % 3:
            hit(storage, f"reader{number:02}", "/plone/folder/doc", DAY)
    hit(storage, "reader09", "/plone/folder/doc", DAY - timedelta(days=3))
    url = (
        f"{roles_site['folder'].absolute_url()}/@@tracking?"
        "sort_on=count&sort_order=descending&since=2024-03-01"
    )
    page_rows = all_pages(manager, url)
    assert len(page_rows) == 55
    manager.open(url)
    manager.getLink("Download as CSV").click()
    assert manager.headers["Content-Disposition"].startswith(
        'attachment; filename="access-log-folder-'
    )
    header, *rows = csv_rows(manager)
    # The table's columns in the table's order (issue 11, item 12); the
    # reading time's too, since this storage measures it (issue 13).
    assert header == [
        "Name",
        "User ID",
        "Document",
        "Path",
        "Views",
        "reading_seconds",
        "reached_end",
        "First access (UTC)",
        "Last access (UTC)",
    ]
    assert [(r[1], r[3], r[4]) for r in rows] == [
        (r["member"], "/plone/folder/doc", r["count"]) for r in page_rows
    ]
    reader09 = next(r for r in rows if r[1] == "reader09")
    assert reader09[4:] == ["1", "", "", "2024-03-01 12:00:00", "2024-03-01 12:00:00"]
    manager.open(url + "&per=url")
    manager.getLink("Download as CSV").click()
    header, *rows = csv_rows(manager)
    assert header[:6] == ["Name", "User ID", "Document", "Path", "URL", "Views"]
    assert [(r[1], r[4]) for r in rows] == [
        (r["member"], "http://nohost/plone/folder/doc") for r in page_rows
    ]


def test_csv_cells_cannot_be_formulas(manager, roles_site, storage):
    hit(storage, "=cmd|'/C calc'!A0", "/plone/folder/doc", DAY, url="+1+1")
    hit(storage, "@SUM(A1)", "/plone/folder/doc", DAY, url="-2")
    folder = roles_site["folder"].absolute_url()
    manager.open(f"{folder}/@@tracking?format=csv&per=url")
    _header, *rows = csv_rows(manager)
    cells = {(r[1], r[4]) for r in rows}  # User ID, URL
    assert cells == {("'=cmd|'/C calc'!A0", "'+1+1"), ("'@SUM(A1)", "'-2")}


def test_values_are_escaped(manager, roles_site, storage):
    evil = "http://nohost/plone/doc?<script>alert(1)</script>"
    hit(storage, "<b>bold</b>", "/plone/folder/doc", DAY, url=evil)
    hit(storage, "member", "/plone/folder/doc", DAY, url="javascript:alert(2)")
    manager.open(f"{roles_site['folder'].absolute_url()}/@@tracking?per=url")
    assert "<script>alert(1)</script>" not in manager.contents
    assert "<b>bold</b>" not in manager.contents
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in manager.contents
    rows = {row["member"]: row for row in log_rows(manager)}
    assert rows["<b>bold</b>"]["url"] == evil  # shown as text
    tree = html.fromstring(manager.contents)
    assert not tree.xpath('//td[@class="url"]//script')
    hrefs = [a.get("href") for a in tree.xpath('//td[@class="url"]//a')]
    assert hrefs == [evil]  # no link for javascript:


def test_deleted_member_shows_by_id(manager, roles_site, storage):
    # Their data kept when deleted (the default is to erase it): the id,
    # marked removed, names them (issue 15).
    api.portal.set_registry_record("slc.clicktracker.on_member_deleted", "keep")
    api.user.create(email="gone@example.org", username="gone", password=ROLE_PASSWORD)
    hit(storage, "gone", "/plone/folder/doc", DAY)
    api.user.delete(username="gone")
    transaction.commit()
    manager.open(f"{roles_site['folder'].absolute_url()}/@@tracking")
    assert [(r["member"], r["fullname"]) for r in log_rows(manager)] == [
        ("gone", "gone (removed)")
    ]


def test_storage_unreachable(functional, manager, roles_site, storage):
    hit(storage, "member", "/plone/folder/doc", DAY)
    functional["pg_cluster"].drop_database(functional["pg_dbname"])
    url = f"{roles_site['folder'].absolute_url()}/@@tracking"
    manager.open(url)
    assert "database is unreachable" in " ".join(page_messages(manager))
    assert log_rows(manager) == []
    assert "Traceback" not in manager.contents
    # The CSV explains itself the same way instead of downloading nothing.
    manager.open(f"{url}?format=csv")
    assert "database is unreachable" in " ".join(page_messages(manager))


class TupleStorage:
    """A third-party storage of an older kind: tuples, no time windows."""

    def __init__(self):
        self.calls = []

    def logAccess(self, member, path, url, **kw):
        return True

    def getLog(self, prefix, order_by=None, order_reverse=False):
        self.calls.append((prefix, order_by, order_reverse))
        rows = [
            ("member", 3, DAY, "http://nohost/plone/folder/doc"),
            ("editor", 5, DAY + timedelta(days=1), "http://nohost/plone/folder"),
        ]
        return sorted(rows, key=lambda row: row[0], reverse=order_reverse)


@pytest.fixture
def tuple_storage(roles_site):
    registry = getGlobalSiteManager()
    original = registry.getUtility(IClickStorage)
    storage = TupleStorage()
    registry.registerUtility(storage, IClickStorage)
    yield storage
    registry.registerUtility(original, IClickStorage)


def test_tuple_storage_without_time_windows(manager, roles_site, tuple_storage):
    url = f"{roles_site['folder'].absolute_url()}/@@tracking"
    manager.open(f"{url}?sort_on=fullname")
    rows = log_rows(manager)
    assert [(r["fullname"], r["member"], r["count"]) for r in rows] == [
        ("Ada Member", "member", "3"),
        ("Cy Editor", "editor", "5"),
    ]
    assert rows[1]["firstaccess"] == ""
    assert rows[1]["lastaccess"] == api.portal.get_localized_time(
        DAY + timedelta(days=1), long_format=True
    )
    assert page_messages(manager) == []

    manager.open(f"{url}?since=2024-03-02")
    assert "does not support time windows" in " ".join(page_messages(manager))
    assert len(log_rows(manager)) == 2
    assert tuple_storage.calls[-1] == ("/plone/folder", "member", False)

    manager.open(f"{url}?format=csv")
    header, *rows = csv_rows(manager)
    # The table's columns in its order (issue 11, item 12): Name first.
    assert header[:4] == ["Name", "User ID", "URL", "Views"]
    assert [r[:4] for r in rows] == [
        ["Cy Editor", "editor", "http://nohost/plone/folder", "5"],
        ["Ada Member", "member", "http://nohost/plone/folder/doc", "3"],
    ]
