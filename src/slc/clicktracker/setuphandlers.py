"""Install and uninstall hooks."""

from plone.base.interfaces import INonInstallable
from zope.interface import implementer


@implementer(INonInstallable)
class HiddenProfiles:
    """Keep the uninstall profile out of Site Setup -> Add-ons."""

    def getNonInstallableProfiles(self):
        return ["slc.clicktracker:uninstall"]

    def getNonInstallableProducts(self):
        return []
