"""Counting behind plone.app.caching: 304s, the RAM cache, settings changes.

Each test imports one of plone.app.caching's presets (or leaves caching off)
and switches caching on, as a site administrator does in "HTTP caching
support". The browser tests with a real browser and its back/forward cache
are in test_caching_browser.py.
"""

from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.testing.layers import CACHING_PRESETS
from slc.clicktracker.testing.layers import use_caching
from tests.plone.helpers import new_view
from tests.plone.helpers import open_browser as test_browser
from tests.plone.helpers import post
from tests.plone.helpers import published_content
from tests.plone.helpers import script_tags
from tests.plone.helpers import set_anonymous
from tests.plone.helpers import the_script
from zope.component import getUtility
import pytest
import transaction


pytestmark = pytest.mark.usefixtures("fresh_seen")

PRESETS = (None, *CACHING_PRESETS)


@pytest.fixture
def site(caching_functional):
    """Tracked folder, a database of this test's own, caching not yet on."""
    content = published_content(caching_functional, "The doc")
    api.portal.set_registry_record("slc.clicktracker.dsn", caching_functional["pg_dsn"])
    transaction.commit()
    getUtility(IClickStorage).setup_database()
    tracking.enable(content["folder"])
    transaction.commit()
    return content


def cached(site, preset):
    use_caching(site["portal"], preset)
    transaction.commit()


def views(path="/plone/folder/doc"):
    return sum(row.count for row in getUtility(IClickStorage).getLog(path))


def open_browser(functional, user=None):
    browser = test_browser(functional, user)
    # plone.caching answers 304s and RAM cache hits by raising Intercepted,
    # which its exception view turns into the response.
    browser.handleErrors = True
    return browser


def revalidate(browser, url, etag):
    """GET ``url`` again as a browser does with a copy of ETag ``etag``."""
    browser.addHeader("If-None-Match", etag)
    browser.open(url)
    return browser.headers["status"]


@pytest.mark.parametrize("preset", CACHING_PRESETS)
def test_a_page_shown_after_a_304_counts(caching_functional, site, preset):
    cached(site, preset)
    doc = site["doc"]
    browser = open_browser(caching_functional, "alice")
    attrs = the_script(browser, doc.absolute_url())
    etag = browser.headers["ETag"]
    post(
        browser,
        attrs["data-callback"],
        token=attrs["data-token"],
        url=doc.absolute_url(),
    )
    # Link, link again, reload: the browser revalidates, gets a 304 and
    # shows its copy, whose script reports each showing.
    for _ in range(2):
        assert revalidate(browser, doc.absolute_url(), etag).startswith("304")
        status = post(
            browser,
            attrs["data-callback"],
            token=attrs["data-token"],
            url=doc.absolute_url(),
        )
        assert status.startswith("204")
    assert views() == 3


@pytest.mark.parametrize("preset", PRESETS)
def test_anonymous_readers_of_one_cached_page_count_apart(
    caching_functional, site, preset
):
    cached(site, preset)
    set_anonymous(True)
    doc = site["doc"]
    pages = []
    for _ in range(2):
        browser = open_browser(caching_functional)
        browser.open(doc.absolute_url())
        pages.append((browser, browser.contents, browser.headers.get("X-RAMCache")))
    (first, html, ramcache), (second, html2, ramcache2) = pages
    if preset is not None:
        # The second reader got the first one's page from Zope's RAM cache.
        assert ramcache is None and ramcache2
        assert html2 == html
    for browser, contents, _ in pages:
        (tag,) = script_tags(contents)
        token = tag.split('data-token="')[1].split('"')[0]
        callback = doc.absolute_url() + "/@@clicktracker-callback"
        status = post(browser, callback, token=token, url=doc.absolute_url())
        assert status.startswith("204")
    assert views() == 2


@pytest.mark.parametrize("preset", CACHING_PRESETS)
def test_switching_anonymous_tracking_on_reaches_cached_pages(
    caching_functional, site, preset
):
    cached(site, preset)
    url = site["doc"].absolute_url()
    for _ in range(2):  # the second one from the RAM cache
        browser = open_browser(caching_functional)
        browser.open(url)
        assert script_tags(browser.contents) == []
    assert browser.headers.get("X-RAMCache")
    set_anonymous(True)
    browser = open_browser(caching_functional)
    browser.open(url)
    assert len(script_tags(browser.contents)) == 1
    set_anonymous(False)
    browser = open_browser(caching_functional)
    browser.open(url)
    assert script_tags(browser.contents) == []


@pytest.mark.parametrize("preset", CACHING_PRESETS)
@pytest.mark.parametrize("where", ["folder", "portal"])
def test_switching_tracking_reaches_cached_pages(
    caching_functional, site, preset, where
):
    tracking.disable(site["folder"])
    transaction.commit()
    cached(site, preset)
    url = site["doc"].absolute_url()
    browser = open_browser(caching_functional, "alice")
    browser.open(url)
    assert script_tags(browser.contents) == []
    etag = browser.headers["ETag"]
    assert revalidate(browser, url, etag).startswith("304")
    tracking.enable(site[where])
    transaction.commit()
    assert revalidate(browser, url, etag).startswith("200")
    assert len(script_tags(browser.contents)) == 1
    etag = browser.headers["ETag"]
    tracking.disable(site[where])
    transaction.commit()
    assert revalidate(browser, url, etag).startswith("200")
    assert script_tags(browser.contents) == []


@pytest.mark.parametrize("preset", CACHING_PRESETS)
def test_forged_and_replayed_hits_stay_refused(caching_functional, site, preset):
    cached(site, preset)
    doc, portal = site["doc"], site["portal"]
    browser = open_browser(caching_functional, "alice")
    attrs = the_script(browser, doc.absolute_url())
    callback, token = attrs["data-callback"], attrs["data-token"]
    view = new_view()
    for _ in range(3):  # the same request again and again
        post(browser, callback, token=token, view=view, url=doc.absolute_url())
    bob = open_browser(caching_functional, "bob")
    post(bob, callback, token=token, url=doc.absolute_url())  # alice's token
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    post(browser, callback, token=forged, url=doc.absolute_url())
    other = tokens.make_token("alice", site["other"], portal)
    post(browser, callback, token=other, url=doc.absolute_url())
    assert views() == 1


@pytest.mark.parametrize("preset", CACHING_PRESETS)
def test_the_callback_and_the_reports_are_never_cached(
    caching_functional, site, preset
):
    cached(site, preset)
    doc = site["doc"]
    browser = open_browser(caching_functional, "alice")
    attrs = the_script(browser, doc.absolute_url())
    post(
        browser,
        attrs["data-callback"],
        token=attrs["data-token"],
        url=doc.absolute_url(),
    )
    assert browser.headers["X-Cache-Rule"] == "slc.clicktracker.callback"
    assert "public" not in browser.headers["Cache-Control"]
    owner = open_browser(caching_functional)
    owner.addHeader("Authorization", f"Basic {SITE_OWNER_NAME}:{SITE_OWNER_PASSWORD}")
    owner.open(site["folder"].absolute_url() + "/@@tracking")
    assert owner.headers["X-Cache-Rule"] == "slc.clicktracker.reports"
    assert "max-age=0" in owner.headers["Cache-Control"]
