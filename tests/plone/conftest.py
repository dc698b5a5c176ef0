"""Plone layers as pytest fixtures, and the fixtures several modules share."""

from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
from plone.testing.zope import Browser
from pytest_plone import fixtures_factory
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker import visitcookie
from slc.clicktracker.browser import names
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage import dsn
from slc.clicktracker.storage import shared
from slc.clicktracker.testing.layers import ACCEPTANCE_TESTING
from slc.clicktracker.testing.layers import CACHING_ACCEPTANCE_TESTING
from slc.clicktracker.testing.layers import CACHING_FUNCTIONAL_TESTING
from slc.clicktracker.testing.layers import FUNCTIONAL_TESTING
from slc.clicktracker.testing.layers import INTEGRATION_TESTING
from slc.clicktracker.testing.smtp import MailCatcher
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from tests.plone.helpers import Clock
from tests.plone.helpers import create_role_users
from tests.plone.helpers import published_content
from zope.component import getUtility
import pytest
import transaction


globals().update(
    fixtures_factory(
        (
            (ACCEPTANCE_TESTING, "acceptance"),
            (CACHING_ACCEPTANCE_TESTING, "caching_acceptance"),
            (CACHING_FUNCTIONAL_TESTING, "caching_functional"),
            (FUNCTIONAL_TESTING, "functional"),
            (INTEGRATION_TESTING, "integration"),
        )
    )
)


@pytest.fixture(autouse=True)
def isolated_storage(monkeypatch, tmp_path):
    """No DSN from the environment, a spool of this test's own, pools closed."""
    monkeypatch.delenv(dsn.ENV_DSN, raising=False)
    monkeypatch.setenv(shared.ENV_SPOOL, str(tmp_path / "spool.sqlite"))
    yield
    shared.close_all()


@pytest.fixture(autouse=True)
def forget_names():
    """Names remembered across requests must not leak between tests: a
    member created with another full name by an earlier test would show
    under the old one (``names.many`` keeps names for minutes)."""
    names._remembered.clear()
    yield
    names._remembered.clear()


@pytest.fixture
def storage(functional):
    """The click storage on this test's own database, schema loaded."""
    api.portal.set_registry_record("slc.clicktracker.dsn", functional["pg_dsn"])
    transaction.commit()
    storage = getUtility(IClickStorage)
    storage.setup_database()
    return storage


# -- content and members ------------------------------------------------------


@pytest.fixture
def untracked_content(functional):
    """Nothing tracked; the document's title has quotes in it."""
    return published_content(functional, 'The "doc"')


@pytest.fixture
def tracked_content(functional, storage):
    """The folder is tracked, on a database of this test's own."""
    content = published_content(functional, "The doc")
    tracking.enable(content["folder"])
    transaction.commit()
    return content


@pytest.fixture
def roles_site(functional):
    """A user of each role and a folder with a document, committed for the browser."""
    portal = functional["portal"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    # Day boundaries of the time window are in the site's time zone.
    api.portal.set_registry_record("plone.portal_timezone", "UTC")
    create_role_users()
    folder = api.content.create(
        container=portal, type="Folder", id="folder", title="Minutes"
    )
    doc = api.content.create(container=folder, type="Document", id="doc", title="Doc")
    # Published, so that a Member can view it and only the tab refuses him.
    api.content.transition(obj=folder, transition="publish")
    api.content.transition(obj=doc, transition="publish")
    transaction.commit()
    return portal


@pytest.fixture
def live_site(acceptance):
    """The live server's site: member carol, a tracked meeting folder, storage."""
    portal = acceptance["portal"]
    api.portal.set_registry_record("slc.clicktracker.dsn", acceptance["pg_dsn"])
    transaction.commit()
    getUtility(IClickStorage).setup_database()
    with api.env.adopt_roles(["Manager"]):
        api.user.create(
            username=LIVE_MEMBER,
            email="carol@example.org",
            password=LIVE_PASSWORD,
            properties={"fullname": "Carol Chair"},
        )
        folder = api.content.create(
            container=portal, type="Folder", id="meeting", title="Meeting"
        )
        tracking.enable(folder)
        for docid in ("minutes", "agenda"):
            api.content.create(
                container=folder, type="Document", id=docid, title=docid.title()
            )
        api.content.create(
            container=portal, type="Document", id="news", title="Untracked news"
        )
        for obj in (folder, folder["minutes"], folder["agenda"], portal["news"]):
            api.content.transition(obj, "publish")
    transaction.commit()
    return portal


# -- the control panel --------------------------------------------------------


@pytest.fixture
def browser(functional):
    """A testbrowser, not logged in."""
    browser = Browser(functional["app"])
    browser.handleErrors = False
    return browser


@pytest.fixture
def owner_browser(browser):
    """A browser logged in as the site owner."""
    browser.addHeader("Authorization", f"Basic {SITE_OWNER_NAME}:{SITE_OWNER_PASSWORD}")
    return browser


@pytest.fixture
def panel_url(functional):
    return f"{functional['portal'].absolute_url()}/@@clicktracker-controlpanel"


# -- tokens and visits --------------------------------------------------------


# Not autouse: only the callback modules had it, they ask for it in pytestmark.
@pytest.fixture
def fresh_seen():
    """The hit ids this process has seen, emptied before and after the test."""
    tokens.SEEN.clear()
    yield
    tokens.SEEN.clear()


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(visitcookie, "now", clock)
    return clock


# -- mail ---------------------------------------------------------------------


@pytest.fixture
def smtp():
    """A real SMTP server on localhost for this test (configure_mailhost
    points the site at it)."""
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()
