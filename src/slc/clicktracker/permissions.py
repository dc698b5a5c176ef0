"""Permission titles, as code checks them (the ids are in permissions.zcml,
the default roles in profiles/default/rolemap.xml)."""

MANAGE_TRACKING = "slc.clicktracker: Manage tracking"
VIEW_ACCESS_LOG = "slc.clicktracker: View access log"
VIEW_READING_STATUS = "slc.clicktracker: View reading status"
