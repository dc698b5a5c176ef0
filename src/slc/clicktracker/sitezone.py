"""The site's time zone (Plone's "portal_timezone" setting), for deadlines
and the times reports and reminders show."""

from datetime import UTC
from plone import api
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError


def site_timezone():
    """The site's time zone; UTC when none is set or it is unknown."""
    name = api.portal.get_registry_record("plone.portal_timezone", default=None)
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return UTC


def timezone_name(tz=None):
    """``Europe/Vienna`` rather than a ZoneInfo's repr."""
    tz = tz or site_timezone()
    return getattr(tz, "key", None) or str(tz)
