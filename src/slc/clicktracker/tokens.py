"""Signed, single-use tokens that tie a page render to its tracking callback.

The viewlet puts a token into the page; the callback accepts a hit only with
a token that was made for the same member, object and site, has not expired
and has not been used before in this process.

A token is ``base64url(json payload) + "." + base64url(HMAC-SHA256)``. The
payload holds the member id (``m``), the object key (``o``: its UID, or its
physical path when it has none), the site key (``s``), a random nonce (``n``)
and the expiry as a Unix time (``e``). The HMAC key is a secret of the
site's plone.keyring ring ``_system``; every key still on that ring is
accepted, so a weekly key rotation does not void pages that are open.

Replays are refused through ``NONCES``, a record kept in the memory of this
Zope process only: several instances (ZEO clients, containers) share no
nonce memory, so one page render can be counted once per instance, and a
restart forgets the record.
"""

from collections import OrderedDict
from collections import namedtuple
import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
import time


# The member name of anonymous visitors; Plone user ids cannot contain "(".
ANONYMOUS = "(anonymous)"
# A tab may wait in the background for a long time before it is read.
DEFAULT_TTL = 12 * 60 * 60
RING = "_system"
# More used nonces than this are not remembered (bounded memory); the oldest
# go first. See NonceRecord.
MAX_NONCES = 100_000
# Longer strings are not tokens of ours; refused before any decoding work.
MAX_TOKEN_LENGTH = 2048
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


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


def sign(secret, member, obj, site, now=None, ttl=DEFAULT_TTL, nonce=None):
    """A new token for ``member`` viewing object key ``obj`` of site key ``site``."""
    now = time.time() if now is None else now
    payload = {
        "m": member,
        "o": obj,
        "s": site,
        "n": nonce or secrets.token_urlsafe(12),
        "e": int(now + ttl),
    }
    body = _b64encode(
        json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    )
    return f"{body}.{_b64encode(_mac(secret, body))}"


def check(keys, token, member, obj, site, now=None, nonces=None):
    """The payload of ``token`` when it is valid; raises TokenError if not.

    ``keys`` are the secrets to try (any of them may have signed it). With
    ``nonces`` (a NonceRecord), the token is also used up: a second check of
    the same token raises TokenError("replayed").
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
        fields = payload["m"], payload["o"], payload["s"], payload["n"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise TokenError("malformed") from None
    if expires <= now:
        raise TokenError("expired")
    if fields[0] != member:
        raise TokenError("wrong member")
    if fields[1] != obj:
        raise TokenError("wrong object")
    if fields[2] != site:
        raise TokenError("wrong site")
    if nonces is not None and not nonces.use(fields[3], expires, now=now):
        raise TokenError("replayed")
    return payload


class NonceRecord:
    """Nonces already used, each kept until its token expires.

    Thread-safe and bounded: beyond ``maxsize`` entries the oldest are
    forgotten (and could then be replayed); with the 12 hours default that
    takes more than ``maxsize`` hits within 12 hours in one process.
    """

    def __init__(self, maxsize=MAX_NONCES):
        self.maxsize = maxsize
        self._used = OrderedDict()  # nonce -> expiry, oldest first
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._used)

    def use(self, nonce, expires, now=None):
        """True the first time ``nonce`` is used, False when it was before."""
        now = time.time() if now is None else now
        with self._lock:
            self._forget_expired(now)
            if nonce in self._used:
                return False
            self._used[nonce] = expires
            while len(self._used) > self.maxsize:
                self._used.popitem(last=False)
            return True

    def _forget_expired(self, now):
        # Same TTL for all tokens, so insertion order is nearly expiry order;
        # a rare entry that expires earlier than older ones just stays longer.
        used = self._used
        while used:
            nonce, expires = next(iter(used.items()))
            if expires > now:
                break
            del used[nonce]

    def clear(self):
        with self._lock:
            self._used.clear()


NONCES = NonceRecord()


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


def verify_token(token, member, obj, portal, now=None, nonces=NONCES, signing=None):
    """Payload of a valid token made by make_token; raises TokenError if not.

    Uses the token up (see NONCES) unless ``nonces`` is None. ``signing`` is
    ``site_signing(portal)`` when the caller has it already.
    """
    signing = signing or site_signing(portal)
    return check(
        signing.keys, token, member, object_key(obj), signing.site, now, nonces
    )
