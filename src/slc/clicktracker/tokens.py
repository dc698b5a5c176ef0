"""Signed page tokens, and the id of each showing of a page.

The viewlet puts a token into the page: it says that this member may report
views of this object of this site, until it expires. It holds no nonce, so a
page served from a cache (a 304 revalidation, Zope's RAM cache, a proxy)
carries a token that is as good as a fresh one. Each *showing* of the page
(the first load, a reload, a page restored from the back/forward cache) is
told apart by a random view id the script makes; the callback derives the
hit's id from token and view id (``hit_id``), and the database stores each
hit id once. So a replayed request counts once, across all Zope instances
that share the database, and a forged one (without a valid token) not at
all.

A token is ``base64url(json payload) + "." + base64url(HMAC-SHA256)``. The
payload holds the member id (``m``), the object key (``o``: its UID, or its
physical path when it has none), the site key (``s``) and the expiry as a
Unix time (``e``, rounded up to the hour, so that pages rendered within the
same hour carry the same token). The HMAC key is a secret of the site's
plone.keyring ring ``_system``; every key still on that ring is accepted,
so a weekly key rotation does not void pages that are open. A token that has
merely expired (a page kept in a cache or a tab for long) is exchanged by the
callback for a fresh one (see the callback).
"""

from collections import OrderedDict
from collections import namedtuple
import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import threading
import time
import uuid


# The member name of anonymous visitors; Plone user ids cannot contain "(".
ANONYMOUS = "(anonymous)"
# What the data protection functions' pseudonyms start with: no Plone user
# id does (storage/privacy.py makes them).
PSEUDONYM_PREFIX = "~"


def is_pseudonym(member):
    return isinstance(member, str) and member.startswith(PSEUDONYM_PREFIX)


# A tab may wait in the background for a long time before it is read.
DEFAULT_TTL = 12 * 60 * 60
# Expiry times are rounded up to this, so that a page's token is the same
# for an hour and the page caches well.
QUANTUM = 60 * 60
RING = "_system"
# Hit ids remembered by SeenRecord (bounded memory); the oldest go first.
MAX_SEEN = 100_000
# Longer strings are not tokens of ours; refused before any decoding work.
MAX_TOKEN_LENGTH = 2048
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# What the script makes for each showing: four random 32-bit numbers in
# decimal, joined by "_" (older scripts: 32 hex digits).
VIEW_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


class TokenError(ValueError):
    """A token was refused; ``reason`` says why, for the debug log."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret):
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def _mac(secret, body):
    return hmac.new(_key(secret), body.encode("ascii"), hashlib.sha256).digest()


def sign(secret, member, obj, site, now=None, ttl=DEFAULT_TTL):
    """A token for ``member`` viewing object key ``obj`` of site key ``site``.

    Valid for at least ``ttl`` seconds (the expiry is rounded up to the hour).
    """
    now = time.time() if now is None else now
    payload = {
        "m": member,
        "o": obj,
        "s": site,
        "e": math.ceil((now + ttl) / QUANTUM) * QUANTUM,
    }
    body = _b64encode(
        json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    )
    return f"{body}.{_b64encode(_mac(secret, body))}"


def check(keys, token, member, obj, site, now=None, expired_ok=False):
    """The payload of ``token`` when it is valid; raises TokenError if not.

    ``keys`` are the secrets to try (any of them may have signed it). The
    reason ``"expired"`` is given only for a token that is right in every
    other way (one that may be exchanged for a fresh one). ``expired_ok``
    accepts such a token: for reading updates, which only add to a view
    stored while its token was valid.
    """
    now = time.time() if now is None else now
    if not isinstance(token, str) or not token:
        raise TokenError("missing")
    if len(token) > MAX_TOKEN_LENGTH or not TOKEN_SHAPE.fullmatch(token):
        raise TokenError("malformed")
    body, _dot, mac = token.partition(".")
    try:
        mac = _b64decode(mac)
    except (binascii.Error, ValueError):
        raise TokenError("malformed") from None
    if not any(
        hmac.compare_digest(_mac(secret, body), mac) for secret in keys if secret
    ):
        raise TokenError("bad signature")
    # Signed by us, so well-formed; checked anyway, a key may have leaked.
    try:
        payload = json.loads(_b64decode(body))
        expires = float(payload["e"])
        fields = payload["m"], payload["o"], payload["s"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise TokenError("malformed") from None
    if fields[0] != member:
        raise TokenError("wrong member")
    if fields[1] != obj:
        raise TokenError("wrong object")
    if fields[2] != site:
        raise TokenError("wrong site")
    if expires <= now and not expired_ok:
        raise TokenError("expired")
    return payload


def hit_id(token, view):
    """The id of the hit that reports showing ``view`` of the page that
    carried ``token``: the same for the same two, whoever computes it.

    A UUID version 7 (as ``storage.hits.new_hit_id``): the token's expiry in
    milliseconds, then 74 bits of SHA-256 of token and view id. No secret is
    needed, the token itself cannot be forged.

    :param view: the view id the script made (``VIEW_ID``), or "" for a
        script that sends none (then each token counts once).
    """
    payload = json.loads(_b64decode(token.partition(".")[0]))
    digest = hashlib.sha256(f"{token}\n{view}".encode()).digest()
    return uuid7(float(payload["e"]), int.from_bytes(digest[:10], "big") >> 6)


def uuid7(seconds, rand):
    """A UUID version 7 (RFC 9562) as text: 48 bits of Unix milliseconds,
    then the 74 bits of ``rand``. Time-ordered, so the database's index of
    received hit ids grows at one end and old ids are pruned by a range."""
    ms = int(seconds * 1000) & (2**48 - 1)
    value = (
        ms << 80
        | 0x7 << 76  # version
        | (rand >> 62) << 64
        | 0b10 << 62  # variant
        | rand & (2**62 - 1)
    )
    return str(uuid.UUID(int=value))


class SeenRecord:
    """Hit ids this process has passed on, each kept until its token expires.

    Only for storages that cannot recognise a hit id they stored before
    (without ``IVisitStorage``): it keeps them from counting a replayed
    request twice, in this process only. Thread-safe and bounded: beyond
    ``maxsize`` entries the oldest are forgotten.
    """

    def __init__(self, maxsize=MAX_SEEN):
        self.maxsize = maxsize
        self._used = OrderedDict()  # hit id -> expiry, oldest first
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._used)

    def use(self, key, expires, now=None):
        """True the first time ``key`` is used, False when it was before."""
        now = time.time() if now is None else now
        with self._lock:
            self._forget_expired(now)
            if key in self._used:
                return False
            self._used[key] = expires
            while len(self._used) > self.maxsize:
                self._used.popitem(last=False)
            return True

    def _forget_expired(self, now):
        # Same TTL for all tokens, so insertion order is nearly expiry order;
        # a rare entry that expires earlier than older ones just stays longer.
        used = self._used
        while used:
            key, expires = next(iter(used.items()))
            if expires > now:
                break
            del used[key]

    def clear(self):
        with self._lock:
            self._used.clear()


SEEN = SeenRecord()


# -- Plone side ---------------------------------------------------------------


def _keyring():
    from plone.keyring.interfaces import IKeyManager
    from zope.component import getUtility

    return getUtility(IKeyManager)[RING]


def uid_of(obj):
    """The UID of ``obj`` (as ``IUUID(obj, None)``), or None."""
    from Acquisition import aq_base
    from plone.uuid.interfaces import ATTRIBUTE_NAME
    from plone.uuid.interfaces import IUUID

    # Plone content keeps its UID in this attribute, which IUUID's default
    # adapter reads; the adapter lookup itself costs ~15 us on Dexterity
    # content, on every tracked page and every hit. Other objects: IUUID.
    uid = getattr(aq_base(obj), ATTRIBUTE_NAME, None)
    return uid if isinstance(uid, str) else IUUID(obj, None)


def object_key(obj):
    """The UID of ``obj``, or its physical path when it has none."""
    return uid_of(obj) or "/".join(obj.getPhysicalPath())


def site_key(portal):
    """Tells sites apart, also several in one Zope or with equal paths."""
    path = "/".join(portal.getPhysicalPath())
    uid = uid_of(portal)
    return f"{path}|{uid}" if uid else path


# What signs and verifies for one site: the ring's secrets, current first,
# and the site key. The callback looks it up once and uses it for the page
# token and the visit cookie alike.
Signing = namedtuple("Signing", "keys site")


def site_signing(portal):
    return Signing(list(_keyring()), site_key(portal))


def make_token(member, obj, portal, now=None, ttl=DEFAULT_TTL):
    """A token for ``member`` (user id or ANONYMOUS) viewing ``obj``."""
    return sign(_keyring().current, member, object_key(obj), site_key(portal), now, ttl)


def verify_token(token, member, obj, portal, now=None, signing=None, expired_ok=False):
    """Payload of a valid token made by make_token; raises TokenError if not.

    ``signing`` is ``site_signing(portal)`` when the caller has it already;
    ``expired_ok`` as for ``check``.
    """
    signing = signing or site_signing(portal)
    return check(
        signing.keys, token, member, object_key(obj), signing.site, now, expired_ok
    )
