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


class IVisitStorage(Interface):
    """Optional capability: visits and clickstreams. PostgresqlStorage provides it."""

    def logVisit(
        member,
        path,
        url,
        visit_id=None,
        *,
        uid=None,
        referrer=None,
        title=None,
        when=None,
        user_agent=None,
        is_bot=False,
        idle_timeout=1200,
        max_age=18000,
    ):
        """Record one hit inside a visit.

        ``visit_id``: the id from the visitor's (already verified) cookie, or
        None. The hit joins that visit unless it is unknown, or has been idle
        longer than ``idle_timeout`` seconds, or started more than ``max_age``
        seconds before ``when``; then a new visit starts (new id made by the
        storage: uuid4 hex). Other keywords as for ``IClickStorage.logAccess``.

        Returns VisitResult(visit_id, started, ended, reload, stored):
          visit_id: str -- the visit the hit belongs to (set the cookie to it);
          started: bool -- this hit began a new visit;
          ended: str|None -- id of the visit observed to have expired and been
            replaced (else None);
          reload: bool -- same URL as the visit's previous hit: counted as a
            reload of that click;
          stored: bool -- as logAccess's return value (True also when durably
            spooled).
        """

    def getVisits(
        member=None,
        since=None,
        until=None,
        active_since=None,
        include_bots=True,
        limit=50,
        offset=0,
    ):
        """Visits newest first (by start).

        since/until filter on start; active_since: only visits whose last hit
        is at or after it (the "active now" list). Rows (namedtuple VisitRow):
        visit_id, member, started, last_hit, hits, reloads, initial_referrer,
        user_agent, is_bot.
        """

    def countVisits(
        member=None, since=None, until=None, active_since=None, include_bots=True
    ):
        """How many rows getVisits would return without limit/offset (for batching)."""

    def getVisit(visit_id):
        """One VisitRow or None."""

    def getClickstream(visit_id):
        """The visit's clicks in order: rows (namedtuple ClickRow) at, url, path,
        title, reloads."""

    def purge(keep_days, batch_size=5000):
        """Delete raw hits and visits older than keep_days days (visits by last
        hit); aggregates (access totals, documents) stay. keep_days <= 0:
        nothing. Deletes in batches, each its own short transaction, so
        concurrent logging is never blocked for more than a moment.
        Returns {'hits': n, 'visits': m}."""
