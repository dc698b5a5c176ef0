"""The callback with visits: cookie round trips, expiry, reloads, bots."""

from datetime import timedelta
from plone import api
from slc.clicktracker import settings
from slc.clicktracker import tokens
from slc.clicktracker import visitcookie
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage import shared
from tests.plone.helpers import FORM
from tests.plone.helpers import ListStorage
from tests.plone.helpers import all_visits
from tests.plone.helpers import hits
from tests.plone.helpers import open_browser
from tests.plone.helpers import read
from tests.plone.helpers import the_script
from tests.plone.helpers import visit_storage
from urllib.parse import urlencode
from zope.component import getGlobalSiteManager
from zope.component import getUtility
import logging
import pytest
import transaction


COOKIE = "__ct_visit"
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

# The hit ids this process has seen start empty in every test.
pytestmark = pytest.mark.usefixtures("fresh_seen")


def set_cookies(browser):
    return browser.headers.get_all("Set-Cookie") or []


def set_record(name, value):
    api.portal.set_registry_record(f"slc.clicktracker.{name}", value)
    transaction.commit()


def test_first_hit_starts_a_visit_and_sets_the_cookie(
    functional, tracked_content, clock
):
    browser = open_browser(functional, "alice")
    assert read(browser, tracked_content["doc"]).startswith("204")
    (visit,) = all_visits()
    assert (visit.member, visit.hits, visit.reloads, visit.is_bot) == (
        "alice",
        1,
        0,
        False,
    )
    assert visit.started == clock()
    (header,) = [c for c in set_cookies(browser) if c.startswith(COOKIE + "=")]
    attributes = [part.strip().lower() for part in header.split(";")]
    assert f"{COOKIE}={visit.visit_id}.".lower() in attributes[0]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/plone" in attributes
    assert "max-age=18000" in attributes
    assert "secure" not in attributes  # http://nohost


def test_cookie_round_trip_continues_the_visit(functional, tracked_content, clock):
    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    clock.advance(minutes=5)
    read(browser, tracked_content["other"])
    # The browser still has the cookie; it is not signed and sent again.
    assert not [c for c in set_cookies(browser) if c.startswith(COOKIE)]
    (visit,) = all_visits()
    assert visit.hits == 2
    assert visit.last_hit - visit.started == timedelta(minutes=5)
    stream = visit_storage().get_clickstream(visit.visit_id)
    assert [c.path for c in stream] == ["/plone/folder/doc", "/plone/folder/other"]


def test_reload_counted_apart(functional, tracked_content, clock):
    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    read(browser, tracked_content["doc"])
    (visit,) = all_visits()
    assert (visit.hits, visit.reloads) == (1, 1)
    (click,) = visit_storage().get_clickstream(visit.visit_id)
    assert click.reloads == 1


def test_idle_visit_expires(functional, tracked_content, clock):
    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    clock.advance(minutes=19)
    read(browser, tracked_content["other"])
    assert len(all_visits()) == 1
    clock.advance(minutes=21)
    read(browser, tracked_content["doc"])
    newer, older = all_visits()
    assert (older.hits, newer.hits) == (2, 1)
    assert newer.started == clock()
    # The cookie is replaced with the new visit's id.
    (header,) = [c for c in set_cookies(browser) if c.startswith(COOKIE + "=")]
    assert header.startswith(f"{COOKIE}={newer.visit_id}.")
    assert browser.cookies[COOKIE].startswith(newer.visit_id + ".")


def test_idle_timeout_setting(functional, tracked_content, clock):
    set_record("idle_timeout", 5)
    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    clock.advance(minutes=6)
    read(browser, tracked_content["other"])
    assert len(all_visits()) == 2


def test_visit_expires_by_maximum_age(functional, tracked_content, clock):
    set_record("max_visit_age", 30)
    browser = open_browser(functional, "alice")
    for _ in range(3):  # at 0, 15 and 30 minutes: never idle for long
        read(browser, tracked_content["doc" if clock().minute % 2 else "other"])
        clock.advance(minutes=15)
    read(browser, tracked_content["doc"])  # 45 minutes after the start
    newer, older = all_visits()
    assert (older.hits, newer.hits) == (3, 1)
    # The cookie lives no longer than the visit may.
    assert any("max-age=1800" in c.lower() for c in set_cookies(browser))


def test_tampered_cookie_starts_a_new_visit(functional, tracked_content, clock, caplog):
    browser = open_browser(functional, "alice")
    browser.testapp.extra_environ["REMOTE_ADDR"] = "203.0.113.7"
    read(browser, tracked_content["doc"])
    (visit,) = all_visits()
    # A forged cookie claims the visit id with a made-up signature.
    browser.cookies[COOKIE] = f"{visit.visit_id}.{'A' * 43}"
    with caplog.at_level(logging.WARNING, logger="slc.clicktracker"):
        read(browser, tracked_content["other"])
    assert len(all_visits()) == 2
    (record,) = [r for r in caplog.records if "visit cookie" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "bad signature" in record.getMessage()
    # Where it came from, for whoever watches for abuse.
    assert "203.0.113.7" in record.getMessage()


def test_cookie_of_another_site_does_not_verify(functional, tracked_content, clock):
    from slc.clicktracker.tokens import _keyring

    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    (visit,) = all_visits()
    browser.cookies[COOKIE] = visitcookie.sign(
        _keyring().current, "/other|site", visit.visit_id
    )
    read(browser, tracked_content["other"])
    assert len(all_visits()) == 2


def test_cookie_name_setting(functional, tracked_content, clock):
    set_record("visit_cookie_name", "reading_session")
    browser = open_browser(functional, "alice")
    read(browser, tracked_content["doc"])
    assert any(c.startswith("reading_session=") for c in set_cookies(browser))
    read(browser, tracked_content["other"])
    assert len(all_visits()) == 1


def test_members_get_their_own_visits(functional, tracked_content, clock):
    read(open_browser(functional, "alice"), tracked_content["doc"])
    read(open_browser(functional, "bob"), tracked_content["doc"])
    assert sorted(v.member for v in all_visits()) == ["alice", "bob"]


def test_secure_cookie_over_https(functional, tracked_content):
    request = functional["request"]
    request.other["SERVER_URL"] = "https://example.org"
    portal = api.portal.get()
    signing = tokens.site_signing(portal)
    visitcookie.set_cookie(
        request, "0123456789abcdef", portal, signing, settings.read()
    )
    cookie = request.response.cookies[COOKIE]
    assert cookie["Secure"] is True
    assert cookie["HttpOnly"] is True
    assert cookie["SameSite"] == "Lax"


def bot_reports(functional, doc):
    """A bot posts the callback of a page a member opened; the bot's browser."""
    human = open_browser(functional, "alice")
    attrs = the_script(human, doc.absolute_url())
    bot = open_browser(functional, "alice", ua=BOT_UA)
    fields = {"token": attrs["data-token"], "url": human.url}
    bot.post(attrs["data-callback"], urlencode(fields), FORM)
    return bot


def test_bot_callback_dropped_by_default(functional, tracked_content, clock):
    bot = bot_reports(functional, tracked_content["doc"])
    assert bot.headers["status"].startswith("204")
    assert all_visits() == []
    assert hits(functional) == []
    assert not [c for c in set_cookies(bot) if c.startswith(COOKIE)]


def test_bot_callback_recorded_as_bot_visit(functional, tracked_content, clock):
    set_record("bot_callbacks", "record")
    bot = bot_reports(functional, tracked_content["doc"])
    assert bot.headers["status"].startswith("204")
    (visit,) = all_visits()
    assert visit.is_bot is True
    assert visit.user_agent == BOT_UA
    assert all_visits(include_bots=False) == []


def test_two_instances_share_one_visit(functional, tracked_content, clock):
    # Each request gets fresh pools, as if another Zope process answered it.
    browser = open_browser(functional, "alice")
    pages = [
        tracked_content["doc"],
        tracked_content["other"],
        tracked_content["folder"],
        tracked_content["doc"],
    ]
    for page in pages:
        shared.close_all()
        assert read(browser, page).startswith("204")
        clock.advance(minutes=1)
    (visit,) = all_visits()
    assert visit.hits == 4
    stream = visit_storage().get_clickstream(visit.visit_id)
    assert [c.path for c in stream] == [
        "/plone/folder/doc",
        "/plone/folder/other",
        "/plone/folder",
        "/plone/folder/doc",
    ]
    assert [c.at for c in stream] == sorted(c.at for c in stream)


def test_storage_without_visits_gets_log_access(functional, tracked_content, clock):
    browser = open_browser(functional, "alice")
    gsm = getGlobalSiteManager()
    original = gsm.getUtility(IClickStorage)
    replacement = ListStorage()
    gsm.registerUtility(replacement, IClickStorage)
    try:
        assert read(browser, tracked_content["doc"]).startswith("204")
    finally:
        gsm.registerUtility(original, IClickStorage)
    ((member, path, url, kw),) = replacement.hits
    assert (member, path) == ("alice", "/plone/folder/doc")
    assert kw["when"] == clock()
    assert not [c for c in set_cookies(browser) if c.startswith(COOKIE)]
    assert getUtility(IClickStorage) is original
