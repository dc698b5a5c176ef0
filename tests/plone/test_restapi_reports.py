"""The reports' REST services against the live test server, with requests:
``@tracking-log``, ``@readers``, ``@readers-matrix``, ``@clicktracker-visits``.

One site for the module (``site``, on ``restapi_site.module_site``): the
role users, the group board, a tracked folder with two documents, hits and
visits recorded through the storage API. No test changes it for good.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
from slc.clicktracker import readers
from slc.clicktracker import tracking
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage.hits import new_hit_id
from slc.clicktracker.storage.utility import visit_storage
from slc.clicktracker.testing import DESKTOP_UA
from slc.clicktracker.testing.layers import ACCEPTANCE_TESTING
from slc.clicktracker.tokens import ANONYMOUS
from tests.plone.helpers import ROLE_PASSWORD
from tests.plone.helpers import create_board
from tests.plone.helpers import create_role_users
from tests.plone.restapi_site import module_site
from zope.component import getUtility
import csv
import io
import pytest
import requests
import transaction


DAY = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DEADLINE = DAY + timedelta(days=1)
DOC, OTHER = "/plone/folder/doc", "/plone/folder/other"
# The log's rows per member and document under the folder: five.
VIEWS = [
    ("member", DOC, 0, 2),
    ("editor", DOC, 48, 1),
    ("manager", DOC, 1, 1),
    ("member", OTHER, 2, 1),
    ("siteadmin", OTHER, 3, 3),
]
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture(scope="module")
def site(acceptance_session, tmp_path_factory):
    """The live site, set up once for the module (its own database)."""
    with module_site(ACCEPTANCE_TESTING, tmp_path_factory) as layer:
        portal = layer["portal"]
        api.portal.set_registry_record("plone.portal_timezone", "UTC")
        setRoles(portal, TEST_USER_ID, ["Manager"])
        make_content(portal)
        transaction.commit()
        record(getUtility(IClickStorage), portal.absolute_url())
        yield {
            "url": portal.absolute_url(),
            "dsn": layer["pg_dsn"],
            "visits": record_visits(portal),
        }


def make_content(portal):
    create_role_users()
    create_board()
    folder = api.content.create(portal, "Folder", id="folder", title="Minutes")
    for docid, title in (("doc", "Doc"), ("other", "Other")):
        api.content.create(folder, "Document", id=docid, title=title)
    for obj in (folder, folder["doc"], folder["other"]):
        api.content.transition(obj, "publish")
    tracking.enable(folder)
    readers.set_expectation(folder["doc"], ["board", "siteadmin"], deadline=DEADLINE)


def record(storage, url):
    for member, path, hours, count in VIEWS:
        for number in range(count):
            hit_id = new_hit_id()
            storage.logAccess(
                member,
                path,
                f"{url}{path.removeprefix('/plone')}" + ("/view" if number else ""),
                title=path.rsplit("/", 1)[-1].title(),
                when=DAY + timedelta(hours=hours, minutes=number),
                hit_id=hit_id,
            )
            if member == "member" and path == DOC and not number:
                assert storage.log_reading(hit_id, member, 300, 100, True)


def record_visits(portal):
    """Two visits now (one of a bot), elsewhere than the folder."""
    storage = visit_storage()
    now = datetime.now(UTC)
    url = portal.absolute_url()
    first = storage.log_visit(
        "member", "/plone/news", f"{url}/news", when=now, user_agent=DESKTOP_UA
    )
    storage.log_visit(
        "member",
        "/plone/events",
        f"{url}/events",
        first.visit_id,
        when=now + timedelta(seconds=30),
        user_agent=DESKTOP_UA,
    )
    bot = storage.log_visit(
        ANONYMOUS,
        "/plone/news",
        f"{url}/news",
        when=now,
        user_agent=BOT_UA,
        is_bot=True,
    )
    return {"member": first.visit_id, "bot": bot.visit_id}


def get(site, path, who="manager", accept="application/json", **params):
    auth = None if who is None else (who, ROLE_PASSWORD)
    return requests.get(
        f"{site['url']}{path}",
        params=params,
        auth=auth,
        headers={"Accept": accept, "User-Agent": DESKTOP_UA},
        timeout=30,
    )


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def refused(response, status, words=""):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert words in error["message"]
    assert "traceback" not in error
    return error


ENDPOINTS = {
    "log": "/folder/@tracking-log",
    "readers": "/folder/doc/@readers",
    "matrix": "/folder/@readers-matrix",
    "visits": "/@clicktracker-visits",
}
# login name -> the endpoints answered (the others: 403; anonymous: 401)
ALLOWED = {
    "member": set(),
    "editor": {"readers", "matrix"},
    "siteadmin": set(ENDPOINTS),
    "manager": set(ENDPOINTS),
}


class TestAccessLog:
    """``@tracking-log``."""

    def test_log_rows(self, site):
        found = get(site, "/folder/@tracking-log").json()
        assert found["items_total"] == 5
        assert "batching" not in found  # one page
        assert found["per"] == "document"
        assert found["sort_on"] == "member"
        assert found["reading"] is True
        assert found["columns"] == [
            "fullname",
            "member",
            "document",
            "count",
            "seconds",
            "reached_end",
            "firstaccess",
            "lastaccess",
        ]
        first = found["items"][0]
        assert first["member"] == "editor"
        assert first["fullname"] == "Cy Editor"
        assert first["document"]["@id"] == f"{site['url']}/folder/doc"
        assert first["document"]["title"] == "Doc"
        assert first["firstaccess"] == "2024-03-03T12:00:00+00:00"
        read = [r for r in found["items"] if r["member"] == "member"]
        assert [(r["document"]["path"], r["count"], r["addresses"]) for r in read] == [
            (DOC, 2, 2),
            (OTHER, 1, 1),
        ]
        assert (read[0]["seconds"], read[0]["reached_end"]) == (300, True)
        # A row's addresses: the per-URL form, filtered.
        doc_id = read[0]["document"]["id"]
        urls = get(
            site, "/folder/@tracking-log", per="url", member="member", document=doc_id
        ).json()
        assert [r["url"] for r in urls["items"]] == [
            f"{site['url']}/folder/doc",
            f"{site['url']}/folder/doc/view",
        ]

    def test_log_batching(self, site):
        page = get(site, "/folder/@tracking-log", b_size=2).json()
        assert page["items_total"] == 5
        assert len(page["items"]) == 2
        links = page["batching"]
        assert set(links) == {"@id", "first", "last", "next"}
        assert "b_start=2" in links["next"]
        assert "b_start=4" in links["last"]
        second = requests.get(
            links["next"],
            auth=("manager", ROLE_PASSWORD),
            headers={"Accept": "application/json"},
            timeout=30,
        ).json()
        assert "b_start=0" in second["batching"]["prev"]
        assert not {r["member"] for r in second["items"]} & {
            r["member"] for r in page["items"][:1]
        }
        last = get(site, "/folder/@tracking-log", b_size=2, b_start=4).json()
        assert len(last["items"]) == 1
        assert "next" not in last["batching"]

    @pytest.mark.parametrize(
        ("sort_on", "order", "expected"),
        [
            (
                "member",
                "ascending",
                ["editor", "manager", "member", "member", "siteadmin"],
            ),
            (
                "member",
                "descending",
                ["siteadmin", "member", "member", "manager", "editor"],
            ),
            ("count", "descending", ["siteadmin", "member"]),
        ],
    )
    def test_log_sorting(self, site, sort_on, order, expected):
        found = get(
            site, "/folder/@tracking-log", sort_on=sort_on, sort_order=order
        ).json()
        assert (found["sort_on"], found["sort_order"]) == (sort_on, order)
        members = [row["member"] for row in found["items"]]
        assert members[: len(expected)] == expected

    def test_log_time_window(self, site):
        found = get(site, "/folder/@tracking-log", since="2024-03-03").json()
        assert [row["member"] for row in found["items"]] == ["editor"]
        found = get(site, "/folder/@tracking-log", until="2024-03-02").json()
        assert found["items_total"] == 4
        reversed_ = get(
            site, "/folder/@tracking-log", since="2024-03-03", until="2024-03-01"
        ).json()
        assert reversed_["items_total"] == 0
        assert "no hits match" in reversed_["messages"][0]["message"]

    def test_log_reading_filters(self, site):
        found = get(site, "/folder/@tracking-log", min_minutes="4").json()
        assert [(r["member"], r["seconds"]) for r in found["items"]] == [
            ("member", 300)
        ]
        found = get(site, "/folder/@tracking-log", read_to_end="1").json()
        assert found["items_total"] == 1

    @pytest.mark.parametrize("how", ["accept", "format"])
    def test_log_csv_is_the_pages_download(self, site, how):
        params = {"sort_on": "count", "sort_order": "descending"}
        if how == "accept":
            answer = get(site, "/folder/@tracking-log", accept="text/csv", **params)
        else:
            answer = get(site, "/folder/@tracking-log", format="csv", **params)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
        page = get(
            site, "/folder/@@tracking", accept="text/html", format="csv", **params
        )
        disposition = answer.headers["Content-Disposition"]
        assert disposition == page.headers["Content-Disposition"]
        assert 'filename="access-log-folder-' in disposition
        assert answer.content == page.content
        rows = csv_rows(answer)
        assert rows[0][:3] == ["Name", "User ID", "Document"]
        assert len(rows) == 6

    @pytest.mark.parametrize(
        ("params", "words"),
        [
            ({"sort_on": "nothing"}, "Unknown sort_on"),
            ({"sort_on": "reached_end"}, "Unknown sort_on"),
            ({"sort_order": "sideways"}, "Unknown sort_order"),
            ({"per": "page"}, "Unknown per"),
            ({"since": "2024-13-01"}, "since: '2024-13-01' is not a date"),
            ({"min_minutes": "lots"}, "min_minutes: 'lots' is not a number"),
            ({"b_size": "0"}, "b_size must be a whole number"),
            ({"b_start": "x"}, "b_start must be a whole number"),
            ({"document": "doc"}, "document must be the number"),
            ({"format": "xml"}, "Unknown format"),
        ],
    )
    def test_log_bad_parameters(self, site, params, words):
        refused(
            get(site, "/folder/@tracking-log", who="siteadmin", **params), 400, words
        )


class TestPermissions:
    """Who may see what; how a refusal and a failure look."""

    @pytest.mark.parametrize("who", [None, *ALLOWED])
    def test_permissions_are_the_pages(self, site, who):
        for name, path in ENDPOINTS.items():
            answer = get(site, path, who=who)
            if who is not None and name in ALLOWED[who]:
                assert answer.status_code == 200, (name, answer.text)
                continue
            refused(answer, 401 if who is None else 403, "You may not view")
            if name != "visits":  # no download there
                # The download is refused the same way.
                answer = get(site, path, who=who, accept="text/csv")
                assert answer.status_code == (401 if who is None else 403)

    def test_jwt_login(self, site):
        token = requests.post(
            f"{site['url']}/@login",
            json={"login": "manager", "password": ROLE_PASSWORD},
            headers={"Accept": "application/json"},
            timeout=30,
        ).json()["token"]
        answer = requests.get(
            f"{site['url']}/folder/@tracking-log",
            headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.json()["items_total"] == 5
        assert answer.headers["Cache-Control"] == "private, no-store"

    def test_storage_down_is_a_503_in_words(self, site):
        api.portal.set_registry_record(
            "slc.clicktracker.dsn",
            "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1",
        )
        transaction.commit()
        try:
            for path in ENDPOINTS.values():
                error = refused(get(site, path), 503, "cannot be read right now")
                assert "unreachable" in error["message"]
                if path != ENDPOINTS["visits"]:
                    # No broken file: the same error instead.
                    answer = get(site, path, accept="text/csv")
                    refused(answer, 503, "unreachable")
        finally:
            api.portal.set_registry_record("slc.clicktracker.dsn", site["dsn"])
            transaction.commit()


class TestReadingStatus:
    """``@readers`` and ``@readers-matrix``."""

    def test_readers_report(self, site):
        found = get(site, "/folder/doc/@readers").json()
        assert found["deadline"] == "2024-03-02T12:00:00+00:00"
        assert found["deadline_passed"] is True
        assert found["rule"]["kind"] == "opened"
        assert found["counts"] == {
            "unread": 1,
            "late": 1,
            "read": 1,
            "expected": 3,
            "have_read": 2,
            "percent": 66,
        }
        assert found["headline"] == "2 of 3 expected readers have read this (66%)"
        assert found["items_total"] == 3
        rows = [(r["member"], r["status"], r["views"]) for r in found["items"]]
        assert rows == [
            ("siteadmin", "unread", 0),
            ("editor", "late", 1),
            ("member", "read", 2),
        ]
        member = found["items"][2]
        assert member["first_read"] == "2024-03-01T12:00:00+00:00"
        assert member["expected_through"] == {"id": "board", "title": "Board"}
        assert (member["seconds"], member["reached_end"]) == (300, True)
        assert found["items"][0]["expected_through"] == {
            "id": "siteadmin",
            "title": "Sam Admin",
        }
        assert [r["member"] for r in found["others"]] == ["manager"]

    def test_readers_sort_filter_and_batching(self, site):
        found = get(
            site, "/folder/doc/@readers", sort_on="fullname", sort_order="descending"
        ).json()
        assert [r["fullname"] for r in found["items"]] == [
            "Sam Admin",
            "Cy Editor",
            "Ada Member",
        ]
        found = get(site, "/folder/doc/@readers", status="late").json()
        assert [r["member"] for r in found["items"]] == ["editor"]
        found = get(site, "/folder/doc/@readers", min_minutes="5").json()
        assert [r["member"] for r in found["items"]] == ["member"]
        page = get(site, "/folder/doc/@readers", b_size=2, b_start=2).json()
        assert [r["member"] for r in page["items"]] == ["member"]
        assert "b_start=0" in page["batching"]["prev"]

    @pytest.mark.parametrize("how", ["accept", "format"])
    def test_readers_csv_is_the_pages_download(self, site, how):
        params = {"status": "late"} if how == "format" else {}
        fields = {"readers_status": "late"} if params else {}
        if how == "accept":
            answer = get(site, "/folder/doc/@readers", accept="text/csv", **params)
        else:
            answer = get(site, "/folder/doc/@readers", format="csv", **params)
        page = get(
            site,
            "/folder/doc/@@tracking",
            accept="text/html",
            format="readers-csv",
            **fields,
        )
        assert answer.content == page.content
        assert (
            answer.headers["Content-Disposition"] == page.headers["Content-Disposition"]
        )
        # The expected readers (filtered), then manager, who was not expected.
        assert [row[1] for row in csv_rows(answer)[1:]][-1] == "manager"

    @pytest.mark.parametrize(
        ("path", "params", "status", "words"),
        [
            ("/folder/@readers", {}, 404, "A folder has no readers report"),
            ("/folder/other/@readers", {}, 404, "No expected readers are set"),
            ("/folder/doc/@readers", {"status": "confirmed"}, 400, "Unknown status"),
            ("/folder/doc/@readers", {"sort_on": "title"}, 400, "Unknown sort_on"),
            (
                "/folder/doc/@readers",
                {"min_minutes": "1.5"},
                400,
                "not a whole number of min",
            ),
            ("/folder/doc/@readers", {"b_size": "5000"}, 400, "b_size must be"),
            (
                "/folder/doc/@readers-matrix",
                {},
                404,
                "A document has no reading matrix",
            ),
        ],
    )
    def test_readers_refusals(self, site, path, params, status, words):
        refused(get(site, path, who="editor", **params), status, words)

    # -- @readers-matrix --------------------------------------------------------------

    def test_matrix(self, site):
        found = get(site, "/folder/@readers-matrix", who="editor").json()
        documents = found["documents"]
        assert [(d["title"], d["readers"]) for d in documents] == [
            ("Doc", 3),
            ("Other", 2),
        ]
        assert documents[0]["@id"] == f"{site['url']}/folder/doc"
        assert documents[0]["deadline"] == "2024-03-02T12:00:00+00:00"
        assert found["expected"] is False
        assert found["items_total"] == 4
        cells = {
            row["member"]: [cell and cell["state"] for cell in row["cells"]]
            for row in found["items"]
        }
        assert cells == {
            "member": ["read", "read"],
            "manager": ["read", None],
            "editor": ["late", None],
            "siteadmin": [None, "read"],
        }
        ready = [row["member"] for row in found["items"] if row["ready"]]
        assert ready == ["member"]
        page = get(site, "/folder/@readers-matrix", b_size=1, b_start=3).json()
        assert [row["member"] for row in page["items"]] == ["siteadmin"]
        assert page["items"][0]["cells"][1]["first_read"] == "2024-03-01T15:00:00+00:00"
        assert "next" not in page["batching"]

    @pytest.mark.parametrize("how", ["accept", "format"])
    def test_matrix_csv_is_the_pages_download(self, site, how):
        if how == "accept":
            answer = get(site, "/folder/@readers-matrix", accept="text/csv")
        else:
            answer = get(site, "/folder/@readers-matrix", format="csv")
        page = get(site, "/folder/@@tracking", accept="text/html", format="matrix-csv")
        assert answer.content == page.content
        assert 'filename="matrix-folder-' in answer.headers["Content-Disposition"]
        assert csv_rows(answer)[-1][0] == "Members who read it"


class TestVisits:
    """``@clicktracker-visits`` and a visit's clickstream."""

    def test_visits(self, site):
        found = get(site, "/@clicktracker-visits").json()
        assert found["items_total"] == 2
        assert {v["id"] for v in found["active"]} == set(site["visits"].values())
        by_id = {v["id"]: v for v in found["items"]}
        mine = by_id[site["visits"]["member"]]
        assert (mine["member"], mine["fullname"], mine["hits"]) == (
            "member",
            "Ada Member",
            2,
        )
        assert mine["duration_seconds"] == 30
        assert mine["@id"] == f"{site['url']}/@clicktracker-visits/{mine['id']}"
        bot = by_id[site["visits"]["bot"]]
        assert (bot["is_bot"], bot["bot_name"]) == (True, "Googlebot")
        found = get(site, "/@clicktracker-visits", hide_bots="1").json()
        assert [v["id"] for v in found["items"]] == [site["visits"]["member"]]
        found = get(site, "/@clicktracker-visits", member="nobody").json()
        assert found["items_total"] == 0
        page = get(site, "/@clicktracker-visits", b_size=1).json()
        assert len(page["items"]) == 1
        assert "b_start=1" in page["batching"]["next"]

    def test_clickstream(self, site):
        visit = site["visits"]["member"]
        found = get(site, f"/@clicktracker-visits/{visit}").json()
        assert found["id"] == visit
        assert [(c["number"], c["path"]) for c in found["clicks"]] == [
            (1, "/plone/news"),
            (2, "/plone/events"),
        ]
        assert found["clicks"][0]["seconds"] is None  # no reading update came

    @pytest.mark.parametrize(
        ("path", "status", "words"),
        [
            ("/@clicktracker-visits/" + "0" * 32, 404, "There is no visit"),
            ("/@clicktracker-visits/nonsense", 404, "There is no visit"),
            ("/@clicktracker-visits/a/b", 404, "Only /@clicktracker-visits/<visit id>"),
            ("/@clicktracker-visits?since=yesterday", 400, "is not a date"),
        ],
    )
    def test_visits_refusals(self, site, path, status, words):
        refused(get(site, path, who="siteadmin"), status, words)
