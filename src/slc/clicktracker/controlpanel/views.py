"""Control panel form for the registry settings."""

from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from plone.app.registry.browser.controlpanel import RegistryEditForm
from slc.clicktracker import _
from slc.clicktracker.controlpanel.settings import IClickTrackerSettings


class ClickTrackerSettingsForm(RegistryEditForm):
    schema = IClickTrackerSettings
    schema_prefix = "slc.clicktracker"
    label = _("Click tracker settings")
    description = _("Where and how slc.clicktracker stores which members read what.")


class ClickTrackerControlPanel(ControlPanelFormWrapper):
    form = ClickTrackerSettingsForm
