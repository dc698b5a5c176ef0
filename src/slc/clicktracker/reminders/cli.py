"""``clicktracker-remind``: the scheduled reminder run, for cron.

    clicktracker-remind --zope-conf /srv/plone/etc/zope.conf --site Plone \
        --url https://intranet.example.org

Starts Zope from its configuration (as ``zconsole run`` does), opens the
site as Zope's system user and reminds, for every item whose deadline is at
most the configured number of days ahead, the expected readers who have not
read it. ``--url`` is the site's public address, for the links in the mails
(without it they would point at http://localhost). ``--dry-run`` prints who
would be reminded and sends nothing. Exit status: 0 done, 1 reminders
cannot be sent (no mail server, a storage without reminders, the database
unreachable), 2 bad arguments.
"""

from urllib.parse import urlsplit
import argparse
import sys


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="clicktracker-remind",
        description="Remind expected readers who have not read items whose "
        "deadline is near.",
    )
    parser.add_argument("--zope-conf", required=True, help="path to zope.conf")
    parser.add_argument("--site", required=True, help="the Plone site's id or path")
    parser.add_argument(
        "--url", default="", help="the site's public URL, for the links in mails"
    )
    parser.add_argument(
        "--days",
        type=int,
        default=None,
        help="remind for deadlines at most this many days ahead "
        "(default: the control panel's setting)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say who would be reminded; send nothing"
    )
    args = parser.parse_args(argv)
    if args.url:
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            parser.error(f"--url must be an http(s) address, not {args.url!r}")
    if args.days is not None and args.days < 0:
        parser.error("--days must be 0 or more")
    return args


def open_site(app, site_path, url):
    """The site, as Zope's system user, with its URLs as ``url`` says."""
    from AccessControl.SecurityManagement import newSecurityManager
    from AccessControl.users import system
    from Testing.makerequest import makerequest
    from zope.component.hooks import setSite
    from zope.globalrequest import setRequest

    app = makerequest(app)
    request = app.REQUEST
    setRequest(request)
    newSecurityManager(None, system)
    site = app.unrestrictedTraverse(site_path.strip("/"))
    if url:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}[parts.scheme]
        request.setServerURL(parts.scheme, parts.hostname, port)
        # As a virtual host rule would: the site is at the URL's path.
        request.other["PARENTS"] = [site]
        request.setVirtualRoot(parts.path)
    setSite(site)
    return site


def report(runs, dry_run, out):
    def say(text):
        print(text, file=out)

    if not runs:
        say("No item has a deadline within the reminder window.")
    for run in runs:
        say(f"{run.path} (deadline {run.deadline:%Y-%m-%d %H:%M %Z}):")
        outcome = run.outcome
        if dry_run:
            for who in outcome.to_remind:
                say(f"  would remind {who.member} <{who.email}>")
        else:
            for who in outcome.sent:
                say(f"  reminded {who.member} <{who.email}>")
            for who, reason in outcome.failed:
                say(f"  FAILED {who.member}: {reason}")
        for who in outcome.without_email:
            say(f"  no e-mail address: {who.member}")
        for who, sent in outcome.recent:
            say(f"  reminded recently ({sent:%Y-%m-%d %H:%M}): {who.member}")


def main(argv=None, out=None, app=None):
    """The console script; ``app`` (a Zope root) for tests instead of
    ``--zope-conf``."""
    out = out or sys.stdout
    args = parse(argv)
    from slc.clicktracker.interfaces import StorageError
    from slc.clicktracker.reminders import RemindersUnavailable
    from slc.clicktracker.reminders.due import remind_due
    from zope.i18n import translate

    if app is None:
        from Zope2.Startup.run import make_wsgi_app
        import Zope2

        make_wsgi_app({}, args.zope_conf)
        app = Zope2.app()
    try:
        open_site(app, args.site, args.url)
        try:
            runs = remind_due(days_ahead=args.days, dry_run=args.dry_run)
        except (RemindersUnavailable, StorageError) as error:
            print(f"clicktracker-remind: {translate(error.args[0])}", file=sys.stderr)
            return 1
        report(runs, args.dry_run, out)
        failed = any(getattr(run.outcome, "failed", None) for run in runs)
        return 1 if failed else 0
    finally:
        import transaction

        # Reminders write to PostgreSQL only; nothing for the ZODB.
        transaction.abort()


def run():
    sys.exit(main())
