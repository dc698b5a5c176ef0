"""Upgrade step (profile 1007 -> 1008) and install step: the pseudonym key."""

from slc.clicktracker.privacy.settings import ensure_key
import logging


logger = logging.getLogger("slc.clicktracker")


def make_pseudonym_key(context=None):
    """Give the site its pseudonym key unless it has one (a reinstall keeps
    the old key: pseudonyms made before stay the same)."""
    if ensure_key():
        logger.info("Made the click tracker's pseudonym key.")
