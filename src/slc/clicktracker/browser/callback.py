"""``@@clicktracker-callback``: the script reports that a page was seen.

Request: ``POST <object url>/@@clicktracker-callback`` with a form-encoded
body ``token=...&url=...&referrer=...`` (multipart works too).

Answers:

* 204, empty: the request was well-formed. The hit was recorded, or refused
  (bot, anonymous while anonymous tracking is off, object no longer tracked,
  URL not of this site, token missing, invalid, expired or used before).
  Refusals are not told apart from hits, so the answer reveals nothing about
  a token, and a browser shows no failed request; the reason is logged at
  DEBUG level.
* 400, empty: not what our script sends (a field missing, repeated or far
  too long).
* 405 with ``Allow: POST``: any other method than POST.

The transaction is doomed first thing: whatever this request touches can
never be committed to the ZODB, so it causes neither writes nor conflicts.
A storage failure is logged as a warning and still answered with 204.
"""

from Acquisition import aq_inner
from plone import api
from plone.uuid.interfaces import IUUID
from Products.Five.browser import BrowserView
from slc.clicktracker import token
from slc.clicktracker.browser.viewlet import is_bot_request
from slc.clicktracker.browser.viewlet import tracked_member
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.tracking import is_tracked
from urllib.parse import urlsplit
from zope.component import getUtility
import logging
import transaction


logger = logging.getLogger(__name__)

# Far beyond real URLs (the storage keeps 2048 characters of them).
MAX_FIELD_LENGTH = 8192


class Refused(Exception):
    """A well-formed request whose hit is not counted."""


class Malformed(Exception):
    """Not a request our script makes."""


DEFAULT_PORTS = {"http": 80, "https": 443}


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


class ClickTrackerCallback(BrowserView):
    def __call__(self):
        transaction.doom()
        response = self.request.response
        response.setHeader("Cache-Control", "no-store")
        if self.request.method != "POST":
            response.setStatus(405)
            response.setHeader("Allow", "POST")
            return ""
        try:
            self.record(*self.fields())
        except Malformed as error:
            logger.debug("Malformed tracking callback: %s", error)
            response.setStatus(400)
            return ""
        except Refused as error:
            logger.debug("Hit on %s not counted: %s", self.request.URL, error)
        except Exception:
            # A click counter is never worth an error page.
            logger.warning(
                "Could not record a hit on %s", self.request.URL, exc_info=True
            )
        response.setStatus(204)
        return ""

    def fields(self):
        form = self.request.form
        values = []
        for name, required in (("token", True), ("url", True), ("referrer", False)):
            value = form.get(name, "")
            if not isinstance(value, str):
                raise Malformed(f"{name} is not a single text field")
            if required and not value:
                raise Malformed(f"{name} is missing")
            if len(value) > MAX_FIELD_LENGTH:
                raise Malformed(f"{name} is too long")
            values.append(value)
        return values

    def record(self, token_, url, referrer):
        context = aq_inner(self.context)
        if is_bot_request(self.request):
            raise Refused("bot")
        member = tracked_member(self.request)
        if member is None:
            raise Refused("anonymous tracking is off")
        if not is_tracked(context):
            raise Refused("not tracked")
        portal = api.portal.get()
        if not same_site(url, portal.absolute_url()):
            raise Refused(f"URL not of this site: {url[:200]!r}")
        try:
            # Last: it uses the token up.
            token.verify_token(token_, member, context, portal)
        except token.TokenError as error:
            raise Refused(f"token {error.reason}") from None
        # The path comes from the server's context, never from the client.
        stored = getUtility(IClickStorage).logAccess(
            member,
            context.getPhysicalPath(),
            without_fragment(url),
            uid=IUUID(context, None),
            referrer=referrer or None,
            title=_title(context),
        )
        if not stored:
            logger.warning("The click storage lost a hit on %s", self.request.URL)


def _title(context):
    title = getattr(context, "Title", None)
    return title() if callable(title) else None
