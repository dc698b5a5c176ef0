"""The Tracking tab: switch tracking on or off and read the access log."""

from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from plone import api
from plone.batching import Batch
from plone.protect.authenticator import check as check_authenticator
from plone.protect.authenticator import createToken
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import tracking
from slc.clicktracker.browser.csvexport import to_csv
from slc.clicktracker.controlpanel.dsn import scrub
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.storage import StorageError
from slc.clicktracker.storage.utility import ConfiguredStorage
from slc.clicktracker.storage.utility import effective_dsn
from urllib.parse import urlencode
from urllib.parse import urlsplit
from zExceptions import Unauthorized
from ZODB.POSException import ConflictError
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError
from zope.component import queryUtility
from zope.interface import alsoProvides
import logging
import psycopg2
import re


logger = logging.getLogger("slc.clicktracker")

MANAGE_TRACKING = "slc.clicktracker: Manage tracking"
VIEW_ACCESS_LOG = "slc.clicktracker: View access log"

# Sort keys the storage orders by itself; the others are sorted here.
STORAGE_SORTS = ("member", "url", "count", "lastaccess")
PYTHON_SORTS = ("fullname", "firstaccess")
DEFAULT_SORT = "member"
REVERSE_ORDERS = ("descending", "reverse", "desc")

BATCH_SIZE = 50

CSV_HEADER = ("User ID", "Full name", "URL", "Views", "First access", "Last access")

_MISSING = object()


def row_value(row, name, index=None):
    """Field ``name`` of a log row: attribute, mapping key, else ``row[index]``.

    Third-party storages may return plain tuples; careful: a tuple has
    methods called ``count`` and ``index``, which are not the data.
    """
    if isinstance(row, Mapping):
        value = row.get(name, _MISSING)
    else:
        value = getattr(row, name, _MISSING)
    if value is not _MISSING and not callable(value):
        return value
    if index is not None and not isinstance(row, Mapping):
        try:
            return row[index]
        except (IndexError, KeyError, TypeError):
            pass
    return None


def site_timezone():
    name = api.portal.get_registry_record("plone.portal_timezone", default=None)
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return UTC


def is_http_url(url):
    try:
        return urlsplit(url).scheme.lower() in ("http", "https")
    except ValueError:
        return False


def _sort_key(value):
    # Rows without the value (older third-party storages) sort together,
    # without comparing None to datetimes.
    return (value is not None, value if value is not None else 0)


class TrackingView(BrowserView):
    """``@@tracking``: tracking status and switch, access log and its CSV."""

    index = ViewPageTemplateFile("templates/tracking.pt")

    def __call__(self):
        # The report is not a reading of the document: never record it.
        alsoProvides(self.request, IContentIsIgnored)
        self.can_manage = bool(
            api.user.has_permission(MANAGE_TRACKING, obj=self.context)
        )
        self.can_view_log = bool(
            api.user.has_permission(VIEW_ACCESS_LOG, obj=self.context)
        )
        if not (self.can_manage or self.can_view_log):
            raise Unauthorized("You may not manage tracking here.")
        form = self.request.form
        if self.request.get("REQUEST_METHOD") == "POST" and "tracking_action" in form:
            return self.toggle(form.get("tracking_action"))
        if form.get("format") == "csv":
            return self.csv()
        self.update()
        return self.index()

    # -- tracking status and switch ------------------------------------------

    @property
    def context_url(self):
        return self.context.absolute_url()

    def status(self):
        """``(state, source)``; state is "direct", "inherited" or "none"."""
        source = tracking.tracking_source(self.context)
        if source is None:
            return "none", None
        if IContentIsTracked.providedBy(self.context):
            return "direct", source
        return "inherited", source

    def source_info(self):
        _state, source = self.status()
        if source is None:
            return None
        return {
            "title": source.Title() or source.getId(),
            "url": source.absolute_url() + "/@@tracking",
        }

    def authenticator(self):
        return createToken()

    def toggle(self, action):
        if not self.can_manage:
            raise Unauthorized("You may not change tracking here.")
        # The marker is a ZODB write plone.protect would catch only after the
        # fact; refuse forged requests before changing anything.
        check_authenticator(self.request)
        context = self.context
        if action == "enable":
            if IContentIsTracked.providedBy(context):
                self.notify(_("This item was already tracked."), "info")
            else:
                tracking.enable(context)
                self.notify(
                    _(
                        "Tracking enabled: views of this item and everything "
                        "below it are now recorded."
                    ),
                    "info",
                )
        elif action == "disable":
            direct = IContentIsTracked.providedBy(context)
            if direct:
                tracking.disable(context)
            source = tracking.tracking_source(context)
            if source is not None:
                mapping = {
                    "title": source.Title() or source.getId(),
                    "url": source.absolute_url(),
                }
                if direct:
                    message = _(
                        "msg_disabled_still_inherited",
                        default="Tracking set on this item was removed, but it "
                        "is still tracked through ${title} (${url}).",
                        mapping=mapping,
                    )
                else:
                    message = _(
                        "msg_cannot_disable_inherited",
                        default="This item is tracked through ${title} "
                        "(${url}); tracking can only be disabled there.",
                        mapping=mapping,
                    )
                self.notify(message, "warning")
            elif direct:
                self.notify(_("Tracking disabled."), "info")
            else:
                self.notify(_("This item was not tracked."), "info")
        else:
            self.notify(_("Unknown action: nothing was changed."), "error")
        self.request.response.redirect(self.context_url + "/@@tracking")
        return ""

    def notify(self, message, kind):
        api.portal.show_message(message=message, request=self.request, type=kind)

    # -- access log ----------------------------------------------------------

    def update(self):
        """Read the request's sort and window, and the log if allowed."""
        form = self.request.form
        self.messages = []  # (css class, text) shown above the log
        self.log_failed = False
        self.windows_supported = True
        self.rows = []
        self.tz = site_timezone()

        sort_on = form.get("sort_on")
        self.sort_on = (
            sort_on if sort_on in STORAGE_SORTS + PYTHON_SORTS else DEFAULT_SORT
        )
        self.reverse = form.get("sort_order") in REVERSE_ORDERS

        self.since_text = self._text(form.get("since"))
        self.until_text = self._text(form.get("until"))
        since_day = self._parse_day(self.since_text, _("From"))
        until_day = self._parse_day(self.until_text, _("To"))
        if since_day and until_day and since_day > until_day:
            self.messages.append(
                ("warning", _("The start date is after the end date: no hits match."))
            )
        self.since = self._start_of(since_day)
        # "To" includes that whole day: hits before the next midnight.
        self.until = self._start_of(until_day, days=1)

        if self.can_view_log:
            self.rows = self._load()

    @staticmethod
    def _text(value):
        return value.strip() if isinstance(value, str) else ""

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

    def _load(self):
        storage = queryUtility(IClickStorage)
        if storage is None:
            return self._failed(_("No click storage is registered."))
        dsn = ""
        if isinstance(storage, ConfiguredStorage):
            dsn, _source = effective_dsn()
            if not dsn:
                return self._failed(
                    _(
                        "No click tracker database is configured: a site "
                        "administrator can set it in Site Setup → Click tracker "
                        "settings."
                    )
                )
        prefix = "/".join(self.context.getPhysicalPath())
        order_by = self.sort_on if self.sort_on in STORAGE_SORTS else None
        reverse = self.reverse if order_by else False
        window = {}
        if self.since is not None:
            window["since"] = self.since
        if self.until is not None:
            window["until"] = self.until
        try:
            try:
                raw = storage.getLog(prefix, order_by, reverse, **window)
            except TypeError:
                if not window:
                    raise
                # An older storage without since/until: say so, show all.
                self.windows_supported = False
                self.messages.append(
                    (
                        "warning",
                        _(
                            "This click storage does not support time windows: "
                            "the whole log is shown."
                        ),
                    )
                )
                raw = storage.getLog(prefix, order_by, reverse)
            rows = [self._row(row) for row in raw]
        except ConflictError:
            raise
        except (StorageError, psycopg2.Error, OSError) as exc:
            logger.warning("Cannot read the access log of %s: %s", prefix, exc)
            return self._failed(
                _(
                    "msg_storage_unreachable",
                    default="The access log cannot be read right now: the "
                    "click tracker database is unreachable (${reason}).",
                    mapping={"reason": scrub(" ".join(str(exc).split()), dsn)},
                )
            )
        except Exception:
            logger.exception("Cannot read the access log of %s", prefix)
            return self._failed(
                _("The access log cannot be read right now; see the server log.")
            )
        if self.sort_on == "fullname":
            # Members without a name (deleted ones) sort by their id.
            rows.sort(
                key=lambda row: (
                    (row["fullname"] or row["member"]).lower(),
                    row["member"],
                    row["url"],
                ),
                reverse=self.reverse,
            )
        elif self.sort_on == "firstaccess":
            rows.sort(
                key=lambda row: (
                    _sort_key(row["firstaccess"]),
                    row["member"],
                    row["url"],
                ),
                reverse=self.reverse,
            )
        return rows

    def _failed(self, message):
        self.log_failed = True
        self.messages.append(("error", message))
        return []

    def _row(self, row):
        member = str(row_value(row, "member", 0) or "")
        url = str(row_value(row, "url", 3) or "")
        return {
            "member": member,
            "fullname": self.fullname(member),
            "url": url,
            "href": url if is_http_url(url) else None,
            "count": row_value(row, "count", 1),
            "firstaccess": row_value(row, "firstaccess"),
            "lastaccess": row_value(row, "lastaccess", 2),
        }

    def fullname(self, member):
        """The member's full name, "" when unknown or deleted; cached per request."""
        cache = self.__dict__.setdefault("_fullnames", {})
        if member not in cache:
            name = ""
            try:
                user = api.user.get(userid=member) if member else None
            except ConflictError:
                raise
            except Exception:
                # An odd id from the log must not break the report.
                user = None
            if user is not None:
                name = user.getProperty("fullname", "") or ""
            cache[member] = name
        return cache[member]

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
        try:
            return api.portal.get_localized_time(datetime=value, long_format=True)
        except (ValueError, TypeError, AttributeError):
            return value.strftime("%Y-%m-%d %H:%M")

    def iso_time(self, value):
        """``value`` for spreadsheets: "YYYY-MM-DD HH:MM:SS", site time zone."""
        if value is None:
            return ""
        value = self._local(value)
        if not isinstance(value, datetime):
            return str(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")

    def batch(self):
        try:
            start = max(int(self.request.form.get("b_start", 0)), 0)
        except (TypeError, ValueError):
            start = 0
        return Batch(self.rows, size=BATCH_SIZE, start=start)

    def display(self, row):
        return dict(
            row,
            firstaccess=self.format_time(row["firstaccess"]),
            lastaccess=self.format_time(row["lastaccess"]),
            count="" if row["count"] is None else str(row["count"]),
        )

    def _query(self, **changes):
        params = {}
        if self.since_text:
            params["since"] = self.since_text
        if self.until_text:
            params["until"] = self.until_text
        params["sort_on"] = self.sort_on
        params["sort_order"] = "descending" if self.reverse else "ascending"
        params.update(changes)
        return urlencode(params)

    def sort_url(self, column):
        """The column header's link: sort by it, or flip the current order."""
        flip = column == self.sort_on and not self.reverse
        order = "descending" if flip else "ascending"
        return (
            f"{self.context_url}/@@tracking?"
            f"{self._query(sort_on=column, sort_order=order)}"
        )

    def aria_sort(self, column):
        if column != self.sort_on:
            return None
        return "descending" if self.reverse else "ascending"

    def csv_url(self):
        return f"{self.context_url}/@@tracking?{self._query(format='csv')}"

    def timezone_name(self):
        return getattr(self.tz, "key", None) or str(self.tz)

    # -- CSV -----------------------------------------------------------------

    def csv(self):
        if not self.can_view_log:
            raise Unauthorized("You may not view the access log here.")
        self.update()
        if self.log_failed:
            # Better the page with its explanation than an empty download.
            return self.index()
        tz = self.timezone_name()
        header = (
            *CSV_HEADER[:4],
            f"{CSV_HEADER[4]} ({tz})",
            f"{CSV_HEADER[5]} ({tz})",
        )
        body = to_csv(
            header,
            (
                (
                    row["member"],
                    row["fullname"],
                    row["url"],
                    "" if row["count"] is None else row["count"],
                    self.iso_time(row["firstaccess"]),
                    self.iso_time(row["lastaccess"]),
                )
                for row in self.rows
            ),
        )
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.context.getId() or "site")
        stamp = datetime.now(self.tz).strftime("%Y%m%d")
        response = self.request.response
        response.setHeader("Content-Type", "text/csv; charset=utf-8")
        response.setHeader(
            "Content-Disposition",
            f'attachment; filename="access-log-{name}-{stamp}.csv"',
        )
        # Who read what is personal data: keep it out of shared caches.
        response.setHeader("Cache-Control", "private, no-store")
        # The BOM makes Excel read the file as UTF-8.
        return ("\ufeff" + body).encode("utf-8")
