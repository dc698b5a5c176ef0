"""Hardening on the Zope side: a hung database holds no page and no
callback for long; hits go only to their own site's database; the URL a
client reports must belong to the token's object."""

from concurrent.futures import ThreadPoolExecutor
from plone import api
from plone.app.testing import setRoles
from Products.CMFPlone.factory import addPloneSite
from slc.clicktracker.browser.urls import page_url
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage import shared
from slc.clicktracker.testing import DESKTOP_UA
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from tests.plone.helpers import hits
from tests.plone.helpers import open_browser
from tests.plone.helpers import post
from tests.plone.helpers import the_script
from zope.component import getUtility
from zope.component.hooks import setSite
import psycopg2
import re
import requests
import secrets
import time
import transaction


# With the database frozen: the pool's deadline (1.25 s) and the wait for a
# connection (0.25 s), with room for a slow machine. Before the deadlines,
# requests waited as long as the database slept.
BOUND = 3.5
TOKEN = re.compile(r'data-token="([^"]+)"')


def test_a_frozen_database_holds_no_page_and_no_callback(live_site, pg_cluster):
    portal_url = live_site.absolute_url()
    doc_url = f"{portal_url}/meeting/agenda"
    session = requests.Session()
    session.auth = (LIVE_MEMBER, LIVE_PASSWORD)
    session.headers["User-Agent"] = DESKTOP_UA
    # Pages (and their tokens) rendered while the database is up.
    tokens = [TOKEN.search(session.get(doc_url).text).group(1) for _ in range(6)]

    def callback(token):
        started = time.monotonic()
        answer = requests.post(
            f"{doc_url}/@@clicktracker-callback",
            data={"token": token, "view": secrets.token_hex(16), "url": doc_url},
            auth=session.auth,
            headers={"User-Agent": DESKTOP_UA},
            timeout=30,
        )
        return answer.status_code, time.monotonic() - started

    def page(_):
        started = time.monotonic()
        answer = session.get(doc_url, timeout=30)
        return answer.status_code, time.monotonic() - started

    pg_cluster.freeze()
    try:
        with ThreadPoolExecutor(8) as pool:
            calls = list(pool.map(callback, tokens))
            pages = list(pool.map(page, range(4)))
    finally:
        pg_cluster.resume()
    assert [status for status, _ in calls] == [204] * 6
    assert [status for status, _ in pages] == [200] * 4
    assert max(took for _, took in calls + pages) < BOUND
    # Once the database is back, every hit is stored.
    transaction.begin()
    storage = getUtility(IClickStorage)
    deadline = time.monotonic() + 30
    while storage.status()["backlog"] and time.monotonic() < deadline:
        storage.replay()
        time.sleep(0.1)
    rows = storage.getLog("/plone/meeting/agenda")
    assert sum(row.count for row in rows) == 6


def test_spooled_hits_go_only_to_their_own_sites_database(
    functional, cluster, monkeypatch
):
    app, first = functional["app"], functional["portal"]
    first_dsn = functional["pg_dsn"]
    second_dsn = cluster.dsn(cluster.create_database())
    setRoles(first, "test_user_1_", ["Manager"])
    addPloneSite(
        app,
        "second",
        extension_ids=["plone.app.contenttypes:default", "slc.clicktracker:default"],
    )
    transaction.commit()
    second = app["second"]
    storage = getUtility(IClickStorage)
    for site, dsn in ((first, first_dsn), (second, second_dsn)):
        setSite(site)
        api.portal.set_registry_record("slc.clicktracker.dsn", dsn)
        storage.setup_database()
    transaction.commit()

    cluster.executor.stop()  # the second site's database is down
    setSite(second)
    assert storage.logAccess("alice", "/second/secret-doc", "http://nohost/second/s")
    assert storage.status()["backlog"] == 1
    setSite(first)
    assert storage.logAccess("bob", "/plone/doc", "http://nohost/plone/doc")
    # The first site's storage neither waits for nor replays the other's hit.
    assert storage.status()["backlog"] == 0
    storage.replay()
    assert storage.status()["spool"]["rows_elsewhere"] == 1
    conn = psycopg2.connect(first_dsn)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT member, d.path FROM clicktracker.hits h"
            " JOIN clicktracker.documents d ON d.id = h.document_id"
        )
        assert cur.fetchall() == [("bob", "/plone/doc")]
    conn.close()

    cluster.restart()
    setSite(second)
    assert storage.replay() == 1
    assert [(r.member, r.count) for r in storage.getLog("/second")] == [("alice", 1)]
    setSite(first)
    assert [r.member for r in storage.getLog("/")] == ["bob"]
    shared.close_all()


def test_a_site_without_database_keeps_its_hits_for_its_own(functional, cluster):
    portal = functional["portal"]
    storage = getUtility(IClickStorage)
    api.portal.set_registry_record("slc.clicktracker.dsn", "")
    transaction.commit()
    assert storage.logAccess("alice", "/plone/doc", "http://nohost/plone/doc")
    assert storage.status()["backlog"] == 1
    dsn = cluster.dsn(cluster.create_database())
    api.portal.set_registry_record("slc.clicktracker.dsn", dsn)
    transaction.commit()
    storage.setup_database()
    deadline = time.monotonic() + 30
    while storage.status()["backlog"] and time.monotonic() < deadline:
        storage.replay()
        time.sleep(0.1)
    assert [(r.member, r.count) for r in storage.getLog("/plone")] == [("alice", 1)]
    # Pending for this site only: the key names it.
    assert shared.pending_destination(portal) == "pending:/plone"


# -- the URL belongs to the token's object -----------------------------------


def test_a_token_for_one_document_records_no_other_url(functional, tracked_content):
    browser = open_browser(functional, "alice")
    doc, other = tracked_content["doc"], tracked_content["other"]
    attrs = the_script(browser, doc.absolute_url())
    status = post(
        browser,
        attrs["data-callback"],
        token=attrs["data-token"],
        url=other.absolute_url(),
    )
    assert status.startswith("204")
    # Recorded as a view of the document the token was made for, at its URL.
    assert [(h[1], h[4]) for h in hits(functional)] == [
        ("/plone/folder/doc", doc.absolute_url())
    ]


def test_urls_that_show_the_object(functional, tracked_content):
    doc, folder = tracked_content["doc"], tracked_content["folder"]
    url = doc.absolute_url()
    for shown in (
        url,
        url + "/",
        url + "/view",
        url + "/@@images/image/preview",
        url + "?utm_source=mail",
        url + "/view?x=1#section",
    ):
        assert page_url(shown, doc) == shown.partition("#")[0]
    for foreign in (
        tracked_content["other"].absolute_url(),
        folder.absolute_url(),
        url + "-copy",
        "http://nohost/plone/folder/doc2",
    ):
        assert page_url(foreign, doc) == url
    # A folder's URL shows its default page; a folder's item is no view of it.
    assert page_url(folder.absolute_url() + "/doc", folder) == folder.absolute_url()
    setRoles(functional["portal"], "test_user_1_", ["Manager"])
    folder.setDefaultPage("doc")
    assert page_url(folder.absolute_url(), doc) == folder.absolute_url()
    assert page_url(folder.absolute_url() + "/other", doc) == url


def test_a_reload_is_only_within_one_document(functional, tracked_content):
    # The same URL reported for two documents in a row (possible when
    # several objects share a default page URL) is no reload of the first.
    storage = getUtility(IClickStorage)
    first = storage.log_visit(
        "alice", "/plone/folder/doc", "http://nohost/plone/folder", None, uid="U1"
    )
    second = storage.log_visit(
        "alice",
        "/plone/folder/other",
        "http://nohost/plone/folder",
        first.visit_id,
        uid="U2",
    )
    assert not second.reload
    assert [h[1] for h in hits(functional)] == [
        "/plone/folder/doc",
        "/plone/folder/other",
    ]
