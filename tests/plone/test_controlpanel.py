"""The "Click tracker settings" control panel."""

from lxml import html
from plone import api
from plone.app.testing import TEST_USER_NAME
from plone.app.testing import TEST_USER_PASSWORD
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.storage.dsn import ENV_DSN
from slc.clicktracker.storage.dsn import MASK
from tests.helpers import user_tables
from urllib.parse import quote
from zope.component import getUtility
import pytest
import transaction


RECORD = "slc.clicktracker.dsn"
INIT_BUTTON = "Initialise or upgrade database"


def login(browser, name, password):
    browser.addHeader("Authorization", f"Basic {name}:{password}")


def set_dsn(dsn):
    api.portal.set_registry_record(RECORD, dsn)
    transaction.commit()


def stored_dsn():
    transaction.begin()  # see what the browser's request committed
    with api.env.adopt_roles(["Manager"]):
        return api.portal.get_registry_record(RECORD)


def status_text(browser, element_id):
    element = html.fromstring(browser.contents).get_element_by_id(element_id)
    return " ".join(element.text_content().split())


def dsn_widget(browser):
    return browser.getControl(name="form.widgets.dsn")


def uri_dsn(functional, password):
    """The layer's database as a URI with a password (the cluster trusts us)."""
    cluster = functional["pg_cluster"]
    return (
        f"postgresql://{cluster.executor.user}:{quote(password, safe='')}@"
        f"/{functional['pg_dbname']}?host={quote(cluster.tmpdir, safe='')}"
        f"&port={cluster.executor.port}"
    )


def test_view_registered(portal, http_request):
    view = api.content.get_view("clicktracker-controlpanel", portal, http_request)
    assert view is not None


def test_form_saves_dsn(functional, owner_browser):
    portal_url = functional["portal"].absolute_url()
    owner_browser.open(f"{portal_url}/@@overview-controlpanel")
    owner_browser.getLink("Click tracker settings").click()
    assert owner_browser.url.endswith("/@@clicktracker-controlpanel")
    dsn_widget(owner_browser).value = functional["pg_dsn"]
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    assert stored_dsn() == functional["pg_dsn"]


def test_empty_dsn_allowed(functional, owner_browser, panel_url):
    set_dsn(functional["pg_dsn"])
    owner_browser.open(panel_url)
    dsn_widget(owner_browser).value = ""
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    assert not stored_dsn()
    assert "Not configured" in status_text(owner_browser, "clicktracker-connection")


@pytest.mark.parametrize(
    "bad,reason",
    [
        ("dbname=nope", 'database "nope" does not exist'),
        ("host=127.0.0.1 port=1 dbname=x", "Connection refused"),
        ("this is no dsn", 'missing "=" after "this"'),
    ],
)
def test_invalid_dsn_is_refused(functional, owner_browser, bad, reason, panel_url):
    set_dsn(functional["pg_dsn"])
    cluster = functional["pg_cluster"]
    if bad.startswith("dbname"):
        bad = cluster.dsn("nope")
    owner_browser.open(panel_url)
    dsn_widget(owner_browser).value = f"{bad} password=TypedSecret9"
    owner_browser.getControl("Save").click()
    assert "Changes saved" not in owner_browser.contents
    assert "There were some errors" in owner_browser.contents
    assert "Cannot connect to this database" in owner_browser.contents
    assert reason in owner_browser.contents
    assert "TypedSecret9" not in owner_browser.contents
    assert stored_dsn() == functional["pg_dsn"]


def test_status_not_configured_shows_backlog(functional, owner_browser, panel_url):
    storage = getUtility(IClickStorage)
    for member in ("alice", "bob", "carol"):
        storage.logAccess(member, "/plone/doc", "http://nohost/plone/doc")
    owner_browser.open(panel_url)
    assert "Not configured" in status_text(owner_browser, "clicktracker-connection")
    assert status_text(owner_browser, "clicktracker-backlog").startswith("3 ")
    assert "Not initialised" in status_text(
        owner_browser, "clicktracker-schema-version"
    )
    # How full the spool is, against its cap.
    fill = status_text(owner_browser, "clicktracker-spool-fill")
    assert fill.startswith("The spool is 0.0% full (0.0 MB of 64.0 MB;")
    assert "0 hits wait for other databases" in fill


def test_status_connected(functional, owner_browser, panel_url):
    set_dsn(functional["pg_dsn"])
    storage = getUtility(IClickStorage)
    version = storage.setup_database()
    storage.logAccess("alice", "/plone/doc", "http://nohost/plone/doc")
    storage.logAccess("alice", "/plone/other", "http://nohost/plone/other")
    owner_browser.open(panel_url)
    assert status_text(owner_browser, "clicktracker-connection") == "Connected"
    assert status_text(owner_browser, "clicktracker-schema-version") == str(version)
    assert status_text(owner_browser, "clicktracker-hits") == "2"
    assert status_text(owner_browser, "clicktracker-documents") == "2"
    assert status_text(owner_browser, "clicktracker-backlog").startswith("0 ")
    assert "clicktracker-env-override" not in owner_browser.contents


def test_status_unreachable(functional, owner_browser, panel_url):
    set_dsn("host=127.0.0.1 port=1 dbname=x password=StatusSecret7")
    owner_browser.open(panel_url)
    connection = status_text(owner_browser, "clicktracker-connection")
    assert "Not connected" in connection
    assert "Connection refused" in connection
    assert "StatusSecret7" not in owner_browser.contents


def test_init_button_creates_schema(functional, owner_browser, panel_url):
    set_dsn(functional["pg_dsn"])
    owner_browser.open(panel_url)
    assert "Not initialised" in status_text(
        owner_browser, "clicktracker-schema-version"
    )
    owner_browser.getControl(INIT_BUTTON).click()
    version = getUtility(IClickStorage).status()["schema_version"]
    assert version
    assert f"The database is ready (schema version {version})" in owner_browser.contents
    assert status_text(owner_browser, "clicktracker-schema-version") == str(version)
    assert user_tables(functional["pg_dsn"]) > 0
    # Again: an upgrade with nothing to do.
    owner_browser.getControl(INIT_BUTTON).click()
    assert f"The database is ready (schema version {version})" in owner_browser.contents


def test_init_button_without_dsn(functional, owner_browser, panel_url):
    owner_browser.open(panel_url)
    owner_browser.getControl(INIT_BUTTON).click()
    assert "The database was not set up" in owner_browser.contents
    assert "No database is configured" in owner_browser.contents


def test_init_button_with_unreachable_dsn(functional, owner_browser, panel_url):
    set_dsn("host=127.0.0.1 port=1 dbname=x password=InitSecret3")
    owner_browser.open(panel_url)
    owner_browser.getControl(INIT_BUTTON).click()
    assert "The database was not set up" in owner_browser.contents
    assert "Connection refused" in owner_browser.contents
    assert "InitSecret3" not in owner_browser.contents


def test_init_button_needs_authenticator(functional, owner_browser, panel_url):
    set_dsn(functional["pg_dsn"])
    owner_browser.handleErrors = True
    owner_browser.raiseHttpErrors = False
    # A forged cross-site POST carries no _authenticator token.
    owner_browser.post(
        panel_url,
        "form.widgets.dsn=&form.buttons.setup_database=go",
    )
    assert owner_browser.headers["status"].startswith("403")
    assert user_tables(functional["pg_dsn"]) == 0


def test_save_needs_authenticator(functional, owner_browser, panel_url):
    set_dsn(functional["pg_dsn"])
    owner_browser.handleErrors = True
    owner_browser.raiseHttpErrors = False
    owner_browser.post(panel_url, "form.widgets.dsn=&form.buttons.save=Save")
    assert owner_browser.headers["status"].startswith("403")
    assert stored_dsn() == functional["pg_dsn"]


def test_keyword_password_masked_and_kept(functional, owner_browser, panel_url):
    secret_dsn = f"{functional['pg_dsn']} password='Kw Secret42'"
    set_dsn(secret_dsn)
    owner_browser.open(panel_url)
    assert "Secret42" not in owner_browser.contents
    assert dsn_widget(owner_browser).value == f"{functional['pg_dsn']} password={MASK}"
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    assert "Secret42" not in owner_browser.contents
    assert stored_dsn() == secret_dsn


def test_uri_password_masked_and_kept(functional, owner_browser, panel_url):
    secret_dsn = uri_dsn(functional, "Uri/Secret77")
    set_dsn(secret_dsn)
    owner_browser.open(panel_url)
    assert "Secret77" not in owner_browser.contents
    assert MASK in dsn_widget(owner_browser).value
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    assert "Secret77" not in owner_browser.contents
    assert stored_dsn() == secret_dsn
    assert status_text(owner_browser, "clicktracker-connection").startswith("Connected")


def test_password_can_be_changed(functional, owner_browser, panel_url):
    set_dsn(f"{functional['pg_dsn']} password=OldSecret1")
    owner_browser.open(panel_url)
    dsn_widget(owner_browser).value = f"{functional['pg_dsn']} password=NewSecret2"
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    assert "NewSecret2" not in owner_browser.contents
    assert stored_dsn() == f"{functional['pg_dsn']} password=NewSecret2"


def test_environment_override_shown(functional, owner_browser, monkeypatch, panel_url):
    monkeypatch.setenv(ENV_DSN, f"{functional['pg_dsn']} password=EnvSecret5")
    getUtility(IClickStorage).setup_database()
    owner_browser.open(panel_url)
    override = status_text(owner_browser, "clicktracker-env-override")
    assert ENV_DSN in override
    assert f"password={MASK}" in override
    assert "EnvSecret5" not in owner_browser.contents
    assert status_text(owner_browser, "clicktracker-connection") == "Connected"


def test_members_may_not_open_it(functional, browser):
    browser.handleErrors = True
    browser.raiseHttpErrors = False
    login(browser, TEST_USER_NAME, TEST_USER_PASSWORD)
    portal_url = functional["portal"].absolute_url()
    browser.open(f"{portal_url}/@@clicktracker-controlpanel")
    # Plone answers with its usual "Insufficient Privileges" page.
    assert browser.url.endswith("/insufficient-privileges")
    assert "form.widgets.dsn" not in browser.contents


def test_listed_in_site_setup_addons(functional, owner_browser):
    portal_url = functional["portal"].absolute_url()
    owner_browser.open(f"{portal_url}/prefs_install_products_form")
    assert "slc.clicktracker" in owner_browser.contents
    assert "Click tracker settings" in owner_browser.contents


# -- the status card: what to do next -------------------------------------------


def status_card(browser):
    return html.fromstring(browser.contents).get_element_by_id("clicktracker-status")


def test_saving_dsn_of_empty_database_offers_initialise_now(
    functional, owner_browser, panel_url
):
    owner_browser.open(panel_url)
    dsn_widget(owner_browser).value = functional["pg_dsn"]
    owner_browser.getControl("Save").click()
    assert "Changes saved" in owner_browser.contents
    schema = status_text(owner_browser, "clicktracker-schema-version")
    assert "Not initialised" in schema
    assert "not installed yet" not in owner_browser.contents
    # Nothing to count in an empty database: a dash, not a blank.
    assert status_text(owner_browser, "clicktracker-hits") == "-"
    assert status_text(owner_browser, "clicktracker-documents") == "-"
    # The button is in the status card, in a form with the CSRF token.
    (form,) = status_card(owner_browser).xpath(".//form")
    assert form.xpath(".//input[@name='_authenticator']/@value")[0]
    assert form.xpath(".//button/text()") == ["Initialise now"]

    owner_browser.getControl("Initialise now").click()
    version = getUtility(IClickStorage).status()["schema_version"]
    assert f"The database is ready (schema version {version})" in owner_browser.contents
    assert status_text(owner_browser, "clicktracker-schema-version") == str(version)
    assert "Initialise now" not in owner_browser.contents
    assert user_tables(functional["pg_dsn"]) > 0


def test_initialise_now_needs_authenticator(functional, owner_browser, panel_url):
    set_dsn(functional["pg_dsn"])
    owner_browser.handleErrors = True
    owner_browser.raiseHttpErrors = False
    owner_browser.post(panel_url, "form.buttons.setup_database=initialise")
    assert owner_browser.headers["status"].startswith("403")
    assert user_tables(functional["pg_dsn"]) == 0


@pytest.mark.parametrize("state", ["connected", "unreachable"])
def test_no_initialise_now_unless_the_database_is_empty(
    functional, owner_browser, panel_url, state
):
    if state == "connected":
        set_dsn(functional["pg_dsn"])
        getUtility(IClickStorage).setup_database()
    else:
        set_dsn("host=127.0.0.1 port=1 dbname=x")
    owner_browser.open(panel_url)
    assert "Initialise now" not in owner_browser.contents
    assert status_card(owner_browser).xpath(".//form") == []


def test_not_configured_points_to_the_form_below(functional, owner_browser, panel_url):
    owner_browser.open(panel_url)
    connection = status_text(owner_browser, "clicktracker-connection")
    assert connection.startswith("Not configured: enter the connection string (DSN)")
    assert "below" in connection
    # Not the storage's advice to go to the page this already is.
    assert "Site Setup" not in status_card(owner_browser).text_content()
    tree = html.fromstring(owner_browser.contents)
    (link,) = tree.xpath('//*[@id="clicktracker-connection"]//a')
    target = link.get("href")
    assert target.startswith("#")
    assert tree.xpath(f'//*[@id="{target[1:]}"]//*[@name="form.widgets.dsn"]')
