"""The parts around a member's reading list (issue 12): the catalog index
it searches and its upgrade step, the personal menu's link, the dashboard
portlet, and what uninstalling removes. The content is test_reading_list's.
"""

from plone import api
from slc.clicktracker import readers
from tests.plone.helpers import open_browser
from tests.plone.helpers import text
from tests.plone.helpers import tree
from tests.plone.test_reading_list import ALICE_LIST
from tests.plone.test_reading_list import as_member
from tests.plone.test_reading_list import items_of
from tests.plone.test_reading_list import list_url
from tests.plone.test_reading_list import paths
from tests.plone.test_reading_list import reads_fixture  # noqa: F401
from tests.plone.test_reading_list import site_fixture  # noqa: F401
import transaction


PORTLET = "slc.clicktracker.ReadingList"


# -- the index -------------------------------------------------------------------------


def indexed(**query):
    catalog = api.portal.get_tool("portal_catalog")
    return sorted(b.getPath() for b in catalog.unrestrictedSearchResults(**query))


def test_index_follows_set_and_clear(site):
    doc = site["meeting"]["agenda"]
    modified = doc.modified()
    assert indexed(clicktracker_expected="staff") == ["/plone/meeting"]
    readers.set_expectation(doc, ["dave", "board"])
    assert indexed(clicktracker_expected="dave") == ["/plone/meeting/agenda"]
    assert "/plone/meeting/agenda" in indexed(clicktracker_expected="board")
    readers.clear_expectation(doc)
    assert indexed(clicktracker_expected="dave") == []
    # Saving expected readers is no edit of the document.
    assert doc.modified() == modified
    # Plone 6 catalogues the site root too.
    readers.set_expectation(site, ["dave"])
    assert indexed(clicktracker_expected="dave") == ["/plone"]
    readers.clear_expectation(site)
    assert indexed(clicktracker_expected="dave") == []


def test_upgrade_step_adds_and_fills_the_index(site):
    from slc.clicktracker.upgrades.expected_index import index_expectations

    catalog = api.portal.get_tool("portal_catalog")
    catalog.delIndex(readers.INDEX)
    # Without the index (before the upgrade) saving still works.
    readers.set_expectation(site["meeting"]["sub"], ["dave"])
    assert items_of("alice") == []  # nothing to search yet
    assert index_expectations(None) == 4
    assert indexed(clicktracker_expected="dave") == ["/plone/meeting/sub"]
    assert indexed(clicktracker_expected="alice") == ["/plone/policy"]
    # The untracked folder's was never set through the Tracking tab.
    assert index_expectations(None) == 4


def test_upgrade_imports_the_link_and_the_portlet(site):
    """What the profile upgrade imports (steps actions and portlets) brings
    a site of the previous version the link and the portlet."""
    from plone.portlets.interfaces import IPortletType
    from zope.component import queryUtility

    site.portal_actions.user.manage_delObjects(["reading-list"])
    setup = api.portal.get_tool("portal_setup")
    setup.runImportStepFromProfile("profile-slc.clicktracker:uninstall", "portlets")
    assert queryUtility(IPortletType, name=PORTLET) is None
    for step in ("actions", "portlets"):
        setup.runImportStepFromProfile("profile-slc.clicktracker:default", step)
    assert "reading-list" in site.portal_actions.user.objectIds()
    # After the dashboard, in the personal menu.
    ids = site.portal_actions.user.objectIds()
    assert ids.index("reading-list") == ids.index("dashboard") + 1
    assert queryUtility(IPortletType, name=PORTLET) is not None


# -- the personal menu -----------------------------------------------------------------


def test_personal_menu_links_to_the_list(functional, site):
    browser = as_member(functional, "alice")
    browser.open(site.absolute_url())
    link = tree(browser).xpath('//a[@id="personaltools-reading-list"]')
    assert text(link[0]) == "My reading list"
    assert link[0].get("href") == list_url(site)
    browser.getLink(id="personaltools-reading-list").click()
    assert browser.url == list_url(site)
    assert sorted(paths(browser)) == sorted(ALICE_LIST)


def test_no_link_for_anonymous(functional, site):
    browser = open_browser(functional)
    browser.open(site.absolute_url())
    assert "@@reading-list" not in browser.contents


# -- the dashboard portlet -------------------------------------------------------------


def open_with_token(browser, url):
    """Open ``url``, passing plone.protect's confirmation of a write on GET
    (a member's dashboard is made on first use)."""
    browser.open(url)
    if "@@confirm-action" in browser.url:
        token = browser.url.split("_authenticator=")[1].split("&")[0]
        browser.open(f"{url}?_authenticator={token}")


def portlet_items(browser):
    found = tree(browser).xpath('//*[contains(@class, "portletReadingList")]')
    if not found:
        return None
    return [text(li) for li in found[0].xpath(".//li[@data-state]")]


def test_portlet_on_a_dashboard(functional, reads):
    from plone.app.testing import login

    site = functional["portal"]
    browser = as_member(functional, "alice")
    open_with_token(browser, f"{site.absolute_url()}/@@manage-dashboard")
    # The "Add portlet" menu of each dashboard column offers it.
    add = browser.getControl(name=":action", index=0)
    wanted = "/++dashboard++plone.dashboard1+alice/+/slc.clicktracker.ReadingList"
    assert wanted in add.options
    assert "My reading list" in add.displayOptions
    # What that menu calls (a script of the page), as alice: added at once.
    login(site, "alice")
    site.restrictedTraverse(wanted.lstrip("/"))()
    transaction.commit()
    browser.open(f"{site.absolute_url()}/@@dashboard")
    # What is still to read only: the agenda and the annex were read.
    assert portlet_items(browser) == ["Policy Not read"]
    more = tree(browser).xpath('//a[@class="portlet-reading-list-more"]')[0]
    assert more.get("href") == list_url(site)
    assert text(more) == "See the whole list"


def portlet(site):
    """The portlet's renderer on a dashboard, for whoever is logged in."""
    from plone.app.portlets.portlets.base import Renderer
    from plone.portlets.interfaces import IPortletManager
    from plone.portlets.interfaces import IPortletRenderer
    from slc.clicktracker.portlets.readinglist import Assignment
    from zope.component import getMultiAdapter
    from zope.component import getUtility

    request = site.REQUEST
    manager = getUtility(IPortletManager, name="plone.dashboard1", context=site)
    view = site.unrestrictedTraverse("@@dashboard")
    renderer = getMultiAdapter(
        (site, request, view, manager, Assignment()), IPortletRenderer
    )
    assert isinstance(renderer, Renderer)
    return renderer


def test_portlet_at_most_five_and_nothing_for_anonymous(functional, site, storage):
    from plone.app.testing import login
    from plone.app.testing import logout

    for number in range(6):
        doc = api.content.create(site["meeting"], "Document", id=f"d{number}")
        api.content.transition(doc, "publish")
    transaction.commit()
    login(site, "alice")
    renderer = portlet(site)
    assert renderer.available
    renderer.update()
    html = renderer.render()
    assert html.count('data-state="unread"') == 5
    assert "See the whole list (4 more)" in " ".join(html.split())
    logout()
    renderer = portlet(site)
    assert not renderer.available


# -- uninstalling ----------------------------------------------------------------------


def test_uninstall_removes_index_action_and_portlet(functional, site):
    from plone.base.utils import get_installer
    from plone.portlets.interfaces import IPortletType
    from zope.component import queryUtility

    get_installer(site).uninstall_product("slc.clicktracker")
    assert readers.INDEX not in api.portal.get_tool("portal_catalog").indexes()
    assert "reading-list" not in site.portal_actions.user.objectIds()
    assert queryUtility(IPortletType, name="slc.clicktracker.ReadingList") is None
