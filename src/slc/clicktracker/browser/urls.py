"""Which URLs the callback accepts: of this site, and showing the object.

The browser reports the URL it shows; the server checks it, since a client
could report any address.
"""

from Acquisition import aq_base
from Acquisition import aq_parent
from plone.base.defaultpage import is_default_page
from urllib.parse import unquote
from urllib.parse import urlsplit
import logging


logger = logging.getLogger("slc.clicktracker")

DEFAULT_PORTS = {"http": 80, "https": 443}


def tab_link(obj):
    """``{title, url}`` of ``obj``'s Tracking tab: the "set on …" links."""
    return {
        "title": obj.Title() or obj.getId(),
        "url": obj.absolute_url() + "/@@tracking",
    }


def origin(parts):
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, parts.port or DEFAULT_PORTS.get(scheme)


def same_site(url, portal_url):
    """True when ``url`` is the portal's URL or below it, same scheme and host."""
    try:
        url, portal = urlsplit(url), urlsplit(portal_url)
        if origin(url) != origin(portal):
            return False
    except ValueError:  # e.g. a port out of range
        return False
    base = portal.path.rstrip("/")
    return url.path == base or url.path.startswith(base + "/")


def without_fragment(url):
    # Fragments never reach a server; they would split one page into many rows.
    return url.partition("#")[0]


def _shows(path, base, container):
    """Does URL path ``path`` show the object at ``base`` (the object itself,
    or a view of it), rather than something inside ``container``?"""
    if path.rstrip("/") == base:
        return True
    if not path.startswith(base + "/"):
        return False
    # /doc/view, /doc/@@images/..., but not /folder/other-item.
    first = path[len(base) + 1 :].split("/", 1)[0]
    contains = getattr(aq_base(container), "__contains__", None)
    return not (callable(contains) and first and first in container)


def page_url(url, context):
    """The URL to record for a view of ``context`` that the browser saw at
    ``url``: ``url`` itself (without fragment) when it shows ``context`` --
    its own URL, a view of it, a query string on either, or its folder's URL
    when it is the folder's default page -- else ``context``'s own URL.

    The client chooses the URL, but may not record one of another object.
    """
    url = without_fragment(url)
    own = context.absolute_url()
    try:
        path = unquote(urlsplit(url).path)
        base = unquote(urlsplit(own).path).rstrip("/")
    except ValueError:
        return own
    if _shows(path, base, context):
        return url
    parent = aq_parent(context)
    if parent is not None and is_default_page(parent, context):
        parent_base = unquote(urlsplit(parent.absolute_url()).path).rstrip("/")
        if _shows(path, parent_base, parent):
            return url
    logger.debug("Recorded %s instead of %s: not a page of it", own, url[:200])
    return own
