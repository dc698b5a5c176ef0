"""Members' data rights on the Zope side: the data protection settings,
what happens when a member is deleted, and the erase/pseudonymise actions
the views and the subscriber share (the storage does the work:
``storage/privacy.py``)."""
