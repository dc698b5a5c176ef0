"""The page shown when the database setup profile fails to import.

portal_setup shows "import done" for every import that does not raise;
``setuphandlers.setup_database`` raises ``DatabaseSetupFailed``, and this
exception view says so in the ZMI, with the reason and no traceback.
"""

from plone import api
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker.storage.dsn import ENV_DSN


class SetupFailedView(BrowserView):
    index = ViewPageTemplateFile("templates/setupfailed.pt")

    env_dsn_name = ENV_DSN

    def __call__(self):
        self.request.response.setStatus(500)
        return self.index()

    def reason(self):
        return str(self.context)

    def tool(self):
        return api.portal.get_tool("portal_setup")

    def panel_url(self):
        return f"{api.portal.get().absolute_url()}/@@clicktracker-controlpanel"

    def import_url(self):
        return f"{self.tool().absolute_url()}/manage_fullImport"
