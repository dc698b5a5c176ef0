"""What the report services share (``@tracking-log``, ``@readers``,
``@readers-matrix``, ``@clicktracker-visits``).

Each service runs the report view of the Classic UI (``browser/``) on its
own request, so both answer from the same code; here are the steps around
it: the permission, the refusals (400 for what the page would say was
typed wrong, 503 when the page would say the storage failed), times as ISO
8601, plone.restapi's batching, and CSV instead of JSON where asked.
"""

from datetime import date
from plone import api
from plone.restapi.batching import DEFAULT_BATCH_SIZE
from plone.restapi.batching import HypermediaBatch
from slc.clicktracker.restapi import errors
from slc.clicktracker.restapi.base import ClickTrackerService
import json


# A page of more rows than this is a download: ask for the CSV.
MAX_BATCH_SIZE = 1000
ORDERS = ("ascending", "descending")


class Download:
    """A body that is not JSON (set up by the report's CSV code)."""

    def __init__(self, body):
        self.body = body


class ReportService(ClickTrackerService):
    """A service answering with a report: JSON, or a ``Download``."""

    def render(self):
        # plone.restapi's render, except that a download is sent as it is.
        self.check_permission()
        content = self.reply()
        if isinstance(content, Download):
            return content.body
        self.request.response.setHeader("Content-Type", self.content_type)
        return json.dumps(content, indent=2, sort_keys=True, separators=(", ", ": "))


def require(context, permission, message):
    """401 (anonymous) or 403 unless the user has ``permission`` here."""
    if not api.user.has_permission(permission, obj=context):
        raise errors.unauthorized(message)


def not_found(message):
    return errors.APIError(404, "NotFound", message)


def refuse(view):
    """Raise what the page would show as an error: 503 when the storage
    failed (its message, never a traceback), else 400 for bad input."""
    found = [message for kind, message in view.messages if kind == "error"]
    if view.failed:
        raise errors.APIError(503, "ServiceUnavailable", found[-1])
    if found:
        raise errors.bad_request(found[0])


def wants_csv(request):
    """``?format=csv``, or an Accept header that asks for CSV and not JSON."""
    if request.form.get("format") == "csv":
        return True
    accept = request.getHeader("Accept", "") or ""
    return "text/csv" in accept and "application/json" not in accept


def check_format(request):
    value = request.form.get("format")
    if value not in (None, "", "csv", "json"):
        raise errors.bad_request(f"Unknown format: {value!r}. Known: csv, json.")


def whole_number(request, name, default, low, high):
    """The form's ``name`` as an int from ``low`` to ``high``, else 400."""
    text = request.form.get(name)
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise errors.bad_request(
            f"{name} must be a whole number from {low} to {high}, not {text!r}."
        )
    return value


def batch_size(request):
    """``b_size`` (plone.restapi's default 25); ``b_start`` is checked too."""
    whole_number(request, "b_start", 0, 0, 10**9)
    return whole_number(request, "b_size", DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE)


def one_of(request, name, known, default=None):
    """The form's ``name`` if it is one of ``known``, else 400."""
    value = request.form.get(name)
    if value in (None, ""):
        return default
    if value not in known:
        raise errors.bad_request(
            f"Unknown {name}: {str(value)[:80]!r}. Known: {', '.join(known)}."
        )
    return value


def check_days(request):
    """``since`` and ``until``: days, else 400 (the page would ignore them)."""
    for name in ("since", "until"):
        text = request.form.get(name)
        if text in (None, ""):
            continue
        try:
            date.fromisoformat(str(text).strip())
        except ValueError:
            raise errors.bad_request(
                f"{name}: {str(text)[:40]!r} is not a date; use the form YYYY-MM-DD."
            ) from None


def batched(request, rows, serialize):
    """plone.restapi's listing: ``@id``, ``items``, ``items_total`` and,
    when there is more than one page, ``batching`` (its links). ``rows`` may
    be one page with ``actual_result_count`` (``accesslog.PageRows``)."""
    batch = HypermediaBatch(request, rows)
    found = {
        "@id": batch.canonical_url,
        "items": [serialize(row) for row in batch],
        "items_total": batch.items_total,
    }
    links = batch.links
    if links:
        found["batching"] = links
    return found


def iso(view, value):
    """A stored time in ISO 8601, in the site's time zone (as the page)."""
    if value is None:
        return None
    return view._local(value).isoformat()
