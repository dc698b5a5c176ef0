"""What HTTP caches must know: when a cached page's script may be stale.

The tracking script's tag depends on three things besides the page itself:
whether the object is tracked, the member (in the token), and for anonymous
visitors whether anonymous tracking is on. Every standard caching rule of
plone.app.caching keys its ETag, and so its RAM cache and the browsers'
revalidation (304), by the catalog counter (``catalogCounter``), and
tracking a content object reindexes it, which moves the counter. The site
root and the registry setting are not catalogued: ``invalidate_pages`` moves
the counter for them. The member is in the ``userid`` ETag component;
anonymous visitors share pages, and their token with them, which the script's
view id makes harmless (see ``slc.clicktracker.tokens``).

The rulesets of ``caching.zcml`` name the add-on's own views for
plone.app.caching; the optional ``slc.clicktracker:caching`` profile maps
them to "no caching".
"""

from plone import api
from slc.clicktracker import settings


# Records whose change changes the script's tag on cached pages, or the
# data protection notice beside it.
PAGE_RECORDS = frozenset(
    settings.record_name(name)
    for name in ("track_anonymous", "notice_enabled", "notice_texts", "privacy_url")
)


def invalidate_pages():
    """Make every cached page's ETag stale (and with it the RAM cache)."""
    catalog = api.portal.get_tool("portal_catalog")
    # CMFPlone's own way to say "the site's content changed"; public
    # getCounter() reads it, no public method moves it.
    catalog._increment_counter()


def record_modified(event):
    """Subscriber: a setting that shows in cached pages changed."""
    record = getattr(event, "record", None)
    if getattr(record, "__name__", None) in PAGE_RECORDS:
        invalidate_pages()
