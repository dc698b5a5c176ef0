"""Bot patterns and the visit settings in the registry and the control panel."""

from plone import api
from plone.registry.interfaces import IRegistry
from slc.clicktracker import bots
from slc.clicktracker import settings
from slc.clicktracker.upgrades.bots import OLD_DEFAULT_LINES
from slc.clicktracker.upgrades.bots import upgrade_bot_settings
from tests.plone.helpers import hits
from tests.plone.helpers import open_browser
from tests.plone.helpers import read
from zope.component import getUtility
import pytest
import transaction


PREFIX = "slc.clicktracker."
CHECKER_UA = "ACME-Check/2 (intranet health)"


def get(name):
    transaction.begin()  # see what the browser's request committed
    return api.portal.get_registry_record(PREFIX + name)


def test_defaults(functional):
    assert get("visit_cookie_name") == "__ct_visit"
    assert get("idle_timeout") == 20
    assert get("max_visit_age") == 300
    assert get("bot_callbacks") == "drop"
    assert get("retention_days") == 0
    # The built-in list is in the code; the site adds and excepts.
    assert get("bot_patterns") == []
    assert get("bot_exceptions") == []
    assert settings.read().bot_patterns is None
    assert settings.read().bot_exceptions is None


def test_additions_and_exceptions_decide(functional, tracked_content):
    api.portal.set_registry_record(
        PREFIX + "bot_patterns", ["Intranet checker: acme-check/\\d"]
    )
    transaction.commit()
    doc = tracked_content["doc"]
    assert read(open_browser(functional, "alice", ua=CHECKER_UA), doc)[:3] == "204"
    assert read(open_browser(functional, "alice", ua="curl/8.5.0"), doc)[:3] == "204"
    assert hits(functional) == []  # the built-in list applies as well
    config = settings.read()
    assert bots.bot_name(CHECKER_UA, config.bot_patterns) == "Intranet checker"
    # An exception makes curl's views count.
    api.portal.set_registry_record(PREFIX + "bot_exceptions", ["Our scripts: curl/"])
    transaction.commit()
    assert read(open_browser(functional, "alice", ua="curl/8.5.0"), doc)[:3] == "204"
    assert len(hits(functional)) == 1
    assert settings.read().bot_exceptions == ("Our scripts: curl/",)


@pytest.mark.parametrize("record", ["bot_patterns", "bot_exceptions"])
def test_broken_lines_are_left_out(functional, caplog, record):
    # The form refuses them; set from code, they must not switch
    # recognition off. (Warned once per distinct list: a list of its own.)
    api.portal.set_registry_record(PREFIX + record, [f"Broken {record}: (unclosed"])
    config = settings.read()
    assert bots.is_bot("curl/8.5.0", config.bot_patterns, config.bot_exceptions)
    assert "Invalid bot patterns" in caplog.text


def test_outside_a_site_the_defaults_apply():
    assert bots.is_bot("curl/8.5.0")
    assert not bots.is_bot(
        "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
    )


def test_form_saves_the_new_settings(functional, owner_browser, panel_url):
    owner_browser.open(panel_url)
    owner_browser.getControl(name="form.widgets.visit_cookie_name").value = "reading"
    owner_browser.getControl(name="form.widgets.idle_timeout").value = "30"
    owner_browser.getControl(name="form.widgets.max_visit_age").value = "120"
    owner_browser.getControl(name="form.widgets.retention_days").value = "90"
    owner_browser.getControl(name="form.widgets.bot_callbacks:list").value = ["record"]
    owner_browser.getControl(
        name="form.widgets.bot_patterns"
    ).value = "Intranet checker: acme-check/\\d\nUptime: (?:uptime|status)-probe"
    owner_browser.getControl(
        name="form.widgets.bot_exceptions"
    ).value = "Our scripts: ^acme-report/"
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    assert get("visit_cookie_name") == "reading"
    assert (get("idle_timeout"), get("max_visit_age"), get("retention_days")) == (
        30,
        120,
        90,
    )
    assert get("bot_callbacks") == "record"
    assert get("bot_patterns") == [
        "Intranet checker: acme-check/\\d",
        "Uptime: (?:uptime|status)-probe",
    ]
    assert get("bot_exceptions") == ["Our scripts: ^acme-report/"]


@pytest.mark.parametrize("record", ["bot_patterns", "bot_exceptions"])
@pytest.mark.parametrize(
    "lines,fragment",
    [
        ("Fine: ok\nBroken: (unclosed", "Line 2"),
        ("no colon here", "Line 1"),
        ("Empty:", "Line 1"),
    ],
)
def test_form_refuses_invalid_patterns(
    functional,
    owner_browser,
    panel_url,
    lines,
    fragment,
    record,
):
    owner_browser.open(panel_url)
    owner_browser.getControl(name=f"form.widgets.{record}").value = lines
    owner_browser.getControl("Save").click()
    assert "Changes saved" not in owner_browser.contents
    assert "There were some errors" in owner_browser.contents
    assert f"{fragment} (" in owner_browser.contents
    assert "is not valid" in owner_browser.contents
    assert get(record) == []


def test_form_names_the_broken_line(functional, owner_browser, panel_url):
    owner_browser.open(panel_url)
    owner_browser.getControl(
        name="form.widgets.bot_patterns"
    ).value = "Fine: ok\nBroken: (unclosed"
    owner_browser.getControl("Save").click()
    assert "Line 2 (“Broken: (unclosed”) is not valid" in owner_browser.contents
    assert "missing )" in owner_browser.contents


@pytest.mark.parametrize("name", ["a b", "semi;colon", ""])
def test_form_refuses_bad_cookie_names(
    functional,
    owner_browser,
    panel_url,
    name,
):
    owner_browser.open(panel_url)
    owner_browser.getControl(name="form.widgets.visit_cookie_name").value = name
    owner_browser.getControl("Save").click()
    assert "Changes saved" not in owner_browser.contents
    assert get("visit_cookie_name") == "__ct_visit"


def test_upgrade_1001_to_1002_adds_the_records(portal):
    setup_tool = api.portal.get_tool("portal_setup")
    profile = "slc.clicktracker:default"
    registry = getUtility(IRegistry)
    for name in (
        "visit_cookie_name",
        "idle_timeout",
        "max_visit_age",
        "bot_patterns",
        "bot_callbacks",
        "retention_days",
    ):
        del registry.records[PREFIX + name]
    registry[PREFIX + "track_anonymous"] = True
    setup_tool.setLastVersionForProfile(profile, "1001")

    setup_tool.upgradeProfile(profile)

    current = setup_tool.getVersionForProfile(profile)
    assert setup_tool.getLastVersionForProfile(profile) == tuple(current.split("."))
    assert registry[PREFIX + "idle_timeout"] == 20
    assert registry[PREFIX + "bot_callbacks"] == "drop"
    assert registry[PREFIX + "bot_patterns"] == []
    # What was set before stays.
    assert registry[PREFIX + "track_anonymous"] is True


def old_bot_settings(lines):
    """The bot records as profile version 1006 left them."""
    registry = getUtility(IRegistry)
    registry[PREFIX + "bot_patterns"] = list(lines)
    del registry.records[PREFIX + "bot_exceptions"]
    return registry


def test_upgrade_bot_settings_old_defaults(portal):
    registry = old_bot_settings(OLD_DEFAULT_LINES)

    assert upgrade_bot_settings(api.portal.get_tool("portal_setup")) == []

    assert registry[PREFIX + "bot_patterns"] == []
    assert registry[PREFIX + "bot_exceptions"] == []
    assert settings.read().bot_patterns is None
    # The new record is the schema's, with its help text.
    field = registry.records[PREFIX + "bot_exceptions"].field
    assert field.description.default.startswith("One per line")


def test_upgrade_bot_settings_keeps_the_sites_lines(portal, caplog):
    own = "Intranet checker: acme-check/\\d"
    registry = old_bot_settings([*OLD_DEFAULT_LINES[:-1], own, "  "])
    registry[PREFIX + "track_anonymous"] = True

    upgrade_bot_settings()

    assert registry[PREFIX + "bot_patterns"] == [own]
    assert registry[PREFIX + "bot_exceptions"] == []
    assert registry[PREFIX + "track_anonymous"] is True  # other records stay
    # The site had removed a default line: its User-Agents counted.
    assert OLD_DEFAULT_LINES[-1] in caplog.text
    # Again: nothing changes, nothing to warn about.
    caplog.clear()
    upgrade_bot_settings()
    assert registry[PREFIX + "bot_patterns"] == [own]
    assert OLD_DEFAULT_LINES[-1] not in caplog.text


def test_upgrade_bot_settings_without_the_record(portal):
    registry = old_bot_settings([])
    del registry.records[PREFIX + "bot_patterns"]

    assert upgrade_bot_settings() == []

    assert registry[PREFIX + "bot_patterns"] == []
    assert registry[PREFIX + "bot_exceptions"] == []
