"""What the storage returns: plain named tuples, importable without a database."""

from collections import namedtuple


# One row of the access log (getLog). The first four fields are the seed's
# contract, by index too: member, count, lastaccess, url.
LogRow = namedtuple("LogRow", "member count lastaccess url firstaccess path uid")

# What log_visit returns; see IVisitStorage.log_visit.
VisitResult = namedtuple("VisitResult", "visit_id started ended reload stored")

VisitRow = namedtuple(
    "VisitRow",
    "visit_id member started last_hit hits reloads initial_referrer user_agent is_bot",
)

ClickRow = namedtuple("ClickRow", "at url path title reloads")
