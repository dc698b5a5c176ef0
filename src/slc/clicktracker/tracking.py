"""The tracking rules: which content is tracked, and whose views count.

Content: the IContentIsTracked marker, inherited by everything below the
object that carries it. Requests: a logged-in member's, or an anonymous
visitor's when anonymous tracking is on; never a bot's. The viewlet and the
callback both ask these functions, so the page and the hit agree.
"""

from AccessControl import getSecurityManager
from Acquisition import aq_chain
from Acquisition import aq_inner
from plone.base.interfaces import IPloneSiteRoot
from slc.clicktracker import bots
from slc.clicktracker import caching
from slc.clicktracker import tokens
from slc.clicktracker.interfaces import IContentIsTracked
from zope.interface import alsoProvides
from zope.interface import noLongerProvides


# Zope's name for visitors who are not logged in (AccessControl.users.nobody).
ANONYMOUS_USER = "Anonymous User"


def tracking_source(context):
    """The object that makes ``context`` tracked: itself, the nearest tracked
    parent, or None. The walk stops at the site root."""
    for obj in aq_chain(aq_inner(context)):
        if IContentIsTracked.providedBy(obj):
            return obj
        if IPloneSiteRoot.providedBy(obj):
            break
    return None


def is_tracked(context):
    return tracking_source(context) is not None


def _reindex(obj):
    # object_provides lets catalog queries find tracked content; reindexing
    # also makes cached pages stale (see caching.py). Code that looks for
    # tracked content asks the site root itself (whether a site catalogues
    # its root differs between Plone versions), so it needs no reindex.
    reindex = getattr(obj, "reindexObject", None)
    if reindex is not None and not IPloneSiteRoot.providedBy(obj):
        reindex(idxs=["object_provides"])
    else:
        caching.invalidate_pages()


def enable(obj):
    """Track ``obj`` and everything below it."""
    alsoProvides(obj, IContentIsTracked)
    _reindex(obj)


def disable(obj):
    """Stop tracking set directly on ``obj`` (a tracked parent still counts)."""
    noLongerProvides(obj, IContentIsTracked)
    _reindex(obj)


def tracked_member(config):
    """The member id to record for the current user, or None to record nothing.

    :param config: the site's ``settings.Settings``.
    :returns: the user id; ``tokens.ANONYMOUS`` for visitors who are not
        logged in when anonymous tracking is on; else None.
    """
    # The user plone.api would give, without its (costly) member wrapper.
    user = getSecurityManager().getUser()
    if user is None or user.getUserName() == ANONYMOUS_USER:
        return tokens.ANONYMOUS if config.track_anonymous else None
    return user.getId() or None


def is_bot_request(request, config):
    """True when the request's User-Agent is a bot's (the built-in list with
    the site's additions and exceptions)."""
    return bots.is_bot(
        request.getHeader("User-Agent"), config.bot_patterns, config.bot_exceptions
    )
