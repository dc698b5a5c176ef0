"""The control panel's "Purge now" button and its link to the visits page."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from tests.plone.helpers import visit_storage
import transaction


PURGE = "Purge now"


def set_retention(days):
    api.portal.set_registry_record("slc.clicktracker.retention_days", days)
    transaction.commit()


def log(member, page, days_ago):
    when = datetime.now(UTC) - timedelta(days=days_ago)
    return visit_storage().log_visit(
        member, f"/plone/{page}", f"http://nohost/plone/{page}", when=when
    )


def test_purges_old_hits_and_visits(functional, storage, owner_browser, panel_url):
    for days_ago in (100, 95):
        log("alice", "old", days_ago)
    recent = log("bob", "new", 1).visit_id
    set_retention(30)
    owner_browser.open(panel_url)
    owner_browser.getControl(PURGE).click()
    # alice's one total (two hits of one page) is the other row.
    assert (
        "Purged 2 hits, 2 visits and 1 other rows (totals, confirmations, "
        "reminders) older than 30 days" in owner_browser.contents
    )
    remaining = visit_storage().get_visits(limit=None)
    assert [v.visit_id for v in remaining] == [recent]
    # Totals last viewed before the cutoff go too (docs/privacy.rst).
    members = {row.member for row in storage.getLog("/plone")}
    assert members == {"bob"}
    # Again: nothing left to purge.
    owner_browser.getControl(PURGE).click()
    assert "Nothing to purge" in owner_browser.contents


def test_retention_off_purges_nothing(functional, storage, owner_browser, panel_url):
    log("alice", "old", 400)
    owner_browser.open(panel_url)
    owner_browser.getControl(PURGE).click()
    assert "Retention is off" in owner_browser.contents
    assert len(visit_storage().get_visits(limit=None)) == 1


def test_uses_the_saved_retention(functional, storage, owner_browser, panel_url):
    log("alice", "old", 40)
    set_retention(30)
    owner_browser.open(panel_url)
    # Typed but not saved: the saved 30 days apply.
    owner_browser.getControl(name="form.widgets.retention_days").value = "60"
    owner_browser.getControl(PURGE).click()
    assert "Purged 1 hits, 1 visits and 1 other rows" in owner_browser.contents


def test_purge_needs_authenticator(functional, storage, owner_browser, panel_url):
    log("alice", "old", 100)
    set_retention(30)
    owner_browser.handleErrors = True
    owner_browser.raiseHttpErrors = False
    owner_browser.post(panel_url, "form.buttons.purge=Purge")
    assert owner_browser.headers["status"].startswith("403")
    assert len(visit_storage().get_visits(limit=None)) == 1


def test_purge_without_database(functional, owner_browser, panel_url):
    set_retention(30)
    owner_browser.open(panel_url)
    owner_browser.getControl(PURGE).click()
    assert "Nothing was purged" in owner_browser.contents


def test_link_to_visits(functional, owner_browser, panel_url):
    owner_browser.open(panel_url)
    owner_browser.getLink("Visits and clickstreams").click()
    assert owner_browser.url.endswith("/@@clicktracker-visits")
