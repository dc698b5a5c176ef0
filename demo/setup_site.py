"""Create or refresh the demo site; run by start.py via ``zconsole run``.

Idempotent: a second run keeps the site, its content and the members'
passwords; it only re-applies the settings that depend on this checkout
(admin password, database location).
"""

from AccessControl.SecurityManagement import newSecurityManager
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from plone import api
from plone.base.utils import get_installer
from Products.CMFPlone.factory import addPloneSite
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage.hits import new_hit_id
from zope.component import getUtility
from zope.component.hooks import setSite
import json
import os
import random
import secrets
import transaction


SITE_ID = "Plone"
MEMBERS = {"alice": "Alice Archer", "bob": "Bob Baker", "carol": "Carol Clark"}
BOARD = ("alice", "bob", "carol")
# The meeting: expected readers have this many days to read the papers.
DAYS_TO_MEETING = 4
DOCUMENTS = {
    "agenda": ("Agenda", "Items for the next board meeting."),
    "budget-proposal": ("Budget proposal", "The proposal we vote on."),
    "minutes": ("Minutes of the last meeting", "What the board decided."),
}
# Reading history of the minutes: the board read them before and after the
# last meeting, this many days ago (views over time, site statistics).
LAST_MEETING = 30
HISTORY_DAYS = 60


def ensure_admin(app):
    name = os.environ["DEMO_ADMIN_USER"]
    password = os.environ["DEMO_ADMIN_PASSWORD"]
    acl = app.acl_users
    if acl.getUser(name) is None:
        acl.userFolderAddUser(name, password, ["Manager"], [])
    elif hasattr(acl, "users"):
        # The root user folder is a PluggableAuthService: its user manager
        # plugin changes passwords (userFolderEditUser needs a Plone site).
        acl.users.updateUserPassword(name, password)
    else:
        acl.userFolderEditUser(name, password, ["Manager"], [])
    newSecurityManager(None, acl.getUser(name).__of__(acl))


def ensure_site(app):
    if SITE_ID not in app.objectIds():
        addPloneSite(
            app,
            SITE_ID,
            title="Click tracker demo",
            extension_ids=[
                "plone.app.contenttypes:default",
                "plonetheme.barceloneta:default",
                "slc.clicktracker:default",
            ],
        )
    site = app[SITE_ID]
    setSite(site)
    # The REST API as Volto and headless sites have it (JWT @login); a
    # Classic site works without it, the demo shows docs/restapi.rst.
    installer = get_installer(site)
    if not installer.is_product_installed("plone.restapi"):
        installer.install_product("plone.restapi")
    # A demo site made by an older checkout gets the add-on's upgrade steps.
    site.portal_setup.upgradeProfile("slc.clicktracker:default")
    return site


def ensure_members(passwords_file):
    passwords = {}
    if passwords_file.exists():
        passwords = json.loads(passwords_file.read_text())
    for userid, fullname in MEMBERS.items():
        if api.user.get(userid=userid) is None:
            passwords[userid] = secrets.token_urlsafe(9)
            api.user.create(
                username=userid,
                email=f"{userid}@example.org",
                password=passwords[userid],
                properties={"fullname": fullname},
            )
    passwords_file.write_text(json.dumps(passwords))
    passwords_file.chmod(0o600)


def ensure_content(site):
    if "board-meeting" not in site:
        folder = api.content.create(
            container=site, type="Folder", id="board-meeting", title="Board meeting"
        )
        api.content.transition(folder, "publish")
    folder = site["board-meeting"]
    tracking.enable(folder)
    # Editors of the folder manage its tracking (start.py names them).
    for userid in os.environ.get("DEMO_EDITORS", "").split():
        api.user.grant_roles(username=userid, obj=folder, roles=["Editor"])
    for docid, (title, text) in DOCUMENTS.items():
        if docid not in folder:
            doc = api.content.create(
                container=folder,
                type="Document",
                id=docid,
                title=title,
                description=text,
            )
            api.content.transition(doc, "publish")


def ensure_board(site):
    """The "Board" group is expected to read the meeting papers before the
    meeting; the budget proposal asks them to confirm. Alice has read the
    agenda already; Bob and Carol have not."""
    if api.group.get(groupname="board") is None:
        api.group.create(groupname="board", title="Board")
    members = set(api.user.get_users(groupname="board"))
    for userid in BOARD:
        if userid not in {member.getId() for member in members}:
            api.group.add_user(groupname="board", username=userid)
    folder = site["board-meeting"]
    found = readers.own_expectation(folder)
    now = datetime.now(UTC)
    if found is None or found.deadline is None or found.deadline < now:
        # The meeting: a few days ahead, at 18:00, whenever the demo starts.
        meeting = (now + timedelta(days=DAYS_TO_MEETING)).replace(
            hour=18, minute=0, second=0, microsecond=0
        )
        readers.set_expectation(folder, ["board"], deadline=meeting)
        readers.set_expectation(
            folder["budget-proposal"], ["board"], deadline=meeting, confirm=True
        )
    storage = getUtility(IClickStorage)
    agenda = folder["agenda"]
    path = "/".join(agenda.getPhysicalPath())
    if not storage.read_status([path], members=["alice"]):
        # Read for 4 min 10 s, to the end.
        read(storage, agenda, "alice", now - timedelta(hours=2), 250, 100)
    ensure_history(storage, folder["minutes"], now)


def read(storage, doc, member, when, seconds, depth):
    """A view of ``doc`` and the reading the script would have reported."""
    view = new_hit_id(when.timestamp())
    storage.log_visit(
        member,
        "/".join(doc.getPhysicalPath()),
        doc.absolute_url(),
        uid=api.content.get_uuid(doc),
        title=doc.Title(),
        when=when,
        user_agent="Mozilla/5.0 (demo history)",
        hit_id=view,
    )
    storage.log_reading(view, member, seconds, depth, depth == 100)


def ensure_history(storage, doc, now):
    """Two months of the board reading the minutes, more of it in the days
    around the last meeting; the same history on every run."""
    if storage.read_status(["/".join(doc.getPhysicalPath())]):
        return
    rng = random.Random(13)  # noqa: S311 -- made-up history, no secret
    for days_ago in range(HISTORY_DAYS, 0, -1):
        busy = abs(days_ago - LAST_MEETING) <= 3
        for member in BOARD:
            if rng.random() < (0.6 if busy else 0.12):
                when = (now - timedelta(days=days_ago)).replace(
                    hour=rng.randint(8, 19), minute=rng.randint(0, 59)
                )
                seconds = rng.choice([15, 40, 95, 180, 320, 610])
                depth = 100 if seconds >= 180 else rng.randint(20, 90)
                read(storage, doc, member, when, seconds, depth)


def ensure_mail():
    """Outgoing mail goes to the demo's own SMTP server (start.py), which
    keeps each message as a file under var/mail."""
    if not os.environ.get("DEMO_SMTP_PORT"):
        return  # set up without start.py (tests): no mail server to point at
    api.portal.set_registry_record("plone.smtp_host", "127.0.0.1")
    api.portal.set_registry_record("plone.smtp_port", int(os.environ["DEMO_SMTP_PORT"]))
    api.portal.set_registry_record("plone.email_from_address", "board@example.org")
    api.portal.set_registry_record("plone.email_from_name", "Board office")


def ensure_caching(site):
    """HTTP caching as production sites run it: plone.app.caching's preset
    for a site without a caching proxy, and the add-on's own rules."""
    record = "plone.caching.interfaces.ICacheSettings.enabled"
    setup_tool = api.portal.get_tool("portal_setup")
    setup_tool.runAllImportStepsFromProfile("profile-slc.clicktracker:caching")
    if not api.portal.get_registry_record(record):
        setup_tool.runAllImportStepsFromProfile(
            "profile-plone.app.caching:without-caching-proxy", purge_old=False
        )
        api.portal.set_registry_record(record, True)


def ensure_language():
    """The site's language: English, or what DEMO_LANGUAGE asked for
    (start.py checked it), with English offered beside it. Set on every
    start, so that a start without it brings the demo back to English."""
    language = os.environ.get("DEMO_LANGUAGE") or "en"
    api.portal.set_registry_record("plone.default_language", language)
    api.portal.set_registry_record(
        "plone.available_languages", sorted({language, "en"})
    )


def ensure_untracked(site):
    """A page outside the tracked folder (benchmarks compare the two)."""
    if "welcome" not in site:
        doc = api.content.create(
            container=site,
            type="Document",
            id="welcome",
            title="Welcome",
            description="Not tracked: views of this page are not recorded.",
        )
        api.content.transition(doc, "publish")


def main(app):
    var = Path(os.environ["DEMO_VAR"])
    ensure_admin(app)
    site = ensure_site(app)
    api.portal.set_registry_record("slc.clicktracker.dsn", os.environ["DEMO_DSN"])
    # Creates or upgrades the tables; harmless when they are current.
    setup_tool = api.portal.get_tool("portal_setup")
    setup_tool.runAllImportStepsFromProfile("profile-slc.clicktracker:dbsetup")
    ensure_members(var / "demo-members.json")
    ensure_content(site)
    ensure_board(site)
    ensure_mail()
    ensure_untracked(site)
    ensure_caching(site)
    ensure_language()
    transaction.commit()


main(app)  # noqa: F821 -- `app` is provided by zconsole
