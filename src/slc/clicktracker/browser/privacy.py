"""``@@clicktracker-member-data``: a manager's page for one member's data.

Any member id, also of members deleted from the site: what is stored
(rows per table), downloads (JSON, CSV in a ZIP), and "Erase…" and
"Pseudonymise…", each through a confirmation page that POSTs with
plone.protect's authenticator. Also "Pseudonymise old data" (the setting
``pseudonymise_after_days``). The work and the audit line in the log are
``slc.clicktracker.privacy.members``'s.
"""

from plone import api
from plone.protect.authenticator import check as check_authenticator
from plone.protect.authenticator import createToken
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from Products.statusmessages.interfaces import IStatusMessage
from slc.clicktracker import _
from slc.clicktracker.browser import names
from slc.clicktracker.browser import privacy_data
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.privacy import members
from slc.clicktracker.privacy import settings
from slc.clicktracker.tokens import ANONYMOUS
from slc.clicktracker.tokens import is_pseudonym
from urllib.parse import urlencode
from zope.interface import alsoProvides
import logging


logger = logging.getLogger("slc.clicktracker")

MAX_ID = 255
ACTIONS = ("erase", "pseudonymise", "pseudonymise_old")


class MemberDataView(BrowserView):
    index = ViewPageTemplateFile("templates/privacy_member_data.pt")

    member = ""
    problem = None  # a message saying why the page cannot do what was asked
    data = None
    confirm = None  # the action to confirm, or None

    def __call__(self):
        alsoProvides(self.request, IContentIsIgnored)
        form = self.request.form
        member = form.get("member")
        self.member = member.strip() if isinstance(member, str) else ""
        action = form.get("action")
        action = action if action in ACTIONS else None
        if self.request.get("REQUEST_METHOD") == "POST" and action:
            # Changes PostgreSQL only: plone.protect cannot see that.
            check_authenticator(self.request)
            return self._run(action)
        if self.member and not self._valid_member(action):
            return self.index()
        fmt = form.get("format")
        if self.member and fmt in privacy_data.FORMATS:
            data = self._load()
            if data is not None:
                return privacy_data.download(self.request, self.member, data, fmt)
        elif self.member:
            self.data = self._load()
        if action and (self.data is not None or action == "pseudonymise_old"):
            self.confirm = action
        return self.index()

    # -- what the page shows ------------------------------------------------------

    def available(self):
        return members.privacy_storage() is not None

    def url(self, **query):
        base = f"{api.portal.get().absolute_url()}/@@clicktracker-member-data"
        return f"{base}?{urlencode(query)}" if query else base

    def authenticator(self):
        return createToken()

    def rows(self):
        return privacy_data.summary_rows(self.data or {})

    def total(self):
        return privacy_data.total(self.data or {})

    def who(self):
        """The member's name, or what their id is now: removed, a pseudonym."""
        name = names.fullname(self.member)
        return f"{name} ({self.member})" if names.is_user(self.member) else name

    def old_days(self):
        return settings.read().pseudonymise_after_days

    # -- doing it -------------------------------------------------------------------

    def _valid_member(self, action):
        if len(self.member) > MAX_ID:
            self.problem = _("This is too long to be a user id.")
        elif action in ("erase", "pseudonymise") and self.member == ANONYMOUS:
            self.problem = _(
                "Anonymous visitors are no member: their hits are kept apart "
                "from anyone's data and can be purged by age."
            )
        elif action == "pseudonymise" and is_pseudonym(self.member):
            self.problem = _("This id is a pseudonym already.")
        return self.problem is None

    def _load(self):
        try:
            return privacy_data.load(self.member)
        except (StorageError, ValueError) as exc:
            self.problem = _(
                "error_member_data",
                default="The stored data cannot be read: ${reason}",
                mapping={"reason": str(exc)},
            )
            return None

    def _run(self, action):
        messages = IStatusMessage(self.request)
        actor = api.user.get_current().getId()
        if action != "pseudonymise_old" and (
            not self.member or not self._valid_member(action)
        ):
            messages.addStatusMessage(self.problem or _("Enter a user id."), "error")
            return self.request.response.redirect(self.url())
        try:
            message = getattr(self, f"_{action}")(actor)
        except (StorageError, ValueError) as exc:
            logger.warning("Member data: %s failed: %s", action, exc)
            messages.addStatusMessage(
                _(
                    "error_member_data_action",
                    default="Nothing was changed: ${reason}",
                    mapping={"reason": str(exc)},
                ),
                "error",
            )
        else:
            messages.addStatusMessage(message, "info")
        query = {"member": self.member} if self.member else {}
        return self.request.response.redirect(self.url(**query))

    def _erase(self, actor):
        counts = members.erase(self.member, actor)
        return _(
            "info_member_erased",
            default="${rows} rows erased (${tables}).",
            mapping={
                "rows": sum(counts.values()),
                "tables": members.counts_text(counts),
            },
        )

    def _pseudonymise(self, actor):
        name, counts = members.pseudonymise(self.member, actor)
        return _(
            "info_member_pseudonymised",
            default="${rows} rows now name ${pseudonym} instead (${tables}).",
            mapping={
                "rows": sum(counts.values()),
                "pseudonym": name,
                "tables": members.counts_text(counts),
            },
        )

    def _pseudonymise_old(self, actor):
        counts = members.pseudonymise_old(actor)
        if counts is None:
            return _(
                "Pseudonymising old data is off (0 days): set a number of "
                "days in the click tracker settings first."
            )
        return _(
            "info_old_pseudonymised",
            default="${rows} rows older than ${days} days pseudonymised (${tables}).",
            mapping={
                "rows": sum(counts.values()),
                "days": self.old_days(),
                "tables": members.counts_text(counts),
            },
        )
