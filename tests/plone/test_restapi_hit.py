"""``POST @hit``: the Classic callback's rules over the REST API, against the
live test server: counted once, replays, forged, other member's and expired
tokens, bots, anonymous visitors, the visit cookie, reading updates, bad
bodies, no ZODB writes, JWT and cookie logins."""

from plone import api
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker.settings import record_name
from slc.clicktracker.storage.utility import read_status_storage
from slc.clicktracker.storage.utility import visit_storage
from slc.clicktracker.testing.layers import ACCEPTANCE_TESTING
from tests.plone.helpers import LIVE_PASSWORD
from tests.plone.helpers import hits
from tests.plone.helpers import new_view
from tests.plone.restapi_site import CAROL
from tests.plone.restapi_site import Client
from tests.plone.restapi_site import hit_count
from tests.plone.restapi_site import login
from tests.plone.restapi_site import module_site
from tests.plone.restapi_site import refused
import pytest
import time
import transaction


DAVE = ("dave", "dave-secret-1")
DOCS = ("minutes", "agenda", "budget", "notes", "report", "plan", "draft")


@pytest.fixture(scope="module")
def site(acceptance_session, tmp_path_factory):
    """A tracked folder "meeting" of documents (one per test that counts);
    Carol and Dave are Members."""
    with module_site(ACCEPTANCE_TESTING, tmp_path_factory) as layer:
        portal = layer["portal"]
        with api.env.adopt_roles(["Manager"]):
            for userid, password in (("carol", LIVE_PASSWORD), ("dave", DAVE[1])):
                api.user.create(
                    username=userid, email=f"{userid}@example.org", password=password
                )
            folder = api.content.create(portal, "Folder", id="meeting", title="Meeting")
            api.content.transition(folder, "publish")
            for docid in DOCS:
                doc = api.content.create(folder, "Document", id=docid, title=docid)
                api.content.transition(doc, "publish")
            tracking.enable(folder)
        transaction.commit()
        yield layer


class Reader:
    """A visitor of one document, reporting views as the snippet does."""

    def __init__(self, site, docid, auth=CAROL, client=None):
        self.site, self.docid = site, docid
        self.client = client or Client(site["portal"].absolute_url(), auth=auth)
        self.path = f"/meeting/{docid}"
        self.page = f"{self.client.url}{self.path}"

    def token(self):
        hit = self.client.get(f"{self.path}/@tracking").json()["hit"]
        return hit and hit["token"]

    def post(self, **body):
        return self.client.post(f"{self.path}/@hit", json=body)

    def hit(self, token, view=None, **more):
        body = {"token": token, "view": view or new_view(), "url": self.page}
        return self.post(**body | more)

    @property
    def count(self):
        return hit_count(self.site, f"/plone{self.path}")

    @property
    def doc(self):
        return self.site["portal"]["meeting"][self.docid]


def no_content(response):
    assert (response.status_code, response.content) == (204, b""), response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    return True


def test_a_view_counts_once_however_often_it_is_sent(site):
    reader = Reader(site, "minutes")
    token, view = reader.token(), new_view()
    for _ in range(3):
        assert no_content(reader.hit(token, view, referrer="https://example.org/x"))
    assert reader.count == 1
    # Another showing of the page with the same token: another view.
    assert no_content(reader.hit(token))
    # A frontend elsewhere (Volto on its own host): the content's address.
    assert no_content(reader.hit(token, url="https://volto.example/minutes"))
    # One hit and its reloads (the session keeps the visit cookie).
    rows = [h for h in hits(site) if h[1] == "/plone/meeting/minutes"]
    assert [(h[0], h[4], h[5]) for h in rows] == [
        ("carol", reader.page, "https://example.org/x")
    ]


def tampered(token):
    body, mac = token.split(".")
    return f"{body}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"


def test_forged_and_foreign_tokens_count_nothing(site):
    reader = Reader(site, "agenda")
    token = reader.token()
    daves = Reader(site, "agenda", auth=DAVE).token()
    others = Reader(site, "budget").token()
    portal = site["portal"]
    other_site = tokens.sign(
        tokens._keyring().current, "carol", reader.doc.UID(), "/other|x"
    )
    for bad in (tampered(token), "not-a-token", daves, others, other_site):
        assert no_content(reader.hit(bad))
    assert reader.count == 0
    assert tokens.verify_token(token, "carol", reader.doc, portal)
    assert no_content(reader.hit(token))
    assert reader.count == 1


def test_an_expired_token_is_exchanged_and_the_retry_counts(site):
    reader = Reader(site, "budget")
    old = time.time() - tokens.DEFAULT_TTL - 3601
    expired = tokens.make_token("carol", reader.doc, site["portal"], now=old)
    view = new_view()
    response = reader.hit(expired, view)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    (fresh,) = response.json().values()
    tokens.verify_token(fresh, "carol", reader.doc, site["portal"])
    assert reader.count == 0
    for _ in range(2):
        assert no_content(reader.hit(fresh, view))
    assert reader.count == 1
    # Dave gets no fresh token for Carol's expired one.
    assert no_content(Reader(site, "budget", auth=DAVE).hit(expired))


def test_bots_and_anonymous_visitors(site):
    reader = Reader(site, "notes")
    token = reader.token()
    bot = Client(reader.client.url, auth=CAROL, user_agent="curl/8.5.0")
    assert no_content(Reader(site, "notes", client=bot).hit(token))
    assert reader.count == 0
    anonymous = Reader(site, "notes", auth=None)
    assert anonymous.token() is None
    forged = tokens.make_token(tokens.ANONYMOUS, reader.doc, site["portal"])
    assert no_content(anonymous.hit(forged))
    assert reader.count == 0
    api.portal.set_registry_record(record_name("track_anonymous"), True)
    transaction.commit()
    try:
        assert no_content(anonymous.hit(anonymous.token()))
    finally:
        api.portal.set_registry_record(record_name("track_anonymous"), False)
        transaction.commit()
    assert reader.count == 1
    # Refusing the bot did not use Carol's token up.
    assert no_content(reader.hit(token))
    assert reader.count == 2


def test_the_visit_cookie_and_reading_updates(site):
    reader = Reader(site, "report", auth=DAVE)
    token, view = reader.token(), new_view()
    first = reader.hit(token, view)
    assert no_content(first)
    assert "__ct_visit=" in first.headers["Set-Cookie"]
    assert "HttpOnly" in first.headers["Set-Cookie"]
    # The session sends the cookie back: the same visit, no new cookie.
    second = reader.hit(token)
    assert "Set-Cookie" not in second.headers
    transaction.begin()
    (visit,) = visit_storage().get_visits(member="dave", limit=None)
    assert (visit.hits, visit.reloads) == (1, 1)
    update = {"token": token, "view": view, "seconds": 95, "depth": 80, "end": True}
    assert no_content(reader.post(**update))
    # Figures only grow: a late, smaller update changes nothing.
    assert no_content(reader.post(**update | {"seconds": 10, "end": False}))
    transaction.begin()
    (status,) = read_status_storage().read_status(
        ["/plone/meeting/report"], members=["dave"]
    )
    assert (status.views, status.seconds, status.reached_end) == (2, 95, True)


BAD = [
    ("{", "Not JSON: The request body is not valid JSON."),
    ('"x"', "The request body must be a JSON object."),
    ({"view": "a" * 20}, "Not a hit: token is missing."),
    ({"token": "t", "view": "short"}, "Not a hit: view is not a view id."),
    ({"token": "t", "path": "/other"}, "Not a hit: unknown fields path."),
    ({"token": "t", "url": ["a"]}, "Not a hit: url is not text or a whole number."),
    (
        {"token": "t", "view": "a" * 20, "seconds": 1.5, "depth": 1, "end": False},
        "Not a hit: seconds is not text or a whole number.",
    ),
    (
        {"token": "t", "view": "a" * 20, "seconds": "x", "depth": 1, "end": False},
        "seconds is not a number",
    ),
    ({"token": "t", "view": "a" * 20, "seconds": 5}, "depth is missing"),
    (
        {"token": "t", "view": "a" * 20, "seconds": 5, "depth": 101, "end": False},
        "depth is above 100",
    ),
]


@pytest.mark.parametrize(("body", "words"), BAD, ids=[w for _b, w in BAD])
def test_malformed_bodies_are_400_in_words(site, body, words):
    reader = Reader(site, "plan")
    if isinstance(body, str):
        words = words.removeprefix("Not JSON: ")
        headers = {"Content-Type": "application/json"}
        response = reader.client.post(f"{reader.path}/@hit", data=body, headers=headers)
    else:
        response = reader.post(**body)
    refused(response, 400, words)
    assert reader.count == 0


def test_no_zodb_writes(site):
    reader = Reader(site, "draft")
    db = site["app"]._p_jar.db()
    token = reader.token()
    before = db.lastTransaction()
    view = new_view()
    for _ in range(5):
        reader.hit(token, view)
        reader.hit(token)
        reader.hit("x.y")
        reader.post(token=token)
        reader.post(token=token, view=view, seconds=5, depth=50, end=False)
    assert db.lastTransaction() == before
    # Six showings, and the token sent without a view id (counted once).
    assert reader.count == 7


def test_jwt_and_cookie_logins(site):
    url = site["portal"].absolute_url()
    jwt = login(url, "carol", LIVE_PASSWORD)
    by_jwt = Reader(site, "draft", client=Client(url, token=jwt))
    token = by_jwt.token()
    transaction.begin()  # logging in may have changed the key ring
    tokens.verify_token(token, "carol", by_jwt.doc, site["portal"])
    before = by_jwt.count
    assert no_content(by_jwt.hit(token))
    # @login also sets Plone's login cookie, as the login form does.
    browser = Client(url)
    response = browser.post(
        "/@login", json={"login": "carol", "password": LIVE_PASSWORD}
    )
    assert "__ac" in response.cookies
    by_cookie = Reader(site, "draft", client=browser)
    token = by_cookie.token()
    transaction.begin()
    tokens.verify_token(token, "carol", by_cookie.doc, site["portal"])
    assert no_content(by_cookie.hit(token))
    assert by_jwt.count == before + 2
