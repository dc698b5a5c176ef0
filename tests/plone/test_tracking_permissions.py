"""Who may switch tracking, read the access log and download it."""

from lxml import html
from plone import api
from plone.testing.zope import Browser
from tests.plone.helpers import DAY
from tests.plone.helpers import ROLE_PASSWORD
from tests.plone.helpers import browser_as
from tests.plone.helpers import csv_rows
from tests.plone.helpers import hit
from tests.plone.helpers import is_tracked_directly
from tests.plone.helpers import log_rows
from tests.plone.helpers import submit
from tests.plone.helpers import tab_urls
from zExceptions import Unauthorized
import pytest
import transaction


VIEW_ACCESS_LOG = "slc.clicktracker: View access log"

# login name -> (may switch tracking, may read the log)
MATRIX = {
    "member": (False, False),
    "editor": (True, False),
    "siteadmin": (True, True),
    "manager": (True, True),
}


@pytest.fixture
def logged(storage):
    hit(storage, "member", "/plone/folder/doc", DAY)
    return storage


def page_url(obj):
    return f"{obj.absolute_url()}/@@tracking"


def has_element(browser, element_id):
    return bool(html.fromstring(browser.contents).xpath(f'//*[@id="{element_id}"]'))


def any_token(browser):
    """An authenticator of this user from any form of the page."""
    tree = html.fromstring(browser.contents)
    return tree.xpath('//input[@name="_authenticator"]/@value')[0]


@pytest.mark.parametrize(("name", "rights"), MATRIX.items())
def test_page(functional, roles_site, logged, name, rights):
    can_manage, can_view_log = rights
    browser = browser_as(functional, name)
    url = page_url(roles_site["folder"])
    if not (can_manage or can_view_log):
        with pytest.raises(Unauthorized):
            browser.open(url)
        return
    browser.open(url)
    assert has_element(browser, "tracking-status")
    assert has_element(browser, "tracking-toggle") is can_manage
    assert has_element(browser, "tracking-log") is can_view_log
    assert [r["member"] for r in log_rows(browser)] == (
        ["member"] if can_view_log else []
    )
    assert ("Ada Member" in browser.contents) is can_view_log


@pytest.mark.parametrize(("name", "rights"), MATRIX.items())
def test_toggle(functional, roles_site, name, rights):
    can_manage, _can_view_log = rights
    browser = browser_as(functional, name)
    doc = roles_site["folder"]["doc"]
    if not can_manage:
        # No page, hence no token: the request is refused before that check.
        with pytest.raises(Unauthorized):
            submit(browser, page_url(doc), tracking_action="enable")
        assert not is_tracked_directly(doc)
        return
    browser.open(page_url(doc))
    browser.getControl("Enable tracking").click()
    assert is_tracked_directly(doc)
    browser.getControl("Disable tracking").click()
    assert not is_tracked_directly(doc)


@pytest.mark.parametrize(("name", "rights"), MATRIX.items())
def test_csv(functional, roles_site, logged, name, rights):
    _can_manage, can_view_log = rights
    browser = browser_as(functional, name)
    url = f"{page_url(roles_site['folder'])}?format=csv"
    if not can_view_log:
        with pytest.raises(Unauthorized):
            browser.open(url)
        return
    browser.open(url)
    # User ID is the second column, as in the table (issue 11, item 12).
    assert [row[1] for row in csv_rows(browser)[1:]] == ["member"]


@pytest.mark.parametrize(("name", "rights"), MATRIX.items())
def test_tab(functional, roles_site, name, rights):
    browser = browser_as(functional, name)
    doc = roles_site["folder"]["doc"]
    browser.open(doc.absolute_url())
    expected = [page_url(doc)] if any(rights) else []
    assert tab_urls(browser) == expected


def test_member_gets_plones_insufficient_privileges_page(functional, roles_site):
    browser = browser_as(functional, "member")
    browser.handleErrors = True
    browser.raiseHttpErrors = False
    browser.open(page_url(roles_site["folder"]))
    assert browser.url.endswith("/insufficient-privileges")
    assert "Insufficient Privileges" in browser.contents
    assert "Traceback" not in browser.contents


def test_anonymous_is_sent_to_login(functional, roles_site):
    browser = Browser(functional["app"])
    browser.handleErrors = False
    with pytest.raises(Unauthorized):
        browser.open(page_url(roles_site))


def test_local_editor_manages_only_where_granted(functional, roles_site):
    folder = roles_site["folder"]
    api.user.grant_roles(username="member", obj=folder, roles=["Editor"])
    transaction.commit()
    browser = browser_as(functional, "member")
    browser.open(page_url(folder))
    browser.getControl("Enable tracking").click()
    assert is_tracked_directly(folder)
    assert not has_element(browser, "tracking-log")
    with pytest.raises(Unauthorized):
        browser.open(page_url(roles_site))


def test_log_reader_without_manage_permission(functional, roles_site, logged):
    # A role that may read the log but not switch tracking (e.g. an auditor).
    roles_site.manage_permission(
        VIEW_ACCESS_LOG, ["Manager", "Site Administrator", "Reviewer"], acquire=True
    )
    api.user.create(
        email="auditor@example.org",
        username="auditor",
        password=ROLE_PASSWORD,
        roles=["Member", "Reviewer"],
    )
    transaction.commit()
    browser = browser_as(functional, "auditor")
    doc = roles_site["folder"]["doc"]
    browser.open(page_url(roles_site["folder"]))
    assert not has_element(browser, "tracking-toggle")
    assert [r["member"] for r in log_rows(browser)] == ["member"]
    token = any_token(browser)
    with pytest.raises(Unauthorized):
        submit(browser, page_url(doc), tracking_action="enable", _authenticator=token)
    assert not is_tracked_directly(doc)


def test_forbidden_post_is_a_clean_error_page(functional, roles_site):
    browser = browser_as(functional, "manager")
    browser.handleErrors = True
    browser.raiseHttpErrors = False
    doc = roles_site["folder"]["doc"]
    submit(browser, page_url(doc), tracking_action="enable")
    assert browser.headers["status"].startswith("403")
    body = browser.contents
    body = body.decode("utf-8") if isinstance(body, bytes) else body
    assert "Traceback" not in body
    assert not is_tracked_directly(doc)
