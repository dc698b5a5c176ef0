"""A view that marks its request IContentIsIgnored gets no tracking script."""

from Products.Five.browser import BrowserView
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickTrackerLayer
from slc.clicktracker.interfaces import IContentIsIgnored
from tests.plone.helpers import no_script
from tests.plone.helpers import open_browser
from tests.plone.helpers import script_tags
from zope.component import getGlobalSiteManager
from zope.component import getMultiAdapter
from zope.interface import Interface
from zope.interface import alsoProvides
import pytest
import transaction


VIEW = "ignored-test-view"


class IgnoredView(BrowserView):
    """The document's usual page, but not counted as a read."""

    # Registered without ZCML, so it declares its own (public) access.
    __allow_access_to_unprotected_subobjects__ = 1

    def __call__(self):
        alsoProvides(self.request, IContentIsIgnored)
        return getMultiAdapter((self.context, self.request), name="view")()


@pytest.fixture
def ignored_view():
    gsm = getGlobalSiteManager()
    required = (Interface, IClickTrackerLayer)
    gsm.registerAdapter(IgnoredView, required, Interface, VIEW)
    yield VIEW
    gsm.unregisterAdapter(IgnoredView, required, Interface, VIEW)


@pytest.fixture
def tracked_doc(functional, untracked_content):
    doc = untracked_content["doc"]
    tracking.enable(doc)
    transaction.commit()
    return doc


def test_ignored_view_renders_no_script(functional, tracked_doc, ignored_view):
    browser = open_browser(functional, "alice")
    assert no_script(browser, f"{tracked_doc.absolute_url()}/@@{ignored_view}")
    # The same page, really rendered by the view, through the usual main template.
    assert '<title>The "doc"' in browser.contents


def test_same_page_without_the_marker_is_tracked(functional, tracked_doc):
    browser = open_browser(functional, "alice")
    browser.open(f"{tracked_doc.absolute_url()}/@@view")
    assert len(script_tags(browser.contents)) == 1
