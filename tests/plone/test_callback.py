"""@@clicktracker-callback: what the script reports, and what gets counted."""

from plone import api
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from tests.plone.helpers import FORM
from tests.plone.helpers import UA
from tests.plone.helpers import hits
from tests.plone.helpers import new_view
from tests.plone.helpers import open_browser
from tests.plone.helpers import post
from tests.plone.helpers import set_anonymous
from tests.plone.helpers import the_script
from urllib.parse import urlencode
from zope.component import getGlobalSiteManager
from zope.component import getUtility
from zope.interface import implementer
import logging
import pytest
import time
import transaction


# The hit ids this process has seen start empty in every test.
pytestmark = pytest.mark.usefixtures("fresh_seen")


def visit(functional, obj, user="alice", ua=UA):
    """Open the page as the script's reader would: (browser, token, callback)."""
    browser = open_browser(functional, user, ua=ua)
    attrs = the_script(browser, obj.absolute_url())
    return browser, attrs["data-token"], attrs["data-callback"]


def report(functional, obj, user="alice", **fields):
    """Visit ``obj`` and send what the script sends; the response status."""
    browser, token_, callback = visit(functional, obj, user)
    fields = {"token": token_, "url": browser.url, "referrer": ""} | fields
    return post(browser, callback, **fields)


def test_get_not_allowed(functional, tracked_content):
    browser, _token, callback = visit(functional, tracked_content["doc"])
    browser.open(callback)
    assert browser.headers["status"].startswith("405")
    assert browser.headers["Allow"] == "POST"
    assert not browser.contents


def test_hit_recorded(functional, tracked_content):
    doc = tracked_content["doc"]
    browser, token_, callback = visit(functional, doc)
    page = browser.url
    status = post(
        browser, callback, token=token_, url=page, referrer="https://example.org/x"
    )
    assert status.startswith("204")
    assert not browser.contents
    assert hits(functional) == [
        (
            "alice",
            "/plone/folder/doc",
            doc.UID(),
            "The doc",
            page,
            "https://example.org/x",
        )
    ]
    (row,) = getUtility(IClickStorage).getLog("/plone/folder")
    assert (row.member, row.count, row.url) == ("alice", 1, page)


def test_empty_referrer_stored_as_none(functional, tracked_content):
    assert report(functional, tracked_content["doc"]).startswith("204")
    assert hits(functional)[0][5] is None


def test_path_comes_from_the_server(functional, tracked_content):
    # The token and the callback are for "doc"; a client cannot redirect
    # the hit to another document by naming it in the URL.
    browser, token_, callback = visit(functional, tracked_content["doc"])
    other_url = tracked_content["other"].absolute_url()
    assert post(browser, callback, token=token_, url=other_url).startswith("204")
    assert [h[1] for h in hits(functional)] == ["/plone/folder/doc"]


def test_fragment_dropped(functional, tracked_content):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    page = browser.url
    post(browser, callback, token=token_, url=page + "#section-2")
    assert hits(functional)[0][4] == page


def test_site_root(functional, tracked_content):
    portal = tracked_content["portal"]
    tracking.enable(portal)
    transaction.commit()
    assert report(functional, portal).startswith("204")
    (hit,) = hits(functional)
    assert hit[:2] == ("alice", "/plone")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/plone/folder/doc",
        "{scheme}://{host}/other-site/folder/doc",
        "{scheme}://{host}/plonex/folder/doc",
        "ftp://{host}/plone/folder/doc",
        "javascript:alert(1)",
        "/plone/folder/doc",
    ],
)
def test_url_of_another_site_refused(functional, tracked_content, url):
    from urllib.parse import urlsplit

    browser, token_, callback = visit(functional, tracked_content["doc"])
    parts = urlsplit(browser.url)
    url = url.format(scheme=parts.scheme, host=parts.netloc)
    assert post(browser, callback, token=token_, url=url).startswith("204")
    assert hits(functional) == []


def tampered(token_):
    body, mac = token_.split(".")
    return f"{body}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(tampered, id="bad signature"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "not-a-token", id="garbage"),
    ],
)
def test_bad_token_not_counted(functional, tracked_content, make_bad):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    bad = make_bad(token_)
    status = post(browser, callback, token=bad, url=browser.url)
    assert status.startswith("400" if bad == "" else "204")
    assert hits(functional) == []


def test_expired_token_is_exchanged_for_a_fresh_one(functional, tracked_content):
    # A page kept in a tab or a cache for longer than the token lives.
    doc, portal = tracked_content["doc"], tracked_content["portal"]
    old = time.time() - tokens.DEFAULT_TTL - 3601
    expired = tokens.make_token("alice", doc, portal, now=old)
    browser, _token, callback = visit(functional, doc)
    view = new_view()
    status = post(browser, callback, token=expired, view=view, url=browser.url)
    assert status.startswith("200")
    assert browser.headers["Content-Type"].startswith("text/plain")
    assert browser.headers["Cache-Control"] == "no-store"
    fresh = browser.contents
    assert hits(functional) == []
    tokens.verify_token(fresh, "alice", doc, portal)
    # The script sends the same showing again with it: counted once.
    for _ in range(2):
        status = post(browser, callback, token=fresh, view=view, url=browser.url)
        assert status.startswith("204")
    assert len(hits(functional)) == 1


def test_expired_token_of_another_member_gets_nothing(functional, tracked_content):
    doc, portal = tracked_content["doc"], tracked_content["portal"]
    old = time.time() - tokens.DEFAULT_TTL - 3601
    alices = tokens.make_token("alice", doc, portal, now=old)
    bob, _token, callback = visit(functional, doc, "bob")
    assert post(bob, callback, token=alices, url=bob.url).startswith("204")
    assert not bob.contents
    assert hits(functional) == []


def test_replayed_request_counted_once(functional, tracked_content):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    view = new_view()
    for _ in range(3):
        status = post(browser, callback, token=token_, view=view, url=browser.url)
        assert status.startswith("204")
    assert len(hits(functional)) == 1


def test_without_a_view_id_a_token_counts_once(functional, tracked_content):
    # An older script sends no view id: each token then counts once.
    browser, token_, callback = visit(functional, tracked_content["doc"])
    for _ in range(2):
        status = post(browser, callback, token=token_, view="", url=browser.url)
        assert status.startswith("204")
    assert len(hits(functional)) == 1


@pytest.mark.parametrize("view", ["short", "x" * 65, "<script>" * 4])
def test_a_malformed_view_id_is_refused(functional, tracked_content, view):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    status = post(browser, callback, token=token_, view=view, url=browser.url)
    assert status.startswith("400")
    assert hits(functional) == []


def test_each_showing_of_a_cached_page_counts(functional, tracked_content):
    # The same HTML (one token) shown three times: three views.
    browser, token_, callback = visit(functional, tracked_content["doc"])
    page = browser.url
    for _ in range(3):
        assert post(browser, callback, token=token_, url=page).startswith("204")
    # One click and two reloads of it, three views in the access log.
    (row,) = getUtility(IClickStorage).getLog("/plone/folder/doc")
    assert row.count == 3


def test_each_page_load_counts(functional, tracked_content):
    for _ in range(3):
        assert report(functional, tracked_content["doc"]).startswith("204")
    assert len(hits(functional)) == 3


def test_token_of_another_member_not_counted(functional, tracked_content):
    _browser, alices, callback = visit(functional, tracked_content["doc"], "alice")
    bob = open_browser(functional, "bob")
    url = tracked_content["doc"].absolute_url()
    assert post(bob, callback, token=alices, url=url).startswith("204")
    assert hits(functional) == []


def test_token_of_another_object_not_counted(functional, tracked_content):
    browser, others, _callback = visit(functional, tracked_content["other"])
    callback = tracked_content["doc"].absolute_url() + "/@@clicktracker-callback"
    assert post(browser, callback, token=others, url=browser.url).startswith("204")
    assert hits(functional) == []


def test_token_of_another_site_not_counted(functional, tracked_content):
    # Same member and object, signed by the same key, but for another site.
    portal, doc = tracked_content["portal"], tracked_content["doc"]
    from slc.clicktracker.tokens import _keyring

    forged = tokens.sign(
        _keyring().current, "alice", doc.UID(), "/other|" + portal.UID()
    )
    browser, _token, callback = visit(functional, doc)
    assert post(browser, callback, token=forged, url=browser.url).startswith("204")
    assert hits(functional) == []


def test_token_survives_key_rotation(functional, tracked_content):
    from plone.keyring.interfaces import IKeyManager

    browser, token_, callback = visit(functional, tracked_content["doc"])
    getUtility(IKeyManager).rotate("_system")
    transaction.commit()
    assert post(browser, callback, token=token_, url=browser.url).startswith("204")
    assert len(hits(functional)) == 1


@pytest.mark.parametrize("missing", ["token", "url"])
def test_missing_field_is_malformed(functional, tracked_content, missing):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    fields = {"token": token_, "url": browser.url}
    del fields[missing]
    assert post(browser, callback, **fields).startswith("400")
    assert not browser.contents
    assert hits(functional) == []


def test_repeated_field_is_malformed(functional, tracked_content):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    body = urlencode([("token", token_), ("url", browser.url), ("url", browser.url)])
    browser.post(callback, body, FORM)
    assert browser.headers["status"].startswith("400")


def test_bot_not_counted(functional, tracked_content):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    bot = open_browser(functional, "alice", ua="curl/8.5.0")
    assert post(bot, callback, token=token_, url=browser.url).startswith("204")
    assert hits(functional) == []
    # Refusing the bot did not use the token up.
    assert post(browser, callback, token=token_, url=browser.url).startswith("204")
    assert len(hits(functional)) == 1


def test_anonymous_not_counted_when_off(functional, tracked_content):
    doc, portal = tracked_content["doc"], tracked_content["portal"]
    set_anonymous(True)
    browser, token_, callback = visit(functional, doc, user=None)
    set_anonymous(False)
    assert post(browser, callback, token=token_, url=browser.url).startswith("204")
    assert hits(functional) == []
    # Nor with a token made outside of a page.
    forged = tokens.make_token(tokens.ANONYMOUS, doc, portal)
    assert post(browser, callback, token=forged, url=browser.url).startswith("204")
    assert hits(functional) == []


def test_anonymous_counted_when_on(functional, tracked_content):
    set_anonymous(True)
    assert report(functional, tracked_content["doc"], user=None).startswith("204")
    assert [h[:2] for h in hits(functional)] == [
        (tokens.ANONYMOUS, "/plone/folder/doc")
    ]


def test_no_longer_tracked_not_counted(functional, tracked_content):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    tracking.disable(tracked_content["folder"])
    transaction.commit()
    assert post(browser, callback, token=token_, url=browser.url).startswith("204")
    assert hits(functional) == []


def test_refusals_logged_at_debug(functional, tracked_content, caplog):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    with caplog.at_level(logging.DEBUG, logger="slc.clicktracker"):
        post(browser, callback, token=tampered(token_), url=browser.url)
    (record,) = [r for r in caplog.records if "not counted" in r.getMessage()]
    assert record.levelno == logging.DEBUG
    assert "bad signature" in record.getMessage()


def test_storage_unreachable(functional, tracked_content, caplog):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    api.portal.set_registry_record(
        "slc.clicktracker.dsn", "host=/nonexistent/socket/dir dbname=nothing"
    )
    transaction.commit()
    browser.handleErrors = True  # as in production
    assert post(browser, callback, token=token_, url=browser.url).startswith("204")
    assert not browser.contents
    # Kept for later, not lost: the spool has it.
    assert getUtility(IClickStorage).status()["backlog"] == 1


@implementer(IClickStorage)
class RefusingStorage:
    """A storage that rejects everything, as a replacement storage may."""

    def __init__(self, error):
        self.error = error

    def logAccess(self, member, path, url, **kw):
        raise self.error

    def getLog(self, prefix, order_by=None, order_reverse=False, **kw):
        return []


@pytest.mark.parametrize(
    "error", [ValueError("member must not be empty"), RuntimeError("down")]
)
def test_storage_error_is_no_error_page(functional, tracked_content, caplog, error):
    browser, token_, callback = visit(functional, tracked_content["doc"])
    gsm = getGlobalSiteManager()
    original = gsm.getUtility(IClickStorage)
    gsm.registerUtility(RefusingStorage(error), IClickStorage)
    try:
        browser.handleErrors = True
        status = post(browser, callback, token=token_, url=browser.url)
    finally:
        gsm.registerUtility(original, IClickStorage)
    assert status.startswith("204")
    assert not browser.contents
    (record,) = [r for r in caplog.records if "Could not record" in r.getMessage()]
    assert record.levelno == logging.WARNING


def test_no_zodb_writes(functional, tracked_content):
    db = functional["app"]._p_jar.db()
    browser, token_, callback = visit(functional, tracked_content["doc"])
    pages = [visit(functional, tracked_content["doc"]) for _ in range(5)]
    before = db.lastTransaction()
    for page_browser, page_token, page_callback in pages:
        post(page_browser, page_callback, token=page_token, url=page_browser.url)
    view = new_view()
    for _ in range(10):
        post(browser, callback, token=token_, view=view, url=browser.url)  # replays
        post(browser, callback, token="x.y", url=browser.url)
        post(browser, callback, url=browser.url)
        browser.open(callback)
    assert db.lastTransaction() == before
    assert len(hits(functional)) == 6


def test_callback_is_doomed(functional, tracked_content, monkeypatch):
    # Even a write by something else during the request is never committed.
    from plone.protect.interfaces import IDisableCSRFProtection
    from slc.clicktracker.browser import callback as module
    from zope.interface import alsoProvides

    doc = tracked_content["doc"]
    real_record = module.ClickTrackerCallback.record

    def record_and_write(self, *args):
        # plone.protect would abort an unprotected write; say it is wanted.
        alsoProvides(self.request, IDisableCSRFProtection)
        self.context.aq_inner.description = "changed"
        return real_record(self, *args)

    monkeypatch.setattr(module.ClickTrackerCallback, "record", record_and_write)
    db = functional["app"]._p_jar.db()
    browser, token_, callback = visit(functional, doc)
    before = db.lastTransaction()
    assert post(browser, callback, token=token_, url=browser.url).startswith("204")
    assert db.lastTransaction() == before
    assert len(hits(functional)) == 1


@pytest.mark.parametrize(
    "url,portal_url,ok",
    [
        ("https://example.org/plone", "https://example.org/plone", True),
        ("https://example.org/plone/a/b?x=1#y", "https://example.org/plone", True),
        ("https://EXAMPLE.org:443/plone/a", "https://example.org/plone", True),
        ("http://example.org/plone/a", "http://example.org:80/plone", True),
        ("https://example.org/anything", "https://example.org", True),  # VHM root
        ("https://example.org/", "https://example.org/", True),
        ("http://example.org/plone/a", "https://example.org/plone", False),
        ("https://example.org:8443/plone/a", "https://example.org/plone", False),
        ("https://example.org.evil/plone/a", "https://example.org/plone", False),
        ("https://example.org/plone2/a", "https://example.org/plone", False),
        ("https://example.org/", "https://example.org/plone", False),
        ("https://example.org:99999/plone", "https://example.org/plone", False),
        ("plone/a", "https://example.org/plone", False),
    ],
)
def test_same_site(url, portal_url, ok):
    from slc.clicktracker.browser.urls import same_site

    assert same_site(url, portal_url) is ok
