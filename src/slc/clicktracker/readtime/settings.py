"""The reading time settings: registry records under ``slc.clicktracker``
and the control panel's "Reading time" fieldset."""

from collections import namedtuple
from plone.supermodel import model
from slc.clicktracker import _
from slc.clicktracker.settings import record_name
from slc.clicktracker.settings import registry_values
from zope import schema


class IReadingTimeSettings(model.Schema):
    """Records stored in plone.registry under the prefix ``slc.clicktracker``."""

    model.fieldset(
        "reading_time",
        label=_("Reading time"),
        fields=["max_reading_minutes"],
    )

    max_reading_minutes = schema.Int(
        title=_("Count at most this much reading time per view (minutes)"),
        description=_(
            "help_max_reading_minutes",
            default="A page counts reading time only while it is visible and "
            "its reader was active in the last 30 seconds; a page left open "
            "with someone glancing at it now and then counts no more than "
            "this per view.",
        ),
        required=True,
        default=120,
        min=1,
        max=24 * 60,
    )


# Seconds (the registry keeps minutes).
ReadingTimeSettings = namedtuple("ReadingTimeSettings", "max_seconds")

_RECORDS = (
    (
        record_name("max_reading_minutes"),
        IReadingTimeSettings["max_reading_minutes"].default,
    ),
)


def read():
    """The current site's ReadingTimeSettings (defaults for missing records)."""
    values = registry_values(_RECORDS) or [default for _name, default in _RECORDS]
    (minutes,) = values
    return ReadingTimeSettings(max_seconds=60 * minutes)
