"""Reading updates: the tracking script's running figures for one view.

``POST <object url>/@@clicktracker-callback`` with ``token``, ``view`` (as
the view's first hit carried them), ``seconds`` (active reading time so
far), ``depth`` (the deepest point of the main content reached, 0-100) and
``end`` (``1`` when its end came into view, else ``0``). The callback
(``callback.py``) tells an update from a first hit by its ``seconds`` field
and answers both alike (204; 400 for a malformed request).

An update is tied to its view by the hit id, derived from token and view
id as for the first hit: without the page's token there is no hit id to
update, and a view that was never stored is refused by the storage. The
token may have expired meanwhile (a tab read on the next day): an update
only adds to a view that was stored while its token was valid. Figures
only grow in the storage, so a replayed or late update changes nothing.
"""

from slc.clicktracker import tokens
from slc.clicktracker.readtime import settings as readtime_settings
from slc.clicktracker.storage.utility import reading_time_storage


# Far more than any page is read; beyond it a field is not a number of ours.
MAX_DIGITS = 9


def update_fields(form):
    """``(token, view, seconds, depth, reached_end)`` from the form;
    ValueError for anything our script does not send."""
    values = {}
    for name in ("token", "view", "seconds", "depth", "end"):
        value = form.get(name, "")
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} is missing or not a single text field")
        values[name] = value
    if len(values["token"]) > tokens.MAX_TOKEN_LENGTH:
        raise ValueError("token is too long")
    if not tokens.VIEW_ID.fullmatch(values["view"]):
        raise ValueError("view is not a view id")
    numbers = []
    for name in ("seconds", "depth"):
        text = values[name]
        if not text.isdigit() or not text.isascii() or len(text) > MAX_DIGITS:
            raise ValueError(f"{name} is not a number")
        numbers.append(int(text))
    if values["end"] not in ("0", "1"):
        raise ValueError("end is not 0 or 1")
    seconds, depth = numbers
    if depth > 100:
        raise ValueError("depth is above 100")
    return values["token"], values["view"], seconds, depth, values["end"] == "1"


def record_update(context, portal, member, fields):
    """Store an update of ``member``'s view of ``context``; None when it was
    stored, else the reason it was not (for the debug log)."""
    token, view, seconds, depth, reached_end = fields
    storage = reading_time_storage()
    if storage is None:
        return "the storage keeps no reading time"
    try:
        tokens.verify_token(token, member, context, portal, expired_ok=True)
    except tokens.TokenError as error:
        return f"token {error.reason}"
    seconds = min(seconds, readtime_settings.read().max_seconds)
    hit_id = tokens.hit_id(token, view)
    if not storage.log_reading(hit_id, member, seconds, depth, reached_end):
        return "no such view stored for this member"
    return None
