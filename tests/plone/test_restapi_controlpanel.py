"""The settings under plone.restapi's ``@controlpanels/clicktracker``: listed,
the DSN's password never sent, kept when the mask comes back for the same
database only, a DSN that cannot connect refused."""

from plone import api
from slc.clicktracker.testing.layers import ACCEPTANCE_TESTING
from tests.plone.restapi_site import CAROL
from tests.plone.restapi_site import OWNER
from tests.plone.restapi_site import Client
from tests.plone.restapi_site import module_site
import pytest
import transaction


SECRET = "pw-never-sent-1"
RECORD = "slc.clicktracker.dsn"


@pytest.fixture(scope="module")
def site(acceptance_session, tmp_path_factory):
    """The site's DSN carries a password (the test cluster does not ask for
    one, so it still connects); Carol is a Member."""
    with module_site(ACCEPTANCE_TESTING, tmp_path_factory) as layer:
        with api.env.adopt_roles(["Manager"]):
            api.user.create(username="carol", email="c@example.org", password=CAROL[1])
        layer["dsn_with_password"] = f"{layer['pg_dsn']} password={SECRET}"
        api.portal.set_registry_record(RECORD, layer["dsn_with_password"])
        transaction.commit()
        yield layer


def client(site, auth=OWNER):
    return Client(site["portal"].absolute_url(), auth=auth)


def stored_dsn():
    transaction.begin()
    return api.portal.get_registry_record(RECORD)


def test_listed_among_the_control_panels(site):
    panels = client(site).get("/@controlpanels").json()
    (ours,) = [p for p in panels if p["@id"].endswith("/@controlpanels/clicktracker")]
    assert ours["title"] == "Click tracker settings"
    assert ours["group"] == "Add-on Configuration"
    # And the add-on among the add-ons, installed.
    addons = client(site).get("/@addons").json()["items"]
    (addon,) = [a for a in addons if a["id"] == "slc.clicktracker"]
    assert addon["is_installed"] is True


def test_the_password_is_never_sent(site):
    response = client(site).get("/@controlpanels/clicktracker")
    assert response.status_code == 200
    assert SECRET not in response.text
    data = response.json()["data"]
    assert data["dsn"] == f"{site['pg_dsn']} password=********"
    assert "dsn" in response.json()["schema"]["properties"]
    # Only for those who manage the site.
    for auth in (None, CAROL):
        assert client(site, auth).get("/@controlpanels/clicktracker").status_code == 401


def test_registry_shows_records_to_managers_only(site):
    # plone.restapi's @registry is for Managers (docs/restapi.rst says so);
    # a DSN without a password in the registry (the environment variable)
    # keeps the secret out of the ZODB and out of that.
    url = f"/@registry/{RECORD}"
    assert client(site).get(url).json() == site["dsn_with_password"]
    for auth in (None, CAROL):
        assert client(site, auth).get(url).status_code == 401


def test_the_mask_sent_back_keeps_the_password(site):
    masked = client(site).get("/@controlpanels/clicktracker").json()["data"]["dsn"]
    body = {"dsn": masked, "idle_timeout": 25}
    response = client(site).patch("/@controlpanels/clicktracker", json=body)
    assert response.status_code == 204, response.text
    assert stored_dsn() == site["dsn_with_password"]
    assert api.portal.get_registry_record("slc.clicktracker.idle_timeout") == 25


def refused(response, words):
    # In words, and without the traceback plone.rest shows Managers.
    assert response.status_code == 400, response.text
    assert response.json() == {"type": "BadRequest", "message": words}
    assert SECRET not in response.text


def test_the_mask_with_another_server_is_refused(site):
    body = {"dsn": "host=db.example.org dbname=clicktracker password=********"}
    response = client(site).patch("/@controlpanels/clicktracker", json=body)
    refused(
        response,
        "dsn: The saved password is kept only for the same server, port, "
        "database and user. Send the password for this connection instead "
        "of ********.",
    )
    assert stored_dsn() == site["dsn_with_password"]


def test_a_dsn_that_cannot_connect_is_refused(site):
    body = {"dsn": "host=/nonexistent/socket dbname=nothing", "idle_timeout": 30}
    response = client(site).patch("/@controlpanels/clicktracker", json=body)
    message = response.json()["message"]
    assert message.startswith("dsn: Cannot connect to this database: connection")
    refused(response, message)
    assert stored_dsn() == site["dsn_with_password"]
    assert api.portal.get_registry_record("slc.clicktracker.idle_timeout") != 30
    # Members may not change settings at all.
    response = client(site, CAROL).patch("/@controlpanels/clicktracker", json=body)
    assert response.status_code == 401
    assert stored_dsn() == site["dsn_with_password"]


def test_other_mistakes_in_words_and_nothing_saved(site):
    body = {"idle_timeout": "soon", "track_anonymous": True}
    response = client(site).patch("/@controlpanels/clicktracker", json=body)
    refused(response, "idle_timeout: Invalid int literal.")
    response = client(site).patch(
        "/@controlpanels/clicktracker",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    refused(response, "No JSON object could be decoded")
    transaction.begin()
    assert api.portal.get_registry_record("slc.clicktracker.track_anonymous") is False
