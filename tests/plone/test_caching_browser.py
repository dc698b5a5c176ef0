"""Counting behind plone.app.caching in a real browser, back/forward cache on.

Debian's headless Chromium (Playwright) reads the live test server's pages
with caching off and under each of plone.app.caching's presets. Unlike the
suite's ``chromium`` fixture, the browser of this module keeps Chromium's
back/forward cache (Playwright switches it off by default), so "Back"
restores the page as it was left, script and all, and only ``pageshow``
tells the script that the page is shown again. The testbrowser checks of
the same rules are in test_caching.py.
"""

from plone import api
from slc.clicktracker import tracking
from slc.clicktracker.browser.viewlet import CALLBACK
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.testing import DESKTOP_UA
from slc.clicktracker.testing.layers import CACHING_PRESETS
from slc.clicktracker.testing.layers import use_caching
from tests.helpers import CHROMIUM
from tests.helpers import CHROMIUM_ARGS
from tests.helpers import login
from tests.helpers import screenshots
from tests.plone.helpers import PASSWORD
from tests.plone.helpers import published_content
from tests.plone.helpers import set_anonymous
from zope.component import getUtility
import pytest
import time
import transaction


pytestmark = pytest.mark.browser

DOC = "/plone/folder/doc"
OTHER = "/plone/folder/other"
SCRIPT = "script[src*='clicktracker']"

# Every showing of a page: pageshow's ``persisted`` is true for a page
# restored from the back/forward cache (its window, and this list, survive).
RECORD_SHOWINGS = """
window.__showings = [];
addEventListener('pageshow', (event) => window.__showings.push(event.persisted));
"""
# How the page now on screen was shown. A page restored from the back/forward
# cache keeps its first navigation entry; one that was not restored is a new
# document whose entry says "back_forward" and, where Chromium tells, why.
HOW_SHOWN = """() => {
  const entry = performance.getEntriesByType('navigation')[0];
  return {
    showings: window.__showings,
    type: entry.type,
    notRestoredReasons: entry.notRestoredReasons ?? null,
  };
}"""


@pytest.fixture(scope="module")
def bfcache_chromium(chromium):
    """Chromium as the suite launches it, but with its back/forward cache.

    Launched through the session's Playwright: a second ``sync_playwright``
    refuses to start while the session's runs.
    """
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield browser
    browser.close()


@pytest.fixture(params=(None, *CACHING_PRESETS), ids=lambda p: p or "no-caching")
def preset(request):
    return request.param


@pytest.fixture
def site(caching_acceptance, preset):
    """The live server's site: a tracked folder, its own database, ``preset``."""
    content = published_content(caching_acceptance, "The doc")
    api.portal.set_registry_record("slc.clicktracker.dsn", caching_acceptance["pg_dsn"])
    transaction.commit()
    getUtility(IClickStorage).setup_database()
    tracking.enable(content["folder"])
    use_caching(content["portal"], preset)
    transaction.commit()
    return {name: obj.absolute_url() for name, obj in content.items()}


class Reader:
    """One browser context (a person's browser) and its page.

    ``callbacks`` lists the paths of the callback requests the page sent;
    ``answers(url)`` the statuses of ``url``'s answers as they came over the
    wire (Playwright reports a 304 as the cached 200 it revalidated).
    """

    def __init__(self, browser, site):
        self.site = site
        self.context = browser.new_context(user_agent=DESKTOP_UA)
        self.context.add_init_script(RECORD_SHOWINGS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.callbacks = []
        self.page.on("request", self._request)
        self.not_cached = []
        self.urls = {}
        self.wire = {}
        cdp = self.context.new_cdp_session(self.page)
        cdp.on("Page.backForwardCacheNotUsed", self._not_cached)
        cdp.on("Network.requestWillBeSent", self._sending)
        cdp.on("Network.responseReceivedExtraInfo", self._received)
        cdp.send("Page.enable")
        cdp.send("Network.enable")

    def _request(self, request):
        if request.url.endswith(f"/{CALLBACK}"):
            path = request.url.split("://")[1].split("/", 1)[1]
            self.callbacks.append("/" + path.removesuffix(f"/{CALLBACK}"))

    def _not_cached(self, event):
        self.not_cached.append(event)

    def _sending(self, event):
        self.urls[event["requestId"]] = event["request"]["url"]

    def _received(self, event):
        self.wire[event["requestId"]] = event["statusCode"]

    def answers(self, url):
        return [
            self.wire.get(request_id)
            for request_id, requested in self.urls.items()
            if requested == url
        ]

    def sent(self, path):
        """Callback requests for ``path``, asked once they were counted: a
        round trip to the browser delivers the events it sent before."""
        self.page.evaluate("0")
        return self.callbacks.count(path)

    def login(self, name):
        login(self.page, self.site["portal"], name, PASSWORD)

    def how_shown(self):
        shown = self.page.evaluate(HOW_SHOWN)
        shown["backForwardCacheNotUsed"] = self.not_cached
        return shown


@pytest.fixture
def readers(bfcache_chromium, site):
    """``readers()`` opens a new person's browser; all closed afterwards."""
    opened = []

    def open_reader():
        opened.append(Reader(bfcache_chromium, site))
        return opened[-1]

    yield open_reader
    for reader in opened:
        reader.context.close()


def views(path):
    """Views of ``path`` (a reload counts, stored as a reload of a click)."""
    transaction.begin()  # see what the server thread committed
    return sum(row.count for row in getUtility(IClickStorage).getLog(path))


def wait_for_views(path, count, timeout=10):
    """Views of ``path`` once there are ``count`` of them, or at the deadline."""
    deadline = time.monotonic() + timeout
    while (seen := views(path)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return seen


def ramcached(response):
    return response.header_value("x-ramcache") is not None


def test_member_links_twice_and_reloads(readers, site, preset):
    alice = readers()
    alice.login("alice")
    page = alice.page
    for expected in (1, 2):
        page.goto(site["folder"])
        page.get_by_role("link", name="The doc").first.click()
        page.wait_for_url(site["doc"])
        assert page.locator(SCRIPT).count() == 1
        assert wait_for_views(DOC, expected) == expected, alice.answers(site["doc"])
    page.reload()
    assert wait_for_views(DOC, 3) == 3, alice.answers(site["doc"])
    if preset == CACHING_PRESETS[-1]:
        screenshots(page, "caching-doc")
    # Under the presets, the browser showed its copy again after a 304.
    expected = [200, 200, 200] if preset is None else [200, 304, 304]
    assert alice.answers(site["doc"]) == expected
    # One report per showing, each counted once.
    assert alice.sent(DOC) == 3
    assert views(DOC) == 3


def test_back_and_forward_count_again(readers, site, preset):
    alice = readers()
    alice.login("alice")
    page = alice.page
    page.goto(site["doc"])
    assert wait_for_views(DOC, 1) == 1
    page.goto(site["other"])
    assert wait_for_views(OTHER, 1) == 1
    # A page restored from the back/forward cache fires no "load".
    page.go_back(wait_until="commit")
    assert page.url == site["doc"]
    assert wait_for_views(DOC, 2) == 2, alice.how_shown()
    shown = alice.how_shown()
    # Restored from the back/forward cache: shown a second time, without a
    # new document. Otherwise this test would not show what it is about, and
    # the message holds Chromium's reasons (notRestoredReasons, CDP's
    # Page.backForwardCacheNotUsed).
    assert shown["showings"] == [False, True], shown
    page.go_forward(wait_until="commit")
    assert page.url == site["other"]
    assert wait_for_views(OTHER, 2) == 2, alice.how_shown()
    shown = alice.how_shown()
    assert shown["showings"] == [False, True], shown
    assert (alice.sent(DOC), alice.sent(OTHER)) == (2, 2)
    assert (views(DOC), views(OTHER)) == (2, 2)


def test_anonymous_readers_of_one_cached_page_count_apart(readers, site, preset):
    set_anonymous(True)
    first, second = readers(), readers()
    answers = [first.page.goto(site["doc"]), second.page.goto(site["doc"])]
    tokens = [
        reader.page.locator(SCRIPT).get_attribute("data-token")
        for reader in (first, second)
    ]
    if preset is not None:
        # The second reader got the first one's page, token and all.
        assert [ramcached(answer) for answer in answers] == [False, True]
        assert tokens[0] == tokens[1]
    assert wait_for_views(DOC, 2) == 2
    assert (first.sent(DOC), second.sent(DOC)) == (1, 1)
    assert views(DOC) == 2


def test_anonymous_tracking_switched_on_reaches_cached_pages(readers, site, preset):
    first, second = readers(), readers()
    answers = [first.page.goto(site["doc"]), second.page.goto(site["doc"])]
    for reader in (first, second):
        assert reader.page.locator(SCRIPT).count() == 0
    if preset is not None:
        # The page without the script is in the RAM cache.
        assert [ramcached(answer) for answer in answers] == [False, True]
    set_anonymous(True)
    # The first reader comes back. Under the presets its browser has the
    # old page and revalidates it, and Zope's RAM cache has it too: both must
    # yield to the page with the script.
    first.page.goto(site["other"])  # a new navigation to the document, next
    answer = first.page.goto(site["doc"])
    assert first.page.locator(SCRIPT).count() == 1, answer.all_headers()
    assert not ramcached(answer)
    assert wait_for_views(DOC, 1) == 1
    assert first.sent(DOC) == 1
    assert views(DOC) == 1
