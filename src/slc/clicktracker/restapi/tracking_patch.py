"""``PATCH <content>/@tracking``: switch tracking, set or remove the
expected readers, for "Manage tracking" (as the Tracking tab).

Body (every key optional)::

    {"tracked": true,
     "expected_readers": {"principals": ["board", "alice"],
                          "deadline": "2026-12-24T18:00",
                          "confirm": true,
                          "rule": {"kind": "seconds", "seconds": 120}}}

``"expected_readers": null`` removes those set here. Keys left out of
``expected_readers`` keep what is set here. A deadline is ISO 8601: a date
(the end of that day) or a date and time, in the site's time zone unless it
says its own offset. Everything is checked before anything is written, so
a refused request changes nothing; the answer is 204, or 400 with the
first problem in words. No CSRF token is asked for, as plone.restapi's own
writing services ask none: a JSON PATCH cannot be sent cross-site without
the CORS preflight that plone.rest answers. With ``Prefer:
return=representation`` the answer is 200 with what ``GET`` gives.
"""

from datetime import UTC
from datetime import date
from datetime import datetime
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.browser.confirm import refresh_cached_pages
from slc.clicktracker.browser.expected import END_OF_DAY
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.permissions import MANAGE_TRACKING
from slc.clicktracker.readtime import rule
from slc.clicktracker.restapi import errors
from slc.clicktracker.restapi.base import ClickTrackerService
from slc.clicktracker.restapi.tracking import tracking_info
from slc.clicktracker.sitezone import site_timezone
from zope.interface import alsoProvides


KEYS = {"tracked", "expected_readers"}
READER_KEYS = {"principals", "deadline", "confirm", "rule"}


def unknown_keys(data, known, where):
    unknown = sorted(set(data) - known)
    if unknown:
        names = ", ".join(unknown)
        raise errors.bad_request(
            f"Unknown {where}: {names}. Known: {', '.join(sorted(known))}."
        )


def parse_deadline(value):
    """An aware UTC datetime or None, from ISO 8601 text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.bad_request("deadline must be ISO 8601 text or null.")
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), END_OF_DAY)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise errors.bad_request(
            f"deadline {value[:40]!r} is not a date (YYYY-MM-DD) or a date and "
            "time (YYYY-MM-DDTHH:MM) in ISO 8601."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=site_timezone())
    return moment.astimezone(UTC)


def parse_rule(value):
    if not isinstance(value, dict):
        raise errors.bad_request('rule must be an object such as {"kind": "end"}.')
    unknown_keys(value, {"kind", "seconds"}, "keys in rule")
    kind = value.get("kind")
    seconds = value.get("seconds") or 0
    try:
        return rule.make_rule(kind, seconds)
    except ValueError:
        raise errors.bad_request(
            f"rule kind must be one of {', '.join(rule.KINDS)}; "
            f"{rule.SECONDS!r} needs seconds, a whole number from 1 to "
            f"{rule.MAX_SECONDS}."
        ) from None


def parse_principals(value):
    ok = isinstance(value, list) and all(isinstance(p, str) for p in value)
    if not ok or not any(p.strip() for p in value):
        raise errors.bad_request(
            "principals must be a list of user and group ids, at least one."
        )
    return value


def parse_readers(value, own):
    """The arguments of ``readers.set_expectation``, what ``value`` leaves
    out taken from ``own`` (the expectation set here, or None)."""
    if not isinstance(value, dict):
        raise errors.bad_request("expected_readers must be an object or null.")
    unknown_keys(value, READER_KEYS, "keys in expected_readers")
    if "principals" not in value and own is None:
        raise errors.bad_request(
            "This item has no expected readers of its own (inherited ones are "
            "changed where they are set): send principals to set them here."
        )
    if "principals" in value:
        principals = parse_principals(value["principals"])
    else:
        principals = list(own.principals)
    deadline = own.deadline if own is not None else None
    if "deadline" in value:
        deadline = parse_deadline(value["deadline"])
    confirm = own.confirm if own is not None else False
    if "confirm" in value:
        if not isinstance(value["confirm"], bool):
            raise errors.bad_request("confirm must be true or false.")
        confirm = value["confirm"]
    found = own.rule if own is not None else rule.DEFAULT
    if "rule" in value:
        found = parse_rule(value["rule"])
    return {
        "principals": principals,
        "deadline": deadline,
        "confirm": confirm,
        "read_rule": found,
    }


class TrackingPatch(ClickTrackerService):
    def answer(self):
        context = self.context
        if not api.user.has_permission(MANAGE_TRACKING, obj=context):
            raise errors.unauthorized("You may not manage tracking here.")
        data = self.body()
        unknown_keys(data, KEYS, "keys")
        tracked = data.get("tracked")
        if "tracked" in data and not isinstance(tracked, bool):
            raise errors.bad_request("tracked must be true or false.")
        change = None
        if data.get("expected_readers") is not None:
            change = parse_readers(
                data["expected_readers"], readers.own_expectation(context)
            )
        alsoProvides(self.request, IDisableCSRFProtection)
        before = readers.expectation(context)
        if change is not None:
            try:
                readers.set_expectation(context, **change)
            except ValueError as error:
                # Unknown ids, too many readers: in their own words.
                raise errors.bad_request(
                    getattr(error, "message", str(error))
                ) from None
        elif "expected_readers" in data:
            readers.clear_expectation(context)
        refresh_cached_pages(before, readers.expectation(context))
        if tracked is True and not IContentIsTracked.providedBy(context):
            tracking.enable(context)
        elif tracked is False and IContentIsTracked.providedBy(context):
            tracking.disable(context)
        if "return=representation" in (self.request.getHeader("Prefer") or ""):
            return tracking_info(context)
        return self.reply_no_content()
