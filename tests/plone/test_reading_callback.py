"""Reading updates through @@clicktracker-callback (issue 13): tied to a
stored view, unforgeable, idempotent, capped; never a second ZODB write."""

from plone import api
from slc.clicktracker import tokens
from tests.plone.helpers import UA
from tests.plone.helpers import new_view
from tests.plone.helpers import open_browser
from tests.plone.helpers import post
from tests.plone.helpers import the_script
from tests.unit.helpers import query
import pytest
import time
import transaction


pytestmark = pytest.mark.usefixtures("fresh_seen")


def figures(functional):
    """(member, seconds, depth, reached_end) of every stored click."""
    return query(
        functional["pg_dsn"],
        "SELECT member, seconds, depth, reached_end FROM clicktracker.hits ORDER BY id",
    )


class Page:
    """A page opened as the script's reader, its first hit sent."""

    def __init__(self, functional, obj, user="alice", ua=UA):
        self.browser = open_browser(functional, user, ua=ua)
        attrs = the_script(self.browser, obj.absolute_url())
        self.token = attrs["data-token"]
        self.callback = attrs["data-callback"]
        self.view = new_view()
        status = post(
            self.browser,
            self.callback,
            token=self.token,
            view=self.view,
            url=self.browser.url,
        )
        assert status.startswith("204")

    def update(self, seconds=10, depth=0, end=0, **fields):
        fields = {
            "token": self.token,
            "view": self.view,
            "seconds": str(seconds),
            "depth": str(depth),
            "end": str(end),
        } | fields
        return post(self.browser, self.callback, **fields)


def test_an_update_adds_to_its_view(functional, tracked_content):
    page = Page(functional, tracked_content["doc"])
    assert figures(functional) == [("alice", None, None, None)]
    assert page.update(42, 60).startswith("204")
    assert page.update(95, 100, 1).startswith("204")
    assert figures(functional) == [("alice", 95, 100, True)]


def test_a_replayed_or_late_update_changes_nothing(functional, tracked_content):
    page = Page(functional, tracked_content["doc"])
    page.update(30, 50)
    page.update(60, 80)
    page.update(30, 50)  # replayed
    page.update(60, 80)
    assert figures(functional) == [("alice", 60, 80, False)]


def test_a_forged_update_is_refused(functional, tracked_content):
    page = Page(functional, tracked_content["doc"])
    forged = page.token[:-4] + ("AAAA" if not page.token.endswith("AAAA") else "BBBB")
    assert page.update(600, 100, 1, token=forged).startswith("204")
    # Someone else's valid token for the same page names no stored view.
    other = Page.__new__(Page)
    other.browser = open_browser(functional, "bob")
    other.token = the_script(other.browser, tracked_content["doc"].absolute_url())[
        "data-token"
    ]
    other.callback, other.view = page.callback, page.view
    assert other.update(600, 100, 1).startswith("204")
    assert figures(functional) == [("alice", None, None, None)]


def test_an_update_for_a_view_never_stored_is_refused(functional, tracked_content):
    page = Page(functional, tracked_content["doc"])
    assert page.update(600, 100, 1, view=new_view()).startswith("204")
    assert figures(functional) == [("alice", None, None, None)]


def test_an_expired_token_still_updates_its_view(functional, tracked_content, storage):
    doc, portal = tracked_content["doc"], api.portal.get()
    browser = open_browser(functional, "alice")
    the_script(browser, doc.absolute_url())
    # A token from yesterday: its view was stored while it was valid.
    old = tokens.make_token("alice", doc, portal, now=time.time() - 2 * 86400)
    page = Page.__new__(Page)
    page.browser, page.token, page.view = browser, old, new_view()
    page.callback = doc.absolute_url() + "/@@clicktracker-callback"
    storage.log_visit(
        "alice",
        "/".join(doc.getPhysicalPath()),
        doc.absolute_url(),
        uid=doc.UID(),
        hit_id=tokens.hit_id(old, page.view),
    )
    assert page.update(75, 100, 1).startswith("204")
    assert figures(functional) == [("alice", 75, 100, True)]


def test_reading_time_is_capped_per_view(functional, tracked_content):
    api.portal.set_registry_record("slc.clicktracker.max_reading_minutes", 2)
    transaction.commit()
    page = Page(functional, tracked_content["doc"])
    page.update(99999, 40)
    assert figures(functional) == [("alice", 120, 40, False)]


@pytest.mark.parametrize(
    "fields",
    [
        {"seconds": "-1"},
        {"seconds": "1.5"},
        {"seconds": "1e3"},
        {"depth": "101"},
        {"end": "yes"},
        {"seconds": "1" * 12},
        {"view": "short"},
    ],
)
def test_a_malformed_update_is_a_bad_request(functional, tracked_content, fields):
    page = Page(functional, tracked_content["doc"])
    assert page.update(**fields).startswith("400")
    assert figures(functional) == [("alice", None, None, None)]


def test_a_bots_update_is_dropped(functional, tracked_content):
    page = Page(functional, tracked_content["doc"])
    bot = open_browser(functional, "alice", ua="Googlebot/2.1")
    page.browser = bot
    assert page.update(50, 50).startswith("204")
    assert figures(functional) == [("alice", None, None, None)]
