"""The access log's reading time (issue 13): the columns "Reading time" and
"To the end", the filters "read at least N minutes" and "read to the end",
and their place in the links and the CSV (a base of ``AccessLogView``).

Only where the storage measures reading time (``IReadingTimeStorage``) and
pages the log (``IAccessLogStorage``, whose rows carry the figures); with
any other storage the columns and fields are left out and the log is as
before.
"""

from decimal import Decimal
from decimal import InvalidOperation
from slc.clicktracker import _
from slc.clicktracker.browser.reports import text_field
from slc.clicktracker.storage.utility import reading_time_storage


# The columns, placed after the views; "To the end" is not sortable (a
# yes/no column sorted is a filter, and the filter is there).
COLUMNS = ("seconds", "reached_end")
UNSORTABLE = ("reached_end",)
# The form's fields (and the links' parameters).
MINUTES_FIELD = "min_minutes"
END_FIELD = "read_to_end"
# More minutes than anybody reads one document: beyond, a typing error.
MAX_MINUTES = 1_000_000
# Form values a ticked checkbox (or a link) sends.
CHECKED = ("1", "on", "true", "yes")


def is_checked(value):
    """Whether a form value says "on" (a checkbox, or a switch in a URL)."""
    return text_field(value).lower() in CHECKED


def minutes_to_seconds(text):
    """Seconds of a number of minutes as typed ("5", "1.5", "2,5"), or
    None when ``text`` is no number between 0 and MAX_MINUTES."""
    try:
        minutes = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not minutes.is_finite() or not 0 <= minutes <= MAX_MINUTES:
        return None
    return int((minutes * 60).to_integral_value())


class ReadingLog:
    """``AccessLogView``'s reading columns and filters; ``read_reading``
    first (after ``paged`` is known)."""

    reading = False  # the columns and filters are shown
    minutes_text = ""
    min_seconds = None
    to_end = False

    def read_reading(self, columns):
        """Read the filters from the form; ``columns`` with the reading
        columns after the views where reading time is shown."""
        form = self.request.form
        self.reading = self.paged and reading_time_storage() is not None
        self.minutes_text = text_field(form.get(MINUTES_FIELD))
        self.min_seconds = None
        self.to_end = False
        if not self.reading:
            return columns
        if self.minutes_text:
            self.min_seconds = minutes_to_seconds(self.minutes_text)
            if self.min_seconds is None:
                self.messages.append(("error", self.bad_minutes_text()))
        self.to_end = is_checked(form.get(END_FIELD))
        at = columns.index("count") + 1
        return (*columns[:at], *COLUMNS, *columns[at:])

    def bad_minutes_text(self):
        return _(
            "msg_invalid_minutes",
            default="Read at least: “${value}” is not a number of minutes "
            "(0 or more, such as 5 or 1.5). This filter was ignored.",
            mapping={"value": self.minutes_text[:40]},
        )

    def sortable(self, column):
        return column not in UNSORTABLE

    def reading_filtered(self):
        """Whether a reading filter is in force."""
        return self.min_seconds is not None or self.to_end

    def reading_args(self):
        """The filters for log_page and iter_log (nothing without them)."""
        args = {}
        if self.min_seconds is not None:
            args["min_seconds"] = self.min_seconds
        if self.to_end:
            args["reached_end"] = True
        return args

    def reading_params(self):
        """The filters for links: a bad number stays out (it was ignored)."""
        params = {}
        if self.min_seconds is not None:
            params[MINUTES_FIELD] = self.minutes_text
        if self.to_end:
            params[END_FIELD] = "1"
        return params

    def reading_cells(self, row):
        """What the two cells of ``row`` show."""
        if not self.reading:
            return {}
        seconds = row.get("seconds")
        return {
            "seconds_known": seconds is not None,
            "seconds_text": self.durations(seconds),
            "reached_end": row.get("reached_end"),
        }
