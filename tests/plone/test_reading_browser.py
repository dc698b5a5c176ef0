"""Reading time and depth measured by the script in a real browser (issue 13).

Playwright's clock drives the page's time (``Date.now`` and timers), so a
test reads "for a minute" in a moment and the stored seconds are exact
within a second or two. Visibility is switched by the test (headless
Chromium always says "visible"), as a reader switching tabs would.
"""

from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from plone.app.textfield.value import RichTextValue
from slc.clicktracker.testing import DESKTOP_UA
from tests.helpers import CHROMIUM
from tests.helpers import CHROMIUM_ARGS
from tests.helpers import desktop_page
from tests.helpers import login
from tests.helpers import screenshots
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from tests.unit.helpers import query
import pytest
import time
import transaction


pytestmark = pytest.mark.browser

# Lets the test hide and show the page: document.visibilityState and a
# visibilitychange event, as when the reader switches tabs.
VISIBILITY = """
(() => {
  let state = 'visible';
  Object.defineProperty(document, 'visibilityState', {get: () => state});
  Object.defineProperty(document, 'hidden', {get: () => state !== 'visible'});
  window.__setVisibility = (next) => {
    state = next;
    document.dispatchEvent(new Event('visibilitychange'));
  };
})();
"""

LONG_TEXT = "".join(
    f"<h2>Item {n}</h2><p>{'The board discusses the budget line by line. ' * 12}</p>"
    for n in range(40)
)


@pytest.fixture(scope="module")
def desktop_chromium(chromium):
    """Chromium whose own User-Agent is a desktop browser's: a beacon sent
    while a page unloads leaves without the context's User-Agent override,
    and "HeadlessChrome" would be refused as a bot. Started by the session's
    Playwright (a second one cannot run beside it)."""
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, f"--user-agent={DESKTOP_UA}"],
    )
    yield browser
    browser.close()


@pytest.fixture
def page(desktop_chromium):
    yield from desktop_page(desktop_chromium)


@pytest.fixture
def reading_site(live_site):
    with api.env.adopt_roles(["Manager"]):
        minutes = live_site["meeting"]["minutes"]
        minutes.text = RichTextValue(LONG_TEXT, "text/html", "text/x-html-safe")
        minutes.reindexObject()
    transaction.commit()
    return live_site


def clicks(dsn, path):
    """(seconds, depth, reached_end) of the clicks on the document at path."""
    return query(
        dsn,
        "SELECT h.seconds, h.depth, h.reached_end FROM clicktracker.hits h"
        " JOIN clicktracker.documents d ON d.id = h.document_id"
        " WHERE d.path = %s ORDER BY h.id",
        (path,),
    )


def wait_for(dsn, path, done, timeout=15):
    """The clicks once ``done(clicks)`` holds (or the last seen, after timeout)."""
    deadline = time.monotonic() + timeout
    rows = clicks(dsn, path)
    while not done(rows) and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = clicks(dsn, path)
    return rows


def open_page(page, site, docid):
    page.add_init_script(VISIBILITY)
    login(page, site.absolute_url(), LIVE_MEMBER, LIVE_PASSWORD)
    # The page's clock stands still but for run_for: time is the test's.
    now = time.time()
    page.clock.install(time=now)
    page.clock.pause_at(now)
    page.goto(f"{site.absolute_url()}/meeting/{docid}")


def active_for(page, seconds, step=10):
    """The reader moves the pointer every ``step`` seconds for ``seconds``."""
    for n in range(0, seconds, step):
        page.mouse.move(100 + n % 200, 200 + n % 100)
        page.clock.run_for(step * 1000)


def test_active_time_counts_and_idle_time_does_not(page, reading_site, acceptance):
    dsn, path = acceptance["pg_dsn"], "/plone/meeting/minutes"
    open_page(page, reading_site, "minutes")
    assert wait_for(dsn, path, lambda rows: rows) == [(None, None, None)]
    active_for(page, 60)
    # The heartbeat reported while the page stayed open.
    rows = wait_for(dsn, path, lambda rows: (rows[0][0] or 0) >= 45)
    assert 45 <= rows[0][0] <= 61, rows
    # Two idle minutes: only the 30 seconds after the last activity count.
    page.clock.run_for(120_000)
    page.evaluate("__setVisibility('hidden')")
    rows = wait_for(dsn, path, lambda rows: (rows[0][0] or 0) >= 78)
    ((seconds, depth, reached_end),) = rows
    assert 78 <= seconds <= 82, rows
    # A long text: the reader saw its beginning only.
    assert 0 < depth < 50 and reached_end is False, rows
    # Hidden, time does not count; back again, it does.
    page.clock.run_for(300_000)
    page.evaluate("__setVisibility('visible')")
    active_for(page, 20)
    page.evaluate("__setVisibility('hidden')")
    rows = wait_for(dsn, path, lambda rows: (rows[0][0] or 0) >= 98)
    assert 98 <= rows[0][0] <= 104, rows


def test_scrolling_to_the_end_reaches_it(page, reading_site, acceptance):
    dsn, path = acceptance["pg_dsn"], "/plone/meeting/minutes"
    open_page(page, reading_site, "minutes")
    wait_for(dsn, path, lambda rows: rows)
    page.evaluate("scrollTo({top: document.body.scrollHeight, behavior: 'instant'})")
    page.wait_for_timeout(500)  # the observer's (real) frame
    page.clock.run_for(2000)
    # Leaving the page reports too (pagehide).
    page.goto(f"{reading_site.absolute_url()}/news")
    (row,) = wait_for(dsn, path, lambda rows: rows[0][2])
    assert row[1:] == (100, True)


def test_a_short_page_is_read_to_the_end_at_once(page, reading_site, acceptance):
    dsn, path = acceptance["pg_dsn"], "/plone/meeting/agenda"
    open_page(page, reading_site, "agenda")
    wait_for(dsn, path, lambda rows: rows)
    page.clock.run_for(5000)
    page.evaluate("__setVisibility('hidden')")
    (row,) = wait_for(dsn, path, lambda rows: rows[0][2])
    assert row[1:] == (100, True)
    assert 4 <= row[0] <= 7


def test_forged_and_replayed_updates_are_refused(page, reading_site, acceptance):
    dsn, path = acceptance["pg_dsn"], "/plone/meeting/minutes"
    open_page(page, reading_site, "minutes")
    wait_for(dsn, path, lambda rows: rows)
    active_for(page, 20)
    page.evaluate("__setVisibility('hidden')")
    (row,) = wait_for(dsn, path, lambda rows: (rows[0][0] or 0) >= 20)
    # From the page itself: a made-up view, a forged token, a lower replay.
    statuses = page.evaluate(
        """async () => {
          const script = document.querySelector("script[src*='clicktracker']");
          const send = (fields) => fetch(script.dataset.callback, {
            method: "POST",
            body: new URLSearchParams({
              token: script.dataset.token, view: "1_2_3_4_5_6_7_8_9",
              seconds: "3000", depth: "100", end: "1", ...fields}),
          }).then((answer) => answer.status);
          return [
            await send({}),
            await send({token: script.dataset.token.slice(0, -3) + "xyz"}),
          ];
        }"""
    )
    assert statuses == [204, 204]
    time.sleep(1)
    assert clicks(dsn, path) == [row]


def test_the_report_shows_how_it_was_read(page, reading_site, acceptance):
    """Carol reads the minutes for a minute and to the end; the owner sets
    "read for at least 2 minutes" and sees her as not read, with her time."""
    dsn, path = acceptance["pg_dsn"], "/plone/meeting/minutes"
    open_page(page, reading_site, "minutes")
    wait_for(dsn, path, lambda rows: rows)
    active_for(page, 60)
    page.evaluate("scrollTo({top: document.body.scrollHeight, behavior: 'instant'})")
    page.wait_for_timeout(500)
    page.evaluate("__setVisibility('hidden')")
    wait_for(dsn, path, lambda rows: rows[0][2])
    page.context.clear_cookies()
    owner = page.context.new_page()
    login(owner, reading_site.absolute_url(), SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    owner.goto(f"{reading_site.absolute_url()}/meeting/@@tracking")
    owner.fill("#readers-principals", LIVE_MEMBER)
    owner.check("#readers-rule-seconds")
    owner.fill("#readers-rule-minutes", "2")
    screenshots(owner, "reading-rule-form")
    owner.click("#expected-save")
    owner.goto(f"{reading_site.absolute_url()}/meeting/minutes/@@tracking")
    assert owner.inner_text("#readers-rule") == (
        "Counted as read when read for at least 2 min."
    )
    row = owner.locator("#readers-table tbody tr")
    assert row.locator("td.status").inner_text() == "Not read"
    assert row.locator("td.reading").inner_text() in ("1 min", "1 min 1 s")
    assert "read to the end" in row.locator("td.reached-end").inner_text()
    screenshots(owner, "reading-report")
