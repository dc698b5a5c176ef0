"""@@clicktracker-callback answers every method but POST with 405, cleanly.

Zope's publisher takes every method but GET, POST and HEAD for WebDAV;
a real HTTP client sends each of them to the live server.
"""

from Products.SiteErrorLog.SiteErrorLog import IPubFailureSubscriber
from slc.clicktracker.testing import DESKTOP_UA
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from zope.component import getGlobalSiteManager
import logging
import pytest
import requests


OTHER_METHODS = [
    "GET",
    "HEAD",
    "PUT",
    "DELETE",
    "PATCH",
    "OPTIONS",
    "TRACE",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "BREW",  # no method of any standard: same answer
]


@pytest.fixture
def error_log(live_site):
    """The site's error log, fed as in a real instance (the test layers
    leave out Products.SiteErrorLog's subscriber)."""
    registry = getGlobalSiteManager()
    registry.registerHandler(IPubFailureSubscriber)
    yield live_site.error_log
    registry.unregisterHandler(IPubFailureSubscriber)


def tracebacks(caplog):
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]


def answer(url, method):
    """What ``method`` on ``url`` gets: (status, Allow header, body)."""
    response = requests.request(
        method,
        url,
        auth=(LIVE_MEMBER, LIVE_PASSWORD),
        headers={"User-Agent": DESKTOP_UA, "Destination": f"{url}-copy"},
        data="token=x&url=y" if method in ("PUT", "PATCH") else None,
        timeout=30,
    )
    return response.status_code, response.headers.get("Allow"), response.content


# A document, a folder, the site root: WebDAV treats items and containers
# differently.
@pytest.mark.parametrize("target", ["meeting/minutes", "meeting", ""])
def test_other_methods_get_405(live_site, error_log, caplog, target):
    url = f"{live_site.absolute_url()}/{target}".rstrip("/")
    caplog.set_level(logging.INFO)
    answers = {
        method: answer(f"{url}/@@clicktracker-callback", method)
        for method in OTHER_METHODS
    }
    assert answers == dict.fromkeys(OTHER_METHODS, (405, "POST", b""))
    assert tracebacks(caplog) == []
    assert error_log.getLogEntries() == []


def test_anonymous_put_also_405(live_site, error_log, caplog):
    url = f"{live_site.absolute_url()}/meeting/minutes/@@clicktracker-callback"
    response = requests.put(url, data="x", timeout=30)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert tracebacks(caplog) == []
    assert error_log.getLogEntries() == []
