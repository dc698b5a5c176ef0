"""What a page of the access log is asked for: the arguments of
``IAccessLogStorage.log_page`` and ``iter_log`` checked and gathered in a
``logqueries.LogSpec``, before any database is touched."""

from slc.clicktracker.storage import logqueries as q
from slc.clicktracker.storage.hits import clean_member
from slc.clicktracker.storage.hits import clean_path
from slc.clicktracker.storage.hits import clean_when


def make_spec(
    prefix,
    per,
    sort_on,
    reverse,
    since,
    until,
    member,
    document,
    min_seconds=None,
    reached_end=None,
    fullnames=None,
):
    """A checked ``LogSpec``.

    :param fullnames: what the caller has to sort on "fullname" by (the
        rows' names come from Zope); only its presence is checked here.
    :raises ValueError: for anything IAccessLogStorage refuses.
    """
    if per not in q.PER:
        raise ValueError(f"per must be one of {q.PER}, got {per!r}")
    if sort_on not in q.SORTS:
        raise ValueError(f"cannot sort on {sort_on!r}; use one of {q.SORTS}")
    if sort_on == "url" and per != "url":
        raise ValueError("sorting on url needs per='url'")
    if sort_on == "fullname" and fullnames is None:
        raise ValueError("sorting on fullname needs fullnames")
    if isinstance(prefix, (tuple, list)) or (prefix or "").strip("/"):
        prefix = clean_path(prefix, "prefix")
    else:
        prefix = "/"
    if document is not None and (
        isinstance(document, bool) or not isinstance(document, int)
    ):
        raise ValueError(f"document must be an int, got {document!r}")
    check_reading(min_seconds, reached_end)
    return q.LogSpec(
        prefix=prefix,
        per=per,
        sort_on=sort_on,
        reverse=bool(reverse),
        since=clean_when(since, "since"),
        until=clean_when(until, "until"),
        member=clean_member(member) if member is not None else None,
        document=document,
        min_seconds=min_seconds,
        reached_end=reached_end,
    )


def check_reading(min_seconds, reached_end):
    """The reading filters.

    :raises ValueError: unless ``min_seconds`` is None or an int >= 0 and
        ``reached_end`` None or True. False is refused rather than guessed
        at: some would read it as "not read to the end", others as "no
        filter" (which is None).
    """
    if min_seconds is not None and (
        isinstance(min_seconds, bool)
        or not isinstance(min_seconds, int)
        or min_seconds < 0
    ):
        raise ValueError(
            f"min_seconds must be None or an int >= 0, got {min_seconds!r}"
        )
    if reached_end is not None and reached_end is not True:
        raise ValueError(f"reached_end must be None or True, got {reached_end!r}")


def check_page(offset, limit):
    """:raises ValueError: unless 0 <= offset and 1 <= limit, both ints."""
    for name, value, least in (("offset", offset, 0), ("limit", limit, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
