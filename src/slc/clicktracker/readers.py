"""Expected readers: who should read a document, by when, and who did.

An editor names users and groups (and a deadline) on a document or a folder;
everything below inherits that unless it has its own, as tracking is
inherited (``tracking.tracking_source``). The setting lives in the object's
annotations and is written only when an editor saves it, never when a page
is viewed. Groups are resolved when a report is made, so whoever joins a
group is expected from then on. Whether someone read a document is the
storage's to say (``IReadStatusStorage``); ``read_state`` names the outcome.
"""

from Acquisition import aq_base
from Acquisition import aq_chain
from Acquisition import aq_inner
from collections import namedtuple
from datetime import UTC
from datetime import datetime
from persistent.mapping import PersistentMapping
from plone import api
from plone.base.interfaces import IPloneSiteRoot
from slc.clicktracker import _
from slc.clicktracker.readtime import rule
from zope.annotation.interfaces import IAnnotations


# principals: the user and group ids as entered (sorted, unique); deadline:
# an aware datetime in UTC, or None; confirm: whether readers are asked to
# confirm; rule: when a document counts as read (``readtime.rule``).
Expectation = namedtuple(
    "Expectation", "principals deadline confirm rule", defaults=(rule.DEFAULT,)
)

ANNOTATION_KEY = "slc.clicktracker.readers"

# The catalog index of the principals of an object's own expectation
# (indexers.py): how a member's reading list finds what expects them.
INDEX = "clicktracker_expected"

# What read_state says.
READ = "read"
LATE = "late"
UNREAD = "unread"


# More expected readers than this are refused when saved: the reports work
# out every expected reader's row at once (bench_readers measures 2,000).
MAX_EXPECTED = 10_000


class TooManyReaders(ValueError):
    """The users and groups given name more than MAX_EXPECTED members;
    ``count`` says how many, ``message`` says so for a form."""

    def __init__(self, count):
        self.count = count
        self.message = _(
            "msg_readers_too_many",
            default="These users and groups are ${count} members; at most "
            "${max} expected readers are supported. Name smaller groups.",
            mapping={"count": count, "max": MAX_EXPECTED},
        )
        super().__init__(
            f"{count} expected readers; at most {MAX_EXPECTED} are supported"
        )


class UnknownPrincipal(ValueError):
    """Some of the ids given are neither a user nor a group of the site.

    ``principals`` holds them (sorted); ``message`` names them for a form.
    """

    def __init__(self, principals):
        self.principals = tuple(principals)
        ids = ", ".join(self.principals)
        self.message = _(
            "msg_readers_unknown",
            default="Unknown user or group: ${ids}",
            mapping={"ids": ids},
        )
        super().__init__(f"Unknown user or group: {ids}")


# -- the setting ------------------------------------------------------------------


def own_expectation(obj):
    """The expectation set on ``obj`` itself (not inherited), or None."""
    annotations = IAnnotations(obj, None)
    if annotations is None:
        return None
    data = annotations.get(ANNOTATION_KEY)
    if not data:
        return None
    return Expectation(
        tuple(data["principals"]),
        data.get("deadline"),
        bool(data.get("confirm")),
        rule.stored(data),
    )


def set_expectation(obj, principals, deadline=None, confirm=False, read_rule=None):
    """Expect ``principals`` to read ``obj`` (and what is below it).

    Checks everything before it writes, so a refused call changes nothing.

    :param principals: an iterable of user and group ids (str); surrounding
        blanks and repeats are dropped.
    :param deadline: an aware datetime (stored in UTC) or None.
    :param confirm: ask expected readers to confirm having read it.
    :param read_rule: a ``readtime.rule.Rule`` (None: counted when opened).
    :raises UnknownPrincipal: (a ValueError) for ids that are neither a user
        nor a group of the site.
    :raises TooManyReaders: (a ValueError) when they name more than
        MAX_EXPECTED members (groups resolved now).
    :raises ValueError: for no ids, ids that are not str, a naive or
        non-datetime deadline.
    """
    principals = _clean_principals(principals)
    deadline = _clean_deadline(deadline)
    read_rule = rule.make_rule(*(read_rule or rule.DEFAULT))
    unknown = sorted(set(principals) - _groups() - _existing_users(principals))
    if unknown:
        raise UnknownPrincipal(unknown)
    count = len(expected_members(principals))
    if count > MAX_EXPECTED:
        raise TooManyReaders(count)
    # A new mapping each time: replaced as a whole, one write.
    IAnnotations(obj)[ANNOTATION_KEY] = PersistentMapping(
        principals=principals,
        deadline=deadline,
        confirm=bool(confirm),
        **rule.to_store(read_rule),
    )
    _reindex(obj)


def clear_expectation(obj):
    """Remove the expectation set on ``obj`` itself (an inherited one stays).

    Writes nothing when there is none.
    """
    annotations = IAnnotations(obj, None)
    if annotations is not None and ANNOTATION_KEY in annotations:
        del annotations[ANNOTATION_KEY]
        _reindex(obj)


def _reindex(obj):
    """Update the object's entry in ``INDEX``, nothing else (with ``idxs``
    CMFCore leaves the modification date alone). Skipped before the upgrade
    step has added the index, and for a site root that is not catalogued
    (sites made before Plone 6): reindexing would add it.
    """
    if not hasattr(aq_base(obj), "reindexObject"):
        return
    catalog = api.portal.get_tool("portal_catalog")
    if INDEX not in catalog.indexes():
        return
    if IPloneSiteRoot.providedBy(obj):
        if catalog.getrid("/".join(obj.getPhysicalPath())) is None:
            return
    obj.reindexObject(idxs=[INDEX], update_metadata=0)


def _clean_principals(principals):
    # One id alone is a str, which is iterable too: refuse it rather than
    # expect each of its letters.
    if isinstance(principals, (str, bytes)) or not hasattr(principals, "__iter__"):
        raise ValueError("principals must be a list of user and group ids")
    cleaned = set()
    for principal in principals:
        if not isinstance(principal, str):
            raise ValueError(f"a user or group id must be str, got {principal!r}")
        if principal.strip():
            cleaned.add(principal.strip())
    if not cleaned:
        raise ValueError("no user or group given")
    return tuple(sorted(cleaned))


def _clean_deadline(deadline):
    if deadline is None:
        return None
    if not isinstance(deadline, datetime) or deadline.utcoffset() is None:
        raise ValueError(f"the deadline must be an aware datetime, got {deadline!r}")
    return deadline.astimezone(UTC)


# -- inheritance -------------------------------------------------------------------


def _nearest(context):
    """(object, its own expectation) of the nearest object that has one:
    ``context``, else its parents up to the site root; (None, None)."""
    for obj in aq_chain(aq_inner(context)):
        found = own_expectation(obj)
        if found is not None:
            return obj, found
        if IPloneSiteRoot.providedBy(obj):
            break
    return None, None


def expectation_source(context):
    """The object whose expectation applies to ``context``, or None."""
    return _nearest(context)[0]


def expectation(context):
    """The expectation that applies to ``context`` (own or inherited), or None."""
    return _nearest(context)[1]


# -- who is expected -----------------------------------------------------------------


def _groups():
    """Every group id of the site (all group plugins)."""
    return set(api.portal.get_tool("portal_groups").getGroupIds())


def _existing_users(ids):
    """Those of ``ids`` that are users of the site, in one search.

    PAS takes a sequence of ids with ``exact_match`` (IUserEnumerationPlugin),
    which the ZODB plugin answers from a dict: thousands of ids cost about
    as much as one, unlike ``getUserById`` per id, which builds each user
    with its properties, groups and roles.
    """
    if not ids:
        return set()
    found = api.portal.get().acl_users.searchUsers(id=list(ids), exact_match=True)
    return {info["id"] for info in found} & set(ids)


def expected_members(principals):
    """Who is expected: every user named, and every member of every group
    named, through nested groups, resolved now.

    :param principals: user and group ids (an Expectation's ``principals``).
    :returns: ``{user id: the principal that makes them expected}``: the
        user id itself when named, else the group named in ``principals``
        through which they are a member (the first such group in sorted
        order). Ids that no longer exist (a deleted user or group, also a
        deleted user still listed in a group) are left out; a cycle of
        groups is followed once.
    """
    gtool = api.portal.get_tool("portal_groups")
    groups = _groups()
    named = sorted(set(principals))
    found = {p: p for p in named if p not in groups}
    for top in (p for p in named if p in groups):
        seen = {top}
        todo = [top]
        while todo:
            for member in gtool.getGroupMembers(todo.pop()):
                if member not in groups:
                    found.setdefault(member, top)
                elif member not in seen:
                    seen.add(member)
                    todo.append(member)
    users = _existing_users(found)
    return {user: via for user, via in found.items() if user in users}


def read_state(read_at, deadline):
    """``"read"``, ``"late"`` (read after the deadline) or ``"unread"``.

    :param read_at: when the document counted as read (``ReadStatus.read_at``,
        an aware datetime), or None; ``deadline``: aware datetime or None.
    """
    if read_at is None:
        return UNREAD
    if deadline is not None and read_at > deadline:
        return LATE
    return READ


def expects(found, user_id):
    """Whether the expectation ``found`` names ``user_id``, directly or
    through one of their groups (nested groups included).

    Asks PAS for the user's groups rather than resolving every group named:
    cheap on a page view, however large the groups.

    :param found: an Expectation, or None (then False).
    :param user_id: a user id, or None (anonymous: False).
    """
    if found is None or not user_id:
        return False
    principals = set(found.principals)
    if user_id in principals:
        return True
    user = api.user.get(userid=user_id)
    if user is None:
        return False
    return bool(principals & set(user.getGroups()))
