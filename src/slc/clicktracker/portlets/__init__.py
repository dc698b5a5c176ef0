"""Portlets of the add-on."""
