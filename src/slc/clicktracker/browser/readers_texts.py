"""What the readers report says in words: its headline, the deadline and
the time left, the statuses, the filter and the cells of its rows (a base
of ``ReadersReport``)."""

from datetime import UTC
from datetime import datetime
from slc.clicktracker import _
from slc.clicktracker.readtime import rule
from zope.i18n import translate


# The filter's order, as the default sort's: not read first.
STATUSES = ("unread", "late", "read")
# More choices of the filter where the item asks for confirmation.
CONFIRM_FILTERS = ("confirmed", "unconfirmed")
# The table's columns and their headers; the CSV has them in this order.
COLUMN_LABELS = {
    "fullname": _("Name"),
    "member": _("User ID"),
    "status": _("Status"),
    "first_read": _("First read"),
    "last_read": _("Last read"),
    "views": _("Views"),
    "seconds": _("Reading time"),
    "reached_end": _("To the end"),
}
STATUS_LABELS = {
    "unread": _("Not read"),
    "late": _("Read late"),
    "read": _("Read"),
}
FILTER_LABELS = {
    **STATUS_LABELS,
    "confirmed": _("Confirmed"),
    "unconfirmed": _("Not confirmed"),
}
CONFIRMED_LABEL = _("Confirmed")
# Bootstrap's text-bg-* pick a text colour that contrasts with the badge.
BADGES = {"read": "text-bg-success", "late": "text-bg-warning"}


class ReadersTexts:
    """Texts of ``ReadersReport``'s state."""

    def translate(self, message):
        return translate(message, context=self.request)

    def headline(self):
        """ "9 of 12 expected readers have read this (75%)", and "; 4 of 12
        have confirmed." where confirmation is asked (one sentence, for
        translators)."""
        if not self.total:
            return _(
                "The groups named have no members: nobody is expected to read this."
            )
        mapping = {
            "read": f"{self.have_read:,}",
            "total": f"{self.total:,}",
            "percent": self.percent(self.have_read),
        }
        if self.shows_confirmed:
            return _(
                "msg_readers_headline_confirmed",
                default="${read} of ${total} expected readers have read this "
                "(${percent}%); ${confirmed} of ${total} have confirmed.",
                mapping=dict(mapping, confirmed=f"{self.confirmed_count:,}"),
            )
        return _(
            "msg_readers_headline",
            default="${read} of ${total} expected readers have read this (${percent}%)",
            mapping=mapping,
        )

    def rule_text(self):
        """Which rule says what "read" is, in words."""
        return rule.describe(self.rule, self.durations)

    def progress_label(self):
        """The bar in words, for screen readers."""
        return _(
            "msg_readers_progress",
            default="${read} read in time, ${late} read late, ${unread} not read",
            mapping={key: f"{count:,}" for key, count in self.counts.items()},
        )

    def deadline_text(self):
        deadline = self.expectation.deadline if self.expectation else None
        if deadline is None:
            return None
        return self.format_time(deadline)

    def time_left(self):
        """ "3 d 4 h left", "25 min left", or "passed"."""
        deadline = self.expectation.deadline if self.expectation else None
        if deadline is None:
            return None
        left = deadline - datetime.now(UTC)
        if left.total_seconds() <= 0:
            return _("passed")
        hours, seconds = divmod(left.seconds, 3600)
        minutes = seconds // 60
        if left.days:
            amount = [(left.days, "d"), (hours, "h")]
        elif hours:
            amount = [(hours, "h"), (minutes, "min")]
        else:
            amount = [(max(minutes, 1), "min")]
        amount = self.durations.words(amount)
        return _("time_left", default="${amount} left", mapping={"amount": amount})

    def filters(self):
        """The status filter's links, each with its count."""
        items = [(None, _("All"), self.total)]
        items += [
            (status, STATUS_LABELS[status], self.counts[status]) for status in STATUSES
        ]
        if self.shows_confirmed:
            items += [
                ("confirmed", FILTER_LABELS["confirmed"], self.confirmed_count),
                (
                    "unconfirmed",
                    FILTER_LABELS["unconfirmed"],
                    self.total - self.confirmed_count,
                ),
            ]
        return [
            {
                "status": status or "all",
                "label": label,
                "count": f"{count:,}",
                "url": self.filter_url(status),
                "active": status == self.status_filter,
            }
            for status, label, count in items
        ]

    def empty_text(self):
        if self.status_filter is None:
            return None
        return _(
            "msg_readers_none_with_status",
            default="No expected reader has the status “${status}”.",
            mapping={"status": self.translate(FILTER_LABELS[self.status_filter])},
        )

    def more_others_text(self):
        count = self.more_others()
        if not count:
            return None
        return _(
            "msg_readers_more_others",
            default="… and ${count} more: the CSV download lists them all.",
            mapping={"count": f"{count:,}"},
        )

    def column_labels(self):
        labels = dict(COLUMN_LABELS, confirmed=CONFIRMED_LABEL)
        return [(column, labels[column]) for column in self.columns()]

    # -- cells ------------------------------------------------------------------

    def badge(self, status):
        if status == "unread":
            # Not read is a problem only once the deadline has passed.
            return "text-bg-danger" if self.deadline_passed() else "text-bg-secondary"
        return BADGES[status]

    def display_rows(self, rows):
        """``rows`` as the table shows them, cell by cell."""
        shown = []
        for row in rows:
            first_day, first_time = self.day_and_time(row["first_read"])
            last_day, last_time = self.day_and_time(row["last_read"])
            confirmed_day, confirmed_time = self.day_and_time(row.get("confirmed"))
            shown.append(
                dict(
                    row,
                    status_label=STATUS_LABELS[row["status"]],
                    badge=self.badge(row["status"]),
                    first_day=first_day,
                    first_time=first_time,
                    last_day=last_day,
                    last_time=last_time,
                    confirmed_day=confirmed_day,
                    confirmed_time=confirmed_time,
                    views=f"{row['views']:,}",
                    reading=self.durations(row.get("seconds")),
                )
            )
        return shown

    def day_and_time(self, value):
        """(day, time of day) in the site's formats and time zone: a narrow
        cell wraps between the two, never inside either."""
        if value is None:
            return ("", "")
        local = self._local(value)
        return (
            self.local_times.format(local, "date_format_short"),
            self.local_times.format(local, "time_format"),
        )
