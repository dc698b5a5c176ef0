"""Events notified by the tracking callback."""

from slc.clicktracker import events
from tests.plone.helpers import all_visits
from tests.plone.helpers import hits
from tests.plone.helpers import open_browser
from tests.plone.helpers import post
from tests.plone.helpers import read
from tests.plone.helpers import the_script
from zope.component import getGlobalSiteManager
from zope.component import provideHandler
import logging
import pytest


# The hit ids this process has seen start empty in every test.
pytestmark = pytest.mark.usefixtures("fresh_seen")


@pytest.fixture
def seen():
    """Every event of ours notified during the test, in order."""
    received = []

    def handler(event):
        received.append(event)

    interfaces = (
        events.IHitLoggedEvent,
        events.IVisitStartedEvent,
        events.IVisitEndedEvent,
    )
    for interface in interfaces:
        provideHandler(handler, (interface,))
    yield received
    for interface in interfaces:
        getGlobalSiteManager().unregisterHandler(handler, (interface,))


def test_first_hit_starts_a_visit(functional, tracked_content, clock, seen):
    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    started, hit = seen
    (visit,) = all_visits()
    assert events.IVisitStartedEvent.providedBy(started)
    assert (started.visit_id, started.member, started.when) == (
        visit.visit_id,
        "alice",
        clock(),
    )
    assert started.user_agent == visit.user_agent
    assert events.IHitLoggedEvent.providedBy(hit)
    assert (hit.member, hit.path, hit.url) == (
        "alice",
        "/plone/folder/doc",
        tracked_content["doc"].absolute_url(),
    )
    assert (hit.uid, hit.visit_id, hit.reload, hit.when, hit.is_bot) == (
        tracked_content["doc"].UID(),
        visit.visit_id,
        False,
        clock(),
        False,
    )
    assert hit.request is not None


def test_continued_visit_and_reload(functional, tracked_content, clock, seen):
    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    del seen[:]
    read(browser, tracked_content["doc"])
    (hit,) = seen  # no new visit
    assert hit.reload is True


def test_visit_ended_when_noticed(functional, tracked_content, clock, seen):
    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    (first,) = all_visits()
    clock.advance(hours=1)
    del seen[:]
    read(browser, tracked_content["other"])
    ended, started, hit = seen
    assert events.IVisitEndedEvent.providedBy(ended)
    assert (ended.visit_id, ended.when) == (first.visit_id, clock())
    assert started.visit_id != first.visit_id
    assert hit.visit_id == started.visit_id


def test_raising_subscriber_does_not_break_tracking(
    functional, tracked_content, clock, seen, caplog
):
    def broken(event):
        raise RuntimeError("subscriber bug")

    provideHandler(broken, (events.IHitLoggedEvent,))
    provideHandler(broken, (events.IVisitStartedEvent,))
    try:
        browser = open_browser(functional, "alice")
        with caplog.at_level(logging.ERROR, logger="slc.clicktracker"):
            status = read(browser, tracked_content["doc"])
    finally:
        gsm = getGlobalSiteManager()
        gsm.unregisterHandler(broken, (events.IHitLoggedEvent,))
        gsm.unregisterHandler(broken, (events.IVisitStartedEvent,))
    assert status.startswith("204")
    assert len(hits(functional)) == 1
    assert len(all_visits()) == 1
    failures = [r for r in caplog.records if "subscriber failed" in r.getMessage()]
    assert len(failures) == 2
    assert all(r.exc_info for r in failures)
    # The visit cookie was still set, so the visit goes on.
    assert any(
        c.startswith("__ct_visit=") for c in browser.headers.get_all("Set-Cookie")
    )


def test_no_events_for_refused_hits(functional, tracked_content, clock, seen):
    browser = open_browser(functional, "alice", ua="curl/8.5.0")
    human = open_browser(functional, "alice")
    attrs = the_script(human, tracked_content["doc"].absolute_url())
    post(browser, attrs["data-callback"], token=attrs["data-token"], url=human.url)
    assert seen == []
