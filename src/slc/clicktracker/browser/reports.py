"""What every report page shares: the time zone, the date window, names,
times, batching, and one way to say that the storage could not answer.

A report is never tracked itself (it marks its request ``IContentIsIgnored``).
Subclasses set ``unreachable`` and ``broken`` to their own messages.
"""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from plone import api
from Products.Five.browser import BrowserView
from slc.clicktracker import _
from slc.clicktracker.browser import names
from slc.clicktracker.browser.durations import Durations
from slc.clicktracker.browser.localtimes import LocalTimes
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.sitezone import site_timezone
from urllib.parse import urlsplit
from zExceptions import Unauthorized
from ZODB.POSException import ConflictError
from zope.interface import alsoProvides
import functools
import hashlib
import logging


logger = logging.getLogger("slc.clicktracker")

BATCH_SIZE = 50
STATIC = Path(__file__).parent / "static"

NOT_CONFIGURED = _(
    "No click tracker database is configured: a site administrator can set "
    "it in Site Setup → Click tracker settings."
)


def is_http_url(url):
    try:
        return urlsplit(url).scheme.lower() in ("http", "https")
    except ValueError:
        return False


def text_field(value):
    """A form value as stripped text; "" for anything else (lists, files)."""
    return value.strip() if isinstance(value, str) else ""


class ReportView(BrowserView):
    """Base of the report pages; call ``setup()`` first in ``__call__``."""

    # What the report reads, for the server log.
    what = "the report"

    def unreachable(self, reason):
        """The message shown when the storage failed with ``reason``."""
        raise NotImplementedError

    broken = None  # the message for any other failure; set by subclasses

    def aria_sort(self, column):
        """A sorted table's header: ``aria-sort`` of ``column``, or None
        (for reports that set ``sort_on`` and ``reverse``)."""
        if column != self.sort_on:
            return None
        return "descending" if self.reverse else "ascending"

    def setup(self):
        # A report is not a reading of the page it is about: never record it.
        alsoProvides(self.request, IContentIsIgnored)
        self.messages = []  # (kind, text): "error", "warning", "info"
        self.failed = False
        self.tz = site_timezone()
        self.durations = Durations(self.request)

    def fail(self, message):
        self.failed = True
        self.messages.append(("error", message))

    def read(self, work, default):
        """``work()``, or ``default`` with a message when the storage fails."""
        if self.failed:
            return default
        try:
            return work()
        except ConflictError:
            raise
        except StorageNotConfigured:
            self.fail(NOT_CONFIGURED)
        except StorageError as exc:
            # The storage's message has no secrets in it (see StorageError).
            logger.warning("Cannot read %s: %s", self.what, exc)
            self.fail(self.unreachable(" ".join(str(exc).split())))
        except Exception:
            logger.exception("Cannot read %s", self.what)
            self.fail(self.broken)
        return default

    # -- the date window ---------------------------------------------------------

    def read_window(self, nothing_matches):
        """``since``/``until`` of the form: texts, days and aware datetimes.

        Days are inclusive and in the site's time zone; ``until`` is the
        midnight after its day. A date that cannot be read is reported and
        ignored; ``nothing_matches`` is the warning for a reversed window.
        """
        form = self.request.form
        self.since_text = text_field(form.get("since"))
        self.until_text = text_field(form.get("until"))
        since_day = self._parse_day(self.since_text, _("From"))
        until_day = self._parse_day(self.until_text, _("To"))
        if since_day and until_day and since_day > until_day:
            self.messages.append(("warning", nothing_matches))
        self.since = self._start_of(since_day)
        self.until = self._start_of(until_day, days=1)

    def _parse_day(self, text, label):
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.messages.append(
                (
                    "error",
                    _(
                        "msg_invalid_date",
                        default="${label}: “${value}” is not a date; use the "
                        "form YYYY-MM-DD. This limit was ignored.",
                        mapping={"label": label, "value": text},
                    ),
                )
            )
            return None

    def _start_of(self, day, days=0):
        if day is None:
            return None
        try:
            day = day + timedelta(days=days)
        except OverflowError:
            return None  # the day after 9999-12-31: no upper limit
        return datetime.combine(day, time.min, tzinfo=self.tz)

    def batch_start(self):
        try:
            return max(int(self.request.form.get("b_start", 0)), 0)
        except (TypeError, ValueError):
            return 0

    # -- names and times ---------------------------------------------------------

    def fullname(self, member):
        """See ``names.fullname``; looked up once per request."""
        cache = self.__dict__.setdefault("_fullnames", {})
        if member not in cache:
            cache[member] = names.fullname(member)
        return cache[member]

    def fullnames(self, members):
        """``{member: full name}`` for many at once (see ``names.many``)."""
        found = names.many(members)
        self.__dict__.setdefault("_fullnames", {}).update(found)
        return found

    def member_label(self, member):
        name = self.fullname(member)
        return f"{name} ({member})" if name else member

    def _local(self, value):
        if not isinstance(value, datetime):
            return value
        if value.utcoffset() is None:
            # Storages record aware times; a naive one is taken to be UTC.
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.tz)

    def format_time(self, value):
        """``value`` in the site's long date-time format and time zone."""
        if value is None:
            return ""
        value = self._local(value)
        if not isinstance(value, datetime):
            return str(value)
        return self.local_times.format(value, "date_format_long")

    @property
    def local_times(self):
        """The site's date formats, translated once per request."""
        return self.__dict__.setdefault("_times", LocalTimes(self.request))

    def iso_time(self, value):
        """``value`` for spreadsheets: "YYYY-MM-DD HH:MM:SS", site time zone."""
        if value is None:
            return ""
        value = self._local(value)
        if not isinstance(value, datetime):
            return str(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")

    def timezone_name(self):
        return getattr(self.tz, "key", None) or str(self.tz)


@functools.cache
def resource_path(name):
    """``++resource++slc.clicktracker/<name>?v=…`` of a file in ``static/``:
    a new address whenever the file changes, so caches never mix versions."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"++resource++slc.clicktracker/{name}?v={digest}"


class TabPart(ReportView):
    """A report rendered inside ``@@tracking`` (not a page of its own):
    the readers report, the reading matrix. ``can_view``: whether the user
    may see it (the tab checks the permission once)."""

    updated = False

    def __init__(self, context, request, can_view=False):
        super().__init__(context, request)
        self.can_view = can_view

    def __call__(self):
        return self.index()

    def html(self):
        """The part for the tab's page (read now, unless a refused download
        has read it already)."""
        if not self.updated:
            self.update()
        return self()

    def csv(self):
        """The CSV download, or None when there is nothing to download (the
        tab then shows the page, which says why)."""
        if not self.can_view:
            raise Unauthorized("You may not view the reading status here.")
        self.update()
        if self.failed or not self.downloadable():
            return None
        return self.download()

    def downloadable(self):
        """Whether, once read, there is something to download."""
        raise NotImplementedError

    def download(self):
        """The download's body (None when reading for it failed)."""
        raise NotImplementedError

    def stylesheet(self, name):
        """The URL of the stylesheet ``name`` in ``static/``."""
        return f"{api.portal.get().absolute_url()}/{resource_path(name)}"
