"""The add-on in German, in a real browser (issue 15).

Headless Chromium asks for German (``Accept-Language: de``, locale de-DE) on
a site that offers German and follows the browser's language. It walks the
pages of the add-on, as the manager and as a member, and finds none of the
English texts of the translation template left on them, in the visible text
or in tooltips and labels for screen readers; times are in the German form.
Saves var/screenshots/de_*.png.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from html import unescape
from pathlib import Path
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from slc.clicktracker import readers
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage.hits import new_hit_id
from slc.clicktracker.testing import DESKTOP_UA
from tests.helpers import SCREENSHOTS
from tests.helpers import login
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from zope.component import getUtility
import functools
import importlib.util
import pytest
import re
import transaction


pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("pot", ROOT / "scripts" / "pot.py")
pot = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(pot)
GERMAN = pot.LOCALES / "de" / "LC_MESSAGES" / "slc.clicktracker.po"
PLACEHOLDER = re.compile(r"\$\{\w+\}")
# Plone's German long format (plonelocales: "${d}.${m}.${Y} ${H}:${M}").
GERMAN_TIME = re.compile(r"\b\d\d\.\d\d\.\d{4} \d\d:\d\d\b")
ISO_TIME = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b")
# The visible text of #content, and the texts that are not shown but read
# out or shown on pointing (tooltips, labels for screen readers).
CONTENT_TEXT = """() => {
  const content = document.querySelector('#content');
  const attr = (e, name) => e.getAttribute(name) || '';
  const hidden = [...content.querySelectorAll('[title], [aria-label], title')]
    .map(e => e.tagName === 'title' ? e.textContent
         : attr(e, 'aria-label') + ' ' + attr(e, 'title'));
  return content.innerText + '\\n' + hidden.join('\\n');
}"""


def whole(phrase):
    """``phrase`` as whole words: not part of "Lesefilter", "HTML-Filter"."""
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")


@functools.cache
def english_phrases():
    """The English phrases of our messages (between placeholders) that their
    German text does not contain as well (such as an example connection
    string, or a word both languages share: "Name", "Status"), each with
    its pattern as whole words."""
    template = pot.entries(pot.POT.read_text(encoding="utf-8"))
    german = pot.entries(GERMAN.read_text(encoding="utf-8"))
    phrases = set()
    for msgid, (default, _, _) in template.items():
        translated = unescape(german.get(msgid, (None, "", None))[1])
        for part in PLACEHOLDER.split(unescape(default or msgid)):
            phrase = " ".join(part.split()).strip(" .,;:()“”\"'…")
            if not re.search(r"[^\W\d_]", phrase):
                continue  # "&ndash;" between two numbers
            if not whole(phrase).search(translated):
                phrases.add(phrase)
    return {phrase: whole(phrase) for phrase in phrases}


def english_left(page):
    """The English phrases on ``page``: whole words, case as written (so
    that a document called "Minutes" is not taken for "minutes"), paths
    and addresses left out (".../meeting/minutes")."""
    text = " ".join(w for w in page.evaluate(CONTENT_TEXT).split() if "/" not in w)
    phrases = english_phrases().items()
    return sorted(phrase for phrase, words in phrases if words.search(text)), text


@pytest.fixture
def german_site(live_site):
    """German offered and taken from the browser; a week of carol reading
    the minutes, which carol and dave are expected to read and confirm."""
    api.portal.set_registry_record("plone.available_languages", ["en", "de"])
    api.portal.set_registry_record("plone.use_request_negotiation", True)
    with api.env.adopt_roles(["Manager"]):
        api.user.create(
            username="dave",
            email="dave@example.org",
            password=LIVE_PASSWORD,
            properties={"fullname": "Dave Deputy"},
        )
    folder = live_site["meeting"]
    minutes = folder["minutes"]
    deadline = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    readers.set_expectation(folder, [LIVE_MEMBER, "dave"], deadline=deadline)
    readers.set_expectation(
        minutes, [LIVE_MEMBER, "dave"], deadline=deadline, confirm=True
    )
    storage = getUtility(IClickStorage)
    now = datetime.now(UTC)
    for days_ago, seconds in ((6, 40), (2, 250), (0, 610)):
        when = now - timedelta(days=days_ago, minutes=30)
        view = new_hit_id(when.timestamp())
        storage.log_visit(
            LIVE_MEMBER,
            "/".join(minutes.getPhysicalPath()),
            minutes.absolute_url(),
            uid=api.content.get_uuid(minutes),
            title=minutes.Title(),
            when=when,
            user_agent=DESKTOP_UA,
            hit_id=view,
        )
        storage.log_reading(view, LIVE_MEMBER, seconds, 100, True)
    transaction.commit()
    return live_site


@pytest.fixture
def german_page(chromium):
    context = chromium.new_context(
        user_agent=DESKTOP_UA,
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de"},
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def visit(page, url, name, wait_for="#content"):
    """Open ``url`` (None: stay) and check it; its text."""
    if url is not None:
        page.goto(url)
    page.locator(wait_for).first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"de_{name}.png", full_page=True)
    left, text = english_left(page)
    assert left == [], f"English on {name}: {in_context(left, text)}"
    return text


def in_context(phrases, text):
    return [
        text[max(0, found.start() - 40) : found.end() + 40]
        for phrase in phrases
        for found in whole(phrase).finditer(text)
    ]


def test_the_pages_speak_german(german_page, german_site):
    page = german_page
    portal_url = german_site.absolute_url()
    minutes_url = f"{portal_url}/meeting/minutes"
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    assert page.evaluate("document.documentElement.lang") == "de"

    text = visit(page, f"{minutes_url}/@@tracking", "tracking")
    assert "Zugriffsprotokoll" in text and "Vorgesehene Leser" in text
    assert page.locator("#contentview-tracking").inner_text().strip() == "Lesenachweis"
    assert GERMAN_TIME.search(text) and not ISO_TIME.search(text)
    svg = page.locator("#tracking-chart svg")
    assert svg.get_attribute("aria-label").startswith("Aufrufe pro Tag vom ")
    # The expected readers' form, folded away until asked for.
    page.locator("#expected-edit-summary").click()
    visit(page, None, "tracking_form")
    page.get_by_role("link", name="Eine Zeile je Adresse (URL)").click()
    page.wait_for_url("**per=url**")
    visit(page, None, "tracking_urls")

    text = visit(page, f"{portal_url}/meeting/@@tracking", "matrix")
    assert "Lesematrix" in text

    text = visit(page, f"{portal_url}/@@clicktracker-controlpanel", "controlpanel")
    assert "Datenbankverbindung (DSN)" in text
    assert "zu 0,0% gefüllt (0,0 MB von 64,0 MB;" in text  # German numbers
    # The other fieldsets, each a tab of the form.
    tabs = page.locator("#content nav.autotoc-nav a")
    assert tabs.count() >= 3
    for number in range(1, tabs.count()):
        tabs.nth(number).click()
        left, _ = english_left(page)
        assert left == [], f"English on fieldset {number}: {left}"
    visit(
        page,
        f"{portal_url}/@@clicktracker-member-data?member={LIVE_MEMBER}",
        "member_data",
    )

    text = visit(page, f"{portal_url}/@@clicktracker-visits", "visits")
    assert "Carol Chair" in text and GERMAN_TIME.search(text)
    page.locator("#visits-table a").filter(has_text="Klickpfad").first.click()
    page.wait_for_url("**/@@clicktracker-clickstream?visit=*")
    visit(page, page.url, "clickstream")

    text = visit(page, f"{portal_url}/@@clicktracker-statistics", "statistics")
    assert "Website-Statistik" in text

    visit(page, f"{minutes_url}/@@clicktracker-remind", "remind")
    # The add-on's own title and description in Site Setup's add-on list.
    page.goto(f"{portal_url}/prefs_install_products_form")
    assert "Hält fest, welche Mitglieder welche Dokumente" in page.inner_text(
        "#content"
    )

    page.context.clear_cookies()
    login(page, portal_url, LIVE_MEMBER, LIVE_PASSWORD)
    text = visit(page, f"{portal_url}/@@reading-list", "readinglist")
    assert "Meine Leseliste" in text
    # The personal menu's entries (actions of the "user" category).
    menu = page.locator("#edit-zone").text_content()
    assert "Meine Leseliste" in menu and "Meine Lesedaten" in menu
    text = visit(page, minutes_url, "confirm")
    assert "Ich habe dies gelesen" in text
    page.get_by_role("button", name="Ich habe dies gelesen").click()
    text = visit(page, None, "confirmed", wait_for=".portalMessage")
    assert "Sie haben das Lesen am " in text and GERMAN_TIME.search(text)
    message = page.locator(".portalMessage").first.inner_text()
    assert "Vielen Dank: Ihre Bestätigung wurde erfasst." in message
    visit(page, f"{portal_url}/@@my-reading-data", "my_reading_data")


def test_the_check_finds_english(chromium, german_site):
    """The same page asked for in English: the check above would see it."""
    context = chromium.new_context(user_agent=DESKTOP_UA, locale="en-US")
    page = context.new_page()
    portal_url = german_site.absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    page.goto(f"{portal_url}/meeting/minutes/@@tracking")
    left, _ = english_left(page)
    context.close()
    assert {"Access log", "Expected readers", "Views over time"} <= set(left)
