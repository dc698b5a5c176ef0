"""``GET <content>/@tracking-log``: the access log of the Tracking tab as
JSON (or its CSV download), for "slc.clicktracker: View access log".

The parameters are the page's: ``per`` (document, url), ``sort_on`` (a
column), ``sort_order`` (ascending, descending), ``since`` and ``until``
(days, YYYY-MM-DD, in the site's time zone), ``member``, ``document`` (the
id of a document row, as a row's ``addresses`` link has it),
``min_minutes`` and ``read_to_end`` (where the storage measures reading
time); and plone.restapi's ``b_start`` and ``b_size``. The page ignores
what it cannot read and says so; here that is a 400. ``format=csv`` or
``Accept: text/csv``: the page's download, the same file.
"""

from slc.clicktracker.browser import accesslog_csv
from slc.clicktracker.browser.accesslog import PER_FORMS
from slc.clicktracker.browser.accesslog import REVERSE_ORDERS
from slc.clicktracker.browser.accesslog import AccessLogView
from slc.clicktracker.browser.accesslog_reading import END_FIELD
from slc.clicktracker.browser.accesslog_reading import MAX_MINUTES
from slc.clicktracker.browser.accesslog_reading import MINUTES_FIELD
from slc.clicktracker.browser.accesslog_reading import minutes_to_seconds
from slc.clicktracker.permissions import VIEW_ACCESS_LOG
from slc.clicktracker.restapi import errors
from slc.clicktracker.restapi import reports
from zope.i18n import translate


SORT_ORDERS = ("ascending", *REVERSE_ORDERS)


class LogReport(AccessLogView):
    """The Tracking tab's access log without its page."""

    can_view_log = True  # the service has checked the permission

    def index(self):
        # accesslog_csv answers a failed download with the page; the
        # service answers with a JSON error instead (see ``failed``).
        return None


class TrackingLogGet(reports.ReportService):
    def answer(self):
        reports.require(
            self.context, VIEW_ACCESS_LOG, "You may not view the access log here."
        )
        request = self.request
        reports.check_format(request)
        reports.one_of(request, "per", PER_FORMS)
        reports.one_of(request, "sort_order", SORT_ORDERS)
        size = reports.batch_size(request)
        document = str(request.form.get("document") or "")
        if document and not document.strip().isdigit():
            raise errors.bad_request(
                f"document must be the number of a document, not {document[:40]!r}."
            )
        reports.check_days(request)
        minutes = request.form.get(MINUTES_FIELD)
        if minutes not in (None, "") and minutes_to_seconds(str(minutes)) is None:
            raise errors.bad_request(
                f"min_minutes: {str(minutes)[:40]!r} is not a number of minutes "
                f"(0 to {MAX_MINUTES}, such as 5 or 1.5)."
            )
        view = LogReport(self.context, request)
        view.batch_size = size
        # The form first, without reading: refuse it before any query.
        view.update(load=False)
        self.check_sort(view)
        reports.refuse(view)
        if reports.wants_csv(request):
            body = accesslog_csv.download(view)
            reports.refuse(view)
            return reports.Download(body)
        view.rows = view.read(view._load_page if view.paged else view._load_all, [])
        reports.refuse(view)
        if view.too_slow is not None:
            raise errors.APIError(400, "LogTooSlow", view.too_slow_text())
        found = {
            "per": view.per if view.paged else "url",
            "columns": list(view.columns),
            "sort_on": view.sort_on,
            "sort_order": "descending" if view.reverse else "ascending",
            "since": view.since_text or None,
            "until": view.until_text or None,
            "member": view.member_filter,
            "document": view.document_filter,
            "time_zone": view.timezone_name(),
            "items_total_exact": bool(view.total_exact),
            "reading": bool(view.reading),
        }
        if view.reading:
            found[MINUTES_FIELD] = view.minutes_text or None
            found[END_FIELD] = view.to_end
        found.update(reports.batched(request, view.rows, self.serializer(view)))
        for kind, message in view.messages:
            # A warning the page would show (a reversed window): said, not refused.
            found.setdefault("messages", []).append(
                {"type": kind, "message": translate(message, context=request)}
            )
        return found

    def check_sort(self, view):
        """The page falls back to its default sort; a client hears why."""
        wanted = self.request.form.get("sort_on")
        if wanted in (None, "") or wanted == view.sort_on:
            return
        known = [column for column in view.columns if view.sortable(column)]
        raise errors.bad_request(
            f"Unknown sort_on: {str(wanted)[:80]!r}. Known: {', '.join(known)}."
        )

    @staticmethod
    def serializer(view):
        def serialize(row):
            found = {
                "member": row["member"],
                "fullname": row["fullname"],
                "url": row["url"] or None,
                "count": row["count"],
                "firstaccess": reports.iso(view, row["firstaccess"]),
                "lastaccess": reports.iso(view, row["lastaccess"]),
            }
            if view.paged:
                found["document"] = {
                    "@id": row["document_url"],
                    "id": row["document_id"],
                    "path": row["path"],
                    "title": row["title"],
                }
                if view.per == "document":
                    # How many addresses it was read at: per=url&member=
                    # &document=<id> lists them.
                    found["addresses"] = row["urls"]
            if view.reading:
                found["seconds"] = row["seconds"]
                found["reached_end"] = row["reached_end"]
            return found

        return serialize
