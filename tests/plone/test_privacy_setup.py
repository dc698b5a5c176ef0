"""Data protection's parts of the installation (issue 15): its settings in
the control panel's "Data protection" fieldset, the pseudonym key (made on
install and by the upgrade, never in the form), the "My reading data"
action, the upgrade 1007 -> 1008 and what uninstalling removes."""

from plone import api
from slc.clicktracker.privacy import settings
from slc.clicktracker.privacy.settings import KEY_RECORD
from zope.interface import Invalid
import pytest
import re
import transaction


PROFILE = "slc.clicktracker:default"
FIELDS = (
    "on_member_deleted",
    "pseudonymise_after_days",
    "notice_enabled",
    "notice_texts",
    "privacy_url",
)


def records():
    registry = api.portal.get_tool("portal_registry")
    names = [f"slc.clicktracker.{name}" for name in (*FIELDS, "pseudonym_key")]
    return [name for name in names if name in registry.records]


def control(browser, field):
    return browser.getControl(name=f"form.widgets.{field}")


def test_installed_with_defaults_and_a_key(integration):
    config = settings.read()
    assert config._replace(key=None) == settings.PrivacySettings(
        on_member_deleted="erase",
        pseudonymise_after_days=0,
        notice_enabled=False,
        notice_texts={},
        privacy_url="",
        key=None,
    )
    assert re.fullmatch(rb"[0-9a-f]{64}", config.key)
    assert "my-reading-data" in integration["portal"].portal_actions.user.objectIds()


def test_the_key_stays_when_made_again(integration):
    key = settings.read().key
    assert settings.ensure_key() is False
    assert settings.read().key == key


def test_upgrade_1007_to_1008(integration):
    setup_tool = api.portal.get_tool("portal_setup")
    registry = api.portal.get_tool("portal_registry")
    for name in records():
        del registry.records[name]
    integration["portal"].portal_actions.user.manage_delObjects(["my-reading-data"])
    setup_tool.setLastVersionForProfile(PROFILE, "1007")

    setup_tool.upgradeProfile(PROFILE)

    assert setup_tool.getLastVersionForProfile(PROFILE) == ("1008",)
    assert len(records()) == len(FIELDS) + 1
    assert settings.read().on_member_deleted == "erase"
    assert re.fullmatch(rb"[0-9a-f]{64}", settings.read().key)
    assert "my-reading-data" in integration["portal"].portal_actions.user.objectIds()


def test_uninstall_removes_records_and_action(integration, installer, package_name):
    installer.uninstall_product(package_name)
    assert records() == []
    assert (
        "my-reading-data" not in integration["portal"].portal_actions.user.objectIds()
    )


def test_fieldset_saves_and_never_shows_the_key(functional, owner_browser, panel_url):
    key = api.portal.get_registry_record(KEY_RECORD)
    owner_browser.open(panel_url)
    assert "Data protection" in owner_browser.contents
    assert key not in owner_browser.contents
    assert "form.widgets.pseudonym_key" not in owner_browser.contents
    control(owner_browser, "on_member_deleted:list").value = ["pseudonymise"]
    control(owner_browser, "pseudonymise_after_days").value = "365"
    control(owner_browser, "notice_enabled:list").value = ["selected"]
    control(
        owner_browser, "notice_texts"
    ).value = "de|Ihr Lesen wird erfasst.\nen|Read."
    control(owner_browser, "privacy_url").value = "/datenschutz"
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    assert key not in owner_browser.contents
    transaction.begin()
    config = settings.read()
    assert config == settings.PrivacySettings(
        on_member_deleted="pseudonymise",
        pseudonymise_after_days=365,
        notice_enabled=True,
        notice_texts={"de": "Ihr Lesen wird erfasst.", "en": "Read."},
        privacy_url="/datenschutz",
        key=key.encode("ascii"),
    )


def test_controlpanel_links_the_member_data_page(functional, owner_browser, panel_url):
    owner_browser.open(panel_url)
    link = owner_browser.getLink(id="clicktracker-member-data-link")
    assert link.url.endswith("/@@clicktracker-member-data")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("notice_texts", "Your reading is recorded.", "Line 1 (“Your reading"),
        ("notice_texts", "en|One.\nen|Two.", "Line 2 (“en|Two.”) is not valid"),
        ("notice_texts", "en|", "Line 1 (“en|”) is not valid"),
        ("privacy_url", "javascript:alert(1)", "neither an http(s) address"),
    ],
)
def test_bad_values_are_refused(
    functional, owner_browser, panel_url, field, value, message
):
    owner_browser.open(panel_url)
    control(owner_browser, field).value = value
    owner_browser.getControl("Save").click()
    assert "Changes saved" not in owner_browser.contents
    assert message in owner_browser.contents
    assert settings.read().notice_texts == {}
    assert settings.read().privacy_url == ""


def test_notice_lines_and_urls():
    assert settings.parse_notice_lines([" DE | Text ", "pt-br|Texto"]) == {
        "de": "Text",
        "pt-br": "Texto",
    }
    for good in ("", "/privacy", "privacy", "https://example.org/p?x=1"):
        assert settings.valid_privacy_url(good)
    for bad in ("//evil.example", "ftp://x", "http://", "/a b"):
        with pytest.raises(Invalid):
            settings.valid_privacy_url(bad)
