"""@@clicktracker-visits and @@clicktracker-clickstream."""

from datetime import timedelta
from lxml import html
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from plone.app.testing import TEST_USER_NAME
from plone.app.testing import TEST_USER_PASSWORD
from plone.testing.zope import Browser
from slc.clicktracker.interfaces import IClickStorage
from tests.plone.helpers import UA
from tests.plone.helpers import ListStorage
from tests.plone.helpers import visit_storage
from urllib.parse import quote
from zope.component import getGlobalSiteManager
import pytest
import transaction


PORTAL = "http://nohost/plone"
VISITS = f"{PORTAL}/@@clicktracker-visits"
CLICKSTREAM = f"{PORTAL}/@@clicktracker-clickstream"


@pytest.fixture
def manager(functional):
    browser = Browser(functional["app"])
    browser.handleErrors = False
    browser.raiseHttpErrors = False
    browser.addHeader("Authorization", f"Basic {SITE_OWNER_NAME}:{SITE_OWNER_PASSWORD}")
    return browser


@pytest.fixture
def people(functional, storage):
    with api.env.adopt_roles(["Manager"]):
        for name, fullname in (("alice", "Alice <b>Bold</b>"), ("bob", "Bob")):
            api.user.create(
                email=f"{name}@example.org",
                username=name,
                password="secret-secret",
                properties={"fullname": fullname},
            )
    transaction.commit()


def log(clock, member, page, visit_id=None, **kw):
    """One hit through the storage API, at the test clock's time."""
    result = visit_storage().log_visit(
        member,
        f"/plone/{page}",
        f"{PORTAL}/{page}",
        visit_id,
        when=clock(),
        **({"user_agent": "Mozilla/5.0 Firefox/127.0"} | kw),
    )
    assert result.stored
    return result.visit_id


def texts(browser, css):
    tree = html.fromstring(browser.contents)
    return [" ".join(e.text_content().split()) for e in tree.cssselect(css)]


def test_recent_visits_listed(functional, manager, people, clock):
    visit = log(clock, "alice", "doc", referrer="https://search.example/?q=x")
    clock.advance(minutes=3)
    log(clock, "alice", "other", visit)
    log(clock, "alice", "other", visit)  # a reload
    clock.advance(hours=1)
    log(clock, "bob", "doc")
    manager.open(VISITS)
    assert manager.headers["status"].startswith("200")
    assert texts(manager, "#visits-table .member") == ["bob", "alice"]
    alice = html.fromstring(manager.contents).cssselect(f'tr[data-visit="{visit}"]')[0]
    cell = {td.get("class"): " ".join(td.text_content().split()) for td in alice}
    assert cell["fullname"] == "Alice <b>Bold</b>"  # shown as text, escaped
    assert "<b>Bold</b>" not in manager.contents
    assert cell["duration"] == "3 min 00 s"
    assert (cell["hits"], cell["reloads"]) == ("2", "1")
    assert cell["referrer"] == "https://search.example/?q=x"
    link = alice.cssselect(".referrer a")[0]
    assert link.get("href") == "https://search.example/?q=x"
    stream = alice.cssselect(".clickstream a")[0].get("href")
    assert stream == f"{CLICKSTREAM}?visit={visit}"


def test_active_now(functional, manager, people, clock):
    log(clock, "alice", "doc")
    clock.advance(minutes=30)
    log(clock, "bob", "doc")
    clock.advance(minutes=5)
    manager.open(VISITS)
    # Alice's last page was 35 minutes ago: idle longer than 20 minutes.
    assert texts(manager, ".visits-active-item a") == ["Bob (bob)"]
    assert texts(manager, "#visits-table .member") == ["bob", "alice"]


def test_filters(functional, manager, people, clock):
    log(clock, "alice", "doc")
    clock.advance(days=2)
    log(clock, "bob", "doc")
    log(clock, "alice", "other", is_bot=True, user_agent="Googlebot/2.1")
    manager.open(f"{VISITS}?member=alice")
    assert texts(manager, "#visits-table .member") == ["alice", "alice"]
    # The bot's name, from the patterns' names.
    assert texts(manager, "#visits-table .bot") == ["bot Googlebot", ""]
    manager.open(f"{VISITS}?member=alice&hide_bots=1")
    assert texts(manager, "#visits-table .member") == ["alice"]
    day = clock().date().isoformat()
    manager.open(f"{VISITS}?since={day}&until={day}")
    assert sorted(texts(manager, "#visits-table .member")) == ["alice", "bob"]
    before = (clock() - timedelta(days=2)).date().isoformat()
    manager.open(f"{VISITS}?until={before}")
    assert texts(manager, "#visits-table .member") == ["alice"]
    manager.open(f"{VISITS}?since=yesterday")
    assert "is not a date" in manager.contents
    assert len(texts(manager, "#visits-table .member")) == 3


def test_batched(functional, manager, people, clock):
    for _ in range(53):
        log(clock, "alice", "doc")
        clock.advance(minutes=1)
    manager.open(VISITS)
    assert len(texts(manager, "#visits-table .visits-row")) == 50
    manager.open(f"{VISITS}?b_start:int=50")
    rows = texts(manager, "#visits-table .visits-row")
    assert len(rows) == 3
    # The oldest visit comes last.
    oldest = visit_storage().get_visits(limit=1, offset=52)[0]
    tree = html.fromstring(manager.contents)
    assert tree.cssselect("tr.visits-row")[-1].get("data-visit") == oldest.visit_id


def test_clickstream(functional, manager, people, clock):
    visit = log(clock, "alice", "doc", title="First <script>x</script>")
    clock.advance(minutes=1)
    log(clock, "alice", "other", visit)
    log(clock, "alice", "other", visit)
    clock.advance(minutes=1)
    log(clock, "alice", "doc", visit)
    manager.open(f"{CLICKSTREAM}?visit={visit}")
    assert manager.headers["status"].startswith("200")
    assert texts(manager, ".clickstream-row .path") == [
        "/plone/doc",
        "/plone/other",
        "/plone/doc",
    ]
    assert texts(manager, ".clickstream-row .reloads") == ["0", "1", "0"]
    assert texts(manager, ".clickstream-row .title")[0] == "First <script>x</script>"
    assert "<script>x</script>" not in manager.contents
    urls = html.fromstring(manager.contents).cssselect(".clickstream-row .url a")
    assert [a.get("href") for a in urls] == [
        f"{PORTAL}/doc",
        f"{PORTAL}/other",
        f"{PORTAL}/doc",
    ]
    assert texts(manager, "#clickstream-visit .member") == ["Alice <b>Bold</b> (alice)"]


def test_only_http_links(functional, manager, people, clock):
    visit = (
        visit_storage()
        .log_visit(
            "alice",
            "/plone/doc",
            "javascript:alert(1)",
            when=clock(),
            referrer="javascript:alert(2)",
        )
        .visit_id
    )
    manager.open(f"{CLICKSTREAM}?visit={visit}")
    assert 'href="javascript' not in manager.contents
    assert texts(manager, ".clickstream-row .url") == ["javascript:alert(1)"]
    manager.open(VISITS)
    assert 'href="javascript' not in manager.contents


@pytest.mark.parametrize("visit", ["0" * 32, "<script>", ""])
def test_unknown_visit_is_404(functional, manager, people, visit):
    manager.open(f"{CLICKSTREAM}?visit={quote(visit)}")
    assert manager.headers["status"].startswith("404")
    assert "There is no visit" in manager.contents
    assert "<script>" not in manager.contents.split("There is no visit")[1][:200]


def test_members_may_not_see_them(functional, people):
    browser = Browser(functional["app"])
    browser.raiseHttpErrors = False
    browser.addHeader("Authorization", f"Basic {TEST_USER_NAME}:{TEST_USER_PASSWORD}")
    for url in (VISITS, f"{CLICKSTREAM}?visit={'0' * 32}"):
        browser.open(url)
        assert browser.url.endswith("/insufficient-privileges") or (
            browser.headers["status"].startswith(("401", "403"))
        )
        assert "visits-table" not in browser.contents


def test_site_administrator_may(functional, people, clock):
    with api.env.adopt_roles(["Manager"]):
        api.user.grant_roles(username="bob", roles=["Site Administrator"])
    transaction.commit()
    log(clock, "alice", "doc")
    browser = Browser(functional["app"])
    browser.addHeader("Authorization", "Basic bob:secret-secret")
    browser.open(VISITS)
    assert texts(browser, "#visits-table .member") == ["alice"]


def test_reports_are_not_tracked(functional, manager, people):
    from slc.clicktracker import tracking

    tracking.enable(functional["portal"])
    transaction.commit()
    manager.addHeader("User-Agent", UA)  # not a bot, or there is no script anyway
    manager.open(PORTAL)
    assert "clicktracker.min.js" in manager.contents
    manager.open(VISITS)
    assert "clicktracker.min.js" not in manager.contents


def test_storage_without_visits(functional, manager):
    gsm = getGlobalSiteManager()
    original = gsm.getUtility(IClickStorage)
    gsm.registerUtility(ListStorage(), IClickStorage)
    try:
        manager.open(VISITS)
        assert manager.headers["status"].startswith("200")
        assert "does not record visits" in manager.contents
        manager.open(f"{CLICKSTREAM}?visit={'0' * 32}")
        assert "does not record visits" in manager.contents
    finally:
        gsm.registerUtility(original, IClickStorage)


def test_database_unreachable(functional, manager):
    api.portal.set_registry_record(
        "slc.clicktracker.dsn", "host=127.0.0.1 port=1 dbname=x password=Secret9"
    )
    transaction.commit()
    manager.open(VISITS)
    assert manager.headers["status"].startswith("200")
    assert "Visits cannot be read right now" in manager.contents
    assert "Secret9" not in manager.contents


# -- wording, the way back, and names ------------------------------------------


def test_one_page_or_more_pages(functional, manager, people, clock):
    log(clock, "alice", "doc")
    visit = log(clock, "bob", "doc")
    log(clock, "bob", "other", visit)
    manager.open(VISITS)
    items = texts(manager, ".visits-active-item")
    pages = {item.split(" (")[1].split(")")[0]: item.split(", ")[-1] for item in items}
    assert pages == {"alice": "1 page", "bob": "2 pages"}


def crumbs(browser):
    tree = html.fromstring(browser.contents)
    items = tree.cssselect("#portal-breadcrumbs li")
    return [
        (" ".join(li.text_content().split()), (li.xpath(".//a/@href") or [None])[0])
        for li in items
    ]


def test_breadcrumbs_lead_through_site_setup(functional, manager, people, clock):
    manager.open(VISITS)
    assert crumbs(manager) == [
        ("Home", PORTAL),
        ("Site Setup", f"{PORTAL}/@@overview-controlpanel"),
        ("Click tracker settings", f"{PORTAL}/@@clicktracker-controlpanel"),
        ("Visits", None),
    ]
    assert manager.getLink(id="visits-settings-link").url == (
        f"{PORTAL}/@@clicktracker-controlpanel"
    )
    visit = log(clock, "alice", "doc")
    manager.open(f"{CLICKSTREAM}?visit={visit}")
    assert crumbs(manager)[2:] == [
        ("Click tracker settings", f"{PORTAL}/@@clicktracker-controlpanel"),
        ("Visits", VISITS),
        ("Clickstream", None),
    ]


def test_other_pages_keep_their_breadcrumbs(functional, manager, people):
    manager.open(VISITS)
    manager.open(f"{PORTAL}/@@search")
    assert [text for text, _href in crumbs(manager)] == ["Home"]


def test_empty_came_from_shows_a_dash(functional, manager, people, clock):
    visit = log(clock, "alice", "doc")
    manager.open(f"{CLICKSTREAM}?visit={visit}")
    assert texts(manager, "#clickstream-visit .referrer") == ["—"]
    manager.open(VISITS)
    assert texts(manager, "#visits-table .referrer") == ["—"]


def test_zope_admin_is_named_by_user_id(functional, manager, people, clock):
    # SITE_OWNER_NAME is a user of the Zope root: no Plone member, no name.
    visit = log(clock, SITE_OWNER_NAME, "doc")
    manager.open(VISITS)
    assert texts(manager, "#visits-table .fullname") == [SITE_OWNER_NAME]
    manager.open(f"{CLICKSTREAM}?visit={visit}")
    member = texts(manager, "#clickstream-visit .member")[0]
    assert member == f"{SITE_OWNER_NAME} ({SITE_OWNER_NAME})"


def test_deleted_member_is_marked_removed(functional, manager, people, clock):
    log(clock, "gone", "doc")
    log(clock, "~abc123", "doc")
    manager.open(VISITS)
    assert sorted(texts(manager, "#visits-table .fullname")) == [
        "gone (removed)",
        "~abc123 (pseudonymised)",
    ]
