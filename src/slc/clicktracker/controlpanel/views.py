"""Control panel: settings, storage status, database initialisation and purge."""

from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from plone.app.registry.browser.controlpanel import RegistryEditForm
from plone.protect.authenticator import check as check_authenticator
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from Products.statusmessages.interfaces import IStatusMessage
from slc.clicktracker import _
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.privacy.settings import IPrivacySettings
from slc.clicktracker.readtime.settings import IReadingTimeSettings
from slc.clicktracker.reminders.settings import IReminderSettings
from slc.clicktracker.settings import PREFIX
from slc.clicktracker.settings import IClickTrackerSettings
from slc.clicktracker.storage.dsn import ENV_DSN
from slc.clicktracker.storage.dsn import MASK
from slc.clicktracker.storage.dsn import SOURCE_ENVIRONMENT
from slc.clicktracker.storage.dsn import connection_problem
from slc.clicktracker.storage.dsn import mask
from slc.clicktracker.storage.dsn import merge
from slc.clicktracker.storage.dsn import same_target
from slc.clicktracker.storage.utility import admin_storage
from slc.clicktracker.storage.utility import visit_storage
from z3c.form import button
from z3c.form.interfaces import WidgetActionExecutionError
from zope.interface import Invalid


class IControlPanel(
    IClickTrackerSettings, IReminderSettings, IReadingTimeSettings, IPrivacySettings
):
    """What the control panel edits: the records of these schemas (one
    prefix); reminders, reading time and data protection in fieldsets of
    their own (the pseudonym key is in none: never in the form)."""


class ClickTrackerSettingsForm(RegistryEditForm):
    schema = IControlPanel
    schema_prefix = PREFIX
    label = _("Click tracker settings")
    description = _("Where and how slc.clicktracker stores which members read what.")

    # Start from the registry form's Save and Cancel, override Save below.
    buttons = RegistryEditForm.buttons.copy()
    handlers = RegistryEditForm.handlers.copy()

    def updateWidgets(self):
        super().updateWidgets()
        # The stored password never goes back to the browser; neither does
        # one just typed, should the form be shown again with an error.
        widget = self.widgets["dsn"]
        widget.value = mask(widget.value)

    def updateActions(self):
        super().updateActions()
        # plone.app.z3cform makes every button but Save "btn-secondary"; a
        # second colour class on top would mix the two (red on grey).
        purge = self.actions["purge"]
        purge.klass = purge.klass.replace("btn-secondary", "btn-danger")

    @button.handler(RegistryEditForm.buttons["save"])
    def handleSave(self, action):
        check_authenticator(self.request)
        data, errors = self.extractData()
        if errors:
            self.status = self.formErrorsMessage
            return
        # A DSN that still shows the mask means "keep the stored password",
        # but only for the same server, database and user.
        typed = (data.get("dsn") or "").strip()
        stored = self.getContent().dsn
        if MASK in typed and not same_target(typed, stored or ""):
            raise WidgetActionExecutionError(
                "dsn",
                Invalid(
                    _(
                        "error_dsn_password_elsewhere",
                        default="The saved password is kept only for the same "
                        "server, port, database and user. Type the password for "
                        "this connection instead of ********.",
                    )
                ),
            )
        dsn = merge(typed, stored)
        if dsn:
            problem = connection_problem(dsn)
            if problem:
                raise WidgetActionExecutionError(
                    "dsn",
                    Invalid(
                        _(
                            "error_dsn_connect",
                            default="Cannot connect to this database: ${reason}",
                            mapping={"reason": problem},
                        )
                    ),
                )
        data["dsn"] = dsn
        self.applyChanges(data)
        IStatusMessage(self.request).addStatusMessage(_("Changes saved."), "info")
        self.request.response.redirect(self.request.getURL())

    @button.buttonAndHandler(_("Initialise or upgrade database"), name="setup_database")
    def handleSetupDatabase(self, action):
        # Changes PostgreSQL only, which plone.protect's automatic ZODB-write
        # check cannot see: check the form token explicitly.
        check_authenticator(self.request)
        messages = IStatusMessage(self.request)
        storage = admin_storage()
        try:
            if storage is None:
                raise StorageError("no click tracker storage is registered")
            version = storage.setup_database()
        except StorageError as exc:
            messages.addStatusMessage(
                _(
                    "error_setup_database",
                    default="The database was not set up: ${reason}",
                    mapping={"reason": str(exc)},
                ),
                "error",
            )
        else:
            messages.addStatusMessage(
                _(
                    "info_setup_database",
                    default="The database is ready (schema version ${version}).",
                    mapping={"version": version},
                ),
                "info",
            )
        self.request.response.redirect(self.request.getURL())

    @button.buttonAndHandler(_("Purge now"), name="purge")
    def handlePurge(self, action):
        # Deletes from PostgreSQL only: check the form token explicitly.
        check_authenticator(self.request)
        messages = IStatusMessage(self.request)
        # The saved value: the form may hold unsaved edits.
        days = self.getContent().retention_days or 0
        if days <= 0:
            messages.addStatusMessage(
                _(
                    "Retention is off (0 days): nothing was purged. Set a number "
                    "of days and save first."
                ),
                "info",
            )
            return self.request.response.redirect(self.request.getURL())
        try:
            storage = visit_storage()
            if storage is None:
                raise StorageError("this click storage cannot purge old hits")
            counts = storage.purge(days)
        except StorageError as exc:
            messages.addStatusMessage(
                _(
                    "error_purge",
                    default="Nothing was purged: ${reason}",
                    mapping={"reason": str(exc)},
                ),
                "error",
            )
        else:
            hits, visits_ = counts.get("hits", 0), counts.get("visits", 0)
            if not sum(counts.values()):
                messages.addStatusMessage(
                    _(
                        "info_purge_nothing",
                        default="Nothing to purge: nothing older than ${days} days.",
                        mapping={"days": days},
                    ),
                    "info",
                )
            else:
                messages.addStatusMessage(
                    _(
                        "info_purged",
                        default="Purged ${hits} hits, ${visits} visits and "
                        "${others} other rows (totals, confirmations, reminders) "
                        "older than ${days} days.",
                        mapping={
                            "hits": hits,
                            "visits": visits_,
                            "others": sum(counts.values()) - hits - visits_,
                            "days": days,
                        },
                    ),
                    "info",
                )
        self.request.response.redirect(self.request.getURL())


class ClickTrackerControlPanel(ControlPanelFormWrapper):
    form = ClickTrackerSettingsForm
    index = ViewPageTemplateFile("templates/controlpanel.pt")

    env_dsn_name = ENV_DSN

    def visits_url(self):
        return f"{self.context.absolute_url()}/@@clicktracker-visits"

    def storage_status(self):
        """The storage's status, safe to show (the storage masks secrets).

        ``state`` sums it up for the template: "unconfigured", "unreachable",
        "empty" (reachable, no schema yet) or "ready".
        """
        if "_status" in self.__dict__:
            return self._status  # asked once per page: it probes the database
        storage = admin_storage()
        if storage is None:
            return {"configured": False, "connected": False, "state": "unconfigured"}
        try:
            status = dict(storage.status())
        except StorageError as exc:
            # The page must stay usable: it is where the problem gets fixed.
            status = {"configured": True, "connected": False, "error": str(exc)}
        status["from_environment"] = status.get("dsn_source") == SOURCE_ENVIRONMENT
        status["state"] = status_state(status)
        self._status = status
        return status

    def spool_fill(self):
        """How full the spool is, as text for the status card, or None."""
        spool = self.storage_status().get("spool")
        if not spool or not spool.get("max_bytes"):
            return None
        decimal = one_decimal(self.request)
        return {
            "percent": f"{decimal(spool['bytes'] / spool['max_bytes'] * 100)}%",
            "used": f"{decimal(spool['bytes'] / 1024 / 1024)} MB",
            "cap": f"{decimal(spool['max_bytes'] / 1024 / 1024)} MB",
            "elsewhere": spool["rows_elsewhere"],
        }


def one_decimal(request):
    """Numbers with one decimal, as the request's language writes them
    ("0.5", German "0,5")."""
    locale = getattr(request, "locale", None)
    if locale is None:
        return "{:.1f}".format
    formatter = locale.numbers.getFormatter("decimal")
    return lambda value: formatter.format(value, "0.0")


def status_state(status):
    if not status.get("configured"):
        return "unconfigured"
    if not status.get("connected"):
        return "unreachable"
    return "ready" if status.get("schema_version") else "empty"
