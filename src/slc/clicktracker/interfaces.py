"""Public interfaces of slc.clicktracker.

Longer than other modules on purpose: every public contract of the add-on
(markers, the storage interfaces and their one exception) is documented
here, in one place.
"""

from zope.interface import Interface
from zope.publisher.interfaces.browser import IDefaultBrowserLayer


class StorageError(Exception):
    """A click storage cannot do what was asked: the database is not
    configured, unreachable, not set up, or refused the operation.

    The message is safe to show to a site administrator: storages remove
    secrets (passwords of the connection string) before raising it. Views
    catch this exception only; they never see a database driver's own.
    """


class StorageNotConfigured(StorageError):
    """No database is configured (no connection string) for the storage."""


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
    """Where hits go. Register your own utility for it to replace PostgreSQL.

    ``logAccess`` and ``getLog`` are the original contract, hence camelCase.
    """

    def logAccess(member, path, url, **kw):
        """Record that ``member`` viewed the object at ``path``.

        :param member: user id (str).
        :param path: physical path, a str ``'/Plone/folder/doc'`` or the
            tuple from ``getPhysicalPath()``.
        :param url: the URL it was viewed at.
        :param kw: optional ``uid=None`` (Plone UID), ``referrer=None``,
            ``title=None``, ``when=None`` (aware datetime; default now);
            storages that can, also take ``hit_id=None`` (a UUID naming this
            view: the same id stored twice counts once; default: a new one)
            and ``client=None`` (the visitor's address, for anonymous
            visitors only; it decides nothing but the spool's fair share and
            is never stored).
        :returns: True when stored (in the database, or durably spooled for
            later replay; also when the hit id had been stored before),
            False when the hit was lost.
        :raises ValueError: for unusable input (empty member or path).
        """

    def getLog(prefix, order_by=None, order_reverse=False, **kw):
        """Aggregated log of every path equal to ``prefix`` or below ``prefix + '/'``.

        :param order_by: ``'member'`` (default), ``'url'``, ``'count'`` or
            ``'lastaccess'``.
        :param kw: optional ``since=None``, ``until=None`` (aware datetimes;
            only hits with ``since <= time < until`` count).
        :returns: one row per member and url. Rows expose ``.member .count
            .lastaccess .url`` (also as index 0-3 in that order), then
            ``.firstaccess .path .uid``.
        :raises ValueError: for any other order key.
        :raises StorageError: when the database cannot answer.
        """


class IClickStorageAdmin(Interface):
    """Optional management capabilities of a click storage."""

    def status():
        """The storage's state, for the control panel.

        :returns: a dict: configured (bool), connected (bool), error (str or
            None), schema_version (int or None), hits (int or None),
            documents (int or None), backlog (int: spooled hits waiting).
        """

    def setup_database():
        """Create or upgrade the schema; idempotent.

        :returns: the schema version.
        :raises StorageError: when the database is not configured, cannot be
            reached or refuses the upgrade.
        """

    def move(old_path, new_path):
        """A content object and everything below it moved or was renamed.

        :returns: how many documents changed path.
        :raises StorageError: when the database cannot be reached.
        """

    def replay():
        """Push spooled hits to the database in order.

        :returns: how many were replayed.
        :raises StorageError: when the database fails (the rest stays spooled).
        """


class IVisitStorage(Interface):
    """Optional capability: visits and clickstreams. PostgresqlStorage provides it.

    Names are snake_case: only ``logAccess`` and ``getLog`` keep the camelCase
    of the original contract.
    """

    def log_visit(
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
        hit_id=None,
        client=None,
    ):
        """Record one hit inside a visit.

        :param visit_id: the id from the visitor's (already verified) cookie,
            or None. The hit joins that visit unless it is unknown, or has
            been idle longer than ``idle_timeout`` seconds, or started more
            than ``max_age`` seconds before ``when``; then a new visit starts
            (new id made by the storage: uuid4 hex).
        :param user_agent: the browser's User-Agent, kept with a new visit.
        :param is_bot: mark the visit as a bot's; its hits are no reads.
        :param idle_timeout: seconds, > 0.
        :param max_age: seconds, > 0.
        Other keywords as for ``IClickStorage.logAccess``.
        :returns: VisitResult(visit_id, started, ended, reload, stored,
            duplicate):
            visit_id -- the visit the hit belongs to (set the cookie to it);
            started -- this hit began a new visit;
            ended -- id of the visit observed to have expired and been
            replaced, else None;
            reload -- same URL as the visit's previous hit: counted as a
            reload of that click;
            stored -- True when stored (or durably spooled);
            duplicate -- the hit id had been stored before: nothing changed.
        :raises ValueError: for unusable input.
        """

    def get_visits(
        member=None,
        since=None,
        until=None,
        active_since=None,
        include_bots=True,
        limit=50,
        offset=0,
    ):
        """Visits newest first (by start).

        :param since: aware datetime; only visits started at or after it.
        :param until: aware datetime; only visits started before it.
        :param active_since: only visits whose last hit is at or after it
            (the "active now" list).
        :returns: a list of VisitRow(visit_id, member, started, last_hit,
            hits, reloads, initial_referrer, user_agent, is_bot).
        :raises StorageError: when the database cannot answer.
        :raises ValueError: for bad filters, limit or offset.
        """

    def count_visits(
        member=None, since=None, until=None, active_since=None, include_bots=True
    ):
        """How many rows get_visits would return without limit/offset.

        :raises StorageError: when the database cannot answer.
        """

    def get_visit(visit_id):
        """One VisitRow, or None when there is no such visit.

        :raises StorageError: when the database cannot answer.
        """

    def get_clickstream(visit_id):
        """The visit's clicks in order: a list of ClickRow(at, url, path,
        title, reloads, seconds, depth, reached_end). The last three are
        the click's reading time (its views summed), the deepest point of
        the main content reached (percent) and whether its end came into
        view; None when unknown (stored before reading time was measured,
        no update received, or a storage without ``IReadingTimeStorage``).

        :raises StorageError: when the database cannot answer.
        """

    def purge(keep_days, batch_size=5000):
        """Delete everything older than ``keep_days`` days that names a
        member (docs/privacy.rst): raw hits, visits (by their last hit),
        access totals not viewed since, confirmations, reminders, received
        hit ids; documents and daily statistics stay. Deletes in batches,
        each its own short transaction, so concurrent logging is never
        blocked for more than a moment.

        :param keep_days: number; <= 0 deletes nothing.
        :returns: rows deleted per table: ``hits``, ``visits``, ``received``,
            ``access``, ``confirmations``, ``reminders``.
        :raises StorageError: when the database cannot be reached or is not
            set up.
        :raises ValueError: for a non-number or a batch size below 1.
        """


class LogTooSlow(StorageError):
    """The access log cannot be read that way in the time a page may take:
    a sort that must read every row under a large prefix, a far page, or a
    wide time window. Nothing is wrong; narrow the request (a time window,
    another sort, a folder further down).

    ``rows`` is the storage's estimate of the rows it would have had to
    read, or None.
    """

    def __init__(self, message, rows=None):
        super().__init__(message)
        self.rows = rows


class IAccessLogStorage(Interface):
    """Optional capability: the access log paged, sorted and counted by the
    storage, and streamed for downloads. PostgresqlStorage provides it.

    Without it the Tracking tab reads ``IClickStorage.getLog`` whole and
    pages it itself, as before.

    Both methods take the same description of the log:

    :param prefix: a path (str or ``getPhysicalPath()`` tuple); the log of
        the document there and of everything below ``prefix + '/'``.
    :param per: ``'document'``: one row per member and document, views of
        all its addresses summed; ``'url'``: one row per member, document
        and address (the URL it was seen at).
    :param sort_on: ``'member'``, ``'fullname'`` (needs ``fullnames``),
        ``'document'`` (title, then path), ``'url'`` (``per='url'`` only),
        ``'count'``, ``'seconds'`` (reading time; unknown last either
        way), ``'firstaccess'`` or ``'lastaccess'``; ties are broken by
        member, path and url, so the order is total.
    :param reverse: descending instead of ascending.
    :param since: aware datetime; only views at or after it.
    :param until: aware datetime; only views before it.
    :param member: only this member's rows.
    :param document: only this document's rows (``AccessRow.document_id``).
    :param fullnames: callable taking a list of member ids and returning a
        mapping of (some of) them to full names; the sort by full name
        orders by ``(full name or member id).lower()``.
    :param min_seconds: None, or an int >= 0: only rows whose reading time
        (``AccessRow.seconds``, of the window's views in a time window) is
        at least that many seconds; 0 keeps the rows whose reading time is
        known.
    :param reached_end: None, or True: only rows whose end was reached
        (``AccessRow.reached_end``). False is refused (ValueError).

    The reading figures come from ``IReadingTimeStorage``; unknown (None)
    passes neither filter. The filters decide which rows pass, not how
    many are read: at a large prefix a filter that few rows pass may make
    a page ``LogTooSlow`` that would be quick without it.
    """

    def log_page(
        prefix,
        per="document",
        sort_on="member",
        reverse=False,
        since=None,
        until=None,
        offset=0,
        limit=50,
        member=None,
        document=None,
        fullnames=None,
        min_seconds=None,
        reached_end=None,
    ):
        """One page of the access log; see the interface for the arguments.

        :param offset: rows to skip (int >= 0).
        :param limit: rows at most (int >= 1).
        :returns: LogPage(rows, total, exact): a list of AccessRow(member,
            count, firstaccess, lastaccess, document_id, path, uid, title,
            url, urls, seconds, reached_end); the number of rows in all;
            True when that number was counted, False when it is an estimate
            (a large prefix, where counting would take as long as reading
            everything). ``seconds``: the reading time of what the row sums,
            ``reached_end``: whether any of it was read to the end; each
            None when unknown for all of it.
        :raises LogTooSlow: when this page cannot be read in the storage's
            time limit for a page.
        :raises StorageError: when the database cannot answer.
        :raises ValueError: for an unknown grouping or sort, a sort by url
            per document, a sort by full name without ``fullnames``, a bad
            prefix, window, offset, limit or reading filter.
        """

    def iter_log(
        prefix,
        per="document",
        sort_on="member",
        reverse=False,
        since=None,
        until=None,
        member=None,
        document=None,
        fullnames=None,
        batch_size=2000,
        min_seconds=None,
        reached_end=None,
    ):
        """Every row of the access log, in order, for a download.

        A generator: the database is not touched before the first
        ``next()``. It then
        calls ``fullnames`` (when given) once with every member the rows may
        name, and fetches the rows ``batch_size`` at a time on a connection
        of its own with a long statement time limit, so that memory stays
        flat however many rows there are. Close it (``close()``) when
        stopping early: that closes the connection.

        :returns: a generator of AccessRow.
        :raises StorageError: when no database is configured; from
            ``next()``, when the database fails.
        :raises ValueError: as ``log_page`` (when called, before any
            ``next()``).
        """


class IReadStatusStorage(Interface):
    """Optional capability: who has read which document, and when, for the
    readers report (``slc.clicktracker.readers``). PostgresqlStorage
    provides it; without it the Tracking tab shows no readers report.
    """

    def read_status(paths, members=None, rules=None):
        """Per member and document: first and last view, number of views,
        reading time, whether the end was reached, and when the document
        counted as read.

        :param paths: exact document paths, not prefixes: an iterable of
            paths, each a str ``'/Plone/doc'`` or a ``getPhysicalPath()``
            tuple; one such path alone is taken as a list of one.
        :param members: only these member ids (an iterable; one str alone is
            one member) or None for all.
        :param rules: when a document counts as read: ``{path: (seconds,
            end)}``, read once the member's reading time adds up to
            ``seconds`` (int >= 0) and, when ``end`` is true, a view reached
            its end; paths not in it (or None) count as read when opened
            (``(0, False)``). See ``slc.clicktracker.readtime.rule``.
        :returns: list of ReadStatus(path, member, first_read, last_read,
            views, seconds, reached_end, read_at) (aware datetimes; views
            int; seconds int or None and reached_end bool or None, None when
            not measured; read_at: when the rule was first met, None if
            never), one per member and path with at least one view (bots
            never count: they are not in the access totals). Order: path,
            member.
        :raises StorageError: database failure (secrets scrubbed).
        :raises ValueError: for a relative or empty path.
        """

    def reader_totals(paths, exclude=(), rules=None):
        """How many of ``paths`` each member read, and how many members read
        each: the totals of the reading matrix, without a row per member and
        document (for a folder of 100 documents at ten million hits, ten
        thousand rows the matrix shows one page of).

        :param paths: exact document paths, as for ``read_status``.
        :param exclude: member ids not to count (the anonymous visitors'
            name, who is no member).
        :param rules: as for ``read_status``: only reads that meet them count.
        :returns: ReaderTotals(members={member: documents read},
            paths={path: members who read it}); only counts above zero.
        :raises StorageError: database failure (secrets scrubbed).
        """


class IConfirmationStorage(Interface):
    """Optional capability: members' "I have read this" confirmations.

    PostgresqlStorage provides it; without it, items that ask for
    confirmation show readers no button and the readers report says
    confirmations are unavailable.
    """

    def confirm(path, member, uid=None, title=None, when=None):
        """Record that ``member`` confirmed having read the document.

        Once per member and document: a repeat keeps the first time.

        :param path: the document's path (str or ``getPhysicalPath()``).
        :param uid: its UID, so that the record follows it when moved.
        :param title: its title (as hits record it).
        :param when: aware datetime; default now.
        :returns: the aware datetime of the (first) confirmation.
        :raises StorageError: database failure (secrets scrubbed).
        :raises ValueError: for a relative path or a naive ``when``.
        """

    def confirmations(paths, members=None):
        """The confirmations for documents, as ``read_status`` takes them.

        :returns: list of Confirmation(path, member, confirmed), order
            path, member.
        :raises StorageError: database failure.
        """


class IReminderStorage(Interface):
    """Optional capability: which members were reminded of which document,
    so that nobody is reminded twice within an interval, however many Zope
    instances send reminders. PostgresqlStorage provides it; without it the
    reminder button and ``clicktracker-remind`` say reminders are
    unavailable.
    """

    def claim_reminders(path, members, not_within, uid=None, title=None, when=None):
        """Claim, atomically, the right to remind ``members`` now.

        :param members: member ids (one str alone is one member).
        :param not_within: a timedelta: members reminded of this document
            more recently than that are not claimed.
        :param when: aware datetime of the reminder; default now.
        :returns: sorted list of the member ids claimed: send them the
            reminder now, and ``release_reminder`` those whose mail failed.
        :raises StorageError: database failure (nobody is claimed).
        :raises ValueError: for a negative or non-timedelta ``not_within``.
        """

    def release_reminder(path, member, sent):
        """Undo the claim made at ``sent`` (its mail could not be sent), so
        that the next run reminds that member again.

        :raises StorageError: database failure.
        """

    def reminders(paths, members=None):
        """The latest reminder per member and document.

        :returns: list of Reminder(path, member, sent), order path, member.
        :raises StorageError: database failure.
        """


class IReadingTimeStorage(Interface):
    """Optional capability: how long and how far each view was read (the
    tracking script's reading updates). PostgresqlStorage provides it;
    without it the script's updates are ignored and the reports leave out
    the reading columns and filters.
    """

    def log_reading(hit_id, member, seconds, depth, reached_end):
        """Record the running figures of one view (a showing of a page whose
        first hit was stored with ``hit_id``).

        Figures only grow: a replayed or late update (lower or equal
        figures) changes nothing; a newer one adds what is new to the view's
        click and to the member's totals of that document.

        :param hit_id: the view's hit id (``tokens.hit_id``).
        :param member: the member id the hit was stored for.
        :param seconds: active reading seconds so far (int >= 0, capped by
            the caller).
        :param depth: the deepest point of the main content reached, in
            percent (int 0-100).
        :param reached_end: whether the end of the main content came into
            view.
        :returns: True when recorded (or nothing was new), False when the
            view is unknown: no hit with that id was stored (a forged or
            too old update), or it was another member's, or purged.
        :raises StorageError: when the database cannot be reached.
        :raises ValueError: for figures out of range.
        """


class IStatisticsStorage(Interface):
    """Optional capability: views over time and the site statistics.
    PostgresqlStorage provides it; without it the Tracking tab shows no
    chart and the statistics page says it is unavailable.

    Everywhere: hits of bot visits are no reads and are left out; views of
    ``(anonymous)`` (``tokens.ANONYMOUS``) count, but anonymous visitors are
    no reader. Views count reloads, as the access totals do. Days are
    calendar days in the time zone ``zone``, an IANA name such as
    ``"Europe/Vienna"`` (the site's, ``sitezone.timezone_name()``).

    The whole site's days and every document's figures in a window are
    prepared once a day, for the complete days before today: the first
    call that finds them older than today starts preparing them (in the
    background; the call does not wait) and answers with the older ones.
    """

    def views_per_day(prefix, since, until, zone):
        """Views and distinct readers per day, oldest first.

        :param prefix: the documents at and below this path (str or
            ``getPhysicalPath()`` tuple; ``/a`` is not ``/ab``), read from
            the raw hits; or None for every document of the database, from
            the prepared days plus the last day (``until``, today) counted
            now.
        :param since: the first day (a ``datetime.date``).
        :param until: the last day, inclusive; at most 366 days in all.
        :param zone: the time zone the days are in.
        :returns: a list of DayViews(day, views, readers), one for every
            day from ``since`` to ``until`` (0, 0 for a day without views).
            With ``prefix`` None, a day not prepared yet has views and
            readers None (unknown).
        :raises ValueError: for a bad prefix, days or zone.
        :raises LogTooSlow: when the views under ``prefix`` are too many to
            count in the time a page may take (a shorter period or a
            folder further down will do).
        :raises StorageError: database failure.
        """

    def most_read(zone, days, offset=0, limit=50):
        """The documents read in the last ``days`` complete days, the most
        read first: by distinct readers, then views, then the document row.

        :param days: 7, 30, 90 or 365.
        :param offset: how many to skip (int >= 0).
        :param limit: how many at most (int >= 1).
        :returns: StatsPage(rows, total, prepared): rows are
            DocumentStats(path, uid, title, readers, views, median_seconds)
            (``median_seconds``: the median reading time of the clicks
            whose time is known, a float, or None when none is); ``total``
            the documents with a view in the window; ``prepared`` the day
            the figures were prepared for (they cover the ``days`` days
            before it), or None (and no rows) before they were prepared
            the first time.
        :raises ValueError: for a bad zone, window, offset or limit.
        :raises StorageError: database failure.
        """

    def document_stats(paths, zone, days):
        """The figures of the given documents in the last ``days`` complete
        days, for those with a view then (the others have none: no readers,
        no views); for the least read of a list of documents.

        :param paths: exact paths (an iterable, or one path alone).
        :param days: 7, 30, 90 or 365.
        :returns: StatsPage(rows, total, prepared) as ``most_read``: rows
            ordered by path, one per path (the document rows one path may
            have are summed), ``total`` their number.
        :raises ValueError: for bad paths, zone or window.
        :raises StorageError: database failure.
        """

    def prepare_statistics(zone, today=None):
        """Prepare the figures of the complete days before ``today`` now
        (what the calls above start in the background), and wait for it:
        the daily totals of the days of the last year not counted yet, and
        every document's figures in each window. For a scheduled job, or
        tests.

        :param today: the first day left out (a ``datetime.date``); default
            the database's today in ``zone``.
        :returns: True when they are prepared; False when another caller
            is preparing them right now (they will be ready when it is
            done).
        :raises ValueError: for a bad zone or day.
        :raises StorageError: database failure.
        """


class IPrivacyStorage(Interface):
    """Optional capability: a member's data rights (docs/privacy.rst).
    PostgresqlStorage provides it; without it the member data pages say
    these functions are unavailable.

    The changing calls work in batches of ``batch_size`` rows, each its own
    short transaction, so hit logging goes on meanwhile, and return the
    rows changed per table. ``(anonymous)`` (``tokens.ANONYMOUS``) is no
    member: passing it raises ValueError.
    """

    def member_data(member):
        """Everything stored about ``member`` (also a removed member's id,
        or a pseudonym).

        :returns: ``{table: [row]}`` for every table that names members
            (hits, visits, received, access, confirmations, reminders);
            each row a dict of JSON-able values (times as ISO 8601 text,
            UUIDs as text), with the document's ``path`` and ``title``
            where the row names a document.
        :raises ValueError: for an empty member id.
        :raises StorageError: database failure.
        """

    def erase_member(member, batch_size=5000):
        """Delete every row about ``member``; the site statistics' figures
        of documents are prepared again without them.

        :returns: ``{table: rows deleted}``.
        :raises StorageError: database failure (batches done stay done).
        """

    def pseudonymise_member(member, pseudonym, batch_size=5000):
        """Replace ``member`` by ``pseudonym`` (it must start with ``~``)
        everywhere; rows the pseudonym has already are merged.

        :returns: ``{table: rows changed}``.
        :raises StorageError: database failure (batches done stay done).
        """

    def pseudonymise_before(days, key, batch_size=5000):
        """Replace the member ids of rows older than ``days`` days by
        ``storage.privacy.pseudonym(member, key)``: raw hits by their time,
        visits by their last hit, access totals by their last view,
        confirmations and reminders by theirs. Pseudonyms and
        ``(anonymous)`` stay: running it again changes nothing.

        :param days: a number above 0.
        :param key: the site's secret (bytes, at least 16).
        :returns: ``{table: rows changed}``.
        :raises StorageError: database failure (batches done stay done).
        """
