"""Catalog indexers: what the catalog learns about content from the add-on."""

from plone.indexer import indexer
from slc.clicktracker import readers
from zope.interface import Interface


@indexer(Interface)
def expected_principals(obj):
    """``clicktracker_expected``: the user and group ids of the object's OWN
    expectation (not an inherited one), so that a member's reading list
    finds, in one search, where they or their groups are named.

    Raises AttributeError when there is none: the object is left out of
    the index, as plone.indexer has it.
    """
    found = readers.own_expectation(obj)
    if found is None:
        raise AttributeError(readers.INDEX)
    return found.principals
