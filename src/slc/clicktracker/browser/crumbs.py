"""Breadcrumbs of the report pages on the site root.

Plone's breadcrumbs of a view on the site root say only "Home". A report page
marks its request with ``IReportTrail`` and names its trail below Site Setup
(``show``); the ``breadcrumbs_view`` registered for such requests
(visits.zcml) puts Site Setup in front of it.
"""

from plone.base import PloneMessageFactory as PMF
from Products.Five.browser import BrowserView
from slc.clicktracker.interfaces import IClickTrackerLayer
from zope.interface import alsoProvides


TRAIL = "slc.clicktracker.trail"


class IReportTrail(IClickTrackerLayer):
    """A request for a report page whose breadcrumbs start at Site Setup."""


def show(request, trail):
    """Breadcrumbs Site Setup › ``trail``: (URL, title) pairs, the page last."""
    alsoProvides(request, IReportTrail)
    request.set(TRAIL, list(trail))


class ReportBreadcrumbs(BrowserView):
    def breadcrumbs(self):
        portal_url = self.context.absolute_url()
        trail = [(f"{portal_url}/@@overview-controlpanel", PMF("Site Setup"))]
        trail += self.request.get(TRAIL, [])
        return tuple({"absolute_url": url, "Title": title} for url, title in trail)
