""" "I have read this" in a real browser (issue 12).

Headless Chromium on the live test server: carol, of the group Board that
is asked to confirm the meeting's papers, clicks the button below the
minutes and sees her confirmation; the site owner sees it in the readers
report. Saves the screenshots var/screenshots/confirm-*.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker import readers
from slc.clicktracker.interfaces import IClickStorage
from tests.helpers import login
from tests.helpers import screenshots
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from zope.component import getUtility
import pytest
import transaction


pytestmark = pytest.mark.browser

MINUTES = "/plone/meeting/minutes"


@pytest.fixture
def board(live_site):
    """Board (carol and dora) is expected to read the meeting folder by a
    deadline three days ahead and asked to confirm."""
    with api.env.adopt_roles(["Manager"]):
        api.user.create(
            username="dora",
            email="dora@example.org",
            password="dora-secret-1",
            properties={"fullname": "Dora Director"},
        )
        api.group.create(groupname="board", title="Board")
        for userid in (LIVE_MEMBER, "dora"):
            api.group.add_user(groupname="board", username=userid)
    deadline = datetime.now(UTC) + timedelta(days=3)
    readers.set_expectation(
        live_site["meeting"], ["board"], deadline=deadline, confirm=True
    )
    transaction.commit()
    return live_site


def confirmations():
    transaction.begin()  # see what the server thread committed
    return getUtility(IClickStorage).confirmations([MINUTES])


def test_member_confirms_reading(page, board):
    portal_url = board.absolute_url()
    minutes = f"{portal_url}/meeting/minutes"
    login(page, portal_url, LIVE_MEMBER, LIVE_PASSWORD)
    page.goto(minutes)
    box = page.locator("#clicktracker-confirm")
    assert box.locator("#clicktracker-confirm-text").inner_text() == (
        "Please confirm that you have read this."
    )
    assert box.is_visible()
    screenshots(page, "confirm-button")

    page.click("#clicktracker-confirm-button")
    page.wait_for_url(minutes)
    message = page.locator(".portalMessage").inner_text()
    assert "Thank you: your confirmation has been recorded." in message
    said = page.locator("#clicktracker-confirm-text").inner_text()
    assert said.startswith("✓ You confirmed reading this on ")
    assert page.locator("#clicktracker-confirm-button").count() == 0
    (row,) = confirmations()
    assert row.member == LIVE_MEMBER
    screenshots(page, "confirm-done")

    # The agenda asks too: the button is there, the minutes' confirmation
    # counts for the minutes only.
    page.goto(f"{portal_url}/meeting/agenda")
    assert page.locator("#clicktracker-confirm-button").is_visible()

    # The owner sees carol's confirmation in the readers report, and dora,
    # who has neither read nor confirmed, is one to remind.
    page.context.clear_cookies()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{minutes}/@@tracking")
    assert page.locator("#readers-headline").inner_text() == (
        "1 of 2 expected readers have read this (50%); 1 of 2 have confirmed."
    )
    rows = page.locator("tr.readers-row")
    cells = {
        rows.nth(n).locator(".member").inner_text(): rows.nth(n)
        .locator(".confirmed")
        .inner_text()
        .strip()
        for n in range(rows.count())
    }
    assert cells["dora"] == ""
    assert cells[LIVE_MEMBER]
    remind = page.locator("#readers-remind")
    assert remind.get_attribute("href") == f"{minutes}/@@clicktracker-remind"
    screenshots(page, "confirm-report")


def test_owner_switches_confirmation_on(page, live_site):
    with api.env.adopt_roles(["Manager"]):
        api.group.create(groupname="board", title="Board")
    readers.set_expectation(live_site["meeting"]["agenda"], ["board"])
    transaction.commit()
    portal_url = live_site.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting/agenda/@@tracking")
    assert page.locator("#expected-current-confirm").inner_text() == "not asked"
    page.click("#expected-edit-summary")
    checkbox = page.locator("#readers-confirm")
    assert not checkbox.is_checked()
    checkbox.check()
    screenshots(page, "confirm-form")
    page.click("#expected-save")
    page.wait_for_url("**/meeting/agenda/@@tracking**")
    transaction.begin()
    assert readers.own_expectation(live_site["meeting"]["agenda"]).confirm is True
    assert page.locator("#expected-current-confirm").inner_text() == (
        "Expected readers are asked to confirm they have read it."
    )
    page.click("#expected-edit-summary")
    assert page.locator("#readers-confirm").is_checked()
