"""A member's own reading list: the tracked documents they are expected to
read, each with its deadline and the member's OWN status only (read, read
late, not read; confirmed where confirmation is asked).

Used by ``@@reading-list`` and the dashboard portlet. Finding the items
takes a few catalog searches and wakes no document: the catalog index
``clicktracker_expected`` names where expectations are set, and the nearest
one wins (``readers.expectation``) and tracking is inherited
(``tracking.tracking_source``) are worked out on the paths. Then one storage
call for the reads, and one for the confirmations.
"""

from collections import namedtuple
from datetime import UTC
from datetime import datetime
from plone import api
from slc.clicktracker import readers
from slc.clicktracker.interfaces import IContentIsTracked
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.readtime import rule
from slc.clicktracker.storage.utility import confirmation_storage
from slc.clicktracker.storage.utility import read_status_storage
from ZODB.POSException import ConflictError
import logging


logger = logging.getLogger("slc.clicktracker")

# A document I am expected to read; deadline: aware datetime or None;
# confirm: whether it asks expected readers to confirm; rule: when it counts
# as read (readtime.rule).
Item = namedtuple("Item", "path title url deadline confirm rule")

# An item with my status. state: readers.READ, LATE or UNREAD, None when the
# storage could not say; first_read (when it counted as read under the
# item's rule) and confirmed: aware datetimes or None; overdue: not read and
# the deadline has passed.
Entry = namedtuple("Entry", "item state first_read confirmed overdue")

# What ReadingList.status says about the reading status.
KNOWN = "known"
UNAVAILABLE = "unavailable"  # the storage cannot say who read what
FAILED = "failed"  # the storage failed (see the server log)

# Where items without a deadline sort: after all others.
NO_DEADLINE = datetime.max.replace(tzinfo=UTC)


class ReadingList(namedtuple("ReadingList", "entries status confirmations_known")):
    """``entries`` sorted: not read first, then by deadline (soonest first,
    none last), then title. ``confirmations_known``: whether ``confirmed``
    of the entries is the storage's word (else it is None throughout)."""

    def to_do(self):
        """The entries that still ask something of me: not read (or not
        known to be read), or read but not confirmed where that is asked."""
        return [
            entry
            for entry in self.entries
            if entry.state in (readers.UNREAD, None)
            or (
                entry.item.confirm
                and self.confirmations_known
                and entry.confirmed is None
            )
        ]


def member_principals(user):
    """The ids an expectation may name ``user`` by: their id and their
    groups, nested groups included (Plone's recursive groups plugin), as
    ``readers.expects`` sees them."""
    return {user.getId(), *user.getGroups()}


def reading_list(user, now=None):
    """The reading list of ``user`` (a member, not anonymous).

    Never raises for the storage: when it cannot say, the items are there
    with ``state`` None and ``status`` says why.
    """
    now = now or datetime.now(UTC)
    user_id = user.getId()
    items = expected_items(member_principals(user))
    reads, confirmations, status = {}, None, KNOWN
    if items:
        try:
            found = _statuses(items, user_id)
        except ConflictError:
            raise
        except StorageError as exc:
            # The message has no secrets in it (see StorageError).
            logger.warning("Cannot read the reading list of %s: %s", user_id, exc)
            status = FAILED
        except Exception:
            logger.exception("Cannot read the reading list of %s", user_id)
            status = FAILED
        else:
            if found is None:
                status = UNAVAILABLE
            else:
                reads, confirmations = found
    entries = []
    for item in items:
        first = reads[item.path].read_at if item.path in reads else None
        state = readers.read_state(first, item.deadline) if status == KNOWN else None
        entries.append(
            Entry(
                item=item,
                state=state,
                first_read=first,
                confirmed=(confirmations or {}).get(item.path),
                overdue=state == readers.UNREAD
                and item.deadline is not None
                and item.deadline <= now,
            )
        )
    entries.sort(key=_order)
    return ReadingList(entries, status, confirmations is not None)


def _order(entry):
    return (
        entry.state not in (readers.UNREAD, None),
        entry.item.deadline or NO_DEADLINE,
        entry.item.title.casefold(),
        entry.item.path,
    )


def _statuses(items, user_id):
    """``({path: ReadStatus}, {path: confirmed} or None)`` of ``user_id``;
    None when the storage cannot say who read what.

    :raises StorageError: when the database fails.
    """
    storage = read_status_storage()
    if storage is None:
        return None
    paths = [item.path for item in items]
    rules = {item.path: rule.terms(item.rule) for item in items}
    rows = storage.read_status(paths, members=[user_id], rules=rules)
    reads = {row.path: row for row in rows}
    confirmations = None
    asking = [item.path for item in items if item.confirm]
    confirming = confirmation_storage() if asking else None
    if confirming is not None:
        rows = confirming.confirmations(asking, [user_id])
        confirmations = {row.path: row.confirmed for row in rows}
    return reads, confirmations


# -- finding the items ------------------------------------------------------------


def expected_items(principals):
    """The tracked documents I may view whose expectation in force names one
    of ``principals`` (my id and groups), once each, in no order.

    Searches without permission checks find where expectations are set
    (one on a folder I cannot open still applies to the documents in it I
    can), and which content is tracked; only the documents listed come
    from a search that checks View.
    """
    principals = set(principals)
    portal = api.portal.get()
    catalog = api.portal.get_tool("portal_catalog")
    root = "/".join(portal.getPhysicalPath())
    naming = _naming(portal, root, catalog, principals)
    if not naming:
        return []
    # Every expectation set at or below those, naming me or not: the
    # nearest one decides (a document may leave me out).
    setters = set(naming)
    if readers.INDEX in catalog.indexes():
        # Every id any expectation names: objects with an expectation.
        named = list(catalog.uniqueValuesFor(readers.INDEX))
        query = {"path": {"query": sorted(naming)}, readers.INDEX: named}
        # An empty list would not limit the search at all.
        found = catalog.unrestrictedSearchResults(**query) if named else []
        setters.update(brain.getPath() for brain in found)
    tracked = _tracked(portal, root, catalog)
    items = {}
    for brain in catalog.searchResults(
        path={"query": sorted(naming)}, is_folderish=False
    ):
        path = brain.getPath()
        chain = list(_ancestors(path, root))
        nearest = next((p for p in chain if p in setters), None)
        if nearest not in naming or not tracked.intersection(chain):
            continue
        found = naming[nearest]
        items[path] = Item(
            path=path,
            title=brain.Title or brain.getId,
            url=brain.getURL(),
            deadline=found.deadline,
            confirm=found.confirm,
            rule=found.rule,
        )
    return list(items.values())


def _naming(portal, root, catalog, principals):
    """``{path: own Expectation}`` of the objects whose own expectation
    names one of ``principals``. The object's annotation has the last word:
    the index only finds the candidates."""
    naming = {}
    # Read directly: the site root is not in the catalog of every site.
    own = readers.own_expectation(portal)
    if own is not None and principals.intersection(own.principals):
        naming[root] = own
    if readers.INDEX not in catalog.indexes():
        return naming  # the upgrade step has not run yet
    query = {readers.INDEX: sorted(principals)}
    for brain in catalog.unrestrictedSearchResults(**query):
        try:
            own = readers.own_expectation(brain._unrestrictedGetObject())
        except (KeyError, AttributeError):
            continue  # a stale catalog entry
        if own is not None and principals.intersection(own.principals):
            naming[brain.getPath()] = own
    return naming


def _tracked(portal, root, catalog):
    """The paths that carry the tracking marker (the site root's too)."""
    if IContentIsTracked.providedBy(portal):
        return {root}
    found = catalog.unrestrictedSearchResults(
        object_provides=IContentIsTracked.__identifier__
    )
    return {brain.getPath() for brain in found}


def _ancestors(path, root):
    """``path``, its parent, ... up to ``root`` (the site), nearest first."""
    while True:
        yield path
        if path == root or len(path) <= len(root):
            return
        path = path.rsplit("/", 1)[0]
