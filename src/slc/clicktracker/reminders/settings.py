"""The reminder settings: registry records under ``slc.clicktracker`` and
the control panel's "Reminders" fieldset.

Subject and body are ``string.Template`` texts; the placeholders they may
use are ``PLACEHOLDERS``. An unknown placeholder is refused when saved, so
a reminder never goes out with a ``${typo}`` in it.
"""

from collections import namedtuple
from plone.supermodel import model
from slc.clicktracker import _
from slc.clicktracker.settings import record_name
from slc.clicktracker.settings import registry_values
from string import Template
from zope import schema
from zope.interface import Invalid


PLACEHOLDERS = ("fullname", "title", "url", "deadline", "sender", "site")

# The defaults, as messages: while a site keeps them, reminders go out in
# the site's language (``translated``).
SUBJECT_MESSAGE = _("reminder_subject", default="Please read: ${title}")
BODY_MESSAGE = _(
    "reminder_body",
    default="""Hello ${fullname},

you are among the expected readers of "${title}" and have not read it yet.
Please read it by ${deadline}:

${url}

${sender} sent you this reminder from ${site}.
""",
)
DEFAULT_SUBJECT = SUBJECT_MESSAGE.default
DEFAULT_BODY = BODY_MESSAGE.default


def valid_template(text):
    """Refuse a template with a placeholder that is not in PLACEHOLDERS or
    with a stray ``$`` (write ``$$`` for a dollar sign)."""
    template = Template(text or "")
    if not template.is_valid():
        raise Invalid(
            _(
                "error_template_dollar",
                default="A “$” that starts no placeholder: write “$$” for a "
                "dollar sign.",
            )
        )
    unknown = sorted(set(template.get_identifiers()) - set(PLACEHOLDERS))
    if unknown:
        raise Invalid(
            _(
                "error_template_placeholder",
                default="Unknown placeholder: ${names}. Use ${known}.",
                mapping={
                    "names": ", ".join(f"${{{name}}}" for name in unknown),
                    "known": ", ".join(f"${{{name}}}" for name in PLACEHOLDERS),
                },
            )
        )
    return True


# Shown as is: the help names the placeholders, it has no mapping for them.
PLACEHOLDER_HELP = _(
    "help_reminder_placeholders",
    default="Placeholders: ${fullname} (the member), ${title}, ${url} (the "
    "item), ${deadline}, ${sender} (who sends the reminder), ${site}.",
)


class IReminderSettings(model.Schema):
    """Records stored in plone.registry under the prefix ``slc.clicktracker``."""

    model.fieldset(
        "reminders",
        label=_("Reminders"),
        fields=[
            "reminder_subject",
            "reminder_body",
            "reminder_days_ahead",
            "reminder_interval_days",
        ],
    )

    reminder_subject = schema.TextLine(
        title=_("Reminder subject"),
        description=PLACEHOLDER_HELP,
        required=True,
        default=DEFAULT_SUBJECT,
        constraint=valid_template,
    )

    reminder_body = schema.Text(
        title=_("Reminder text"),
        description=PLACEHOLDER_HELP,
        required=True,
        default=DEFAULT_BODY,
        constraint=valid_template,
    )

    reminder_days_ahead = schema.Int(
        title=_("Remind this many days before the deadline"),
        description=_(
            "help_reminder_days_ahead",
            default="The scheduled reminder run (clicktracker-remind) reminds "
            "those who have not read an item whose deadline is at most this "
            "many days away.",
        ),
        required=True,
        default=3,
        min=0,
    )

    reminder_interval_days = schema.Int(
        title=_("Remind a member of the same item at most every (days)"),
        description=_(
            "help_reminder_interval_days",
            default="Nobody is reminded of the same item twice within this "
            "many days, whether by the button or the scheduled run, from any "
            "Zope instance.",
        ),
        required=True,
        default=1,
        min=0,
    )


ReminderSettings = namedtuple(
    "ReminderSettings", "subject body days_ahead interval_days"
)

# (record name, default) per ReminderSettings field, in its order.
_RECORDS = tuple(
    (record_name(f"reminder_{name}"), IReminderSettings[f"reminder_{name}"].default)
    for name in ReminderSettings._fields
)


def read():
    """The current site's ReminderSettings (defaults for missing records)."""
    values = registry_values(_RECORDS)
    if values is None:
        return ReminderSettings(*(default for _name, default in _RECORDS))
    return ReminderSettings(*values)
