"""A member deleted from Plone (issue 15): their data is erased, or given a
pseudonym, or kept, as ``on_member_deleted`` says, once the deletion is
committed; a database failure never stops the deletion. Reports name the
rows of a removed member by the stored id, marked as removed."""

from plone import api
from Products.PluggableAuthService.events import PrincipalDeleted
from slc.clicktracker.privacy import settings
from slc.clicktracker.storage.privacy import pseudonym
from slc.clicktracker.tokens import ANONYMOUS
from tests.plone.helpers import DAY
from tests.plone.helpers import hit
from tests.plone.helpers import log_rows
from tests.plone.helpers import open_browser
from tests.plone.helpers import tree
from urllib.parse import urlencode
from zope.event import notify
import logging
import pytest
import transaction


@pytest.fixture
def site(functional, tracked_content, storage):
    """alice and bob (members) have read the document."""
    for member in ("alice", "alice", "bob"):
        hit(storage, member, "/plone/folder/doc", DAY)
    return tracked_content


def rows_of(storage, member):
    """Rows of every table about ``member``."""
    transaction.begin()
    return sum(len(rows) for rows in storage.member_data(member).values())


def hits_of(storage, member):
    transaction.begin()
    return len(storage.member_data(member)["hits"])


def delete(username):
    with api.env.adopt_roles(["Manager"]):
        api.user.delete(username=username)
    transaction.commit()


def set_on_deleted(value):
    api.portal.set_registry_record("slc.clicktracker.on_member_deleted", value)
    transaction.commit()


def test_erased_by_default(site, storage, caplog):
    with caplog.at_level(logging.INFO, logger="slc.clicktracker"):
        delete("alice")
    assert api.user.get(username="alice") is None
    assert rows_of(storage, "alice") == 0
    assert hits_of(storage, "bob") == 1
    assert any(
        "erased the data of member 'alice' (member deleted from the site)" in m
        for m in caplog.messages
    )


def test_nothing_happens_before_the_commit(site, storage):
    with api.env.adopt_roles(["Manager"]):
        api.user.delete(username="alice")
    transaction.abort()
    assert api.user.get(username="alice") is not None
    assert hits_of(storage, "alice") == 2


def test_pseudonymised(site, storage):
    set_on_deleted("pseudonymise")
    delete("alice")
    name = pseudonym("alice", settings.read().key)
    assert name.startswith("~")
    assert rows_of(storage, "alice") == 0
    assert hits_of(storage, name) == 2


def test_kept_and_shown_as_removed(site, storage, functional):
    set_on_deleted("keep")
    delete("alice")
    assert hits_of(storage, "alice") == 2
    browser = open_browser(functional)
    browser.addHeader("Authorization", "Basic admin:secret")
    browser.open(f"{site['folder'].absolute_url()}/@@tracking")
    found = {row["member"]: row["fullname"] for row in log_rows(browser)}
    assert found == {"alice": "alice (removed)", "bob": "bob"}


def test_database_failure_does_not_block(site, storage, functional, caplog):
    functional["pg_cluster"].drop_database(functional["pg_dbname"])
    with caplog.at_level(logging.INFO, logger="slc.clicktracker"):
        delete("alice")
    transaction.begin()
    assert api.user.get(username="alice") is None
    assert any(
        "Data of the deleted member 'alice' not erased" in m for m in caplog.messages
    )


def test_erased_once_when_notified_twice(site, storage, caplog):
    with caplog.at_level(logging.INFO, logger="slc.clicktracker"):
        with api.env.adopt_roles(["Manager"]):
            api.user.delete(username="alice")
        notify(PrincipalDeleted("alice"))  # as a second user manager plugin would
        transaction.commit()
    audits = [m for m in caplog.messages if m.startswith("Privacy audit")]
    assert len(audits) == 1
    assert rows_of(storage, "alice") == 0


def test_anonymous_and_sites_without_the_settings_are_left_alone(site, storage):
    hit(storage, ANONYMOUS, "/plone/folder/doc", DAY)
    notify(PrincipalDeleted(ANONYMOUS))
    registry = api.portal.get_tool("portal_registry")
    del registry.records["slc.clicktracker.on_member_deleted"]
    notify(PrincipalDeleted("bob"))  # as in a site without the add-on
    transaction.commit()
    assert hits_of(storage, "bob") == 1
    transaction.begin()
    assert len(storage.getLog("/plone/folder/doc")) == 3  # alice, bob, anonymous


def test_deleted_in_the_users_control_panel(site, storage, owner_browser):
    owner_browser.open(f"{site['portal'].absolute_url()}/@@usergroup-userprefs")
    (token,) = tree(owner_browser).xpath('//input[@name="_authenticator"]/@value')[:1]
    fields = {
        "form.submitted": "1",
        "form.button.Modify": "Apply changes",
        "users.id:records": "alice",
        "delete:list": "alice",
        "_authenticator": token,
    }
    owner_browser.post(
        f"{site['portal'].absolute_url()}/@@usergroup-userprefs", urlencode(fields)
    )
    transaction.begin()
    assert api.user.get(username="alice") is None
    assert rows_of(storage, "alice") == 0
    assert hits_of(storage, "bob") == 1
