"""``GET @tracking`` and the ``tracking`` component, over HTTP against the
live test server: what anonymous visitors, Members, Editors and Managers
are told (PATCH: test_restapi_tracking_patch.py)."""

from datetime import UTC
from datetime import datetime
from plone import api
from slc.clicktracker import readers
from slc.clicktracker import tokens
from slc.clicktracker import tracking
from slc.clicktracker.settings import record_name
from slc.clicktracker.testing.layers import ACCEPTANCE_TESTING
from tests.plone.helpers import LIVE_PASSWORD
from tests.plone.restapi_site import CAROL
from tests.plone.restapi_site import OWNER
from tests.plone.restapi_site import Client
from tests.plone.restapi_site import module_site
import json
import pytest
import transaction


EDITOR = ("erin", "erin-secret-1")
DEADLINE = datetime(2030, 3, 5, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site(acceptance_session, tmp_path_factory):
    """A tracked meeting folder (Erin is its Editor) with the minutes and the
    agenda (Carol is expected to read it), untracked news; Carol a Member."""
    with module_site(ACCEPTANCE_TESTING, tmp_path_factory) as layer:
        portal = layer["portal"]
        with api.env.adopt_roles(["Manager"]):
            for userid, fullname in (("carol", "Carol Chair"), ("erin", "Erin Ed")):
                password = LIVE_PASSWORD if userid == "carol" else EDITOR[1]
                api.user.create(
                    username=userid,
                    email=f"{userid}@example.org",
                    password=password,
                    properties={"fullname": fullname},
                )
            folder = api.content.create(portal, "Folder", id="meeting", title="Meeting")
            for docid in ("minutes", "agenda"):
                api.content.create(folder, "Document", id=docid, title=docid.title())
            api.content.create(portal, "Document", id="news", title="News")
            for obj in (folder, folder["minutes"], folder["agenda"], portal["news"]):
                api.content.transition(obj, "publish")
            tracking.enable(folder)
            api.user.grant_roles(username="erin", obj=folder, roles=["Editor"])
            readers.set_expectation(folder["agenda"], ["carol"], deadline=DEADLINE)
        transaction.commit()
        yield layer


def url(site, path=""):
    return f"{site['portal'].absolute_url()}{path}"


def as_(site, auth=None):
    return Client(url(site), auth=auth)


def get(site, path, auth=None):
    response = as_(site, auth).get(f"{path}/@tracking")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    return response.json()


def member_of(token, site, obj):
    """The member a hit token is for (checked against object and site)."""
    member = json.loads(tokens._b64decode(token.split(".")[0]))["m"]
    tokens.verify_token(token, member, obj, site["portal"])
    return member


def test_anonymous_gets_a_token_only_while_anonymous_tracking_is_on(site):
    minutes = site["portal"]["meeting"]["minutes"]
    found = get(site, "/meeting/minutes")
    assert found == {"@id": url(site, "/meeting/minutes/@tracking"), "hit": None}
    api.portal.set_registry_record(record_name("track_anonymous"), True)
    transaction.commit()
    try:
        found = get(site, "/meeting/minutes")
        assert set(found) == {"@id", "hit"}
        assert found["hit"]["@id"] == url(site, "/meeting/minutes/@hit")
        assert member_of(found["hit"]["token"], site, minutes) == tokens.ANONYMOUS
        # Not tracked: nothing to report there.
        assert get(site, "/news")["hit"] is None
    finally:
        api.portal.set_registry_record(record_name("track_anonymous"), False)
        transaction.commit()


def test_a_member_gets_a_token_and_nothing_else(site):
    minutes = site["portal"]["meeting"]["minutes"]
    found = get(site, "/meeting/minutes", CAROL)
    assert set(found) == {"@id", "hit"}
    assert found["hit"]["@id"] == url(site, "/meeting/minutes/@hit")
    assert member_of(found["hit"]["token"], site, minutes) == "carol"
    # Being expected to read it does not show who else is.
    assert set(get(site, "/meeting/agenda", CAROL)) == {"@id", "hit"}
    assert get(site, "/news", CAROL) == {
        "@id": url(site, "/news/@tracking"),
        "hit": None,
    }


def test_an_editor_sees_status_and_expected_readers_but_no_log(site):
    found = get(site, "/meeting/agenda", EDITOR)
    assert found["status"] == "inherited"
    assert found["tracked"] is True
    assert found["source"] == {"@id": url(site, "/meeting"), "title": "Meeting"}
    assert found["can_manage"] is True
    # "View reading status" but not "View access log".
    assert found["reports"] == {"readers": url(site, "/meeting/agenda/@readers")}
    assert found["expected_readers"] == {
        "principals": [{"id": "carol", "type": "user", "title": "Carol Chair"}],
        "deadline": "2030-03-05T17:00:00+00:00",
        "confirm": False,
        "rule": {"kind": "opened", "seconds": None},
        "inherited": False,
        "source": {"@id": url(site, "/meeting/agenda"), "title": "Agenda"},
    }
    folder = get(site, "/meeting", EDITOR)
    assert folder["status"] == "direct"
    assert folder["reports"] == {"matrix": url(site, "/meeting/@readers-matrix")}
    # Where Erin is no Editor she is told no more than any member.
    assert set(get(site, "/news", EDITOR)) == {"@id", "hit"}


def test_a_manager_sees_everything(site):
    minutes = get(site, "/meeting/minutes", OWNER)
    assert minutes == {
        "@id": url(site, "/meeting/minutes/@tracking"),
        "hit": minutes["hit"],
        "tracked": True,
        "status": "inherited",
        "source": {"@id": url(site, "/meeting"), "title": "Meeting"},
        "expected_readers": None,
        "can_manage": True,
        "reports": {"log": url(site, "/meeting/minutes/@tracking-log")},
    }
    doc = site["portal"]["meeting"]["minutes"]
    assert member_of(minutes["hit"]["token"], site, doc) == "admin"
    agenda = get(site, "/meeting/agenda", OWNER)
    assert agenda["reports"] == {
        "log": url(site, "/meeting/agenda/@tracking-log"),
        "readers": url(site, "/meeting/agenda/@readers"),
    }
    news = get(site, "/news", OWNER)
    assert (news["tracked"], news["status"], news["source"]) == (False, "none", None)
    assert news["hit"] is None
    root = get(site, "", OWNER)
    assert (root["@id"], root["status"]) == (url(site, "/@tracking"), "none")
    assert root["reports"]["matrix"] == url(site, "/@readers-matrix")


def test_the_tracking_component(site):
    client = as_(site, CAROL)
    content = client.get("/meeting/minutes").json()
    assert content["@components"]["tracking"] == {
        "@id": url(site, "/meeting/minutes/@tracking")
    }
    expanded = client.get("/meeting/minutes", params={"expand": "tracking"}).json()
    assert expanded["@components"]["tracking"] == get(site, "/meeting/minutes", CAROL)
    # Expanded with others, as Volto asks for several at once.
    both = client.get("/meeting/minutes", params={"expand": "tracking,breadcrumbs"})
    assert both.json()["@components"]["tracking"]["hit"] is not None
    managed = as_(site, OWNER).get("/meeting", params={"expand": "tracking"}).json()
    assert managed["@components"]["tracking"]["status"] == "direct"


def test_actions_list_the_classic_tab_for_those_who_may_see_it(site):
    def tabs(auth):
        found = as_(site, auth).get("/meeting/@actions").json()["object"]
        return {a["id"]: a["url"] for a in found}

    assert tabs(EDITOR)["tracking"] == url(site, "/meeting/@@tracking")
    assert "tracking" not in tabs(CAROL)


def test_content_one_may_not_view_is_refused(site):
    with api.env.adopt_roles(["Manager"]):
        secret = api.content.create(
            site["portal"]["meeting"], "Document", id="secret", title="Secret"
        )
    transaction.commit()
    try:
        # plone.rest's answer for private content, to members too.
        for auth in (None, CAROL):
            response = as_(site, auth).get("/meeting/secret/@tracking")
            assert response.status_code == 401
            assert response.json()["type"] == "Unauthorized"
        assert get(site, "/meeting/secret", OWNER)["status"] == "inherited"
    finally:
        with api.env.adopt_roles(["Manager"]):
            api.content.delete(secret)
        transaction.commit()
