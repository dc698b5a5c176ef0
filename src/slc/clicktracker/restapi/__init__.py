"""The REST API (plone.restapi services) for Volto and headless frontends.

Each service is the JSON twin of a Classic UI page and asks the same
permissions: ``tracking`` (``@tracking``: status, expected readers, the
token for ``@hit``), ``hit`` (``@hit``: record a view), ``log``
(``@tracking-log``), ``readers`` (``@readers``, ``@readers-matrix``),
``visits`` (``@clicktracker-visits``), ``controlpanel`` (the settings under
``@controlpanels``). ``errors`` answers refusals in plone.restapi's JSON
error form. See docs/restapi.rst.
"""
