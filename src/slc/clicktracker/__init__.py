"""slc.clicktracker: records which members actually viewed which documents."""

from zope.i18nmessageid import MessageFactory


PACKAGE_NAME = "slc.clicktracker"

_ = MessageFactory(PACKAGE_NAME)
