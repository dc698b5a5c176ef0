"""The scheduled run's part: which items are due a reminder, and reminding
for all of them (``clicktracker-remind``, ``reminders/cli.py``)."""

from collections import namedtuple
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from slc.clicktracker import readers
from slc.clicktracker import reminders
from slc.clicktracker.readinglist import expected_items
from slc.clicktracker.reminders import settings


# What happened for one item: ``outcome`` is a reminders.Outcome, or a
# reminders.Plan when only asked what would be sent.
Run = namedtuple("Run", "path title deadline outcome")


def due_items(when=None, days_ahead=None):
    """The documents with expected readers whose deadline is ahead, at most
    ``days_ahead`` days (default: the control panel's) from ``when``.

    Runs as a user who may see everything (the scheduled run is Zope's
    system user): the catalog search checks View.
    """
    when = when or datetime.now(UTC)
    if days_ahead is None:
        days_ahead = settings.read().days_ahead
    until = when + timedelta(days=days_ahead)
    catalog = api.portal.get_tool("portal_catalog")
    # Every id any expectation names, so every expectation counts.
    principals = set()
    if readers.INDEX in catalog.indexes():
        principals.update(catalog.uniqueValuesFor(readers.INDEX))
    own = readers.own_expectation(api.portal.get())
    if own is not None:
        principals.update(own.principals)
    items = [
        item
        for item in expected_items(principals)
        if item.deadline is not None and when < item.deadline <= until
    ]
    return sorted(items, key=lambda item: (item.deadline, item.path))


def remind_due(when=None, days_ahead=None, dry_run=False):
    """Remind, for every item ``due_items`` finds, those who have not read it.

    :returns: a list of Run, one per item.
    :raises reminders.RemindersUnavailable: no reminder storage or no mail
        server (nothing is sent).
    """
    when = when or datetime.now(UTC)
    problem = None if dry_run else reminders.mail_problem()
    if problem:
        raise reminders.RemindersUnavailable(problem)
    portal = api.portal.get()
    runs = []
    for item in due_items(when, days_ahead):
        obj = portal.unrestrictedTraverse(item.path)
        if dry_run:
            outcome = reminders.plan(obj, when)
        else:
            outcome = reminders.send(obj, when=when)
        runs.append(Run(item.path, item.title, item.deadline, outcome))
    return runs
