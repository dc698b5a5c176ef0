"""Reminders: e-mail the expected readers of an item who have not read it.

One mechanism for both ways in: the "Remind those who have not read" button
on the readers report (``browser/remind.py``) and the scheduled run
``clicktracker-remind`` (``reminders/cli.py``) call ``send``. Who may be
reminded now is claimed in the storage (``IReminderStorage``) before any
mail goes out, so several Zope instances, or a button pressed during the
scheduled run, never remind a member of an item twice within the interval
set in the control panel. A mail that cannot be sent gives its claim back.

Mail goes through the site's MailHost, at once rather than at the end of the
transaction: the claims are in PostgreSQL, outside the ZODB transaction,
and must match what was really sent.
"""

from collections import namedtuple
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from slc.clicktracker import _
from slc.clicktracker import readers
from slc.clicktracker.readtime import rule
from slc.clicktracker.reminders import settings
from slc.clicktracker.sitezone import site_timezone
from slc.clicktracker.sitezone import timezone_name
from slc.clicktracker.storage.utility import read_status_storage
from slc.clicktracker.storage.utility import reminder_storage
from string import Template
from ZODB.POSException import ConflictError
from zope.i18n import translate
import logging


logger = logging.getLogger("slc.clicktracker.reminders")

Recipient = namedtuple("Recipient", "member fullname email")

# Who would be reminded now: ``to_remind`` (with an e-mail address),
# ``without_email``, and ``recent``: (Recipient, when reminded) pairs of
# those reminded within the interval, who are left out.
Plan = namedtuple("Plan", "to_remind without_email recent")

# What ``send`` did; ``failed`` holds (Recipient, reason) pairs.
Outcome = namedtuple("Outcome", "sent without_email recent failed")


class RemindersUnavailable(Exception):
    """Reminders cannot be sent: the storage cannot record them, or the
    site has no mail server. The message says which, for the page."""


def _path(context):
    return "/".join(context.getPhysicalPath())


def _recipient(member):
    user = api.user.get(userid=member)
    if user is None:
        return Recipient(member, member, "")
    fullname = user.getProperty("fullname", "") or member
    return Recipient(member, fullname, (user.getProperty("email", "") or "").strip())


def plan(context, when=None, configured=None):
    """Who ``send`` would remind of ``context`` now (nothing is written).

    :param configured: the ReminderSettings (default: read them).
    :raises RemindersUnavailable: when the storage cannot say who read it or
        record reminders.
    :raises StorageError: when the database fails.
    """
    found = readers.expectation(context)
    if found is None:
        return Plan([], [], [])
    configured = configured or settings.read()
    status, reminded = read_status_storage(), reminder_storage()
    if status is None or reminded is None:
        raise RemindersUnavailable(
            _("This storage cannot record reminders, so none can be sent.")
        )
    when = when or datetime.now(UTC)
    path = _path(context)
    expected = readers.expected_members(found.principals)
    rules = {path: rule.terms(found.rule)}
    rows = status.read_status([path], members=list(expected), rules=rules)
    read = {row.member for row in rows if row.read_at is not None}
    unread = sorted(set(expected) - read)
    since = when - timedelta(days=configured.interval_days)
    recent = {
        row.member: row.sent
        for row in reminded.reminders([path], members=unread)
        if row.sent > since
    }
    to_remind, without_email, recent_pairs = [], [], []
    for member in unread:
        recipient = _recipient(member)
        if member in recent:
            recent_pairs.append((recipient, recent[member]))
        elif recipient.email:
            to_remind.append(recipient)
        else:
            without_email.append(recipient)
    return Plan(to_remind, without_email, recent_pairs)


def mail_problem():
    """Why the site cannot send mail now, or None."""
    if not api.portal.get_registry_record("plone.email_from_address", default=""):
        return _("The site has no sender e-mail address (Site Setup → Mail).")
    # Plone's mail settings, not the MailHost's own: Plone makes every
    # mailer read them (Products.CMFPlone.patches.sendmail).
    if not api.portal.get_registry_record("plone.smtp_host", default=""):
        return _("The site has no mail server (Site Setup → Mail).")
    return None


def placeholders(context, sender):
    """The values a reminder's templates are filled with, but for the
    recipient's ``fullname``: the same for every mail about ``context``."""
    found = readers.expectation(context)
    deadline = found.deadline if found is not None else None
    # Mail is read later and elsewhere: in the site's language.
    language = api.portal.get_default_language()
    if deadline is None:
        text = _("reminder_no_deadline", default="no deadline set")
    else:
        tz = site_timezone()
        local = deadline.astimezone(tz)
        parts = {key: local.strftime(f"%{key}") for key in "YmdHM"}
        text = _(
            "reminder_deadline",
            default="${Y}-${m}-${d} ${H}:${M} (${timezone})",
            mapping=dict(parts, timezone=timezone_name(tz)),
        )
    deadline_text = translate(text, target_language=language)
    portal = api.portal.get()
    return {
        "title": context.Title() or context.getId(),
        "url": context.absolute_url(),
        "deadline": deadline_text,
        "sender": sender,
        "site": portal.Title() or portal.absolute_url(),
    }


def in_language(configured, language):
    """``configured`` with its default subject and body in ``language``; a
    site's own texts stay as they are."""
    subject, body = configured.subject, configured.body
    if subject.strip() == settings.DEFAULT_SUBJECT:
        subject = translate(settings.SUBJECT_MESSAGE, target_language=language)
    if body.replace("\r\n", "\n").strip() == settings.DEFAULT_BODY.strip():
        body = translate(settings.BODY_MESSAGE, target_language=language)
    return configured._replace(subject=subject, body=body)


def compose(configured, values, recipient):
    """(subject, body) of the reminder to ``recipient``.

    :param configured: the ReminderSettings (the templates).
    :param values: ``placeholders()`` of the item.
    """
    values = dict(values, fullname=recipient.fullname)
    # safe_substitute: templates saved before validation existed still send.
    subject = Template(configured.subject).safe_substitute(values)
    body = Template(configured.body).safe_substitute(values)
    # A header must be one line, whatever a title holds.
    return " ".join(subject.split()), body


def send(context, sender=None, when=None):
    """Remind of ``context`` those expected readers who have not read it.

    :param sender: the name the mail gives as sender in its text (the
        member pressing the button); default the site's "From" name.
    :returns: an Outcome.
    :raises RemindersUnavailable: no reminder storage or no mail server
        (nothing is claimed or sent).
    :raises StorageError: the database failed before any mail was sent.
    """
    problem = mail_problem()
    if problem:
        raise RemindersUnavailable(problem)
    when = when or datetime.now(UTC)
    configured = in_language(settings.read(), api.portal.get_default_language())
    found = plan(context, when, configured)
    sender = sender or api.portal.get_registry_record(
        "plone.email_from_name", default=""
    )
    values = placeholders(context, sender)
    storage = reminder_storage()
    path = _path(context)
    claimed = set(
        storage.claim_reminders(
            path,
            [recipient.member for recipient in found.to_remind],
            timedelta(days=configured.interval_days),
            uid=api.content.get_uuid(context),
            title=context.Title(),
            when=when,
        )
    )
    sent, failed = [], []
    for recipient in found.to_remind:
        if recipient.member not in claimed:
            continue  # another instance reminded them a moment ago
        subject, body = compose(configured, values, recipient)
        try:
            api.portal.send_email(
                recipient=recipient.email, subject=subject, body=body, immediate=True
            )
        except ConflictError:
            raise
        except Exception as error:
            logger.warning("Reminder to %s failed: %s", recipient.member, error)
            storage.release_reminder(path, recipient.member, when)
            failed.append((recipient, str(error) or type(error).__name__))
        else:
            sent.append(recipient)
    return Outcome(sent, found.without_email, found.recent, failed)
