"""The hit value type: one view, cleaned to what PostgreSQL stores.

Everything here is pure Python: a ``Hit`` is made (and its input refused)
before any connection is touched, so a spooled hit replays exactly as it
would have been written.
"""

from collections import namedtuple
from datetime import UTC
from datetime import datetime
from slc.clicktracker import tokens
import hashlib
import re
import secrets
import time
import uuid


# Longest stored values, in characters (documented in docs/storage.rst).
LIMITS = {
    "member": 255,
    "path": 1024,
    "url": 2048,
    "referrer": 2048,
    "title": 512,
    "uid": 64,
    "visit_id": 64,
    "user_agent": 1024,
}
# Paths are indexed; a btree entry must stay well below ~2700 bytes.
PATH_MAX_BYTES = 2048

SURROGATES = re.compile("[\ud800-\udfff]")

# One hit, already cleaned; ``at`` is an aware datetime. A hit logged inside
# a visit (log_visit) has ``new_visit_id`` set: the id a visit it starts gets.
# ``hit_id`` (a time-ordered UUID, made when the hit is born) makes storing it
# idempotent: the database counts each id once, however often it arrives.
# ``client`` says whose hit it is for the spool's fair share (the member, or
# a salted hash of an anonymous visitor's address); it never reaches
# PostgreSQL. The later fields default to None so a plain hit is built
# without them.
VISIT_FIELDS = (
    "visit_id",
    "new_visit_id",
    "user_agent",
    "is_bot",
    "idle_timeout",
    "max_age",
)
LATER_FIELDS = (*VISIT_FIELDS, "hit_id", "client")
FIELDS = ("at", "member", "path", "url", "uid", "referrer", "title", *LATER_FIELDS)
Hit = namedtuple("Hit", FIELDS, defaults=(None,) * len(LATER_FIELDS))

# Salts anonymous visitors' addresses in this process only: the spool's fair
# share needs to tell them apart, nothing needs to recognise them later.
_SALT = secrets.token_bytes(16)


def clean_text(value, name, limit, max_bytes=None):
    """``value`` as a str PostgreSQL accepts, cut to ``limit`` characters.

    :param value: str, bytes (decoded as UTF-8) or None.
    :returns: the cleaned str, or None for None.
    :raises ValueError: for any other type.
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif not isinstance(value, str):
        raise ValueError(f"{name} must be str, not {type(value).__name__}")
    # Lone surrogates cannot be encoded; UTF-16 pairs them up when they can.
    if SURROGATES.search(value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    value = value.replace("\x00", "")[:limit]
    if max_bytes is not None:
        value = value.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    return value


def clean_path(path, name="path"):
    """'/Plone/a/b' from a str or a getPhysicalPath() tuple; no trailing '/'.

    :raises ValueError: for a relative or empty path.
    """
    if isinstance(path, (tuple, list)):
        path = "/".join(
            clean_text(part, name, LIMITS["path"]) if part else "" for part in path
        )
    path = clean_text(path, name, LIMITS["path"], PATH_MAX_BYTES)
    if not path or not path.startswith("/"):
        raise ValueError(f"{name} must be an absolute path, got {path!r}")
    return path.rstrip("/") or "/"


def clean_when(when, name="when"):
    """``when`` unchanged if it is an aware datetime (or None).

    :raises ValueError: for a naive datetime or anything else.
    """
    if when is None:
        return None
    if not isinstance(when, datetime) or when.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {when!r}")
    return when


def clean_member(member, name="member"):
    """A member id as stored; None stays None (no filter)."""
    if member is None:
        return None
    return clean_text(member, name, LIMITS["member"])


def new_hit_id(now=None):
    """A new random UUID version 7 (see ``tokens.uuid7``).

    :param now: seconds since the epoch (default: now).
    """
    return tokens.uuid7(time.time() if now is None else now, secrets.randbits(74))


def client_key(member, address=None):
    """Whose hit it is, for the spool's fair share: the member id, or for
    anonymous visitors (one member name for all) their salted address."""
    if address:
        digest = hashlib.blake2b(address.encode(), key=_SALT, digest_size=8)
        return f"{member}@{digest.hexdigest()}"
    return member


def clean_hit_id(hit_id):
    """A hit id as stored: the canonical text of a UUID.

    :raises ValueError: for anything that is not a UUID.
    """
    try:
        return str(uuid.UUID(str(hit_id)))
    except ValueError:
        raise ValueError(f"hit_id must be a UUID, got {hit_id!r}") from None


def make_hit(
    member,
    path,
    url,
    uid=None,
    referrer=None,
    title=None,
    when=None,
    hit_id=None,
    client=None,
):
    """A plain ``Hit`` (no visit) from ``logAccess``'s arguments.

    :param hit_id: the hit's id when the caller made one (a UUID); default:
        a new one. The same id stored twice counts once.
    :param client: the visitor's address; only the spool's fair share uses
        it (anonymous visitors share one member name).
    :raises ValueError: for an empty member, a relative path or bad types.
    """
    member = clean_member(member)
    if not member or not member.strip():
        raise ValueError("member must not be empty")
    return Hit(
        at=clean_when(when) or datetime.now(UTC),
        member=member,
        path=clean_path(path),
        url=clean_text(url, "url", LIMITS["url"]) or "",
        uid=clean_text(uid, "uid", LIMITS["uid"]) or None,
        referrer=clean_text(referrer, "referrer", LIMITS["referrer"]) or None,
        title=clean_text(title, "title", LIMITS["title"]) or None,
        hit_id=new_hit_id() if hit_id is None else clean_hit_id(hit_id),
        client=client_key(member, client),
    )


def make_visit_hit(
    member,
    path,
    url,
    visit_id,
    user_agent,
    is_bot,
    idle_timeout,
    max_age,
    **kw,
):
    """A ``Hit`` inside a visit, from ``log_visit``'s arguments.

    :raises ValueError: as make_hit, and for timeouts that are no positive
        number of seconds.
    """
    hit = make_hit(member, path, url, **kw)
    for name, value in (("idle_timeout", idle_timeout), ("max_age", max_age)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number of seconds, got {value!r}")
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
    return hit._replace(
        visit_id=clean_text(visit_id, "visit_id", LIMITS["visit_id"]) or None,
        # Made here, not in the database: a hit spooled while PostgreSQL is
        # away starts its visit under the id its cookie gets right now.
        new_visit_id=uuid.uuid4().hex,
        user_agent=clean_text(user_agent, "user_agent", LIMITS["user_agent"]) or None,
        is_bot=bool(is_bot),
        idle_timeout=float(idle_timeout),
        max_age=float(max_age),
    )


def is_visit_hit(hit):
    return hit.new_visit_id is not None
