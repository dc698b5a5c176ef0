"""German beyond the pages (issue 15): the CSV downloads speak the reader's
language in their headers and words (times stay ISO), the time left before
a deadline uses German units, and reminders go out in the site's language
while the site keeps the default texts; a site's own texts stay as they are.

The pages themselves are walked in a real browser by test_german_browser.py.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.portlets.interfaces import IPortletType
from slc.clicktracker import readers
from slc.clicktracker import reminders
from slc.clicktracker import tracking
from slc.clicktracker.testing.smtp import configure_mailhost
from tests.plone.helpers import DAY
from tests.plone.helpers import browser_as
from tests.plone.helpers import create_board
from tests.plone.helpers import csv_rows
from tests.plone.helpers import element_text
from tests.plone.helpers import hit
from zope.component import getUtility
from zope.i18n import translate
import pytest
import transaction


DOC = "/plone/folder/doc"


@pytest.fixture
def board(roles_site, storage, smtp):
    """Board (Ada "member", Cy "editor") expected to read the folder by
    DAY + 1; Ada read the document in time. German offered; the site's own
    language stays English until a test changes it."""
    api.portal.set_registry_record("plone.available_languages", ["en", "de"])
    api.portal.set_registry_record("plone.use_request_negotiation", True)
    create_board()
    folder = roles_site["folder"]
    tracking.enable(folder)
    readers.set_expectation(folder, ["board"], deadline=DAY + timedelta(days=1))
    configure_mailhost(smtp)
    transaction.commit()
    hit(storage, "member", DOC, DAY)
    return roles_site


def german(functional):
    browser = browser_as(functional, "manager")
    browser.addHeader("Accept-Language", "de")
    return browser


def tab(site, path, query=""):
    return f"{site.absolute_url()}/{path}/@@tracking{query}"


def test_the_csv_downloads_speak_german(functional, board):
    browser = german(functional)
    browser.open(tab(board, "folder/doc", "?format=readers-csv"))
    header, *rows = csv_rows(browser)
    assert header[:6] == [
        "Name",
        "Benutzer-ID",
        "Vorgesehen",
        "Vorgesehen über",
        "Status",
        "Zuerst gelesen (UTC)",
    ]
    ada = next(row for row in rows if row[1] == "member")
    assert ada[2:6] == ["ja", "board", "Gelesen", "2024-03-01 12:00:00"]

    browser.open(tab(board, "folder", "?format=matrix-csv"))
    header, *rows = csv_rows(browser)
    assert header[2:] == [
        "Vorgesehen",
        "Doc (zuerst gelesen, UTC)",
        "Gelesene Dokumente",
        "Fertig",
    ]
    assert rows[-1][0] == "Mitglieder, die es gelesen haben"

    browser.open(tab(board, "folder/doc", "?format=csv"))
    header, *rows = csv_rows(browser)
    assert header[:3] == ["Name", "Benutzer-ID", "Dokument"]
    assert "Erster Zugriff (UTC)" in header

    # Asked in English, the same downloads keep their English words.
    english = browser_as(functional, "manager")
    english.open(tab(board, "folder/doc", "?format=readers-csv"))
    assert csv_rows(english)[0][:3] == ["Name", "User ID", "Expected"]


def test_the_time_left_in_german_units(functional, board):
    folder = board["folder"]
    later = datetime.now(UTC) + timedelta(days=2, hours=5, minutes=30)
    readers.set_expectation(folder, ["board"], deadline=later)
    transaction.commit()
    browser = german(functional)
    browser.open(tab(board, "folder/doc"))
    assert element_text(browser, "readers-time-left") == "noch 2 Tg. 5 Std."


def test_reminders_go_out_in_the_site_language(board, smtp):
    api.portal.set_registry_record("plone.default_language", "de")
    transaction.commit()
    reminders.send(board["folder"]["doc"], sender="Ben Manager")
    [message] = smtp.messages
    assert message["Subject"] == "Bitte lesen: Doc"
    body = message.get_content().replace("\r\n", "\n")
    assert body.startswith("Guten Tag Cy Editor,\n")
    assert "Bitte lesen Sie es bis 02.03.2024 12:00 (UTC):" in body
    assert "Ben Manager hat Ihnen diese Erinnerung von " in body


def test_a_sites_own_reminder_text_stays(board, smtp):
    api.portal.set_registry_record("plone.default_language", "de")
    api.portal.set_registry_record(
        "slc.clicktracker.reminder_subject", "Lesen bis ${deadline}: ${title}"
    )
    transaction.commit()
    reminders.send(board["folder"]["doc"])
    [message] = smtp.messages
    # The site's own subject; its deadline still in the site's language.
    assert message["Subject"] == "Lesen bis 02.03.2024 12:00 (UTC): Doc"
    assert message.get_content().startswith("Guten Tag Cy Editor,")


def test_the_portlet_type_in_plones_domain(functional):
    # Plone's "Add portlet" menu translates the type's title and description
    # in its own "plone" domain, to which locales/de/.../plone.po adds them.
    portlet = getUtility(IPortletType, name="slc.clicktracker.ReadingList")
    assert translate(portlet.title, "plone", target_language="de") == (
        "Meine Leseliste"
    )
    assert translate(portlet.description, "plone", target_language="de") == (
        "Die Dokumente, die Sie lesen sollen und noch nicht gelesen haben."
    )
    # Plone's own German stays as it was.
    assert translate("Save", "plone", target_language="de") == "Sichern"
