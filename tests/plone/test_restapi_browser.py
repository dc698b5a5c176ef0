"""The headless snippet (static/clicktracker-rest.js) in a real browser.

A page outside Classic UI, served by a web server of its own (another
origin: the REST API answers it through plone.rest's CORS policy, see
``HEADLESS_TESTING``), logs in with a JWT from ``@login`` and reports views
through ``@tracking`` and ``@hit`` only, as a Volto site or any other
headless frontend does. docs/volto.rst shows PAGE as the example page.
"""

from pathlib import Path
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from pytest_plone import fixtures_factory
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.testing.layers import HEADLESS_TESTING
from tests.helpers import desktop_page
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from urllib.parse import urlencode
from zope.component import getUtility
import json
import pytest
import re
import requests
import shutil
import time
import transaction


pytestmark = pytest.mark.browser

globals().update(fixtures_factory(((HEADLESS_TESTING, "headless"),)))

SNIPPET = (
    Path(__file__).resolve().parents[2]
    / "src/slc/clicktracker/browser/static/clicktracker-rest.js"
)

# docs/volto.rst shows this page (from its doctype to its end).
PAGE = """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>A headless frontend</title>
  <link rel="icon" href="data:,">
</head>
<body>
<form id="login">
  <input name="login" autocomplete="username">
  <input name="password" type="password" autocomplete="current-password">
  <button>Log in</button>
</form>
<script type="module">
  import { trackView } from "./clicktracker-rest.js";

  // The site's REST API and the item shown: ?api=https://example.org/Plone&path=/a/b
  const query = new URLSearchParams(location.search);
  const apiUrl = query.get("api");
  let jwt = "";

  // What the frontend's router does on every route change.
  window.show = (contentPath) =>
    trackView({ apiUrl, contentPath, headers: { Authorization: `Bearer ${jwt}` } });

  document.getElementById("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await fetch(`${apiUrl}/@login`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(Object.fromEntries(new FormData(event.target))),
    });
    jwt = (await answer.json()).token;
    window.shown = show(query.get("path"));
  });
</script>
</body>
</html>
"""

# Lets the test hide and show the page, as a member switching tabs.
VISIBILITY = """
(() => {
  let state = 'hidden';
  Object.defineProperty(document, 'visibilityState', {get: () => state});
  window.__setVisibility = (next) => {
    state = next;
    document.dispatchEvent(new Event('visibilitychange'));
  };
})();
"""


@pytest.fixture
def site(headless):
    """carol, a tracked folder with two documents, an untracked one; the
    page and the snippet on the frontend's server."""
    portal = headless["portal"]
    api.portal.set_registry_record("slc.clicktracker.dsn", headless["pg_dsn"])
    transaction.commit()
    getUtility(IClickStorage).setup_database()
    with api.env.adopt_roles(["Manager"]):
        api.user.create(
            username=LIVE_MEMBER, email="carol@example.org", password=LIVE_PASSWORD
        )
        folder = api.content.create(
            container=portal, type="Folder", id="meeting", title="Meeting"
        )
        tracking.enable(folder)
        for docid in ("minutes", "agenda"):
            api.content.create(container=folder, type="Document", id=docid)
        api.content.create(container=portal, type="Document", id="news")
        for obj in (folder, folder["minutes"], folder["agenda"], portal["news"]):
            api.content.transition(obj, "publish")
    transaction.commit()
    frontend = Path(headless["frontend_dir"])
    (frontend / "page.html").write_text(PAGE, encoding="utf-8")
    shutil.copy(SNIPPET, frontend / "clicktracker-rest.js")
    return portal


@pytest.fixture
def page(chromium):
    yield from desktop_page(chromium)


@pytest.fixture
def errors(page):
    """What the page wrote to its console as errors, and what it threw."""
    found = []
    page.on("console", lambda m: m.type == "error" and found.append(m.text))
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


def views(site):
    """[(member, path, count)] of the site's access log, as a Manager gets
    it from ``@tracking-log``."""
    answer = requests.get(
        f"{site.absolute_url()}/@tracking-log",
        params={"sort_on": "document"},
        headers={"Accept": "application/json"},
        auth=(SITE_OWNER_NAME, SITE_OWNER_PASSWORD),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text[:500]
    return [
        (row["member"], row["document"]["path"], row["count"])
        for row in answer.json()["items"]
    ]


def wait_for(site, done, timeout=15):
    deadline = time.monotonic() + timeout
    rows = views(site)
    while not done(rows) and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = views(site)
    return rows


def log_in(page, headless, site, path="/meeting/minutes"):
    """Open the frontend's page for ``path`` and log in as carol there."""
    args = urlencode({"api": site.absolute_url(), "path": path})
    page.goto(f"{headless['frontend_url']}/page.html?{args}")
    page.fill("[name=login]", LIVE_MEMBER)
    page.fill("[name=password]", LIVE_PASSWORD)
    page.click("button")
    page.wait_for_function("!!window.shown")


def test_the_snippet_is_a_resource_of_the_site(site):
    answer = requests.get(
        f"{site.absolute_url()}/++resource++slc.clicktracker/clicktracker-rest.js",
        timeout=10,
    )
    assert answer.status_code == 200
    assert "javascript" in answer.headers["Content-Type"]
    assert answer.content == SNIPPET.read_bytes()


def test_a_headless_page_records_exactly_one_view(page, errors, headless, site):
    log_in(page, headless, site)
    sent = page.evaluate("window.shown")
    assert sent["url"] == f"{site.absolute_url()}/meeting/minutes/@hit"
    assert len(sent["view"].split("_")) == 4
    expected = [(LIVE_MEMBER, "/plone/meeting/minutes", 1)]
    assert wait_for(site, lambda rows: rows) == expected
    # An untracked item: nothing sent, nothing stored.
    assert page.evaluate("show('/news')") is None
    time.sleep(0.5)
    assert views(site) == expected
    assert errors == []


def test_a_route_change_reports_where_the_member_came_from(
    page, errors, headless, site
):
    posted = []
    page.on(
        "request",
        lambda r: r.url.endswith("/@hit") and posted.append(r.post_data_json),
    )
    log_in(page, headless, site)
    first = page.url
    page.evaluate("window.shown")
    # The frontend's router moves on to the agenda.
    page.evaluate("history.pushState({}, '', '/agenda.html')")
    page.evaluate("show('/meeting/agenda')")
    assert [(p["url"], p["referrer"]) for p in posted] == [
        (first, ""),
        (f"{headless['frontend_url']}/agenda.html", first),
    ]
    assert wait_for(site, lambda rows: len(rows) == 2) == [
        (LIVE_MEMBER, "/plone/meeting/agenda", 1),
        (LIVE_MEMBER, "/plone/meeting/minutes", 1),
    ]
    assert errors == []


def test_it_waits_until_the_page_is_seen(page, errors, headless, site):
    page.add_init_script(VISIBILITY)
    log_in(page, headless, site)
    # The member moved on to the agenda before looking at the minutes.
    page.evaluate("() => { window.next = show('/meeting/agenda'); }")
    time.sleep(1)
    assert views(site) == []
    page.evaluate("__setVisibility('visible')")
    assert page.evaluate("window.shown") is None
    assert page.evaluate("window.next")["view"]
    expected = [(LIVE_MEMBER, "/plone/meeting/agenda", 1)]
    assert wait_for(site, lambda rows: rows) == expected
    # Shown again from the back/forward cache: a second view.
    page.evaluate(
        "dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))"
    )
    rows = wait_for(site, lambda rows: rows[0][2] == 2)
    assert rows == [(LIVE_MEMBER, "/plone/meeting/agenda", 2)]
    assert errors == []


def test_an_expired_token_is_exchanged_once(page, errors, headless, site):
    minutes = site["meeting"]["minutes"]
    expired = tokens.make_token(LIVE_MEMBER, minutes, site, now=time.time() - 86400)

    def stale(route):
        # The answer as a cached or long open page would have it.
        answer = route.fetch()
        body = answer.json()
        body["hit"]["token"] = expired
        route.fulfill(response=answer, body=json.dumps(body))

    page.route("**/meeting/minutes/@tracking", stale)
    log_in(page, headless, site)
    sent = page.evaluate("window.shown")
    assert sent["token"] != expired
    assert wait_for(site, lambda rows: rows) == [
        (LIVE_MEMBER, "/plone/meeting/minutes", 1)
    ]
    assert errors == []


def test_the_docs_show_the_tested_code():
    """docs/volto.rst includes the snippet and PAGE; its includes must find them."""
    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs/volto.rst").read_text(encoding="utf-8")
    includes = re.findall(
        r"\.\. literalinclude:: (\S+)\n((?:   :.*\n)*)", docs, flags=re.M
    )
    found = {}
    for path, options in includes:
        text = (root / "docs" / path).resolve().read_text(encoding="utf-8")
        marks = dict(re.findall(r"   :([\w-]+): ?(.*)", options))
        if "start-at" in marks:
            start = text.index(marks["start-at"])
            text = text[start : text.index(marks["end-at"], start)]
        found[Path(path).name] = text
    assert found["clicktracker-rest.js"] == SNIPPET.read_text(encoding="utf-8")
    assert found["test_restapi_browser.py"] + "</html>\n" == PAGE
