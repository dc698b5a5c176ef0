"""Helpers and test data shared by several test modules (no fixtures here)."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from html import unescape
from lxml import html
from plone import api
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
from plone.testing.zope import Browser
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.settings import record_name
from slc.clicktracker.storage import utility
from slc.clicktracker.testing import DESKTOP_UA
from urllib.parse import urlencode
from zope.interface import implementer
import csv
import io
import psycopg2
import re
import secrets
import transaction


# -- pages and their tracking script ------------------------------------------

# An ordinary desktop browser; testbrowser's own "Python-urllib" is a bot.
UA = DESKTOP_UA
# Of alice and bob, the members of the content fixtures.
PASSWORD = "secret-secret"
SCRIPT_TAG = re.compile(r"<script\b[^>]*clicktracker[^>]*>.*?</script>", re.S)


def open_browser(functional, user=None, ua=UA):
    browser = Browser(functional["app"])
    browser.handleErrors = False
    browser.raiseHttpErrors = False
    if ua is not None:
        browser.addHeader("User-Agent", ua)
    if user:
        browser.addHeader("Authorization", f"Basic {user}:{PASSWORD}")
    return browser


def script_tags(contents):
    return SCRIPT_TAG.findall(contents)


def tree(browser):
    """The parsed page the browser shows."""
    return html.fromstring(browser.contents)


def element_text(browser, element_id):
    """The text of the element with ``element_id``, or None."""
    found = tree(browser).xpath(f'//*[@id="{element_id}"]')
    return text(found[0]) if found else None


def has_element(browser, element_id):
    return bool(tree(browser).xpath(f'//*[@id="{element_id}"]'))


def attributes(tag):
    return {
        name: unescape(value) for name, value in re.findall(r'([\w-]+)="([^"]*)"', tag)
    }


def the_script(browser, url):
    """Attributes of the one tracking script tag of the page at ``url``."""
    browser.open(url)
    assert browser.headers["status"].startswith("200")
    tags = script_tags(browser.contents)
    assert len(tags) == 1, tags
    return attributes(tags[0])


def no_script(browser, url):
    browser.open(url)
    assert browser.headers["status"].startswith("200")
    return script_tags(browser.contents) == []


def set_anonymous(value):
    api.portal.set_registry_record(record_name("track_anonymous"), value)
    transaction.commit()


# -- the callback -------------------------------------------------------------

FORM = "application/x-www-form-urlencoded;charset=UTF-8"  # what sendBeacon sends


def new_view():
    """A view id as the script makes one for each showing of a page."""
    return secrets.token_hex(16)


def post(browser, callback, **fields):
    """POST ``fields`` as the script does; a new view id unless one is given
    (``view=""`` sends none). Returns the status line."""
    fields = {"view": new_view()} | fields
    if not fields["view"]:
        del fields["view"]
    browser.post(callback, urlencode(fields), FORM)
    return browser.headers["status"]


def hits(functional):
    """Every stored hit: (member, path, uid, title, url, referrer)."""
    conn = psycopg2.connect(functional["pg_dsn"])
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT h.member, d.path, d.uid, d.title, h.url, h.referrer "
                "FROM clicktracker.hits h "
                "JOIN clicktracker.documents d ON d.id = h.document_id ORDER BY h.id"
            )
            return cur.fetchall()
    finally:
        conn.close()


# -- visits -------------------------------------------------------------------


def read(browser, obj):
    """Open ``obj`` and report it as the script would; the response status."""
    attrs = the_script(browser, obj.absolute_url())
    return post(
        browser, attrs["data-callback"], token=attrs["data-token"], url=browser.url
    )


def visit_storage():
    transaction.begin()
    return utility.visit_storage()


def all_visits(**kw):
    return visit_storage().get_visits(limit=None, **kw)


@implementer(IClickStorage)
class ListStorage:
    """A third-party storage without visits: keeps hits in a list."""

    def __init__(self):
        self.hits = []

    def logAccess(self, member, path, url, **kw):
        self.hits.append((member, path, url, kw))
        return True

    def getLog(self, prefix, order_by=None, order_reverse=False, **kw):
        return []


# -- the Tracking tab ---------------------------------------------------------

ROLE_PASSWORD = "secret-pw-1234"
DAY = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

# Users of the roles_site fixture: login name -> (full name, global roles).
ROLE_USERS = {
    "member": ("Ada Member", ["Member"]),
    "editor": ("Cy Editor", ["Member", "Editor"]),
    "manager": ("Ben Manager", ["Member", "Manager"]),
    "siteadmin": ("Sam Admin", ["Member", "Site Administrator"]),
}


def create_role_users():
    """The users of ROLE_USERS, with ROLE_PASSWORD."""
    for name, (fullname, roles) in ROLE_USERS.items():
        api.user.create(
            email=f"{name}@example.org",
            username=name,
            password=ROLE_PASSWORD,
            roles=roles,
            properties={"fullname": fullname},
        )


def browser_as(functional, name):
    browser = Browser(functional["app"])
    browser.handleErrors = False
    browser.addHeader("Authorization", f"Basic {name}:{ROLE_PASSWORD}")
    return browser


def fresh(obj):
    """``obj`` as the last commit left it (the browser commits separately)."""
    transaction.begin()
    return obj


def is_tracked_directly(obj):
    return IContentIsTracked.providedBy(fresh(obj))


def text(element):
    return " ".join(element.text_content().split())


COLUMNS = ("fullname", "member", "url", "count", "firstaccess", "lastaccess")
# The per-document table has a document column instead of the url.
ALL_COLUMNS = (*COLUMNS, "document")


def log_rows(browser):
    """The access log table as dicts of the cells' text (the columns shown)."""
    tree = html.fromstring(browser.contents)
    return [
        {
            column: text(cell[0])
            for column in ALL_COLUMNS
            if (cell := tr.xpath(f'td[@class="{column}"]'))
        }
        for tr in tree.xpath('//tr[@class="tracking-row"]')
    ]


def hit(storage, member, path, when, url=None):
    storage.logAccess(member, path, url or f"http://nohost{path}", when=when)


def submit(browser, url, **data):
    """POST ``data`` as a plain form would (``post`` is the callback's)."""
    browser.post(url, urlencode(data))


def csv_rows(browser):
    assert browser.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = browser.contents
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def tab_urls(browser):
    tree = html.fromstring(browser.contents)
    # The toolbar adds an authenticator to its links: compare without it.
    return [
        a.get("href").split("?")[0]
        for a in tree.xpath('//li[@id="contentview-tracking"]/a')
    ]


# -- the live test server (browser tests) -------------------------------------

LIVE_MEMBER, LIVE_PASSWORD = "carol", "carol-secret-1"


# -- content, members and time ----------------------------------------------


def published_content(functional, doc_title):
    """A published folder with two documents, and two members, committed."""
    portal = functional["portal"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    folder = api.content.create(portal, "Folder", id="folder", title="Folder")
    doc = api.content.create(folder, "Document", id="doc", title=doc_title)
    other = api.content.create(folder, "Document", id="other", title="Other")
    for obj in (folder, doc, other):
        api.content.transition(obj, "publish")
    for name in ("alice", "bob"):
        api.user.create(email=f"{name}@example.org", username=name, password=PASSWORD)
    transaction.commit()
    return {"portal": portal, "folder": folder, "doc": doc, "other": other}


class Clock:
    """Stands in for visitcookie.now: time passes when the test says so."""

    def __init__(self):
        self.current = datetime(2031, 5, 6, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.current

    def advance(self, **kw):
        self.current += timedelta(**kw)


# -- expected readers ---------------------------------------------------------


def create_members(fullnames, password):
    """Members ``{user id: full name}``, each with ``<id>@example.org``;
    not committed (call it with the Manager role where the test has none)."""
    for userid, fullname in fullnames.items():
        api.user.create(
            username=userid,
            email=f"{userid}@example.org",
            password=password,
            properties={"fullname": fullname},
        )


def create_board():
    """The group "board" (title "Board") of Ada Member and Cy Editor of the
    roles_site fixture; not committed."""
    api.group.create(groupname="board", title="Board")
    for name in ("member", "editor"):
        api.group.add_user(groupname="board", username=name)


def readers_rows(browser, table="readers-table"):
    """The rows of a readers report table as dicts of the cells' text."""
    tree = html.fromstring(browser.contents)
    columns = ("fullname", "member", "status", "firstread", "lastread", "views")
    return [
        {column: text(tr.xpath(f'td[@class="{column}"]')[0]) for column in columns}
        for tr in tree.xpath(f'//table[@id="{table}"]/tbody/tr')
    ]
