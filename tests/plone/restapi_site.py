"""What the REST API tests share: one live site per test module, and an
HTTP client that talks to it as a frontend does (``requests``).

pytest-plone's layer fixtures give a fresh site (and database) to every
test; building one costs more than most of these tests. ``module_site``
runs the layers' per-test set-up once for a whole module instead, so a
module's tests share one site and must not depend on each other's changes.
"""

from contextlib import contextmanager
from plone import api
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage import dsn
from slc.clicktracker.storage import shared
from slc.clicktracker.testing import DESKTOP_UA
from tests.plone.helpers import LIVE_MEMBER
from tests.plone.helpers import LIVE_PASSWORD
from zope.component import getUtility
import psycopg2
import pytest
import requests
import transaction


OWNER = ("admin", "secret")  # plone.app.testing's site owner, a Zope root user
CAROL = (LIVE_MEMBER, LIVE_PASSWORD)
JSON = "application/json"


def layer_chain(layer, found=None):
    """``layer`` and its bases, bases first (the test runner's order)."""
    found = [] if found is None else found
    for base in layer.__bases__:
        layer_chain(base, found)
    if layer not in found:
        found.append(layer)
    return found


@contextmanager
def module_site(layer, tmp_path_factory):
    """The layer's site (as ``layer[...]``) with a database of its own, set
    up once: the per-test set-up of every layer, storage isolated as the
    ``isolated_storage`` fixture does it for single tests."""
    chain = layer_chain(layer)
    done = []
    with pytest.MonkeyPatch.context() as env:
        env.delenv(dsn.ENV_DSN, raising=False)
        env.setenv(shared.ENV_SPOOL, str(tmp_path_factory.mktemp("spool") / "s"))
        try:
            for each in chain:
                each.testSetUp()
                done.append(each)
            api.portal.set_registry_record("slc.clicktracker.dsn", layer["pg_dsn"])
            transaction.commit()
            getUtility(IClickStorage).setup_database()
            yield layer
        finally:
            shared.close_all()
            for each in reversed(done):
                each.testTearDown()


def login(url, user, password):
    """A JWT from plone.restapi's ``@login`` (as Volto logs in)."""
    response = requests.post(
        f"{url}/@login",
        json={"login": user, "password": password},
        headers={"Accept": JSON, "User-Agent": DESKTOP_UA},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


class Client:
    """Requests to one site as one visitor: Basic auth ``auth``, a JWT
    ``token`` or nobody; the desktop User-Agent and ``Accept: application/json``
    unless told otherwise."""

    def __init__(self, url, auth=None, token=None, user_agent=DESKTOP_UA):
        self.url = url
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers.update({"Accept": JSON, "User-Agent": user_agent})
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.session.request(method, f"{self.url}{path}", **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)


def refused(response, status, words):
    """``response`` is plone.restapi's JSON error ``status`` saying ``words``,
    without a traceback; returns its message."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(JSON)
    error = response.json()["error"]
    assert words in error["message"], error["message"]
    assert "traceback" not in error
    return error["message"]


def hit_count(layer, path):
    """How many views of ``path`` the site's database holds (a view shown
    again in the same visit is a reload of the same hit)."""
    conn = psycopg2.connect(layer["pg_dsn"])
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT coalesce(sum(1 + h.reloads), 0) FROM clicktracker.hits h JOIN "
                "clicktracker.documents d ON d.id = h.document_id WHERE d.path = %s",
                (path,),
            )
            return cur.fetchone()[0]
    finally:
        conn.close()
