"""Before the meeting: the whole of issue 12 in one real browser (Chromium).

The board's papers are in a tracked folder "Board meeting" (an agenda and
a budget proposal); alice, bob and carol are the group "Board". Through the
pages, as people use them:

1. the manager sets "Board" as expected readers of the folder, with a
   deadline three days ahead, and asks them to confirm;
2. alice reads the agenda and the budget proposal;
3. the agenda's readers report shows alice read, bob and carol not;
4. the manager reminds those who have not read: bob and carol get a mail
   (over real SMTP) with the agenda's address, which bob opens;
5. bob clicks "I have read this";
6. the report shows bob read and confirmed, the folder's matrix who has
   read what;
7. alice's reading list shows the agenda read, and so does the portlet on
   her dashboard.

Screenshots: var/screenshots/before-the-meeting-N-what.png, or with
SLC_CT_DOC_SCREENSHOTS set (``make screenshots``) docs/images/, where the
ones docs/usage.rst shows are kept.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from plone import api
from plone.app.testing import setRoles
from plone.app.textfield.value import RichTextValue
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.testing import DESKTOP_UA
from slc.clicktracker.testing.smtp import configure_mailhost
from tests.helpers import SCREENSHOTS
from tests.helpers import login
from tests.plone.helpers import create_members
from zope.component import getUtility
import os
import pytest
import re
import time
import transaction


pytestmark = pytest.mark.browser

PASSWORD = "board-secret-1"
MANAGER = ("manager", "Mia Manager")
BOARD = {"alice": "Alice Archer", "bob": "Bob Baker", "carol": "Carol Clark"}
PAPERS = {
    "agenda": (
        "Agenda",
        "Items for the next board meeting.",
        "<ol><li>Minutes of the last meeting</li><li>Budget proposal (vote)"
        "</li><li>Any other business</li></ol>",
    ),
    "budget-proposal": (
        "Budget proposal",
        "The proposal we vote on.",
        "<p>Income and spending for the coming year, by department.</p>",
    ),
}
AGENDA = "/plone/board-meeting/agenda"
BUDGET = "/plone/board-meeting/budget-proposal"
DOC_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def board_meeting(acceptance, smtp):
    """The live site: the board, the manager, the tracked meeting folder
    with its two papers (published), mail to ``smtp``; nobody expected yet."""
    portal = acceptance["portal"]
    api.portal.set_registry_record("slc.clicktracker.dsn", acceptance["pg_dsn"])
    api.portal.set_registry_record("plone.portal_timezone", "UTC")
    configure_mailhost(smtp)
    transaction.commit()
    getUtility(IClickStorage).setup_database()
    with api.env.adopt_roles(["Manager"]):
        create_members(dict([MANAGER]), PASSWORD)
        setRoles(portal, MANAGER[0], ["Member", "Manager"])
        api.group.create(groupname="board", title="Board")
        create_members(BOARD, PASSWORD)
        for userid in BOARD:
            api.group.add_user(groupname="board", username=userid)
        folder = api.content.create(
            container=portal, type="Folder", id="board-meeting", title="Board meeting"
        )
        api.content.transition(folder, "publish")
        for docid, (title, description, text) in PAPERS.items():
            doc = api.content.create(
                container=folder,
                type="Document",
                id=docid,
                title=title,
                description=description,
                text=RichTextValue(text, "text/html", "text/x-html-safe"),
            )
            api.content.transition(doc, "publish")
        for obj in (folder, *folder.objectValues()):
            obj.setCreators([MANAGER[0]])
            obj.reindexObject()
        tracking.enable(folder)
    transaction.commit()
    return portal


# -- helpers ----------------------------------------------------------------------


def shot(page, number, what, scroll_to=None):
    """A viewport screenshot, 1280 wide: before-the-meeting-NUMBER-WHAT.png
    in var/screenshots/, or docs/images/ with SLC_CT_DOC_SCREENSHOTS set.
    ``scroll_to``: a selector scrolled to the top of the window first."""
    directory = DOC_IMAGES if os.environ.get("SLC_CT_DOC_SCREENSHOTS") else SCREENSHOTS
    directory.mkdir(parents=True, exist_ok=True)
    if scroll_to:
        page.locator(scroll_to).evaluate(
            "e => window.scrollTo(0, e.getBoundingClientRect().top"
            " + window.scrollY - 16)"
        )
    else:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=directory / f"before-the-meeting-{number}-{what}.png")


@pytest.fixture
def browser_of(chromium):
    """``browser_of(portal_url, userid)``: a browser of ``userid``'s own (an
    ordinary desktop UA), logged in; closed after the test."""
    contexts = []

    def open_for(portal_url, userid):
        context = chromium.new_context(user_agent=DESKTOP_UA, viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        login(page, portal_url, userid, PASSWORD)
        return page

    yield open_for
    for context in contexts:
        context.close()


def views_of(path, member):
    transaction.begin()  # see what the server thread committed
    found = getUtility(IClickStorage).read_status([path], members=[member])
    return sum(row.views for row in found)


def wait_for_views(path, member, count=1, timeout=15):
    """Until the page's script has reported ``count`` views of ``member``."""
    deadline = time.monotonic() + timeout
    while views_of(path, member) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert views_of(path, member) >= count


def wait_for_mail(smtp, count, timeout=15):
    deadline = time.monotonic() + timeout
    while len(smtp.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # and nothing more comes
    return list(smtp.messages)


def report_rows(page):
    """The readers report: {user id: (status, confirmed?)}, in table order."""
    rows = page.locator("tr.readers-row")
    found = {}
    for n in range(rows.count()):
        row = rows.nth(n)
        confirmed = row.locator(".confirmed").inner_text().strip()
        found[row.locator(".member").inner_text()] = (
            row.locator(".status").inner_text(),
            bool(confirmed),
        )
    return found


def matrix_marks(page):
    """The folder's matrix: {full name: [mark per document column]}."""
    table = page.locator("#matrix-table")
    marks = {}
    for row in table.locator("tbody tr.matrix-row").all():
        name = row.locator(".matrix-name").inner_text()
        cells = row.locator("td:not(.matrix-count)")
        marks[name] = [
            " ".join(cell.locator(".badge").all_inner_texts()) for cell in cells.all()
        ]
    return marks


def open_tracking_tab(page, url):
    """Open ``url`` (a folder's own page), then its Tracking tab."""
    page.goto(url)
    page.click("#contentview-tracking a")
    page.wait_for_url("**/@@tracking**")


# -- the story --------------------------------------------------------------------


def test_before_the_meeting(page, browser_of, board_meeting, smtp):
    portal_url = board_meeting.absolute_url()
    folder_url = f"{portal_url}/board-meeting"
    agenda_url = f"{folder_url}/agenda"
    page.set_viewport_size(VIEWPORT)

    # (1) The manager: "Board" should read the papers by the meeting, three
    # days ahead at 18:00 (the site's time zone is UTC), and confirm.
    login(page, portal_url, MANAGER[0], PASSWORD)
    open_tracking_tab(page, folder_url)
    search = page.locator("#s2id_readers-principals input.select2-input")
    search.click()
    search.press_sequentially("Boa", delay=50)
    page.locator(".select2-results .select2-result-label").filter(
        has_text="Board"
    ).first.click()
    chosen = page.locator("#s2id_readers-principals .select2-search-choice")
    chosen.filter(has_text="Board").wait_for()
    meeting = (datetime.now(UTC) + timedelta(days=3)).date()
    page.fill("#readers-date", meeting.isoformat())
    page.fill("#readers-time", "18:00")
    page.check("#readers-confirm")
    shot(page, 1, "expected-readers", scroll_to="h1")
    page.click("#expected-save")
    page.wait_for_url("**/board-meeting/@@tracking**")
    assert "Expected readers saved." in page.locator(".portalMessage").inner_text()
    assert page.locator("#expected-current-principals").inner_text() == "Board"
    deadline_text = page.locator("#expected-current-deadline").inner_text()
    assert "18:00" in deadline_text or "06:00 PM" in deadline_text
    assert page.locator("#expected-current-confirm").inner_text() == (
        "Expected readers are asked to confirm they have read it."
    )
    # The matrix lists the board already, without a tick yet.
    assert matrix_marks(page) == {name: ["", ""] for name in BOARD.values()}
    transaction.begin()
    saved = readers.own_expectation(board_meeting["board-meeting"])
    assert saved.principals == ("board",)
    assert saved.confirm is True
    assert saved.deadline == datetime(
        meeting.year, meeting.month, meeting.day, 18, 0, tzinfo=UTC
    )
    shot(page, 2, "folder-tab", scroll_to="#global_statusmessage")

    # (2) alice reads the papers: the folder, then each paper from its
    # listing; the page's script reports each view.
    alice = browser_of(portal_url, "alice")
    for title, path in (("Agenda", AGENDA), ("Budget proposal", BUDGET)):
        alice.goto(folder_url)
        alice.locator("#content-core").get_by_role(
            "link", name=title, exact=True
        ).first.click()
        alice.wait_for_url(f"{portal_url}{path.removeprefix('/plone')}")
        assert alice.locator("h1").inner_text() == title
        # She is asked to confirm, like every expected reader.
        assert alice.locator("#clicktracker-confirm-button").is_visible()
        wait_for_views(path, "alice")
    assert views_of(AGENDA, "bob") == views_of(AGENDA, "carol") == 0

    # (3) The manager: on the agenda's Tracking tab, who has read it.
    page.goto(f"{agenda_url}/@@tracking")
    assert page.locator("#expected-source-link").inner_text() == "Board meeting"
    assert page.locator("#readers-headline").inner_text() == (
        "1 of 3 expected readers have read this (33%); 0 of 3 have confirmed."
    )
    assert page.locator("#readers-time-left").inner_text().startswith(("2 d", "3 d"))
    assert report_rows(page) == {
        "bob": ("Not read", False),
        "carol": ("Not read", False),
        "alice": ("Read", False),
    }
    names = page.locator("tr.readers-row .fullname").all_inner_texts()
    assert [name.split("\n")[0].strip() for name in names] == [
        "Bob Baker",
        "Carol Clark",
        "Alice Archer",
    ]
    assert page.locator("#readers-others-table").count() == 0
    shot(page, 3, "readers-report", scroll_to="#tracking-readers")

    # (4) Before reminding: the mail's text and how often, in Site Setup.
    page.goto(f"{portal_url}/@@clicktracker-controlpanel")
    page.locator(".autotoc-nav a", has_text="Reminders").click()
    subject = page.locator("#form-widgets-reminder_subject")
    subject.wait_for(state="visible")
    assert subject.input_value() == "Please read: ${title}"
    interval = page.locator("#form-widgets-reminder_interval_days")
    assert interval.input_value() == "1"
    shot(page, 4, "reminder-settings", scroll_to=".autotoc-nav")

    # The reminder step lists bob and carol and sends nothing yet.
    page.goto(f"{agenda_url}/@@tracking")
    page.click("#readers-remind")
    page.wait_for_url("**/agenda/@@clicktracker-remind")
    recipients = page.locator("#remind-recipients li").all_inner_texts()
    assert [" ".join(text.split()) for text in recipients] == [
        "Bob Baker (bob, bob@example.org)",
        "Carol Clark (carol, carol@example.org)",
    ]
    assert page.locator("#remind-without-email").count() == 0
    assert page.locator("#remind-recent").count() == 0
    assert page.locator("#remind-mail-problem").count() == 0
    assert smtp.messages == []
    shot(page, 5, "remind-step")
    page.click("#remind-send")
    sent = page.locator("#remind-sent")
    sent.wait_for()
    assert sent.inner_text() == "2 reminders sent."
    sent_to = page.locator("#remind-sent-list li").all_inner_texts()
    assert [" ".join(text.split()) for text in sent_to] == [
        "Bob Baker (bob@example.org)",
        "Carol Clark (carol@example.org)",
    ]
    shot(page, 6, "reminders-sent")

    # Exactly two mails, to bob and carol, with the agenda's address.
    messages = wait_for_mail(smtp, 2)
    assert sorted(message["To"] for message in messages) == [
        "bob@example.org",
        "carol@example.org",
    ]
    bodies = {}
    for message in messages:
        assert message["Subject"] == "Please read: Agenda"
        body = message.get_content().replace("\r\n", "\n")
        assert re.search(rf"^{re.escape(agenda_url)}$", body, re.MULTILINE), body
        assert "Mia Manager sent you this reminder" in body
        bodies[message["To"]] = body
    assert "Hello Bob Baker," in bodies["bob@example.org"]
    assert "Hello Carol Clark," in bodies["carol@example.org"]
    # Asked again at once: nobody left to remind (they were, just now).
    page.goto(f"{agenda_url}/@@clicktracker-remind")
    assert page.locator("#remind-recipients li").count() == 0
    assert page.locator("#remind-recent li").count() == 2
    assert page.locator("#remind-send").is_disabled()

    # bob opens the link of his mail.
    (link,) = re.findall(r"^https?://\S+$", bodies["bob@example.org"], re.MULTILINE)
    bob = browser_of(portal_url, "bob")
    bob.goto(link)
    assert bob.url == agenda_url
    assert bob.locator("h1").inner_text() == "Agenda"
    wait_for_views(AGENDA, "bob")

    # (5) bob confirms.
    box = bob.locator("#clicktracker-confirm")
    assert box.is_visible()
    assert box.locator("#clicktracker-confirm-text").inner_text() == (
        "Please confirm that you have read this."
    )
    shot(bob, 7, "confirm-button")
    bob.click("#clicktracker-confirm-button")
    bob.wait_for_url(agenda_url)
    assert "Thank you: your confirmation has been recorded." in (
        bob.locator(".portalMessage").inner_text()
    )
    said = bob.locator("#clicktracker-confirm-text").inner_text()
    assert said.startswith("✓ You confirmed reading this on ")
    assert bob.locator("#clicktracker-confirm-button").count() == 0
    shot(bob, 8, "confirmed")
    transaction.begin()
    (confirmation,) = getUtility(IClickStorage).confirmations([AGENDA])
    assert confirmation.member == "bob"

    # (6) The manager: bob has read and confirmed; carol is the one left.
    page.goto(f"{agenda_url}/@@tracking")
    assert page.locator("#readers-headline").inner_text() == (
        "2 of 3 expected readers have read this (66%); 1 of 3 have confirmed."
    )
    assert report_rows(page) == {
        "carol": ("Not read", False),
        "alice": ("Read", False),
        "bob": ("Read", True),
    }
    assert page.locator("tr.readers-row .member").first.inner_text() == "carol"
    shot(page, 9, "report-confirmed", scroll_to="#tracking-readers")

    # The folder's matrix: alice has read both papers (ready), bob the
    # agenda, carol nothing.
    open_tracking_tab(page, folder_url)
    table = page.locator("#matrix-table")
    headers = table.locator("thead th.matrix-doc").all_inner_texts()
    assert headers == ["Agenda", "Budget proposal"]
    assert matrix_marks(page) == {
        "Alice Archer": ["✓", "✓"],
        "Bob Baker": ["✓", ""],
        "Carol Clark": ["", ""],
    }
    agenda_tick = table.locator('tr[data-member="bob"] td').first
    assert agenda_tick.get_attribute("title").startswith("Read: ")
    assert page.locator("#matrix-ready").inner_text() == (
        "1 of 3 expected readers are ready"
    )
    ready = table.locator("tr.table-success .matrix-name").all_inner_texts()
    assert ready == ["Alice Archer"]
    totals = table.locator("tfoot .matrix-total").all_inner_texts()
    assert totals == ["2", "1"]
    shot(page, 10, "matrix", scroll_to="#tracking-matrix")

    # (7) alice: "My reading list" from the personal menu.
    alice.goto(portal_url)
    alice.click("#personaltools-menulink")
    alice.click("#personaltools-reading-list")
    alice.wait_for_url("**/@@reading-list")
    assert alice.locator("h1").inner_text() == "My reading list"
    rows = alice.locator("tr.reading-list-row")
    assert rows.locator("td.title").all_inner_texts() == [
        "Agenda",
        "Budget proposal",
    ]
    cells = rows.locator("td.status").all_inner_texts()
    statuses = [" ".join(cell.split()) for cell in cells]
    assert statuses == ["Read Please confirm", "Read Please confirm"]
    assert rows.first.get_attribute("data-state") == "read"
    assert rows.locator("td.deadline .reading-list-overdue").count() == 0
    shot(alice, 11, "reading-list")

    # The same list as a portlet on her dashboard, added as members add one.
    alice.click("#personaltools-menulink")
    alice.click("#personaltools-dashboard")
    alice.wait_for_url("**/dashboard")
    alice.get_by_role("link", name="Edit", exact=True).click()
    alice.wait_for_url("**/@@manage-dashboard**")
    alice.locator("#dashboard-portlets1 select.add-portlet").select_option(
        label="My reading list"
    )
    alice.locator("#dashboard-portlets1 .managedPortlet .card-header").filter(
        has_text="My reading list"
    ).wait_for()
    alice.get_by_role("link", name="Dashboard", exact=True).click()
    alice.wait_for_url("**/dashboard")
    portlet = alice.locator(".portletReadingList")
    portlet.wait_for()
    items = portlet.locator("li.portlet-reading-list-item a").all_inner_texts()
    # Read, still to confirm: both are still to do.
    assert items == ["Agenda", "Budget proposal"]
    shot(alice, 12, "portlet")
