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

ClickRow = namedtuple("ClickRow", "at url path title reloads")

# One row of the paged access log (IAccessLogStorage): per member and
# document (``url`` None, ``urls`` the number of addresses it was read at),
# or per member, document and url (``urls`` 1).
AccessRow = namedtuple(
    "AccessRow",
    "member count firstaccess lastaccess document_id path uid title url urls",
)

# One page of it: ``total`` rows in all, counted when ``exact``, else the
# storage's estimate.
LogPage = namedtuple("LogPage", "rows total exact")

# Who read a document and when (IReadStatusStorage): per member and path,
# all addresses (and documents sharing that path) summed.
ReadStatus = namedtuple("ReadStatus", "path member first_read last_read views")

# How many of some documents each member read (``members``: {member:
# documents}) and how many members read each (``paths``: {path: members});
# only those with a read are in them (IReadStatusStorage.reader_totals).
ReaderTotals = namedtuple("ReaderTotals", "members paths")

# "I have read this" (IConfirmationStorage): the first confirmation per
# member and path.
Confirmation = namedtuple("Confirmation", "path member confirmed")

# The last reminder sent per member and path (IReminderStorage).
Reminder = namedtuple("Reminder", "path member sent")
