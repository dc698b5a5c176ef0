"""Upgrade step: the catalog index of expected readers (``clicktracker_expected``).

Expected readers came with profile version 1005, which was never released;
only sites that ran that code (development, the demo) can hold any. They
were set on the Tracking tab, which offers the form on tracked items only,
so only tracked content is looked at: waking every object of a large site
(``catalog.reindexIndex``) to find a handful would take minutes.
"""

from plone import api
from slc.clicktracker import readers
from slc.clicktracker.interfaces import IContentIsTracked
import logging


logger = logging.getLogger("slc.clicktracker")


def index_expectations(context=None):
    """Add the index when it is missing; index the expectations found on
    tracked content (the site root's too, where the catalog has it).

    :returns: how many objects were indexed.
    """
    catalog = api.portal.get_tool("portal_catalog")
    if readers.INDEX not in catalog.indexes():
        # As catalog.xml makes it (the same indexed_attrs), so that a later
        # import of the profile keeps its contents.
        catalog.addIndex(readers.INDEX, "KeywordIndex")
        logger.info("Added the catalog index %s.", readers.INDEX)
    portal = api.portal.get()
    if IContentIsTracked.providedBy(portal):
        roots = ["/".join(portal.getPhysicalPath())]
    else:
        tracked = catalog.unrestrictedSearchResults(
            object_provides=IContentIsTracked.__identifier__
        )
        roots = [brain.getPath() for brain in tracked]
    count = 0
    if roots:
        for brain in catalog.unrestrictedSearchResults(path={"query": roots}):
            try:
                obj = brain._unrestrictedGetObject()
            except (KeyError, AttributeError):
                # A stale catalog entry: nothing there to index.
                logger.warning("Not found: %s", brain.getPath())
                continue
            if readers.own_expectation(obj) is not None:
                obj.reindexObject(idxs=[readers.INDEX], update_metadata=0)
                count += 1
    logger.info("Indexed the expected readers of %s objects.", count)
    return count
