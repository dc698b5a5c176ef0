"""Views, viewlets and static resources of slc.clicktracker."""
