"""Public interfaces of slc.clicktracker."""

from zope.interface import Interface
from zope.publisher.interfaces.browser import IDefaultBrowserLayer


class IClickTrackerLayer(IDefaultBrowserLayer):
    """Browser layer: present only while the add-on is installed in a site."""


class IContentIsTracked(Interface):
    """Marker on a content object (or the site root): views of it and of
    everything below it are tracked. See ``slc.clicktracker.tracking``."""


class IContentIsIgnored(Interface):
    """Marker on a request: do not track the response to it.

    Provide it early in a view, before the page is rendered::

        from slc.clicktracker.interfaces import IContentIsIgnored
        from zope.interface import alsoProvides

        class MyView(BrowserView):
            def __call__(self):
                alsoProvides(self.request, IContentIsIgnored)
                return self.index()
    """


class IClickStorage(Interface):
    """Where hits go. Register your own utility for it to replace PostgreSQL."""

    def logAccess(member, path, url, **kw):
        """Record that ``member`` (user id str) viewed the object at ``path``.

        ``path`` is the physical path, a str ``'/Plone/folder/doc'`` or the
        tuple from ``getPhysicalPath()``; ``url`` is the URL it was viewed at.
        Optional keywords: ``uid=None`` (Plone UID), ``referrer=None``,
        ``title=None``, ``when=None`` (aware datetime; default now).

        Returns True when stored (in the database, or durably spooled for
        later replay). Raises ValueError for unusable input (empty member or
        path).
        """

    def getLog(prefix, order_by=None, order_reverse=False, **kw):
        """Aggregated log of every path equal to ``prefix`` or below ``prefix + '/'``.

        One row per member and url, ordered by ``'member'`` (default),
        ``'url'``, ``'count'`` or ``'lastaccess'``; any other key raises
        ValueError. Optional keywords: ``since=None``, ``until=None`` (aware
        datetimes; only hits with ``since <= time < until`` count).

        Rows expose ``.member .count .lastaccess .url`` (also as index 0-3 in
        that order), then ``.firstaccess .path .uid``.
        """


class IClickStorageAdmin(Interface):
    """Optional management capabilities of a click storage."""

    def status():
        """A dict: configured (bool), connected (bool), error (str or None),
        schema_version (int or None), hits (int or None), documents (int or
        None), backlog (int: spooled hits waiting)."""

    def setup_database():
        """Create or upgrade the schema; idempotent; returns the schema version.

        Raises StorageError with a clear message when the database is not
        configured or cannot be reached.
        """

    def move(old_path, new_path):
        """A content object and everything below it moved or was renamed."""

    def replay():
        """Push spooled hits to the database in order; returns how many."""
