""" "I have read this": the box below the page's text for expected readers
of an item that asks for confirmation, and ``@@clicktracker-confirm``, the
POST it sends.

The viewlet runs on every page view, so it stays cheap and silent: it
returns nothing unless the expectation in force (own or inherited, read
from annotations) asks for confirmation, the visitor is logged in and named
by it (``readers.expects`` asks PAS for the visitor's groups rather than
resolving the groups named), and the storage keeps confirmations. Only then
does it ask the storage one question: whether this member confirmed.
Confirmations live in the storage (PostgreSQL), never in the ZODB.
"""

from Acquisition import aq_inner
from datetime import UTC
from datetime import datetime
from plone import api
from plone.app.layout.viewlets.common import ViewletBase
from plone.protect.authenticator import check as check_authenticator
from plone.protect.authenticator import createToken
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import caching
from slc.clicktracker import readers
from slc.clicktracker.browser.localtimes import LocalTimes
from slc.clicktracker.browser.readers_report import ReadersReport
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.interfaces import StorageNotConfigured
from slc.clicktracker.sitezone import site_timezone
from slc.clicktracker.storage.utility import confirmation_storage
from zExceptions import Unauthorized
from ZODB.POSException import ConflictError
from zope.i18n import translate
import logging


logger = logging.getLogger("slc.clicktracker")

VIEW_NAME = "clicktracker-confirm"


def path_of(context):
    return "/".join(context.getPhysicalPath())


def confirmable(context):
    """``(expectation, member id)`` when the current user is asked to
    confirm reading ``context``, else None. Folders are not: their setting
    is for the documents in them (as the readers report is)."""
    if not ReadersReport.applies(context):
        return None
    expectation = readers.expectation(context)
    if expectation is None or not expectation.confirm:
        return None
    if api.user.is_anonymous():
        return None
    user_id = api.user.get_current().getId()
    if not readers.expects(expectation, user_id):
        return None
    return expectation, user_id


def confirmed_at(storage, context, user_id):
    """When ``user_id`` confirmed reading ``context``, or None.

    :raises StorageError: when the storage cannot answer.
    """
    found = storage.confirmations([path_of(context)], [user_id])
    return found[0].confirmed if found else None


def refresh_cached_pages(before, after):
    """After an editor changed the expectation from ``before`` to ``after``
    (Expectation or None): when either asks for confirmation, the box
    appears or goes on pages that HTTP caches hold, so make them stale (they
    revalidate by the catalog counter; see ``slc.clicktracker.caching``)."""
    if (before is not None and before.confirm) or (after is not None and after.confirm):
        caching.invalidate_pages()


def local_text(request, value):
    """``value`` (aware) in the site's long format and time zone."""
    local = value.astimezone(site_timezone())
    return LocalTimes(request).format(local, "date_format_long")


class ConfirmViewlet(ViewletBase):
    """The box; empty for everyone who is not asked to confirm."""

    index = ViewPageTemplateFile("templates/confirm.pt")
    confirmed = None

    def update(self):
        # ViewletBase.update looks up state this viewlet does not need.
        pass

    def render(self):
        context = aq_inner(self.context)
        found = confirmable(context)
        if found is None:
            return ""
        storage = confirmation_storage()
        if storage is None:
            return ""
        try:
            self.confirmed = confirmed_at(storage, context, found[1])
        except ConflictError:
            raise
        except StorageNotConfigured:
            # Said in the control panel; not worth a line per page view.
            return ""
        except StorageError as exc:
            # The page matters more than the button: leave it out.
            logger.warning("Cannot read the confirmation of %s: %s", found[1], exc)
            return ""
        except Exception:
            logger.exception("Cannot read the confirmation of %s", found[1])
            return ""
        return self.index()

    def confirmed_text(self):
        return local_text(self.request, self.confirmed) if self.confirmed else ""

    def action_url(self):
        return f"{aq_inner(self.context).absolute_url()}/@@{VIEW_NAME}"

    def authenticator(self):
        return createToken()


class ConfirmView(BrowserView):
    """``@@clicktracker-confirm``: record the current member's confirmation
    (POST with plone.protect's authenticator), then back to the item."""

    def __call__(self):
        request = self.request
        if request.get("REQUEST_METHOD") != "POST":
            # A link or a reload must not confirm anything.
            request.response.setStatus(405)
            request.response.setHeader("Allow", "POST")
            request.response.setHeader("Content-Type", "text/plain; charset=utf-8")
            return translate(
                _("Use the “I have read this” button on the page to confirm."),
                context=request,
            )
        if api.user.is_anonymous():
            raise Unauthorized("Log in to confirm that you have read this.")
        # Refuses forged requests (Forbidden, a 403 page) before any write.
        check_authenticator(request)
        context = aq_inner(self.context)
        found = confirmable(context)
        if found is None:
            self.notify(_("You are not asked to confirm reading this item."), "warning")
        else:
            self.confirm(context, found[1])
        request.response.redirect(self.back_url(context))
        return ""

    def confirm(self, context, user_id):
        storage = confirmation_storage()
        if storage is None:
            self.notify(
                _("Confirmations cannot be recorded with this storage."), "error"
            )
            return
        now = datetime.now(UTC)
        try:
            # The storage keeps the first time: an earlier one means "again".
            confirmed = storage.confirm(
                path_of(context),
                user_id,
                uid=api.content.get_uuid(context),
                title=context.Title(),
                when=now,
            )
        except StorageError as exc:
            logger.warning(
                "Could not record the confirmation of %s for %s: %s",
                user_id,
                path_of(context),
                exc,
            )
            self.notify(
                _(
                    "Your confirmation could not be recorded right now; "
                    "please try again later."
                ),
                "error",
            )
            return
        if confirmed >= now:
            self.notify(_("Thank you: your confirmation has been recorded."), "info")
            return
        self.notify(
            _(
                "msg_confirm_already",
                default="You had already confirmed on ${when}.",
                mapping={"when": local_text(self.request, confirmed)},
            ),
            "info",
        )

    def back_url(self, context):
        # view_url: files and images are shown at .../view, not downloaded.
        state = api.content.get_view(
            name="plone_context_state", context=context, request=self.request
        )
        return state.view_url()

    def notify(self, message, kind):
        api.portal.show_message(message=message, request=self.request, type=kind)
