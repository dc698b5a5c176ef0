""" "I have read this" (issue 12): the switch on the expected readers form,
the box below the page for expected readers, ``@@clicktracker-confirm``,
storages without confirmations or failing. The readers report's side:
test_confirm_report.py; in a real browser: test_confirm_browser.py.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.testing.zope import Browser
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IConfirmationStorage
from slc.clicktracker.interfaces import IReadStatusStorage
from slc.clicktracker.interfaces import StorageError
from tests.plone.helpers import DAY
from tests.plone.helpers import ROLE_PASSWORD
from tests.plone.helpers import browser_as
from tests.plone.helpers import create_board
from tests.plone.helpers import element_text
from tests.plone.helpers import fresh
from tests.plone.helpers import has_element
from tests.plone.helpers import submit
from tests.plone.helpers import text
from tests.plone.helpers import tree
from zExceptions import Forbidden
from zExceptions import Unauthorized
from zope.component import getGlobalSiteManager
from zope.component import getUtility
from zope.interface import implementer
import psycopg2
import pytest
import transaction


DOC = "/plone/folder/doc"
THANKS = "Thank you: your confirmation has been recorded."


def expected_board(site):
    """Board (Ada "member", Cy "editor") is expected to read everything in
    the tracked folder and asked to confirm; Sam "siteadmin" is not."""
    create_board()
    folder = site["folder"]
    tracking.enable(folder)
    readers.set_expectation(folder, ["board"], confirm=True)
    transaction.commit()


@pytest.fixture
def site(roles_site, storage):
    expected_board(roles_site)
    return roles_site


@pytest.fixture
def ada(functional, site):
    return browser_as(functional, "member")


def doc_url(site):
    return site["folder"]["doc"].absolute_url()


def confirm_url(site):
    return f"{doc_url(site)}/@@clicktracker-confirm"


def storage_now():
    """The storage utility, as the last commit left the site."""
    transaction.begin()
    return getUtility(IClickStorage)


def confirmations():
    # A new transaction sees what the browser's requests committed.
    return storage_now().confirmations([DOC])


def portal_message(browser):
    return " ".join(
        text(e) for e in tree(browser).xpath('//*[contains(@class, "portalMessage")]')
    )


def token_of(browser):
    """The authenticator of the page the browser shows (any form's)."""
    return tree(browser).xpath('//input[@name="_authenticator"]')[0].get("value")


# -- the box below the page ---------------------------------------------------


def test_expected_reader_sees_the_button(ada, site):
    ada.open(doc_url(site))
    box = tree(ada).xpath('//*[@id="clicktracker-confirm"]')
    assert len(box) == 1
    assert element_text(ada, "clicktracker-confirm-text") == (
        "Please confirm that you have read this."
    )
    form = ada.getForm(id="clicktracker-confirm-form")
    assert form.action == confirm_url(site)
    assert form.method.upper() == "POST"
    assert form.getControl(name="_authenticator").value
    assert form.getControl("I have read this")
    # Below the page's text, inside the content.
    assert box[0].xpath('ancestor::*[@id="content"]')


@pytest.mark.parametrize("name", ["siteadmin", "manager", None])
def test_nobody_else_sees_anything(functional, site, name):
    browser = browser_as(functional, name) if name else Browser(functional["app"])
    browser.open(doc_url(site))
    assert "clicktracker-confirm" not in browser.contents
    assert "I have read this" not in browser.contents


def test_without_the_switch_nothing_is_shown(ada, site):
    readers.set_expectation(site["folder"], ["board"], confirm=False)
    transaction.commit()
    ada.open(doc_url(site))
    assert "clicktracker-confirm" not in ada.contents


def test_not_on_the_folder_whose_setting_it_is(ada, site):
    # The folder's setting is for the documents in it.
    ada.open(site["folder"].absolute_url())
    assert "clicktracker-confirm" not in ada.contents


def test_a_document_may_switch_it_off(ada, site):
    folder = site["folder"]
    other = api.content.create(folder, "Document", id="other", title="Other")
    api.content.transition(other, "publish")
    readers.set_expectation(folder["doc"], ["board"], confirm=False)
    transaction.commit()
    ada.open(doc_url(site))
    assert not has_element(ada, "clicktracker-confirm")
    ada.open(other.absolute_url())
    assert has_element(ada, "clicktracker-confirm")


def test_joining_the_group_later_counts(functional, site):
    api.group.add_user(groupname="board", username="siteadmin")
    transaction.commit()
    browser = browser_as(functional, "siteadmin")
    browser.open(doc_url(site))
    assert has_element(browser, "clicktracker-confirm-form")


def test_members_of_a_nested_group_count(functional, site):
    api.group.create(groupname="deputies", title="Deputies")
    api.group.add_user(groupname="deputies", username="siteadmin")
    api.portal.get_tool("portal_groups").addPrincipalToGroup("deputies", "board")
    transaction.commit()
    browser = browser_as(functional, "siteadmin")
    browser.open(doc_url(site))
    assert has_element(browser, "clicktracker-confirm-form")


# -- confirming -----------------------------------------------------------------


def test_confirm_once(ada, site):
    ada.open(doc_url(site))
    token = token_of(ada)
    before = datetime.now(UTC)
    ada.getControl("I have read this").click()
    assert ada.url == doc_url(site)  # back to the item (PRG)
    assert THANKS in portal_message(ada)
    (row,) = confirmations()
    assert row.member == "member"
    assert before - timedelta(seconds=5) <= row.confirmed <= datetime.now(UTC)
    # The box now says when, without a button.
    assert not has_element(ada, "clicktracker-confirm-form")
    said = element_text(ada, "clicktracker-confirm-text")
    assert said.startswith("✓ You confirmed reading this on ")
    # A second POST (an old tab) keeps the first time.
    submit(ada, confirm_url(site), _authenticator=token)
    assert "You had already confirmed on " in portal_message(ada)
    assert confirmations() == [row]


def test_confirmation_stores_uid_and_title(functional, ada, site):
    ada.open(doc_url(site))
    ada.getControl("I have read this").click()
    conn = psycopg2.connect(functional["pg_dsn"])
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT d.path, d.uid, d.title FROM clicktracker.confirmations c "
                "JOIN clicktracker.documents d ON d.id = c.document_id"
            )
            found = cur.fetchall()
    finally:
        conn.close()
    assert found == [(DOC, api.content.get_uuid(fresh(site["folder"]["doc"])), "Doc")]


def test_the_time_is_in_the_site_time_zone(ada, site):
    api.portal.set_registry_record("plone.portal_timezone", "Europe/Vienna")
    transaction.commit()
    storage_now().confirm(DOC, "member", when=DAY)
    ada.open(doc_url(site))
    assert element_text(ada, "clicktracker-confirm-text") == (
        "✓ You confirmed reading this on Mar 01, 2024 01:00 PM."
    )


def test_get_is_refused(ada, site):
    ada.raiseHttpErrors = False
    ada.open(doc_url(site))
    ada.open(f"{confirm_url(site)}?_authenticator={token_of(ada)}")
    assert ada.headers["status"].startswith("405")
    assert ada.headers["Allow"] == "POST"
    assert confirmations() == []


@pytest.mark.parametrize("token", [None, "forged"])
def test_forged_requests_are_refused(ada, site, token):
    fields = {} if token is None else {"_authenticator": token}
    with pytest.raises(Forbidden):
        submit(ada, confirm_url(site), **fields)
    assert confirmations() == []


def test_forged_request_gets_a_403_page(functional, site):
    browser = Browser(functional["app"])
    browser.raiseHttpErrors = False  # the site's own error page
    browser.addHeader("Authorization", f"Basic member:{ROLE_PASSWORD}")
    browser.addHeader("Accept", "text/html")  # as browsers ask
    submit(browser, confirm_url(site), _authenticator="forged")
    assert browser.headers["status"].startswith("403")
    body = browser.contents
    body = body.decode("utf-8") if isinstance(body, bytes) else body
    assert "Traceback" not in body
    assert confirmations() == []


def test_anonymous_is_refused(functional, site):
    browser = Browser(functional["app"])
    browser.handleErrors = False
    with pytest.raises(Unauthorized):
        submit(browser, confirm_url(site), _authenticator="x")
    assert confirmations() == []


def test_others_may_not_confirm(functional, site):
    browser = browser_as(functional, "siteadmin")
    browser.open(f"{doc_url(site)}/@@tracking")  # a page with a token of his
    submit(browser, confirm_url(site), _authenticator=token_of(browser))
    assert browser.url == doc_url(site)
    assert "You are not asked to confirm reading this item." in portal_message(browser)
    assert confirmations() == []


def test_not_without_the_switch(ada, site):
    ada.open(doc_url(site))
    token = token_of(ada)
    readers.set_expectation(site["folder"], ["board"], confirm=False)
    transaction.commit()
    submit(ada, confirm_url(site), _authenticator=token)
    assert "You are not asked to confirm" in portal_message(ada)
    assert confirmations() == []


# -- storages that cannot or fail -------------------------------------------------


@implementer(IClickStorage, IReadStatusStorage)
class NoConfirmations:
    """A storage that says who read what, but keeps no confirmations."""

    def __init__(self, real):
        self.real = real

    def logAccess(self, member, path, url, **kw):
        return self.real.logAccess(member, path, url, **kw)

    def getLog(self, prefix, order_by=None, order_reverse=False, **kw):
        return self.real.getLog(prefix, order_by, order_reverse, **kw)

    def read_status(self, paths, members=None, rules=None):
        return self.real.read_status(paths, members=members, rules=rules)


@implementer(IClickStorage, IReadStatusStorage, IConfirmationStorage)
class Failing(NoConfirmations):
    """Confirmations fail, as with the database gone."""

    def confirm(self, path, member, **kw):
        raise StorageError("connection refused")

    def confirmations(self, paths, members=None):
        raise StorageError("connection refused")


@pytest.fixture
def replace_storage(site):
    registry = getGlobalSiteManager()
    original = registry.getUtility(IClickStorage)

    def replace(kind):
        registry.registerUtility(kind(original), IClickStorage)

    yield replace
    registry.registerUtility(original, IClickStorage)


def test_storage_without_confirmations(functional, ada, site, replace_storage):
    ada.open(doc_url(site))
    token = token_of(ada)
    replace_storage(NoConfirmations)
    ada.open(doc_url(site))
    assert not has_element(ada, "clicktracker-confirm")
    submit(ada, confirm_url(site), _authenticator=token)
    assert "cannot be recorded with this storage" in portal_message(ada)
    manager = browser_as(functional, "manager")
    manager.open(f"{doc_url(site)}/@@tracking")
    assert element_text(manager, "readers-confirm-unavailable").endswith(
        "confirmations are not available with this storage."
    )
    assert has_element(manager, "readers-table")
    assert not tree(manager).xpath('//td[@class="confirmed"]')
    assert "confirmed" not in element_text(manager, "readers-headline")


def test_storage_failing(ada, site, replace_storage, caplog):
    ada.open(doc_url(site))
    token = token_of(ada)
    replace_storage(Failing)
    ada.open(doc_url(site))
    assert ada.headers["status"].startswith("200")
    assert not has_element(ada, "clicktracker-confirm")
    submit(ada, confirm_url(site), _authenticator=token)
    assert ada.url == doc_url(site)
    assert (
        "Your confirmation could not be recorded right now; please try again later."
        in portal_message(ada)
    )
    logged = [r.getMessage() for r in caplog.records]
    assert any("Could not record the confirmation" in m for m in logged)
    assert any("connection refused" in m for m in logged)


# -- the switch on the expected readers form ------------------------------------


LABEL = "Ask expected readers to confirm they have read it"


def test_the_switch_is_saved_and_shown(functional, site):
    manager = browser_as(functional, "manager")
    doc = site["folder"]["doc"]
    tab = f"{doc.absolute_url()}/@@tracking"
    manager.open(tab)
    # Inherited: the tab says confirmation is asked, where it says whence.
    assert element_text(manager, "expected-current-confirm") == (
        "Expected readers are asked to confirm they have read it."
    )
    form = manager.getForm(id="expected-form")
    form.getControl(name="readers_principals").value = "board"
    form.getControl(LABEL).selected = True
    form.getControl("Save expected readers").click()
    assert readers.own_expectation(fresh(doc)).confirm is True
    box = manager.getForm(id="expected-form").getControl(LABEL)
    assert box.selected  # shown ticked
    # Unticked: off.
    form = manager.getForm(id="expected-form")
    form.getControl(LABEL).selected = False
    form.getControl("Save expected readers").click()
    assert readers.own_expectation(fresh(doc)).confirm is False
    assert element_text(manager, "expected-current-confirm") == "not asked"


def test_a_post_without_the_checkbox_keeps_the_switch(functional, site):
    # An older script knows only principals and deadline.
    manager = browser_as(functional, "manager")
    doc = site["folder"]["doc"]
    readers.set_expectation(doc, ["board"], confirm=True)
    transaction.commit()
    tab = f"{doc.absolute_url()}/@@tracking"
    manager.open(tab)
    token = token_of(manager)
    submit(
        manager,
        tab,
        readers_action="save",
        readers_principals="editor",
        _authenticator=token,
    )
    own = readers.own_expectation(fresh(doc))
    assert own.principals == ("editor",)
    assert own.confirm is True
