"""Control panel: settings, storage status, database initialisation and purge."""

from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from plone.app.registry.browser.controlpanel import RegistryEditForm
from plone.protect.authenticator import check as check_authenticator
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from Products.statusmessages.interfaces import IStatusMessage
from slc.clicktracker import _
from slc.clicktracker import visits
from slc.clicktracker.controlpanel.dsn import mask
from slc.clicktracker.controlpanel.dsn import merge
from slc.clicktracker.controlpanel.dsn import scrub
from slc.clicktracker.controlpanel.settings import IClickTrackerSettings
from slc.clicktracker.interfaces import IClickStorage
from slc.clicktracker.interfaces import IClickStorageAdmin
from slc.clicktracker.storage import StorageError
from slc.clicktracker.storage.utility import ENV_DSN
from slc.clicktracker.storage.utility import SOURCE_ENVIRONMENT
from slc.clicktracker.storage.utility import effective_dsn
from z3c.form import button
from z3c.form.interfaces import WidgetActionExecutionError
from zope.component import queryUtility
from zope.interface import Invalid
import psycopg2


CONNECT_TIMEOUT = 2


def connection_problem(dsn):
    """Why ``dsn`` cannot be used, or None when a connection succeeds."""
    try:
        conn = psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT)
    except psycopg2.Error as exc:
        # libpq may quote parts of the DSN in its message.
        return scrub(str(exc).strip(), dsn) or exc.__class__.__name__
    conn.close()
    return None


def admin_storage():
    storage = queryUtility(IClickStorage)
    return storage if IClickStorageAdmin.providedBy(storage) else None


class ClickTrackerSettingsForm(RegistryEditForm):
    schema = IClickTrackerSettings
    schema_prefix = "slc.clicktracker"
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
        self.actions["setup_database"].addClass("btn btn-secondary")
        self.actions["purge"].addClass("btn btn-outline-danger")

    @button.handler(RegistryEditForm.buttons["save"])
    def handleSave(self, action):
        check_authenticator(self.request)
        data, errors = self.extractData()
        if errors:
            self.status = self.formErrorsMessage
            return
        # A DSN that still shows the mask means "keep the stored password".
        dsn = merge((data.get("dsn") or "").strip(), self.getContent().dsn)
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
            dsn, _source = effective_dsn()
            messages.addStatusMessage(
                _(
                    "error_setup_database",
                    default="The database was not set up: ${reason}",
                    mapping={"reason": scrub(str(exc), dsn)},
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
            storage = visits.visit_storage()
            if storage is None:
                raise StorageError("this click storage cannot purge old hits")
            counts = storage.purge(days)
        except (StorageError, psycopg2.Error) as exc:
            dsn, _source = effective_dsn()
            messages.addStatusMessage(
                _(
                    "error_purge",
                    default="Nothing was purged: ${reason}",
                    mapping={"reason": scrub(str(exc), dsn)},
                ),
                "error",
            )
        else:
            hits, visits_ = counts.get("hits", 0), counts.get("visits", 0)
            if not hits and not visits_:
                messages.addStatusMessage(
                    _(
                        "info_purge_nothing",
                        default="Nothing to purge: no hits or visits older than "
                        "${days} days.",
                        mapping={"days": days},
                    ),
                    "info",
                )
            else:
                messages.addStatusMessage(
                    _(
                        "info_purged",
                        default="Purged ${hits} hits and ${visits} visits older "
                        "than ${days} days.",
                        mapping={"hits": hits, "visits": visits_, "days": days},
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
        """The storage's status, safe to show (secrets masked)."""
        storage = admin_storage()
        if storage is None:
            return {"configured": False, "connected": False, "error": None}
        dsn, source = effective_dsn()
        try:
            status = dict(storage.status())
        except (StorageError, psycopg2.Error) as exc:
            # The page must stay usable: it is where the problem gets fixed.
            status = {"configured": bool(dsn), "connected": False, "error": str(exc)}
        if status.get("error"):
            status["error"] = scrub(status["error"], dsn)
        status["from_environment"] = source == SOURCE_ENVIRONMENT
        status["masked_dsn"] = mask(dsn)
        return status
