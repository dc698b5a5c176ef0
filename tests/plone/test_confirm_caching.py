""" "I have read this" behind plone.app.caching (issue 12): pages a member's
browser holds (revalidated by ETag) show the box once an editor asks for
confirmation, and the page after confirming is fresh.
"""

from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.testing.layers import CACHING_PRESETS
from slc.clicktracker.testing.layers import use_caching
from tests.plone.helpers import open_browser
from tests.plone.helpers import published_content
from tests.plone.helpers import submit
from tests.plone.helpers import tree
from zope.component import getUtility
import pytest
import transaction


@pytest.fixture
def site(caching_functional):
    """alice is expected to read the tracked folder; nobody is asked to
    confirm yet."""
    content = published_content(caching_functional, "The doc")
    api.portal.set_registry_record("slc.clicktracker.dsn", caching_functional["pg_dsn"])
    transaction.commit()
    getUtility(IClickStorage).setup_database()
    tracking.enable(content["folder"])
    readers.set_expectation(content["folder"], ["alice"])
    transaction.commit()
    return content


def browser_for(functional, user):
    browser = open_browser(functional, user)
    # plone.caching answers 304s by raising Intercepted, which its
    # exception view turns into the response.
    browser.handleErrors = True
    return browser


def revalidate(browser, url, etag):
    """GET ``url`` as a browser does that holds a copy with ETag ``etag``."""
    browser.addHeader("If-None-Match", etag)
    browser.open(url)
    return browser.headers["status"]


def token_of(browser):
    return tree(browser).xpath('//input[@name="_authenticator"]')[0].get("value")


def set_confirm(functional, folder, confirm):
    """Save the expected readers form as an editor does."""
    owner = open_browser(functional)
    owner.addHeader("Authorization", f"Basic {SITE_OWNER_NAME}:{SITE_OWNER_PASSWORD}")
    tab = f"{folder.absolute_url()}/@@tracking"
    owner.open(tab)
    fields = {"readers_confirm": "1"} if confirm else {}
    submit(
        owner,
        tab,
        _authenticator=token_of(owner),
        readers_action="save",
        readers_principals="alice",
        readers_confirm_shown="1",
        **fields,
    )
    assert owner.headers["status"].startswith("200")


@pytest.mark.parametrize("preset", CACHING_PRESETS)
# The site root is not catalogued: saving there moves no catalog counter
# by itself.
@pytest.mark.parametrize("where", ["folder", "portal"])
def test_asking_for_confirmation_reaches_cached_pages(
    caching_functional, site, preset, where
):
    use_caching(site["portal"], preset)
    if where == "portal":
        readers.clear_expectation(site["folder"])
        readers.set_expectation(site["portal"], ["alice"])
    transaction.commit()
    url = site["doc"].absolute_url()
    alice = browser_for(caching_functional, "alice")
    alice.open(url)
    assert "clicktracker-confirm" not in alice.contents
    etag = alice.headers["ETag"]
    assert revalidate(alice, url, etag).startswith("304")

    set_confirm(caching_functional, site[where], True)
    assert revalidate(alice, url, etag).startswith("200")
    assert 'id="clicktracker-confirm-button"' in alice.contents
    etag = alice.headers["ETag"]

    # Confirming: the page after it is fresh, with the time, not the button.
    submit(alice, f"{url}/@@clicktracker-confirm", _authenticator=token_of(alice))
    assert alice.url == url
    assert "You confirmed reading this on" in alice.contents
    assert 'id="clicktracker-confirm-button"' not in alice.contents

    # Switched off again: gone from the page alice holds.
    etag = alice.headers["ETag"]
    set_confirm(caching_functional, site[where], False)
    assert revalidate(alice, url, etag).startswith("200")
    assert "clicktracker-confirm" not in alice.contents
