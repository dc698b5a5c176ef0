"""Which content is tracked: the IContentIsTracked marker and its inheritance."""

from Acquisition import aq_chain
from Acquisition import aq_inner
from plone.base.interfaces import IPloneSiteRoot
from slc.clicktracker.interfaces import IContentIsTracked
from zope.interface import alsoProvides
from zope.interface import noLongerProvides


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
    # object_provides lets catalog queries find tracked content.
    reindex = getattr(obj, "reindexObject", None)
    if reindex is not None and not IPloneSiteRoot.providedBy(obj):
        reindex(idxs=["object_provides"])


def enable(obj):
    """Track ``obj`` and everything below it."""
    alsoProvides(obj, IContentIsTracked)
    _reindex(obj)


def disable(obj):
    """Stop tracking set directly on ``obj`` (a tracked parent still counts)."""
    noLongerProvides(obj, IContentIsTracked)
    _reindex(obj)
