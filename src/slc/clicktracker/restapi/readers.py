"""``GET <document>/@readers``: the readers report of the Tracking tab as
JSON (or its CSV download), for "slc.clicktracker: View reading status".

Parameters (the page's fields under the names plone.restapi uses):
``sort_on`` (a column), ``sort_order`` (ascending, descending), ``status``
(unread, late, read; confirmed, unconfirmed where the item asks for
confirmation), ``min_minutes`` (whole minutes) and ``read_to_end`` (where
the storage measures reading time), ``b_start`` and ``b_size`` over the
expected readers; ``format=csv`` or ``Accept: text/csv`` for the page's
download. Those who read it without being expected are ``others``, all of
them (the page shows the first few).
"""

from slc.clicktracker import _
from slc.clicktracker.browser.accesslog_reading import is_checked
from slc.clicktracker.browser.readers_report import ReadersReport
from slc.clicktracker.browser.readers_texts import CONFIRM_FILTERS
from slc.clicktracker.browser.readers_texts import STATUSES
from slc.clicktracker.browser.readingfilter import MAX_MINUTES
from slc.clicktracker.permissions import VIEW_READING_STATUS
from slc.clicktracker.restapi import errors
from slc.clicktracker.restapi import reports
from zope.i18n import translate


# The API's names of the page's fields (the page shares its form with the
# access log, hence its prefixes).
FIELDS = {
    "sort_on": "readers_sort",
    "sort_order": "readers_order",
    "status": "readers_status",
    "min_minutes": "readers_min",
    "read_to_end": "readers_end",
}


class ReadersGet(reports.ReportService):
    def answer(self):
        context, request = self.context, self.request
        reports.require(
            context, VIEW_READING_STATUS, "You may not view the reading status here."
        )
        if not ReadersReport.applies(context):
            raise reports.not_found(
                _(
                    "A folder has no readers report: its documents have theirs, "
                    "and the folder has the reading matrix (@readers-matrix)."
                )
            )
        reports.check_format(request)
        reports.batch_size(request)
        order = reports.one_of(request, "sort_order", reports.ORDERS)
        form = request.form
        for name, field in FIELDS.items():
            if name in form:
                form[field] = form[name]
        if order is not None:
            form["readers_order"] = order
        # The page reads "read to the end" as any text; the API as a switch.
        form["readers_end"] = "1" if is_checked(form.get("read_to_end")) else ""
        view = ReadersReport(context, request, can_view=True)
        view.update()
        self.check(view)
        reports.refuse(view)
        if reports.wants_csv(request):
            return reports.Download(view.download())
        return self.report(view)

    def check(self, view):
        """What the page ignores (and says nothing or a warning about)."""
        if not view.available:
            raise reports.not_found(
                _("The readers report is not available with this storage.")
            )
        if view.expectation is None:
            raise reports.not_found(_("No expected readers are set for this item."))
        if view.reading_filter.error is not None:
            text = view.reading_filter.minutes_text[:40]
            raise errors.bad_request(
                f"min_minutes: {text!r} is not a whole number of minutes "
                f"(0 to {MAX_MINUTES})."
            )
        statuses = STATUSES + (CONFIRM_FILTERS if view.shows_confirmed else ())
        reports.one_of(self.request, "status", statuses)
        reports.one_of(self.request, "sort_on", view.columns())

    def report(self, view):
        request = self.request
        expectation = view.expectation
        serialize = self.serializer(view)
        found = {
            "columns": list(view.columns()),
            "sort_on": view.sort_on,
            "sort_order": "descending" if view.reverse else "ascending",
            "status": view.status_filter,
            "deadline": reports.iso(view, expectation.deadline),
            "deadline_passed": view.deadline_passed(),
            "rule": {
                "kind": view.rule.kind,
                "seconds": view.rule.seconds or None,
                "text": translate(view.rule_text(), context=request),
            },
            "confirm": bool(expectation.confirm),
            "headline": translate(view.headline(), context=request),
            "counts": {
                **view.counts,
                "expected": view.total,
                "have_read": view.have_read,
                "percent": view.percent(view.have_read),
            },
            "others": [serialize(row) for row in view.others],
            "time_zone": view.timezone_name(),
            "reading": view.measures_reading,
        }
        if view.shows_confirmed:
            found["counts"]["confirmed"] = view.confirmed_count
        if view.measures_reading:
            seconds = view.reading_filter.min_seconds
            found["min_minutes"] = None if seconds is None else seconds // 60
            found["read_to_end"] = view.reading_filter.end_only
        found.update(reports.batched(request, view.filtered, serialize))
        return found

    @staticmethod
    def serializer(view):
        def serialize(row):
            found = {
                "member": row["member"],
                "fullname": row["fullname"],
                "status": row["status"],
                "first_read": reports.iso(view, row["first_read"]),
                "last_read": reports.iso(view, row["last_read"]),
                "views": row["views"],
                "expected_through": through(row),
            }
            if view.shows_confirmed:
                found["confirmed"] = reports.iso(view, row["confirmed"])
            if view.measures_reading:
                found["seconds"] = row["seconds"]
                found["reached_end"] = row["reached_end"]
            return found

        return serialize


def through(row):
    """Whom a reader is expected through: a group (its title), or named
    themselves; None for those who were not expected."""
    via = row["via"]
    if via is None:
        return None
    if via == row["member"]:
        return {"id": via, "title": row["fullname"] or via}
    return {"id": via, "title": row["via_title"] or via}
