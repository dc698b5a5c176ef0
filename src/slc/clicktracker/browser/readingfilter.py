"""The reports' reading filter: "read at least N minutes" and "read to the
end", as two form fields of a report (named with the report's prefix).

Bad input (not a whole number of minutes) is said in ``error`` and filters
nothing, so nothing is hidden by a typo.
"""

from slc.clicktracker import _
from slc.clicktracker.browser.reports import text_field


# Beyond the cap on reading time per view, kept within a day.
MAX_MINUTES = 24 * 60


class ReadingFilter:
    """Parsed from ``form``: ``min_seconds`` (int or None), ``end_only``
    (bool), ``error`` (a message or None); ``minutes_text`` as typed."""

    def __init__(self, form, prefix):
        self.min_field = f"{prefix}_min"
        self.end_field = f"{prefix}_end"
        self.minutes_text = text_field(form.get(self.min_field))
        self.end_only = bool(text_field(form.get(self.end_field)))
        self.min_seconds = None
        self.error = None
        if self.minutes_text:
            text = self.minutes_text
            if text.isascii() and text.isdigit() and int(text) <= MAX_MINUTES:
                self.min_seconds = int(text) * 60 or None
            else:
                self.error = _(
                    "msg_reading_filter_minutes",
                    default="“${value}” is not a number of minutes (0 to "
                    "${max}); the reading time filter is off.",
                    mapping={"value": text[:40], "max": MAX_MINUTES},
                )

    @property
    def active(self):
        return self.min_seconds is not None or self.end_only

    def matches(self, seconds, reached_end):
        """Whether figures pass the filter (unknown ones never do)."""
        if self.min_seconds is not None and (seconds or 0) < self.min_seconds:
            return False
        return not (self.end_only and not reached_end)

    def query(self):
        """The fields for links that keep the filter."""
        return {
            self.min_field: self.minutes_text if self.error is None else "",
            self.end_field: "1" if self.end_only else "",
        }
