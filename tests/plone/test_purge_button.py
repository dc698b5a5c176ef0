"""The control panel's "Purge now" button and its link to the visits page."""

# Fixtures are shared by importing them; tests take them as parameters.
# ruff: noqa: F811

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from tests.plone.test_controlpanel import browser  # noqa: F401
from tests.plone.test_controlpanel import manager  # noqa: F401
from tests.plone.test_controlpanel import panel_url  # noqa: F401
from tests.plone.test_visits_callback import visit_storage
import transaction


PURGE = "Purge now"


def set_retention(days):
    api.portal.set_registry_record("slc.clicktracker.retention_days", days)
    transaction.commit()


def log(member, page, days_ago):
    when = datetime.now(UTC) - timedelta(days=days_ago)
    return visit_storage().logVisit(
        member, f"/plone/{page}", f"http://nohost/plone/{page}", when=when
    )


def test_purges_old_hits_and_visits(functional, storage, manager, panel_url):
    for days_ago in (100, 95):
        log("alice", "old", days_ago)
    recent = log("bob", "new", 1).visit_id
    set_retention(30)
    manager.open(panel_url)
    manager.getControl(PURGE).click()
    assert "Purged 2 hits and 2 visits older than 30 days" in manager.contents
    remaining = visit_storage().getVisits(limit=None)
    assert [v.visit_id for v in remaining] == [recent]
    # The access totals stay.
    members = {row.member for row in storage.getLog("/plone")}
    assert members == {"alice", "bob"}
    # Again: nothing left to purge.
    manager.getControl(PURGE).click()
    assert "Nothing to purge" in manager.contents


def test_retention_off_purges_nothing(functional, storage, manager, panel_url):
    log("alice", "old", 400)
    manager.open(panel_url)
    manager.getControl(PURGE).click()
    assert "Retention is off" in manager.contents
    assert len(visit_storage().getVisits(limit=None)) == 1


def test_uses_the_saved_retention(functional, storage, manager, panel_url):
    log("alice", "old", 40)
    set_retention(30)
    manager.open(panel_url)
    # Typed but not saved: the saved 30 days apply.
    manager.getControl(name="form.widgets.retention_days").value = "60"
    manager.getControl(PURGE).click()
    assert "Purged 1 hits and 1 visits" in manager.contents


def test_purge_needs_authenticator(functional, storage, manager, panel_url):
    log("alice", "old", 100)
    set_retention(30)
    manager.handleErrors = True
    manager.raiseHttpErrors = False
    manager.post(panel_url, "form.buttons.purge=Purge")
    assert manager.headers["status"].startswith("403")
    assert len(visit_storage().getVisits(limit=None)) == 1


def test_purge_without_database(functional, manager, panel_url):
    set_retention(30)
    manager.open(panel_url)
    manager.getControl(PURGE).click()
    assert "Nothing was purged" in manager.contents


def test_link_to_visits(functional, manager, panel_url):
    manager.open(panel_url)
    manager.getLink("Visits and clickstreams").click()
    assert manager.url.endswith("/@@clicktracker-visits")
