"""What the access log says in words: how many rows, why there is none,
why a page is not shown and what reads quickly instead; and its cells'
times and addresses (a base of ``AccessLogView``)."""

from datetime import datetime
from datetime import timedelta
from plone import api
from slc.clicktracker import _
from slc.clicktracker.browser.accesslog_reading import END_FIELD
from slc.clicktracker.browser.accesslog_reading import MINUTES_FIELD
from zope.i18n import translate
import re


# The table's column headers.
LABELS = {
    "fullname": _("Name"),
    "member": _("User ID"),
    "document": _("Document"),
    "url": _("URL"),
    "count": _("Views"),
    "seconds": _("Reading time"),
    "reached_end": _("To the end"),
    "firstaccess": _("First access"),
    "lastaccess": _("Last access"),
}
# Sorts that stay fast at any prefix: offered when another one is not.
FAST_SORTS = ("member", "document")


# A path or URL is shown in pieces that may wrap after a "/" (of the path)
# or an "&" (of the query string).
AFTER_SLASH = re.compile(r"[^/]*/+|[^/]+")
AFTER_AMPERSAND = re.compile(r"[^&]*&+|[^&]+")


class LogTexts:
    """Texts and alternatives of ``AccessLogView``'s state."""

    def addresses_text(self, row):
        """ "1 address" or "3 addresses": the link to a row's URLs."""
        if row["urls"] == 1:
            return _("1 address")
        return _(
            "count_addresses",
            default="${count} addresses",
            mapping={"count": row["urls"]},
        )

    def total_text(self):
        """ "1,234" or, for an estimate, "about 9,800,000"."""
        if self.total_exact:
            return f"{self.total:,}"
        rounded = float(f"{self.total:.2g}") if self.total >= 100 else self.total
        return _(
            "about_count",
            default="about ${count}",
            mapping={"count": f"{int(rounded):,}"},
        )

    def empty_text(self):
        """Why there is no row: a filter, a date window, or no views at all."""
        if self.reading_filtered():
            return _("No views match this filter.")
        since, until = self.window_days()
        if since and until:
            return _(
                "msg_no_views_between",
                default="No views between ${since} and ${until}.",
                mapping={"since": since, "until": until},
            )
        if since:
            return _(
                "msg_no_views_since",
                default="No views since ${since}.",
                mapping={"since": since},
            )
        if until:
            return _(
                "msg_no_views_until",
                default="No views until ${until}.",
                mapping={"until": until},
            )
        if self.member_filter or self.document_filter is not None:
            return _("No views match this filter.")
        return _("Nobody has viewed this item yet, as far as the log knows.")

    def window_days(self):
        """The window's first and last day in the site's date format."""
        days = []
        for moment, shift in ((self.since, 0), (self.until, -1)):
            if moment is None:
                days.append(None)
                continue
            day = moment + timedelta(days=shift)
            try:
                days.append(api.portal.get_localized_time(datetime=day))
            except (ValueError, TypeError, AttributeError):
                days.append(day.strftime("%Y-%m-%d"))
        return days

    def too_slow_text(self):
        """Why this page is not shown: the window, the sort, or how far."""
        if self.too_slow is None:
            return None
        rows = getattr(self.too_slow, "rows", None)
        mapping = {
            "column": translate(LABELS[self.sort_on], context=self.request),
            "rows": f"{rows:,}" if rows else "?",
        }
        windowed = self.since is not None or self.until is not None
        in_order = self.sort_on in ("member", "fullname", "document")
        if self.reading_filtered() and in_order and not windowed:
            # Read in order, but so few rows pass that a page takes too long.
            return _(
                "msg_log_too_slow_reading",
                default="Finding the views that match the reading filter "
                "means reading through the views under this item (about "
                "${rows} rows): too slow for a page.",
                mapping=mapping,
            )
        if windowed:
            return _(
                "msg_log_too_slow_window",
                default="This time window holds too many views (about "
                "${rows}) to be sorted and counted for a page.",
                mapping=mapping,
            )
        if in_order:
            return _(
                "msg_log_too_slow_far",
                default="This page is too far into the log (about ${rows} "
                "rows) to be read quickly.",
                mapping=mapping,
            )
        return _(
            "msg_log_too_slow_sort",
            default="Sorting by “${column}” means reading every view under "
            "this item (about ${rows} rows): too slow for a page.",
            mapping=mapping,
        )

    def alternatives(self):
        """Links that read quickly: a short time window, a fast sort."""
        today = datetime.now(self.tz).date()
        links = [
            (_("today"), self.page_url(since=today.isoformat(), until="")),
            (
                _("the last 7 days"),
                self.page_url(since=(today - timedelta(days=6)).isoformat(), until=""),
            ),
        ]
        if self.sort_on in FAST_SORTS:
            # Far into one order is near the start of the other.
            order = "ascending" if self.reverse else "descending"
            links.append((_("the reverse order"), self.page_url(sort_order=order)))
        for column in FAST_SORTS:
            if column != self.sort_on:
                links.append(
                    (
                        _(
                            "sort_by",
                            default="sort by ${column}",
                            mapping={
                                "column": translate(
                                    LABELS[column], context=self.request
                                )
                            },
                        ),
                        self.page_url(sort_on=column, sort_order="ascending"),
                    )
                )
        if self.reading_filtered():
            links.append(
                (
                    _("without the reading filter"),
                    self.page_url(**{MINUTES_FIELD: "", END_FIELD: ""}),
                )
            )
        return [{"label": label, "url": url} for label, url in links]

    def filter_text(self):
        """What the filters of a row's "addresses" link leave, in words."""
        if not (self.member_filter or self.document_filter is not None):
            return None
        member = self.member_label(self.member_filter) if self.member_filter else ""
        document = next(iter(self.rows), None)
        if document is not None and self.document_filter is not None:
            return _(
                "msg_log_filtered_document",
                default="Only the views of ${member} of “${title}” (${path}).",
                mapping={
                    "member": member,
                    "title": document["title"],
                    "path": document["path"],
                },
            )
        return _(
            "msg_log_filtered",
            default="Only the views of ${member}.",
            mapping={"member": member},
        )

    @staticmethod
    def pieces(text):
        """``text`` (a path or URL) cut where a line may wrap."""
        path, question, query = (text or "").partition("?")
        pieces = AFTER_SLASH.findall(path)
        if question:
            pieces += AFTER_AMPERSAND.findall(question + query)
        return pieces

    def time_parts(self, value):
        """(day, time of day) of ``value`` in the site's formats and time
        zone: a narrow cell wraps between the two, never inside either."""
        if value is None:
            return ("", "")
        local = self._local(value)
        if not isinstance(local, datetime):
            return (str(value), "")
        return (
            self.local_times.format(local, "date_format_short"),
            self.local_times.format(local, "time_format"),
        )
