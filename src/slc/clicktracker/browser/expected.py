"""The Tracking tab's "Expected readers" form: who should read an item and
by when (stored by ``slc.clicktracker.readers``), and whether they are
asked to confirm having read it, for "Manage tracking".

Users and groups are picked with Plone's principal search, the
``pat-select2`` field on ``plone.app.vocabularies.Principals`` that
plone.app.z3cform's ``AjaxSelectWidget`` renders (as on the Sharing tab);
without JavaScript it is a text field of ids separated by ";". The deadline
is a date and a time in the site's time zone, stored in UTC.
"""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from plone import api
from plone.protect.authenticator import check as check_authenticator
from plone.protect.authenticator import createToken
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import readers
from slc.clicktracker.browser import expected_rule
from slc.clicktracker.browser.confirm import refresh_cached_pages
from slc.clicktracker.browser.durations import Durations
from slc.clicktracker.browser.localtimes import LocalTimes
from slc.clicktracker.browser.reports import text_field
from slc.clicktracker.browser.urls import tab_link
from slc.clicktracker.readtime import rule
from slc.clicktracker.sitezone import site_timezone
from slc.clicktracker.sitezone import timezone_name
from zExceptions import Unauthorized
import json
import re


VOCABULARY = "plone.app.vocabularies.Principals"
SEPARATOR = ";"
# The vocabulary's values are "user:alice" and "group:board"; typed ids
# may be separated by ";", "," or new lines.
KINDS = ("user", "group")
SPLIT = re.compile(r"[;,\n]")
# A deadline without a time of day is the end of that day.
END_OF_DAY = time(23, 59)
# Sent with the form: an unticked checkbox sends nothing, so without this a
# request could not say "off" (as z3c.form's empty markers do).
CONFIRM_MARKER = "readers_confirm_shown"


def parse_principals(text):
    """The ids in ``text`` (the field's value), unique, in their order.

    :param text: "user:alice;group:board" from the widget, or ids typed.
    :returns: a list of user and group ids, prefixes removed.
    """
    found = []
    for piece in SPLIT.split(text or ""):
        piece = piece.strip()
        kind, colon, rest = piece.partition(":")
        if colon and kind in KINDS and rest.strip():
            piece = rest.strip()
        if piece and piece not in found:
            found.append(piece)
    return found


def principal_info(principal):
    """``(value, title)`` of a user or group id as the widget shows it."""
    group = api.group.get(groupname=principal)
    if group is not None:
        return f"group:{principal}", group.getProperty("title") or principal
    user = api.user.get(userid=principal)
    if user is not None:
        return f"user:{principal}", user.getProperty("fullname") or principal
    # Deleted since it was set: shown by id, so that saving can drop it.
    return principal, principal


class ExpectedReadersForm(BrowserView):
    """The form's part of ``@@tracking`` (rendered by it, not a page)."""

    index = ViewPageTemplateFile("templates/expected.pt")

    def __init__(self, context, request, can_manage=False):
        super().__init__(context, request)
        self.can_manage = can_manage
        self.errors = {}  # field -> message, after a refused save
        self.submitted = None  # the form's values after a refused save

    def __call__(self):
        return self.index()

    # -- what is set ------------------------------------------------------------

    def own(self):
        return readers.own_expectation(self.context)

    def source(self):
        """The object the expectation in force was set on, or None."""
        return readers.expectation_source(self.context)

    def inherited_from(self):
        """``{title, url}`` of the parent the setting comes from, or None."""
        if self.own() is not None:
            return None
        source = self.source()
        return None if source is None else tab_link(source)

    def current(self):
        """The setting in force, in words: principals, deadline, confirm."""
        expectation = readers.expectation(self.context)
        if expectation is None:
            return None
        return {
            "principals": [
                principal_info(principal)[1] for principal in expectation.principals
            ],
            "deadline": self.deadline_text(expectation.deadline),
            "confirm": expectation.confirm,
            "rule": rule.describe(expectation.rule, Durations(self.request)),
        }

    def deadline_text(self, deadline):
        if deadline is None:
            return None
        local = deadline.astimezone(site_timezone())
        return LocalTimes(self.request).format(local, "date_format_long")

    # -- the fields -------------------------------------------------------------

    def values(self):
        """What the fields show: what was sent, or what is set here."""
        if self.submitted is not None:
            return self.submitted
        own = self.own()
        if own is None:
            values = {"principals": "", "date": "", "time": "", "confirm": False}
            return values | expected_rule.field_values(rule.DEFAULT)
        principals = SEPARATOR.join(principal_info(p)[0] for p in own.principals)
        values = {
            "principals": principals,
            "date": "",
            "time": "",
            "confirm": own.confirm,
            **expected_rule.field_values(own.rule),
        }
        if own.deadline is not None:
            local = own.deadline.astimezone(site_timezone())
            values["date"] = local.date().isoformat()
            values["time"] = local.strftime("%H:%M")
        return values

    def widget_options(self):
        """``data-pat-select2`` as ``AjaxSelectWidget`` makes it.

        The vocabulary is asked on the site root: ``@@getVocabulary`` allows
        this one there to those with "List portal members" (members), while
        elsewhere it wants a form field it can check.
        """
        portal_url = api.portal.get().absolute_url()
        initial = {}
        for piece in parse_principals(self.values()["principals"]):
            value, title = principal_info(piece)
            initial[value] = title
        options = {
            "separator": SEPARATOR,
            "vocabularyUrl": f"{portal_url}/@@getVocabulary?name={VOCABULARY}",
            "allowNewItems": "false",
            "initialValues": initial,
            "width": "100%",
        }
        return json.dumps(options)

    def authenticator(self):
        return createToken()

    def tz_name(self):
        return timezone_name()

    # -- saving -----------------------------------------------------------------

    def handle(self, action):
        """Save or remove; ``True`` when done (redirected), ``False`` when
        the page is to show the form again with its errors.

        :raises Unauthorized: without "Manage tracking" (checked by the tab).
        :raises Forbidden: without a valid authenticator.
        """
        if not self.can_manage:
            raise Unauthorized("You may not set expected readers here.")
        # An annotation write: refuse forged requests before it.
        check_authenticator(self.request)
        before = readers.expectation(self.context)
        if action == "save":
            if not self.save():
                return False
        elif action == "remove":
            self.remove()
        else:
            self.notify(_("Unknown action: nothing was changed."), "error")
        refresh_cached_pages(before, readers.expectation(self.context))
        # To the top of the page, where the message is.
        self.request.response.redirect(self.context.absolute_url() + "/@@tracking")
        return True

    def save(self):
        form = self.request.form
        self.submitted = {
            "principals": text_field(form.get("readers_principals")),
            "date": text_field(form.get("readers_date")),
            "time": text_field(form.get("readers_time")),
            "confirm": self.confirm_sent(),
        }
        own = self.own()
        sent_rule = expected_rule.sent_values(form, own)
        self.submitted.update(sent_rule)
        read_rule, problem = expected_rule.parse(sent_rule)
        if problem is not None:
            self.errors["rule"] = problem
        principals = parse_principals(self.submitted["principals"])
        if not principals:
            self.errors["principals"] = _("Name at least one user or group.")
        deadline = self.parse_deadline(self.submitted["date"], self.submitted["time"])
        if self.errors:
            return False
        try:
            readers.set_expectation(
                self.context,
                principals,
                deadline=deadline,
                confirm=self.submitted["confirm"],
                read_rule=read_rule,
            )
        except ValueError as exc:
            # Unknown ids, too many readers: their own words; else the text.
            self.errors["principals"] = getattr(exc, "message", str(exc))
            return False
        self.notify(_("Expected readers saved."), "info")
        if deadline is not None and deadline < datetime.now(UTC):
            self.notify(_("Note: this deadline has passed already."), "warning")
        return True

    def confirm_sent(self):
        """The checkbox's state; a request without the form's marker (a
        script that knows only the older fields) keeps what is set."""
        form = self.request.form
        if CONFIRM_MARKER not in form:
            own = self.own()
            return own.confirm if own is not None else False
        return bool(form.get("readers_confirm"))

    def parse_deadline(self, date_text, time_text):
        """The aware UTC deadline, or None; notes an error in ``errors``."""
        if not date_text:
            if time_text:
                self.errors["deadline"] = _("A deadline needs a date, not only a time.")
            return None
        try:
            day = date.fromisoformat(date_text)
        except ValueError:
            self.errors["deadline"] = _(
                "msg_readers_bad_date",
                default="“${value}” is not a date; use the form YYYY-MM-DD.",
                mapping={"value": date_text},
            )
            return None
        try:
            moment = time.fromisoformat(time_text) if time_text else END_OF_DAY
        except ValueError:
            self.errors["deadline"] = _(
                "msg_readers_bad_time",
                default="“${value}” is not a time of day; use the form HH:MM.",
                mapping={"value": time_text},
            )
            return None
        local = datetime.combine(day, moment.replace(tzinfo=None))
        return local.replace(tzinfo=site_timezone()).astimezone(UTC)

    def remove(self):
        if self.own() is None:
            self.notify(_("No expected readers were set on this item."), "info")
            return
        readers.clear_expectation(self.context)
        inherited = self.inherited_from()
        if inherited is None:
            self.notify(_("Expected readers removed."), "info")
            return
        self.notify(
            _(
                "msg_readers_removed_inherited",
                default="Expected readers set on this item were removed; "
                "those set on ${title} apply again.",
                mapping={"title": inherited["title"]},
            ),
            "info",
        )

    def notify(self, message, kind):
        api.portal.show_message(message=message, request=self.request, type=kind)
