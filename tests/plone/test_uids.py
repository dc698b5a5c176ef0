"""tokens.uid_of: the UID as IUUID gives it, without IUUID's adapter lookup."""

from plone import api
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles
from plone.uuid.interfaces import IUUID
from slc.clicktracker import tokens
from zope.component import getGlobalSiteManager
from zope.interface import Interface
from zope.interface import implementer


def test_same_as_iuuid_for_site_and_content(integration):
    portal = integration["portal"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    folder = api.content.create(container=portal, type="Folder", id="f")
    doc = api.content.create(container=folder, type="Document", id="d")
    for obj in (portal, folder, doc):
        assert tokens.uid_of(obj) == IUUID(obj)
        assert len(tokens.uid_of(obj)) == 32
    assert tokens.site_key(portal) == f"/plone|{IUUID(portal)}"
    assert tokens.object_key(doc) == IUUID(doc)


class IThing(Interface):
    pass


@implementer(IThing)
class Thing:
    def getPhysicalPath(self):
        return ("", "plone", "thing")


def test_other_objects_go_through_iuuid(integration):
    thing = Thing()
    assert tokens.uid_of(thing) is None
    assert tokens.object_key(thing) == "/plone/thing"
    gsm = getGlobalSiteManager()
    gsm.registerAdapter(lambda obj: "adapted-uid", (IThing,), IUUID)
    try:
        assert tokens.uid_of(thing) == "adapted-uid"
        assert tokens.object_key(thing) == "adapted-uid"
    finally:
        gsm.unregisterAdapter(required=(IThing,), provided=IUUID)
