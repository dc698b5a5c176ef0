"""The member data page and "My reading data" (issue 15): a manager sees
what is stored about any member id, downloads it, erases or pseudonymises
it through a confirmation page and a CSRF-checked POST (with an audit line
in the log); each member sees and downloads their own."""

from plone import api
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.privacy import settings
from slc.clicktracker.storage.privacy import pseudonym
from tests.plone.helpers import DAY
from tests.plone.helpers import ListStorage
from tests.plone.helpers import hit
from tests.plone.helpers import open_browser
from tests.plone.helpers import text
from tests.plone.helpers import tree
from urllib.parse import urlencode
from zExceptions import Forbidden
from zExceptions import Unauthorized
from zope.component import getGlobalSiteManager
import io
import json
import logging
import pytest
import transaction
import zipfile


@pytest.fixture
def site(functional, tracked_content, storage):
    """Hits of alice (2) and bob (1); "gone" was a member, no user now."""
    for member, when in (("alice", DAY), ("alice", DAY), ("bob", DAY), ("gone", DAY)):
        hit(storage, member, "/plone/folder/doc", when)
    return tracked_content


@pytest.fixture
def page(functional):
    return f"{functional['portal'].absolute_url()}/@@clicktracker-member-data"


def rows_of(storage, member):
    """Rows of every table about ``member``."""
    return sum(len(rows) for rows in storage.member_data(member).values())


def hits_of(storage, member):
    return len(storage.member_data(member)["hits"])


def summary(browser):
    return {
        text(tr.xpath("td/code")[0]): int(
            text(tr.xpath("td[@class='text-end rows']")[0])
        )
        for tr in tree(browser).xpath('//table[@id="member-data-table"]/tbody/tr')
    }


def messages(browser):
    found = tree(browser).xpath('//*[contains(@class, "portalMessage")]')
    return " ".join(text(e) for e in found)


def confirm_form(browser):
    """The confirmation page's hidden fields, as the browser would POST them."""
    (form,) = tree(browser).xpath('//section[@id="member-data-confirm"]//form')
    return form.get("action"), {
        i.get("name"): i.get("value") for i in form.xpath(".//input")
    }


def test_summary_and_downloads(site, owner_browser, page, storage):
    owner_browser.open(f"{page}?member=alice")
    found = summary(owner_browser)
    assert found["hits"] == 2
    assert owner_browser.getLink(id="member-data-erase")

    owner_browser.open(f"{page}?member=alice&format=json")
    assert owner_browser.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "reading-data-alice.json" in owner_browser.headers["Content-Disposition"]
    data = json.loads(owner_browser.contents)
    assert len(data["hits"]) == 2

    owner_browser.open(f"{page}?member=alice&format=zip")
    assert owner_browser.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(owner_browser.contents)) as archive:
        names = archive.namelist()
        hits_csv = next(n for n in names if n.startswith("hits"))
        assert archive.read(hits_csv).decode("utf-8-sig").count("alice") >= 2


def test_erase_through_confirmation(site, owner_browser, page, storage, caplog):
    owner_browser.open(f"{page}?member=alice&action=erase")
    assert "Erase everything stored about" in owner_browser.contents
    action, fields = confirm_form(owner_browser)
    assert fields["member"] == "alice" and fields["action"] == "erase"
    # A forged request (no token) changes nothing.
    with pytest.raises(Forbidden):
        owner_browser.post(action, urlencode({"member": "alice", "action": "erase"}))
    assert rows_of(storage, "alice") > 0

    with caplog.at_level(logging.INFO, logger="slc.clicktracker"):
        owner_browser.post(action, urlencode(fields))
    erased = rows_of(storage, "alice")
    assert erased == 0
    assert "rows erased" in messages(owner_browser)
    assert hits_of(storage, "bob") == 1
    (audit,) = [
        r.getMessage() for r in caplog.records if "Privacy audit" in r.getMessage()
    ]
    assert "admin erased the data of member 'alice'" in audit
    assert "hits=2" in audit


def test_erase_a_removed_member(site, owner_browser, page, storage):
    owner_browser.open(f"{page}?member=gone")
    assert "gone (removed)" in text(
        tree(owner_browser).get_element_by_id("member-data-summary")
    )
    owner_browser.open(f"{page}?member=gone&action=erase")
    action, fields = confirm_form(owner_browser)
    owner_browser.post(action, urlencode(fields))
    assert rows_of(storage, "gone") == 0


def test_pseudonymise_through_confirmation(site, owner_browser, page, storage):
    owner_browser.open(f"{page}?member=bob&action=pseudonymise")
    action, fields = confirm_form(owner_browser)
    owner_browser.post(action, urlencode(fields))
    transaction.begin()
    name = pseudonym("bob", settings.read().key)
    assert rows_of(storage, "bob") == 0
    assert hits_of(storage, name) == 1
    assert name in messages(owner_browser)
    # A pseudonym is not pseudonymised again.
    owner_browser.open(f"{page}?member={name}&action=pseudonymise")
    assert "a pseudonym already" in owner_browser.contents
    assert not tree(owner_browser).xpath('//*[@id="member-data-confirm"]')


def test_pseudonymise_old_data(site, owner_browser, page, storage):
    owner_browser.open(page)
    assert "Pseudonymising old data is off" in owner_browser.contents
    api.portal.set_registry_record("slc.clicktracker.pseudonymise_after_days", 30)
    transaction.commit()
    owner_browser.open(page)
    owner_browser.getLink(id="member-data-old-button").click()
    action, fields = confirm_form(owner_browser)
    owner_browser.post(action, urlencode(fields))
    assert "older than 30 days pseudonymised" in messages(owner_browser)
    transaction.begin()
    assert rows_of(storage, "alice") == 0
    assert hits_of(storage, pseudonym("alice", settings.read().key)) == 2


def test_bad_ids_are_refused_clearly(site, owner_browser, page):
    owner_browser.open(f"{page}?member={'x' * 300}")
    assert "too long to be a user id" in owner_browser.contents
    owner_browser.open(f"{page}?member=(anonymous)&action=erase")
    assert "Anonymous visitors are no member" in owner_browser.contents
    assert not tree(owner_browser).xpath('//*[@id="member-data-confirm"]')


def test_only_managers(site, functional, page):
    alice = open_browser(functional, "alice")
    alice.handleErrors = True  # Plone's own answer to a logged-in member
    alice.open(f"{page}?member=bob")
    assert alice.url.endswith("/insufficient-privileges")
    assert "member-data-table" not in alice.contents


def test_storage_without_privacy(site, owner_browser, page):
    registry = getGlobalSiteManager()
    original = registry.getUtility(IClickStorage)
    registry.registerUtility(ListStorage(), IClickStorage)
    try:
        owner_browser.open(f"{page}?member=alice")
        assert (
            tree(owner_browser).get_element_by_id("member-data-unavailable") is not None
        )
        assert "Traceback" not in owner_browser.contents
    finally:
        registry.registerUtility(original, IClickStorage)


# -- My reading data ----------------------------------------------------------


def test_my_reading_data(site, functional):
    url = f"{functional['portal'].absolute_url()}/@@my-reading-data"
    alice = open_browser(functional, "alice")
    alice.open(url)
    rows = tree(alice).xpath('//table[@id="my-data-table"]//td[@class="text-end rows"]')
    assert sum(int(text(td)) for td in rows) == sum(
        len(r) for r in json.loads(_download(alice, f"{url}?format=json")).values()
    )
    data = json.loads(_download(alice, f"{url}?format=json"))
    assert {row["member"] for row in data["hits"]} == {"alice"}
    with zipfile.ZipFile(io.BytesIO(_download(alice, f"{url}?format=zip"))) as archive:
        assert archive.namelist()
    # The personal menu links it.
    alice.open(functional["portal"].absolute_url())
    assert alice.getLink(url=url)


def test_my_reading_data_needs_a_login(site, functional):
    url = f"{functional['portal'].absolute_url()}/@@my-reading-data"
    with pytest.raises(Unauthorized):
        open_browser(functional).open(url)


def _download(browser, url):
    browser.open(url)
    return browser.contents
