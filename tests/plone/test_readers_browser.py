"""Expected readers and the readers report in a real browser (issue 12).

Headless Chromium on the live test server: the site owner picks alice and
bob with Plone's principal search (pat-select2) and a deadline, alice reads
the minutes (the page and its script), and the report shows alice read and
bob not. Saves the screenshots var/screenshots/readers-*.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker import readers
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.testing import DESKTOP_UA
from tests.helpers import login
from tests.helpers import screenshots
from tests.plone.helpers import create_members
from zope.component import getUtility
import pytest
import time
import transaction


pytestmark = pytest.mark.browser

PASSWORD = "reader-secret-1"
BOARD = {"alice": "Alice Archer", "bob": "Bob Baker"}
# Whether ``element`` scrolls sideways (its content is wider than it is).
SCROLLS = "e => e.scrollWidth > e.clientWidth"


@pytest.fixture
def board(live_site):
    """Alice and Bob, members of the live site (carol's meeting folder)."""
    with api.env.adopt_roles(["Manager"]):
        create_members(BOARD, PASSWORD)
    transaction.commit()
    return live_site


def pick(page, query, fullname):
    """Choose a user in the principal search as a person would: type part
    of the name, wait for the suggestion, click it."""
    search = page.locator("#s2id_readers-principals input.select2-input")
    search.click()
    search.press_sequentially(query, delay=50)
    choice = page.locator(".select2-results .select2-result-label").filter(
        has_text=fullname
    )
    choice.first.click()
    chosen = page.locator("#s2id_readers-principals .select2-search-choice")
    chosen.filter(has_text=fullname).wait_for()


def views_of(path, member):
    transaction.begin()  # see what the server thread committed
    found = getUtility(IClickStorage).read_status([path], members=[member])
    return sum(row.views for row in found)


def wait_for_view(path, member, timeout=15):
    deadline = time.monotonic() + timeout
    while views_of(path, member) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert views_of(path, member) == 1


def read_as(chromium, portal_url, userid, url):
    """``userid`` opens ``url`` in a browser of their own (desktop UA)."""
    context = chromium.new_context(user_agent=DESKTOP_UA)
    try:
        other = context.new_page()
        other.set_default_timeout(20_000)
        login(other, portal_url, userid, PASSWORD)
        other.goto(url)
        wait_for_view("/plone/meeting/minutes", userid)
    finally:
        context.close()


def test_set_readers_then_see_who_read(page, chromium, board):
    portal_url = board.absolute_url()
    tab = f"{portal_url}/meeting/minutes/@@tracking"
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(tab)
    page.locator("#s2id_readers-principals").wait_for()
    pick(page, "Alic", "Alice Archer")
    pick(page, "Bob", "Bob Baker")
    # The meeting: three days ahead (the site's time zone is UTC).
    meeting = (datetime.now(UTC) + timedelta(days=3)).date()
    page.fill("#readers-date", meeting.isoformat())
    page.fill("#readers-time", "18:00")
    screenshots(page, "readers-form")
    page.click("#expected-save")
    page.wait_for_url("**/meeting/minutes/@@tracking**")
    assert "Expected readers saved." in page.locator(".portalMessage").inner_text()
    transaction.begin()
    saved = readers.own_expectation(board["meeting"]["minutes"])
    assert saved.principals == ("alice", "bob")
    current = page.locator("#expected-current-principals").inner_text()
    assert current == "Alice Archer, Bob Baker"
    assert page.locator("#readers-headline").inner_text() == (
        "0 of 2 expected readers have read this (0%)"
    )
    # Once set, the fields wait behind a button; the report is in view.
    assert not page.locator("#readers-date").is_visible()
    page.click("#expected-edit-summary")
    assert page.locator("#readers-date").input_value() == meeting.isoformat()

    read_as(chromium, portal_url, "alice", f"{portal_url}/meeting/minutes")

    page.goto(tab)
    assert page.locator("#readers-headline").inner_text() == (
        "1 of 2 expected readers have read this (50%)"
    )
    rows = page.locator("tr.readers-row")
    statuses = {
        rows.nth(n).locator(".member").inner_text(): rows.nth(n)
        .locator(".status")
        .inner_text()
        for n in range(rows.count())
    }
    assert statuses == {"alice": "Read", "bob": "Not read"}
    # Not read first.
    assert rows.first.locator(".member").inner_text() == "bob"
    assert page.locator("#readers-time-left").inner_text().startswith(("2 d", "3 d"))
    screenshots(page, "readers-report")

    # On a phone the table scrolls, not the page.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert not page.evaluate(f"({SCROLLS})(document.documentElement)")
    wrapper = page.locator("#readers-table").locator("xpath=..")
    assert "table-responsive" in wrapper.get_attribute("class")


def test_bad_input_is_explained(page, board):
    portal_url = board.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting/agenda/@@tracking")
    page.locator("#s2id_readers-principals").wait_for()
    pick(page, "Bob", "Bob Baker")
    page.fill("#readers-time", "18:00")
    page.click("#expected-save")
    page.wait_for_load_state()
    errors = page.locator("#expected-errors")
    assert "A deadline needs a date" in errors.inner_text()
    # What was picked is still there, as the widget shows it.
    chosen = page.locator("#s2id_readers-principals .select2-search-choice")
    assert chosen.inner_text().strip() == "Bob Baker"
    screenshots(page, "readers-errors")


def test_screenshot_of_a_board_after_the_deadline(page, board):
    """var/screenshots/readers-board-*.png: a group, a late reader, one who
    has not read, and a reader who was not expected."""
    storage = getUtility(IClickStorage)
    with api.env.adopt_roles(["Manager"]):
        api.group.create(groupname="board", title="Board")
        for userid in ("alice", "bob", "carol"):
            api.group.add_user(groupname="board", username=userid)
        create_members({"dora": "Dora Director"}, PASSWORD)
    deadline = datetime.now(UTC) - timedelta(days=1)
    readers.set_expectation(board["meeting"], ["board"], deadline=deadline)
    transaction.commit()
    path = "/plone/meeting/minutes"
    url = f"{board.absolute_url()}/meeting/minutes"
    for userid, hours in (("alice", -30), ("alice", -2), ("bob", 5), ("dora", -1)):
        storage.logAccess(userid, path, url, when=deadline + timedelta(hours=hours))
    login(page, board.absolute_url(), SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{url}/@@tracking")
    assert page.locator("#readers-headline").inner_text() == (
        "2 of 3 expected readers have read this (66%)"
    )
    assert page.locator("#readers-time-left").inner_text() == "passed"
    assert page.locator("#expected-source-link").inner_text() == "Meeting"
    statuses = page.locator("#readers-table .status").all_inner_texts()
    assert statuses == ["Not read", "Read late", "Read"]
    others = page.locator("#readers-others-table .member").all_inner_texts()
    assert others == ["dora"]
    screenshots(page, "readers-board")
