"""The transparency notice: one short line on tracked pages, when the site
turns it on (``notice_enabled``), in the page's language, linking to the
site's privacy page. Plain markup, no script or style attribute (CSP).

Shown exactly where the tracking script is (``viewlet.py``): on tracked
objects, to those whose views are recorded. Like the script it depends
only on what caches key pages by, plus the settings and the language.
"""

from Acquisition import aq_inner
from html import escape
from plone import api
from plone.app.layout.viewlets.common import ViewletBase
from slc.clicktracker import _
from slc.clicktracker import settings
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.privacy import settings as privacy_settings
from slc.clicktracker.tracking import is_tracked
from slc.clicktracker.tracking import tracked_member
from urllib.parse import urlsplit
from zope.i18n import translate


PRIVACY_LINK = _("More about data protection")


def choose_text(texts, language, default_language):
    """The text for ``language`` (or its base: "de" for "de-at"), else the
    site's default language's, else the first; None when there is none."""
    if not texts:
        return None
    for wanted in (language, default_language):
        wanted = (wanted or "").lower().replace("_", "-")
        for code in (wanted, wanted.split("-")[0]):
            if code in texts:
                return texts[code]
    return next(iter(texts.values()))


def link_url(value, portal_url):
    """An http(s) address as it is; a path in the site under ``portal_url``."""
    if not value:
        return None
    if urlsplit(value).scheme:
        return value
    return f"{portal_url}/{value.lstrip('/')}"


class PrivacyNoticeViewlet(ViewletBase):
    def update(self):
        pass

    def render(self):
        config = privacy_settings.read()
        if not config.notice_enabled or not config.notice_texts:
            return ""
        context = aq_inner(self.context)
        if IContentIsIgnored.providedBy(self.request) or not is_tracked(context):
            return ""
        if tracked_member(settings.read()) is None:
            return ""
        text = choose_text(
            config.notice_texts,
            api.portal.get_current_language(context),
            api.portal.get_default_language(),
        )
        url = link_url(config.privacy_url, api.portal.get().absolute_url())
        link = ""
        if url:
            label = translate(PRIVACY_LINK, context=self.request)
            link = f' <a class="alert-link" href="{escape(url)}">{escape(label)}</a>'
        return (
            '<p class="alert alert-secondary small py-1 px-2 mb-2" '
            f'id="clicktracker-notice" role="note">{escape(text)}{link}</p>'
        )
