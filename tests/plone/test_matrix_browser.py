"""The reading matrix in a real browser (issue 12).

Headless Chromium on the live test server: a board meeting folder with
several papers, a board of six expected readers and one reader who was not
expected; the chair opens the folder's Tracking tab and sees who has read
what. On a phone the table scrolls sideways with the names kept in view,
the page does not. Saves var/screenshots/matrix-desktop.png and
matrix-phone.png.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker import readers
from slc.clicktracker.interfaces import IClickStorage
from tests.helpers import SCREENSHOTS
from tests.helpers import login
from tests.plone.helpers import create_members
from zope.component import getUtility
import pytest
import transaction


pytestmark = pytest.mark.browser

PASSWORD = "reader-secret-1"
BOARD = {
    "alice": "Alice Archer",
    "bob": "Bob Baker",
    "dora": "Dora Director",
    "emil": "Emil Engström",
    "fatima": "Fatima Farouk",
}
PAPERS = (
    ("budget-2025", "Budget 2025"),
    ("annual-report", "Annual report of the board of directors"),
    ("audit", "Audit findings"),
    ("hr-policy", "HR policy update"),
    ("it-strategy", "IT strategy 2025–2027"),
)
# Whether ``element`` scrolls sideways (its content is wider than it is).
SCROLLS = "e => e.scrollWidth > e.clientWidth"


@pytest.fixture
def meeting(live_site):
    """carol's meeting folder with agenda, minutes and five more papers,
    expected to be read by the board (carol too) by yesterday; the agenda
    has its own deadline, tomorrow. Who read what: see READS."""
    folder = live_site["meeting"]
    with api.env.adopt_roles(["Manager"]):
        create_members({**BOARD, "gus": "Gus Guest"}, PASSWORD)
        api.group.create(groupname="board", title="Board")
        for userid in (*BOARD, "carol"):
            api.group.add_user(groupname="board", username=userid)
        for docid, title in PAPERS:
            doc = api.content.create(folder, "Document", id=docid, title=title)
            api.content.transition(doc, "publish")
        folder.moveObjectsToTop(["agenda"])
    now = datetime.now(UTC)
    readers.set_expectation(folder, ["board"], deadline=now - timedelta(days=1))
    readers.set_expectation(
        folder["agenda"], ["board"], deadline=now + timedelta(days=1)
    )
    transaction.commit()
    storage = getUtility(IClickStorage)
    every = ["agenda", "minutes", *(docid for docid, _title in PAPERS)]
    reads = {
        "alice": every,
        "dora": every,
        "bob": ["agenda", "minutes", "audit"],
        "emil": ["budget-2025"],
        "gus": ["annual-report"],
    }
    url = live_site["meeting"].absolute_url()
    for userid, docids in reads.items():
        for number, docid in enumerate(docids):
            # bob read the audit findings after the deadline.
            late = userid == "bob" and docid == "audit"
            when = now - timedelta(hours=2 if late else 48 + number)
            storage.logAccess(
                userid, f"/plone/meeting/{docid}", f"{url}/{docid}", when=when
            )
    return live_site


def test_the_chair_sees_who_read_what(page, meeting):
    portal_url = meeting.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting/@@tracking")
    table = page.locator("#matrix-table")
    table.wait_for()
    headers = table.locator("thead th.matrix-doc").all_inner_texts()
    assert headers[:2] == ["Agenda", "Minutes"]
    assert len(headers) == 7
    names = table.locator("tbody tr.matrix-row .matrix-name").all_inner_texts()
    # The board by name (carol is "Carol Chair"), then gus, not expected.
    assert names == [
        "Alice Archer",
        "Bob Baker",
        "Carol Chair",
        "Dora Director",
        "Emil Engström",
        "Fatima Farouk",
        "Gus Guest",
    ]
    assert page.locator("#matrix-ready").inner_text() == (
        "2 of 6 expected readers are ready"
    )
    ready = table.locator("tr.table-success .matrix-name").all_inner_texts()
    assert ready == ["Alice Archer", "Dora Director"]
    bob = table.locator('tr[data-member="bob"] td:not([class])')
    audit = bob.nth(headers.index("Audit findings"))
    assert audit.locator(".badge").inner_text() == "✓!"
    assert audit.locator(".visually-hidden").inner_text().startswith("Read late: ")
    assert audit.get_attribute("title").startswith("Read late: ")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "matrix-desktop.png", full_page=True)

    # On a phone the table scrolls, not the page; the names stay in view.
    # Loaded at that size (tests.helpers.screenshots resizes a loaded page,
    # which leaves Plone's navigation drawn half-way over the heading).
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=SCREENSHOTS / "matrix-phone.png", full_page=True)
    assert not page.evaluate(f"({SCROLLS})(document.documentElement)")
    wrapper = table.locator("xpath=..")
    assert "table-responsive" in wrapper.get_attribute("class")
    assert wrapper.evaluate(SCROLLS)
    name = table.locator('tr[data-member="alice"] th')
    before = name.bounding_box()["x"]
    wrapper.evaluate("e => { e.scrollLeft = 300; }")
    assert abs(name.bounding_box()["x"] - before) < 1
    # The matrix alone, scrolled: the part a phone shows (for the docs).
    page.locator("#tracking-matrix").screenshot(
        path=SCREENSHOTS / "matrix-scrolled-phone.png"
    )
