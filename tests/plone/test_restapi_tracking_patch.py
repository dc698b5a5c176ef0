"""``PATCH @tracking``: tracking on and off, expected readers set and
removed, every validation error in words (and nothing changed), refusals;
over HTTP against the live test server."""

from plone import api
from slc.clicktracker.testing.layers import ACCEPTANCE_TESTING
from tests.plone.helpers import LIVE_PASSWORD
from tests.plone.restapi_site import CAROL
from tests.plone.restapi_site import OWNER
from tests.plone.restapi_site import Client
from tests.plone.restapi_site import module_site
from tests.plone.restapi_site import refused
import pytest
import transaction


EDITOR = ("erin", "erin-secret-1")
REPRESENTATION = {"Prefer": "return=representation"}


@pytest.fixture(scope="module")
def site(acceptance_session, tmp_path_factory):
    """Erin edits the folder "papers" (untracked, three documents); Carol is a
    Member and, with Erin, in the group "board". The site's time zone is
    Vienna's (UTC+1 in March)."""
    with module_site(ACCEPTANCE_TESTING, tmp_path_factory) as layer:
        portal = layer["portal"]
        api.portal.set_registry_record("plone.portal_timezone", "Europe/Vienna")
        with api.env.adopt_roles(["Manager"]):
            for userid, fullname, password in (
                ("carol", "Carol Chair", LIVE_PASSWORD),
                ("erin", "Erin Ed", EDITOR[1]),
            ):
                api.user.create(
                    username=userid,
                    email=f"{userid}@example.org",
                    password=password,
                    properties={"fullname": fullname},
                )
            api.group.create(groupname="board", title="Board")
            for userid in ("carol", "erin"):
                api.group.add_user(groupname="board", username=userid)
            folder = api.content.create(portal, "Folder", id="papers", title="Papers")
            for docid in ("one", "two", "three"):
                api.content.create(folder, "Document", id=docid, title=docid.title())
            for obj in (folder, *folder.objectValues()):
                api.content.transition(obj, "publish")
            api.user.grant_roles(username="erin", obj=folder, roles=["Editor"])
        transaction.commit()
        yield layer


def client(site, auth=EDITOR):
    return Client(site["portal"].absolute_url(), auth=auth)


def state(site, path):
    """What a Manager's GET says, without the (per-user) hit token."""
    found = client(site, OWNER).get(f"{path}/@tracking").json()
    found.pop("hit")
    return found


def patch(site, path, body, auth=EDITOR, **kw):
    return client(site, auth).patch(f"{path}/@tracking", json=body, **kw)


def test_tracking_on_and_off(site):
    response = patch(site, "/papers", {"tracked": True})
    assert (response.status_code, response.content) == (204, b"")
    assert state(site, "/papers")["status"] == "direct"
    assert state(site, "/papers/one")["status"] == "inherited"
    # Off on a document tracked through its folder: the folder still tracks it.
    response = patch(site, "/papers/one", {"tracked": False}, headers=REPRESENTATION)
    assert response.status_code == 200
    assert response.json()["status"] == "inherited"
    assert patch(site, "/papers", {"tracked": False}).status_code == 204
    assert state(site, "/papers/one")["status"] == "none"
    # Saying it twice changes nothing and is no error.
    assert patch(site, "/papers", {"tracked": False}).status_code == 204
    assert state(site, "/papers")["tracked"] is False


def test_expected_readers_set_changed_and_removed(site):
    body = {
        "expected_readers": {
            "principals": ["board", "carol"],
            "deadline": "2030-03-05",
            "confirm": True,
            "rule": {"kind": "seconds", "seconds": 120},
        }
    }
    response = patch(site, "/papers/two", body, headers=REPRESENTATION)
    assert response.status_code == 200, response.text
    expected = response.json()["expected_readers"]
    # What GET says (but for the reports: Erin may see no access log).
    assert response.json() | {"reports": None} == state(site, "/papers/two") | {
        "hit": None,
        "reports": None,
    }
    assert expected["principals"] == [
        {"id": "board", "type": "group", "title": "Board"},
        {"id": "carol", "type": "user", "title": "Carol Chair"},
    ]
    # A date alone: the end of that day (23:59) in the site's time zone.
    assert expected["deadline"] == "2030-03-05T22:59:00+00:00"
    assert (expected["confirm"], expected["rule"]) == (
        True,
        {"kind": "seconds", "seconds": 120},
    )
    assert expected["inherited"] is False
    # Keys left out keep what is set.
    for deadline, stored in (
        ("2030-03-05T18:00", "2030-03-05T17:00:00+00:00"),
        ("2030-03-05T18:00:00+05:00", "2030-03-05T13:00:00+00:00"),
        ("2030-03-05T18:00Z", "2030-03-05T18:00:00+00:00"),
        (None, None),
    ):
        body = {"expected_readers": {"deadline": deadline}}
        assert patch(site, "/papers/two", body).status_code == 204
        found = state(site, "/papers/two")["expected_readers"]
        assert found["deadline"] == stored
        assert [p["id"] for p in found["principals"]] == ["board", "carol"]
        assert found["confirm"] is True
    body = {"expected_readers": {"confirm": False, "rule": {"kind": "end"}}}
    found = patch(site, "/papers/two", body, headers=REPRESENTATION).json()
    assert found["expected_readers"]["confirm"] is False
    assert found["expected_readers"]["rule"] == {"kind": "end", "seconds": None}
    # null removes them; a folder's expectation applies to what is inside.
    assert patch(site, "/papers/two", {"expected_readers": None}).status_code == 204
    assert state(site, "/papers/two")["expected_readers"] is None
    folder = {"expected_readers": {"principals": ["carol"]}}
    assert patch(site, "/papers", folder).status_code == 204
    inherited = state(site, "/papers/two")["expected_readers"]
    assert inherited["inherited"] is True
    assert inherited["source"]["@id"].endswith("/papers")
    assert patch(site, "/papers", {"expected_readers": None}).status_code == 204


BAD = [
    ("[1, 2]", "must be a JSON object"),
    ("{not json", "not valid JSON"),
    ({"track": True}, "Unknown keys: track. Known: expected_readers, tracked."),
    ({"tracked": "yes"}, "tracked must be true or false"),
    ({"tracked": 1}, "tracked must be true or false"),
    ({"expected_readers": ["carol"]}, "expected_readers must be an object or null"),
    ({"expected_readers": {}}, "has no expected readers of its own"),
    ({"expected_readers": {"principals": "carol"}}, "principals must be a list"),
    ({"expected_readers": {"principals": []}}, "at least one"),
    ({"expected_readers": {"principals": [" "]}}, "at least one"),
    ({"expected_readers": {"principals": [7]}}, "principals must be a list"),
    ({"expected_readers": {"principals": ["nobody"]}}, "Unknown user or group: nobody"),
    ({"expected_readers": {"principals": ["carol"], "when": 1}}, "Unknown keys in"),
    (
        {"expected_readers": {"principals": ["carol"], "deadline": "soon"}},
        "deadline 'soon' is not a date (YYYY-MM-DD)",
    ),
    (
        {"expected_readers": {"principals": ["carol"], "deadline": "2030-02-30"}},
        "is not a date",
    ),
    (
        {"expected_readers": {"principals": ["carol"], "deadline": 20300305}},
        "deadline must be ISO 8601 text or null",
    ),
    (
        {"expected_readers": {"principals": ["carol"], "confirm": "yes"}},
        "confirm must be true or false",
    ),
    ({"expected_readers": {"principals": ["carol"], "rule": "end"}}, "rule must be"),
    (
        {"expected_readers": {"principals": ["carol"], "rule": {"kind": "later"}}},
        "rule kind must be one of opened, seconds, end",
    ),
    (
        {"expected_readers": {"principals": ["carol"], "rule": {"kind": "seconds"}}},
        "needs seconds, a whole number from 1 to 86400",
    ),
    (
        {
            "expected_readers": {
                "principals": ["carol"],
                "rule": {"kind": "seconds", "seconds": 86401},
            }
        },
        "needs seconds",
    ),
    (
        {
            "expected_readers": {
                "principals": ["carol"],
                "rule": {"kind": "seconds", "seconds": "60"},
            }
        },
        "needs seconds",
    ),
    (
        {
            "expected_readers": {
                "principals": ["carol"],
                "rule": {"kind": "end", "x": 1},
            }
        },
        "Unknown keys in rule: x",
    ),
]


@pytest.mark.parametrize(("body", "words"), BAD, ids=[w for _b, w in BAD])
def test_bad_requests_change_nothing(site, body, words):
    before = state(site, "/papers/three")
    send = {"json": body}
    if isinstance(body, str):
        send = {"data": body, "headers": {"Content-Type": "application/json"}}
    if isinstance(body, dict) and "tracked" not in body:
        # Valid "tracked" next to the mistake: refused as a whole.
        send = {"json": body | {"tracked": True}}
    response = client(site).patch("/papers/three/@tracking", **send)
    refused(response, 400, words)
    assert response.json()["error"]["type"] == "BadRequest"
    assert state(site, "/papers/three") == before


def test_only_those_who_manage_tracking_may_patch(site):
    before = state(site, "/papers/three")
    body = {"tracked": True}
    refused(patch(site, "/papers/three", body, auth=None), 401, "may not manage")
    refused(patch(site, "/papers/three", body, auth=CAROL), 403, "may not manage")
    # Erin edits the papers, not the site root.
    refused(patch(site, "", body), 403, "may not manage")
    assert state(site, "/papers/three") == before
    assert state(site, "")["tracked"] is False
