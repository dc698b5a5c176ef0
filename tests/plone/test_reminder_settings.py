"""The control panel's "Reminders" fieldset (issue 12): templates with
placeholders, checked when saved, and the reminder window and interval."""

from plone import api
from slc.clicktracker.reminders import settings
from zope.interface import Invalid
import pytest


def control(browser, field):
    return browser.getControl(name=f"form.widgets.reminder_{field}")


def test_defaults_are_installed(integration):
    assert settings.read() == settings.ReminderSettings(
        subject=settings.DEFAULT_SUBJECT,
        body=settings.DEFAULT_BODY,
        days_ahead=3,
        interval_days=1,
    )


def test_the_fieldset_saves_the_templates(functional, owner_browser, panel_url):
    owner_browser.open(panel_url)
    assert "Reminders" in owner_browser.contents
    control(owner_browser, "subject").value = "Before the vote: ${title}"
    control(owner_browser, "body").value = "Dear ${fullname}: ${url} by ${deadline}"
    control(owner_browser, "days_ahead").value = "5"
    control(owner_browser, "interval_days").value = "2"
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    assert settings.read() == settings.ReminderSettings(
        "Before the vote: ${title}", "Dear ${fullname}: ${url} by ${deadline}", 5, 2
    )


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("Read ${titel}", "Unknown placeholder: ${titel}"),
        ("Costs 5 $ only", "A “$” that starts no placeholder"),
    ],
)
def test_a_bad_template_is_refused(
    functional, owner_browser, panel_url, subject, message
):
    owner_browser.open(panel_url)
    control(owner_browser, "subject").value = subject
    owner_browser.getControl("Save").click()
    assert "Changes saved" not in owner_browser.contents
    assert message in owner_browser.contents
    assert api.portal.get_registry_record("slc.clicktracker.reminder_subject") == (
        settings.DEFAULT_SUBJECT
    )


def test_valid_template_accepts_every_placeholder_and_dollars():
    text = " ".join(f"${{{name}}}" for name in settings.PLACEHOLDERS) + " $$5"
    assert settings.valid_template(text)
    with pytest.raises(Invalid):
        settings.valid_template("${unknown}")
