"""The control panel and the database setup in a real browser (live server)."""

from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from tests.helpers import login
from tests.helpers import screenshots
from tests.helpers import user_tables
import pytest
import transaction


pytestmark = pytest.mark.browser

# The WCAG 2 contrast ratio of two "rgb(r, g, b)" colours, in the browser.
CONTRAST = """([fg, bg]) => {
  const lum = (css) => {
    const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}"""


def status(page, element_id):
    return " ".join(page.locator(f"#{element_id}").inner_text().split())


@pytest.fixture
def admin(page, acceptance):
    """The site owner, logged in through Plone's form; the site's URL."""
    portal_url = acceptance["portal"].absolute_url()
    login(page, portal_url, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    return portal_url


def test_from_empty_database_to_ready(page, acceptance, admin):
    page.goto(f"{admin}/@@clicktracker-controlpanel")
    connection = status(page, "clicktracker-connection")
    assert connection.startswith("Not configured: enter the connection string (DSN)")
    page.locator("#clicktracker-connection a").click()
    assert page.url.endswith("#formfield-form-widgets-dsn")
    screenshots(page, "controlpanel-not-configured")

    page.fill("#form-widgets-dsn", acceptance["pg_dsn"])
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Changes saved").wait_for()
    card = page.locator("#clicktracker-status")
    assert "Not initialised" in status(page, "clicktracker-schema-version")
    screenshots(page, "controlpanel-empty-database")

    card.get_by_role("button", name="Initialise now").click()
    page.get_by_text("The database is ready").wait_for()
    version = status(page, "clicktracker-schema-version")
    assert version.isdigit()
    assert card.get_by_role("button", name="Initialise now").count() == 0
    assert user_tables(acceptance["pg_dsn"]) > 0
    screenshots(page, "controlpanel-ready")


def test_purge_button_is_readable(page, admin):
    page.goto(f"{admin}/@@clicktracker-controlpanel")
    button = page.get_by_role("button", name="Purge now")
    colours = button.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    )
    assert page.evaluate(CONTRAST, colours) >= 4.5, colours
    # Bootstrap's danger button, and no second colour class fighting it.
    classes = button.get_attribute("class").split()
    assert "btn-danger" in classes
    assert "btn-secondary" not in classes and "btn-outline-danger" not in classes


def test_failed_database_setup_in_import_tab(page, acceptance, admin):
    api.portal.set_registry_record(
        "slc.clicktracker.dsn", "host=127.0.0.1 port=1 dbname=x password=TabSecret6"
    )
    transaction.commit()
    page.goto(f"{admin}/portal_setup/manage_fullImport")
    with page.expect_navigation():
        page.select_option("#context_id_title", label="slc.clicktracker database setup")
    page.get_by_role("button", name="Import all steps").click()
    page.get_by_role("heading", name="Import failed").wait_for()
    text = page.inner_text("body")
    assert "The click tracker database was not set up" in text
    assert "Connection refused" in text
    assert "import done" not in text
    assert "Traceback" not in text
    assert "TabSecret6" not in page.content()
    screenshots(page, "import-tab-failed")

    page.get_by_role("link", name="Click tracker settings").click()
    page.wait_for_url("**/@@clicktracker-controlpanel")
