"""The "My reading list" portlet, for a member's dashboard: what they still
have to read (at most a few items) and a link to ``@@reading-list``.

Nothing to configure, so it is added without a form (``NullAddForm``).
It shows nothing to anonymous visitors.
"""

from plone import api
from plone.app.portlets.portlets import base
from plone.memoize.instance import memoize
from plone.portlets.interfaces import IPortletDataProvider
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from slc.clicktracker import _
from slc.clicktracker import readinglist
from slc.clicktracker.browser.readinglist import EntryTexts
from zope.interface import implementer


# Items shown; the full list has the rest.
SHOWN = 5


class IReadingListPortlet(IPortletDataProvider):
    """The member's own reading list (no settings)."""


@implementer(IReadingListPortlet)
class Assignment(base.Assignment):
    @property
    def title(self):
        return _("My reading list")


class Renderer(base.Renderer):
    render = ViewPageTemplateFile("readinglist.pt")

    @property
    def available(self):
        return not api.user.is_anonymous()

    @memoize
    def found(self):
        return readinglist.reading_list(api.user.get_current())

    @memoize
    def texts(self):
        return EntryTexts(self.request)

    def to_do(self):
        return self.found().to_do()

    def rows(self):
        return self.texts().rows(self.found(), self.to_do()[:SHOWN])

    def failed(self):
        return self.found().status == readinglist.FAILED

    def more(self):
        """How many to-do items the portlet leaves out."""
        return max(len(self.to_do()) - SHOWN, 0)

    def list_url(self):
        root = api.portal.get_navigation_root(self.context)
        return f"{root.absolute_url()}/@@reading-list"


class AddForm(base.NullAddForm):
    def create(self):
        return Assignment()
