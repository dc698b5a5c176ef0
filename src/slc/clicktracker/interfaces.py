"""Public interfaces of slc.clicktracker."""

from zope.publisher.interfaces.browser import IDefaultBrowserLayer


class IClickTrackerLayer(IDefaultBrowserLayer):
    """Browser layer: present only while the add-on is installed in a site."""
