"""``@@clicktracker-callback``: the script reports that a page was seen.

Request: ``POST <object url>/@@clicktracker-callback`` with a form-encoded
body ``token=...&view=...&url=...&referrer=...`` (multipart works too).
``view`` is the id the script makes for each showing of the page; the hit's
id is derived from token and view (``tokens.hit_id``), and a hit id is
counted once, so a repeated request counts once (see docs/architecture.rst,
"Counting behind caches").

Answers:

* 204, empty: the request was well-formed. The hit was recorded, or refused
  (bot while bot callbacks are dropped, anonymous while anonymous tracking
  is off, object no longer tracked, URL not of this site, token missing or
  invalid, hit counted before).
  Refusals are not told apart from hits, so the answer reveals nothing about
  a token, and a browser shows no failed request; the reason is logged at
  DEBUG level.
* 200, ``text/plain``: the token was right in every way but had expired (a
  page kept long in a tab or a cache); the body is a fresh token for the
  same member, object and site, and the script sends the hit again with it.
  Nothing was recorded.
* 400, empty: not what our script sends (a field missing, repeated or far
  too long, a malformed view id).
* 405 with ``Allow: POST``: any other method than POST.

A request with a ``seconds`` field is a reading update (``reading.py``).

With a storage that offers visits (``IVisitStorage``), the hit goes into the
visit named by the signed visit cookie (see ``slc.clicktracker.visitcookie``), or
starts a new one, and then the answer sets the cookie (only then: an
unchanged cookie is not sent again); other storages get ``logAccess``.
Then the events of ``slc.clicktracker.events`` are notified.
A bot's callback is dropped, or, with the setting "record", stored as a bot
visit (only with a visit storage: the plain access log has no bot flag).

The transaction is doomed first thing: whatever this request touches can
never be committed to the ZODB, so it causes neither writes nor conflicts.
A storage failure is logged as a warning and still answered with 204.
"""

from Acquisition import aq_inner
from plone import api
from Products.Five.browser import BrowserView
from slc.clicktracker import events
from slc.clicktracker import settings
from slc.clicktracker import tokens
from slc.clicktracker import visitcookie
from slc.clicktracker.browser import reading
from slc.clicktracker.browser.urls import page_url
from slc.clicktracker.browser.urls import same_site
from slc.clicktracker.interfaces import IVisitStorage
from slc.clicktracker.storage.utility import click_storage
from slc.clicktracker.tracking import is_bot_request
from slc.clicktracker.tracking import is_tracked
from slc.clicktracker.tracking import tracked_member
import logging
import transaction


logger = logging.getLogger(__name__)

# Far beyond real URLs (the storage keeps 2048 characters of them).
MAX_FIELD_LENGTH = 8192


class Refused(Exception):
    """A well-formed request whose hit is not counted."""


class Malformed(Exception):
    """Not a request our script makes."""


class Expired(Exception):
    """A token right in every way but its age: answered with a fresh one."""


class ClickTrackerCallback(BrowserView):
    # Zope publishes any method but GET, POST and HEAD (PUT, DELETE, OPTIONS,
    # PROPFIND, ...) the WebDAV way: unless the view has an attribute of that
    # name, it insists that the view be an attribute of its context, and
    # fails with an AttributeError (a 500 and a traceback in the log).
    # Publishing one method of the view for all of them instead gives them
    # the 405 of ``__call__``.
    def browserDefault(self, request):
        if request.method in ("GET", "POST", "HEAD"):
            return super().browserDefault(request)
        return self, ("method_not_allowed",)

    def publishTraverse(self, request, name):
        if name == "method_not_allowed":
            return self.method_not_allowed
        return super().publishTraverse(request, name)

    def method_not_allowed(self):
        """405 with ``Allow: POST``, as ``__call__`` answers a GET."""
        return self()

    # Public, like the answer to a GET: it tells nothing about the context.
    method_not_allowed__roles__ = None

    def __call__(self):
        transaction.doom()
        response = self.request.response
        response.setHeader("Cache-Control", "no-store")
        if self.request.method != "POST":
            response.setStatus(405)
            response.setHeader("Allow", "POST")
            return ""
        try:
            if "seconds" in self.request.form:
                self.update_reading()
            else:
                self.record(*self.fields())
        except Malformed as error:
            logger.debug("Malformed tracking callback: %s", error)
            response.setStatus(400)
            return ""
        except Expired as fresh:
            response.setStatus(200)
            response.setHeader("Content-Type", "text/plain; charset=ascii")
            return str(fresh)
        except Refused as error:
            logger.debug("Hit on %s not counted: %s", self.request.URL, error)
        except Exception:
            # A click counter is never worth an error page.
            logger.warning(
                "Could not record a hit on %s", self.request.URL, exc_info=True
            )
        response.setStatus(204)
        return ""

    def fields(self, form=None):
        form = self.request.form if form is None else form
        values = []
        fields = (("token", True), ("view", False), ("url", True), ("referrer", False))
        for name, required in fields:
            value = form.get(name, "")
            if not isinstance(value, str):
                raise Malformed(f"{name} is not a single text field")
            if required and not value:
                raise Malformed(f"{name} is missing")
            if len(value) > MAX_FIELD_LENGTH:
                raise Malformed(f"{name} is too long")
            values.append(value)
        if values[1] and not tokens.VIEW_ID.fullmatch(values[1]):
            raise Malformed("view is not a view id")
        return values

    def visitor(self, context, config):
        """``(member, bot)`` whose views of ``context`` count; else Refused."""
        bot = is_bot_request(self.request, config)
        if bot and config.bot_callbacks != settings.BOT_RECORD:
            raise Refused("bot")
        member = tracked_member(config)
        if member is None:
            raise Refused("anonymous tracking is off")
        if not is_tracked(context):
            raise Refused("not tracked")
        return member, bot

    def update_reading(self, form=None):
        """A reading update (``reading.py``) from ``form`` or the request."""
        try:
            fields = reading.update_fields(self.request.form if form is None else form)
        except ValueError as error:
            raise Malformed(str(error)) from None
        context = aq_inner(self.context)
        member, _bot = self.visitor(context, settings.read())
        refused = reading.record_update(context, api.portal.get(), member, fields)
        if refused:
            raise Refused(refused)

    def record(self, token_, view, url, referrer):
        context = aq_inner(self.context)
        config = settings.read()
        member, bot = self.visitor(context, config)
        portal = api.portal.get()
        if not same_site(url, portal.absolute_url()):
            raise Refused(f"URL not of this site: {url[:200]!r}")
        storage = click_storage()
        visits = IVisitStorage.providedBy(storage)
        if bot and not visits:
            raise Refused("bot, and the storage cannot mark bot visits")
        # Looked up once, for the token and the visit cookie alike.
        signing = tokens.site_signing(portal)
        try:
            payload = tokens.verify_token(
                token_, member, context, portal, signing=signing
            )
        except tokens.TokenError as error:
            if error.reason == "expired":
                raise Expired(tokens.make_token(member, context, portal)) from None
            raise Refused(f"token {error.reason}") from None
        # The same for the same showing, in every Zope instance.
        hit_id = tokens.hit_id(token_, view)
        # The path comes from the server's context, never from the client.
        hit = {
            "member": member,
            "path": "/".join(context.getPhysicalPath()),
            "url": page_url(url, context),
            "uid": tokens.uid_of(context),
            "referrer": referrer or None,
            "hit_id": hit_id,
        }
        if visits:
            title = _title(context)
            self.log_visit(storage, hit, title, config, bot, portal, signing)
        else:
            # A storage without visits cannot tell a hit id it stored before.
            if not tokens.SEEN.use(hit_id, payload["e"]):
                raise Refused("hit counted before (in this process)")
            self.log_access(storage, hit, _title(context))

    def log_access(self, storage, hit, title):
        when = visitcookie.now()
        stored = storage.logAccess(
            hit["member"],
            hit["path"],
            hit["url"],
            uid=hit["uid"],
            referrer=hit["referrer"],
            title=title,
            when=when,
        )
        if not stored:
            logger.warning("The click storage lost a hit on %s", self.request.URL)
            return
        self.notify_hit(hit, None, False, when, False)

    def log_visit(self, storage, hit, title, config, bot, portal, signing):
        visit_id = visitcookie.read_cookie(self.request, signing, config)
        when = visitcookie.now()
        user_agent = self.request.getHeader("User-Agent") or ""
        # Anonymous visitors share one member name; their address tells
        # them apart for the spool's fair share (and is never stored).
        client = None
        if hit["member"] == tokens.ANONYMOUS:
            client = visitcookie.client_address(self.request)
        result = storage.log_visit(
            hit["member"],
            hit["path"],
            hit["url"],
            visit_id,
            uid=hit["uid"],
            referrer=hit["referrer"],
            title=title,
            when=when,
            user_agent=user_agent,
            is_bot=bot,
            idle_timeout=config.idle_timeout,
            max_age=config.max_age,
            client=client,
            hit_id=hit["hit_id"],
        )
        if result.visit_id and result.visit_id != visit_id:
            # A new visit, or the one that replaced a stale id. An unchanged
            # cookie is not sent again: it expires when the visit could not
            # go on anyway, and signing it on every hit costs throughput.
            visitcookie.set_cookie(
                self.request, result.visit_id, portal, signing, config
            )
        if not result.stored:
            logger.warning("The click storage lost a hit on %s", self.request.URL)
            return
        if result.duplicate:
            logger.debug("Hit on %s was stored before", self.request.URL)
            return
        if result.ended:
            # ``ended`` names the visit that ended, or is just True.
            ended = result.ended if isinstance(result.ended, str) else visit_id
            events.notify_safely(events.VisitEndedEvent(ended, when))
        if result.started:
            events.notify_safely(
                events.VisitStartedEvent(
                    result.visit_id, hit["member"], hit["referrer"], user_agent, when
                )
            )
        self.notify_hit(hit, result.visit_id, bool(result.reload), when, bot)

    def notify_hit(self, hit, visit_id, reload, when, bot):
        events.notify_safely(
            events.HitLoggedEvent(
                hit["member"],
                hit["path"],
                hit["url"],
                hit["uid"],
                visit_id,
                reload,
                when,
                self.request,
                is_bot=bot,
            )
        )


def _title(context):
    title = getattr(context, "Title", None)
    return title() if callable(title) else None
