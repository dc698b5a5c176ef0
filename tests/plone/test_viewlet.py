"""The tracking script tag: on which pages it appears, what it carries."""

from pathlib import Path
from plone.base.utils import get_installer
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker.browser import viewlet
from tests.plone.helpers import UA
from tests.plone.helpers import attributes
from tests.plone.helpers import no_script
from tests.plone.helpers import open_browser
from tests.plone.helpers import script_tags
from tests.plone.helpers import set_anonymous
from tests.plone.helpers import the_script
from zope.component import queryMultiAdapter
from zope.viewlet.interfaces import IViewletManager
import gzip
import pytest
import re
import sys
import transaction


SCRIPT_FILE = (
    Path(viewlet.__file__).parent / "static" / "clicktracker.min.js"
).read_bytes()


def commit():
    transaction.commit()


def test_tracked_document(functional, untracked_content):
    doc, portal = untracked_content["doc"], untracked_content["portal"]
    tracking.enable(doc)
    commit()
    attrs = the_script(open_browser(functional, "alice"), doc.absolute_url())
    assert attrs["src"] == f"{portal.absolute_url()}/{viewlet.SCRIPT_PATH}"
    assert attrs["data-callback"] == f"{doc.absolute_url()}/@@clicktracker-callback"
    payload = tokens.verify_token(attrs["data-token"], "alice", doc, portal)
    assert payload["m"] == "alice"
    assert payload["o"] == doc.UID()


def test_tag_is_static_and_deferred(functional, untracked_content):
    # Strict CSP: nothing inline, all configuration in attributes.
    doc = untracked_content["doc"]
    tracking.enable(doc)
    commit()
    browser = open_browser(functional, "alice")
    browser.open(doc.absolute_url())
    (tag,) = script_tags(browser.contents)
    assert re.fullmatch(r"<script [^>]*></script>", tag), tag
    assert "defer" in attributes(tag) or " defer " in tag
    assert "jquery" not in SCRIPT_FILE.decode().lower()


def test_renders_carry_the_same_token_for_caches(functional, untracked_content):
    # No per-render secret in the HTML: a cached copy is as good as a fresh
    # render (each showing is told apart by the script's view id).
    doc = untracked_content["doc"]
    tracking.enable(doc)
    commit()
    browser = open_browser(functional, "alice")
    first = the_script(browser, doc.absolute_url())["data-token"]
    second = the_script(browser, doc.absolute_url())["data-token"]
    if first != second:  # the hour turned between the two renders
        second = the_script(browser, doc.absolute_url())["data-token"]
    assert first == second


def test_untracked_document(functional, untracked_content):
    assert no_script(
        open_browser(functional, "alice"), untracked_content["doc"].absolute_url()
    )


def test_tracked_folder_tracks_its_content(functional, untracked_content):
    folder, doc = untracked_content["folder"], untracked_content["doc"]
    tracking.enable(folder)
    commit()
    browser = open_browser(functional, "alice")
    attrs = the_script(browser, doc.absolute_url())
    assert attrs["data-callback"] == f"{doc.absolute_url()}/@@clicktracker-callback"
    attrs = the_script(browser, folder.absolute_url())
    assert attrs["data-callback"] == f"{folder.absolute_url()}/@@clicktracker-callback"


def test_tracking_disabled_again(functional, untracked_content):
    doc = untracked_content["doc"]
    tracking.enable(doc)
    commit()
    tracking.disable(doc)
    commit()
    assert no_script(open_browser(functional, "alice"), doc.absolute_url())


def test_default_page_counts_for_the_page(functional, untracked_content):
    # The folder shows its default page: the page is what was read.
    folder, doc = untracked_content["folder"], untracked_content["doc"]
    folder.setDefaultPage("doc")
    tracking.enable(doc)
    commit()
    attrs = the_script(open_browser(functional, "alice"), folder.absolute_url())
    assert attrs["data-callback"] == f"{doc.absolute_url()}/@@clicktracker-callback"


def test_tracked_site_root(functional, untracked_content):
    portal = untracked_content["portal"]
    tracking.enable(portal)
    commit()
    attrs = the_script(open_browser(functional, "alice"), portal.absolute_url())
    tokens.verify_token(attrs["data-token"], "alice", portal, portal)


@pytest.mark.parametrize(
    "ua",
    [
        None,  # testbrowser's default, Python-urllib
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/126.0.0.0 Safari/537.36",
    ],
)
def test_bots_get_the_page_everyone_gets(functional, untracked_content, ua):
    # A cache may serve the page a bot got to people: it must carry the
    # script. (The callback refuses a bot's hit: test_callback.)
    doc = untracked_content["doc"]
    tracking.enable(doc)
    commit()
    bot = the_script(open_browser(functional, "alice", ua=ua), doc.absolute_url())
    person = the_script(open_browser(functional, "alice"), doc.absolute_url())
    assert bot.keys() == person.keys()
    assert bot["data-callback"] == person["data-callback"]
    tokens.verify_token(bot["data-token"], "alice", doc, untracked_content["portal"])


def test_anonymous_not_tracked_by_default(functional, untracked_content):
    doc = untracked_content["doc"]
    tracking.enable(doc)
    commit()
    assert no_script(open_browser(functional), doc.absolute_url())


def test_anonymous_tracked_when_switched_on(functional, untracked_content):
    doc, portal = untracked_content["doc"], untracked_content["portal"]
    tracking.enable(doc)
    set_anonymous(True)
    attrs = the_script(open_browser(functional), doc.absolute_url())
    tokens.verify_token(attrs["data-token"], tokens.ANONYMOUS, doc, portal)


def test_members_tracked_with_anonymous_on(functional, untracked_content):
    doc, portal = untracked_content["doc"], untracked_content["portal"]
    tracking.enable(doc)
    set_anonymous(True)
    attrs = the_script(open_browser(functional, "bob"), doc.absolute_url())
    tokens.verify_token(attrs["data-token"], "bob", doc, portal)


def test_nothing_after_uninstall(functional, untracked_content):
    doc, portal = untracked_content["doc"], untracked_content["portal"]
    tracking.enable(doc)
    get_installer(portal).uninstall_product("slc.clicktracker")
    commit()
    browser = open_browser(functional, "alice")
    assert no_script(browser, doc.absolute_url())
    browser.handleErrors = True
    browser.open(f"{portal.absolute_url()}/{viewlet.SCRIPT_PATH}")
    assert browser.headers["status"].startswith("404")


def test_script_served(functional, untracked_content):
    browser = open_browser(functional)
    browser.open(f"{untracked_content['portal'].absolute_url()}/{viewlet.SCRIPT_PATH}")
    assert browser.headers["status"].startswith("200")
    assert "javascript" in browser.headers["Content-Type"]
    assert browser.contents == SCRIPT_FILE


def test_script_size_budget():
    assert len(gzip.compress(SCRIPT_FILE, 9)) < 1024


def test_pages_get_the_minified_copy_of_the_source():
    # scripts/minify.py marks the copy with the source's digest: a changed
    # source without `make js` would send pages the old script.
    sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
    try:
        import minify
    finally:
        sys.path.pop(0)
    assert minify.MINIFIED.read_bytes() == SCRIPT_FILE
    assert minify.is_current()


def test_script_version_follows_the_file():
    import hashlib

    assert viewlet.SCRIPT_VERSION == hashlib.sha256(SCRIPT_FILE).hexdigest()[:12]


# -- rendering the viewlet itself ---------------------------------------------


def render(obj, request):
    from Products.Five.browser import BrowserView

    manager = queryMultiAdapter(
        (obj, request, BrowserView(obj, request)), IViewletManager, "plone.scripts"
    )
    manager.update()
    (mine,) = [v for v in manager.viewlets if v.__name__ == "slc.clicktracker.script"]
    return mine.render()


@pytest.fixture
def browser_request(functional):
    from slc.clicktracker.interfaces import IClickTrackerLayer
    from zope.interface import alsoProvides

    request = functional["request"]
    alsoProvides(request, IClickTrackerLayer)
    request.environ["HTTP_USER_AGENT"] = UA
    return request


def test_render_tracked(functional, untracked_content, browser_request):
    tracking.enable(untracked_content["doc"])
    html = render(untracked_content["doc"], browser_request)
    assert html.startswith("<script defer src=") and html.endswith("></script>")


def test_render_ignored_request(functional, untracked_content, browser_request):
    from slc.clicktracker.interfaces import IContentIsIgnored
    from zope.interface import alsoProvides

    tracking.enable(untracked_content["doc"])
    alsoProvides(browser_request, IContentIsIgnored)
    assert render(untracked_content["doc"], browser_request) == ""


def test_render_escapes_attributes(
    functional, untracked_content, browser_request, monkeypatch
):
    tracking.enable(untracked_content["doc"])
    monkeypatch.setattr(tokens, "make_token", lambda *a, **kw: 'a"b<c>&d')
    html = render(untracked_content["doc"], browser_request)
    assert 'data-token="a&quot;b&lt;c&gt;&amp;d"' in html


def test_render_needs_no_catalog_nor_storage(
    functional, untracked_content, browser_request, monkeypatch
):
    # Runs on every page: must stay cheap.
    from Products.CMFPlone.CatalogTool import CatalogTool
    from slc.clicktracker.storage.utility import ConfiguredStorage

    tracking.enable(untracked_content["doc"])

    def forbidden(*args, **kw):
        raise AssertionError("must not be called while rendering")

    for cls, name in (
        (CatalogTool, "searchResults"),
        (CatalogTool, "__call__"),
        (ConfiguredStorage, "storage"),
    ):
        monkeypatch.setattr(cls, name, forbidden)
    assert render(untracked_content["doc"], browser_request)
