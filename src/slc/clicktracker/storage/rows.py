"""What the storage returns: plain named tuples, importable without a database."""

from collections import namedtuple


# One row of the access log (getLog). The first four fields are the seed's
# contract, by index too: member, count, lastaccess, url.
LogRow = namedtuple("LogRow", "member count lastaccess url firstaccess path uid")

# What log_visit returns; see IVisitStorage.log_visit.
VisitResult = namedtuple(
    "VisitResult", "visit_id started ended reload stored duplicate", defaults=(False,)
)

VisitRow = namedtuple(
    "VisitRow",
    "visit_id member started last_hit hits reloads initial_referrer user_agent is_bot",
)

# One click of a visit's clickstream; ``seconds`` (reading time), ``depth``
# (percent of the main content reached) and ``reached_end``: None when
# unknown (stored before reading time was measured, or no update yet).
ClickRow = namedtuple(
    "ClickRow",
    "at url path title reloads seconds depth reached_end",
    defaults=(None, None, None),
)

# One row of the paged access log (IAccessLogStorage): per member and
# document (``url`` None, ``urls`` the number of addresses it was read at),
# or per member, document and url (``urls`` 1). ``seconds``: the reading
# time of what the row sums, ``reached_end``: whether any of it was read to
# the end; None when unknown (all of it stored before reading time was
# measured, or no update received yet).
AccessRow = namedtuple(
    "AccessRow",
    "member count firstaccess lastaccess document_id path uid title url urls"
    " seconds reached_end",
    defaults=(None, None),
)

# One page of it: ``total`` rows in all, counted when ``exact``, else the
# storage's estimate.
LogPage = namedtuple("LogPage", "rows total exact")

# Who read a document and when (IReadStatusStorage): per member and path,
# all addresses (and documents sharing that path) summed. first_read and
# last_read: the first and last view; seconds, reached_end: reading time
# and whether the end was reached (None: unknown); read_at: when the rule
# asked for was first met (the first view under "opened"), None if never.
ReadStatus = namedtuple(
    "ReadStatus", "path member first_read last_read views seconds reached_end read_at"
)

# How many of some documents each member read (``members``: {member:
# documents}) and how many members read each (``paths``: {path: members});
# only those with a read are in them (IReadStatusStorage.reader_totals).
ReaderTotals = namedtuple("ReaderTotals", "members paths")

# "I have read this" (IConfirmationStorage): the first confirmation per
# member and path.
Confirmation = namedtuple("Confirmation", "path member confirmed")

# The last reminder sent per member and path (IReminderStorage).
Reminder = namedtuple("Reminder", "path member sent")

# Views over time (IStatisticsStorage.views_per_day): one day's views and
# distinct readers; both None for a day not counted yet.
DayViews = namedtuple("DayViews", "day views readers")

# One document's figures in a window of the site statistics; median_seconds
# None when no reading time is known.
DocumentStats = namedtuple(
    "DocumentStats", "path uid title readers views median_seconds"
)

# A page of them: ``total`` in all; ``prepared`` the day the figures were
# prepared for (they cover the days before it), None before the first time.
StatsPage = namedtuple("StatsPage", "rows total prepared")
