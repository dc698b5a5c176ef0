"""The transparency notice on tracked pages (issue 15): off by default,
then in the page's language with a link to the privacy page, only where
views are recorded, and plain markup (no script, no style attribute)."""

from plone import api
from slc.clicktracker import tracking
from slc.clicktracker.browser.privacy_notice import choose_text
from slc.clicktracker.browser.privacy_notice import link_url
from tests.plone.helpers import open_browser
from tests.plone.helpers import tree
import transaction


def configure(**values):
    for name, value in values.items():
        api.portal.set_registry_record(f"slc.clicktracker.{name}", value)
    transaction.commit()


def notice(browser, url):
    browser.open(url)
    assert browser.headers["status"].startswith("200")
    found = tree(browser).xpath('//*[@id="clicktracker-notice"]')
    return found[0] if found else None


TEXTS = ["de|Ihr Lesen wird erfasst.", "en|Your reading of this page is recorded."]


def test_off_by_default(functional, tracked_content):
    browser = open_browser(functional, "alice")
    assert notice(browser, tracked_content["doc"].absolute_url()) is None


def test_on_tracked_pages_with_link(functional, tracked_content):
    configure(notice_enabled=True, notice_texts=TEXTS, privacy_url="/privacy")
    browser = open_browser(functional, "alice")
    found = notice(browser, tracked_content["doc"].absolute_url())
    assert found.text_content().startswith("Your reading of this page is recorded.")
    (link,) = found.xpath(".//a")
    assert link.get("href") == f"{tracked_content['portal'].absolute_url()}/privacy"
    assert link.text_content() == "More about data protection"
    # Plain markup: nothing a Content-Security-Policy would have to allow.
    assert not found.xpath(".//script | .//@style | .//@*[starts-with(name(), 'on')]")
    assert found.get("role") == "note" and "alert" in found.get("class")


def test_not_where_nothing_is_recorded(functional, tracked_content):
    configure(notice_enabled=True, notice_texts=TEXTS)
    tracking.disable(tracked_content["folder"])
    transaction.commit()
    browser = open_browser(functional, "alice")
    assert notice(browser, tracked_content["doc"].absolute_url()) is None
    tracking.enable(tracked_content["folder"])
    transaction.commit()
    # Anonymous visitors are not recorded by default: no notice for them.
    assert (
        notice(open_browser(functional), tracked_content["doc"].absolute_url()) is None
    )
    assert notice(browser, tracked_content["doc"].absolute_url()) is not None


def test_the_page_language_decides(functional, tracked_content):
    configure(
        notice_enabled=True,
        notice_texts=TEXTS,
        privacy_url="https://example.org/datenschutz",
    )
    api.portal.set_registry_record("plone.available_languages", ["en", "de"])
    api.portal.set_registry_record("plone.use_request_negotiation", True)
    transaction.commit()
    browser = open_browser(functional, "alice")
    browser.addHeader("Accept-Language", "de")
    found = notice(browser, tracked_content["doc"].absolute_url())
    assert found.text_content().startswith("Ihr Lesen wird erfasst.")
    assert found.xpath(".//a/@href") == ["https://example.org/datenschutz"]


def test_text_is_escaped(functional, tracked_content):
    configure(notice_enabled=True, notice_texts=["en|<b>Recorded</b>"])
    browser = open_browser(functional, "alice")
    assert notice(browser, tracked_content["doc"].absolute_url()).xpath("./b") == []
    assert "&lt;b&gt;Recorded&lt;/b&gt;" in browser.contents


def test_choose_text_falls_back():
    texts = {"fr": "Texte", "de": "Text"}
    assert choose_text(texts, "de-at", "fr") == "Text"
    assert choose_text(texts, "it", "fr") == "Texte"
    assert choose_text(texts, "it", "es") == "Texte"  # the first
    assert choose_text({}, "de", "de") is None


def test_link_url():
    assert link_url("", "http://s") is None
    assert link_url("privacy", "http://s") == "http://s/privacy"
    assert link_url("https://x.org/p", "http://s") == "https://x.org/p"


def test_switching_the_notice_reaches_cached_pages(caching_functional):
    from slc.clicktracker.testing.layers import CACHING_PRESETS
    from slc.clicktracker.testing.layers import use_caching
    from tests.plone.helpers import published_content

    content = published_content(caching_functional, "The doc")
    api.portal.set_registry_record("slc.clicktracker.dsn", caching_functional["pg_dsn"])
    tracking.enable(content["folder"])
    use_caching(content["portal"], CACHING_PRESETS[-1])
    transaction.commit()
    browser = open_browser(caching_functional, "alice")
    browser.handleErrors = True  # 304s are plone.caching's exception views
    url = content["doc"].absolute_url()
    assert notice(browser, url) is None
    etag = browser.headers["ETag"]
    configure(notice_enabled=True, notice_texts=TEXTS)
    browser.addHeader("If-None-Match", etag)
    assert notice(browser, url) is not None
    # The pages with personal data are never cached.
    browser.open(f"{content['portal'].absolute_url()}/@@my-reading-data")
    assert browser.headers["X-Cache-Rule"] == "slc.clicktracker.reports"
