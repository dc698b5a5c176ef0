"""``@@my-reading-data``: what the site has recorded about the member who is
logged in (rows per table), and their own data to download (JSON, or CSV
in a ZIP). Anonymous visitors are sent to log in."""

from plone import api
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker.browser import privacy_data
from slc.clicktracker.interfaces import IContentIsIgnored
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.privacy import members
from zExceptions import Unauthorized
from zope.interface import alsoProvides
import logging


logger = logging.getLogger("slc.clicktracker")


class MyReadingDataView(BrowserView):
    index = ViewPageTemplateFile("templates/privacy_my_data.pt")

    data = None
    problem = None

    def __call__(self):
        alsoProvides(self.request, IContentIsIgnored)
        if api.user.is_anonymous():
            # Plone answers with its login form.
            raise Unauthorized("log in to see your reading data")
        self.member = api.user.get_current().getId()
        if members.privacy_storage() is None:
            self.problem = _(
                "This site's click storage cannot export members' data; ask "
                "the site administrator."
            )
            return self.index()
        try:
            self.data = privacy_data.load(self.member)
        except StorageError as exc:
            logger.warning("My reading data of %r: %s", self.member, exc)
            self.problem = _(
                "Your reading data cannot be read right now; please try again later."
            )
            return self.index()
        fmt = self.request.form.get("format")
        if fmt in privacy_data.FORMATS:
            return privacy_data.download(self.request, self.member, self.data, fmt)
        return self.index()

    def url(self):
        return f"{api.portal.get().absolute_url()}/@@my-reading-data"

    def rows(self):
        return privacy_data.summary_rows(self.data or {})

    def total(self):
        return privacy_data.total(self.data or {})
