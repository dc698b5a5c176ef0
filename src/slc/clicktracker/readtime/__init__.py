"""Reading time: how long and how far a page was read (measured by the
tracking script, stored per view), the setting that caps it
(``settings``), and when a document counts as read (``rule``)."""
