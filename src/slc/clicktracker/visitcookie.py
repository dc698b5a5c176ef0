"""The visit cookie: it carries a signed visit id; and the visits' clock.

The server chooses visit ids (the storage's ``VisitResult.visit_id``); the
browser only carries them back in a cookie whose value is
``<visit id>.<base64url HMAC-SHA256>``. The HMAC key is a secret of the
site's plone.keyring ring ``_system``, as for page tokens (``tokens.py``);
every key still on the ring verifies, so a key rotation does not end visits.
The MAC covers a purpose label and the site key as well as the id, so a page
token's signature, or a cookie of another site on the same host, never
passes for a visit cookie.

A cookie that fails verification is logged as a WARNING with the client
address (somebody is forging or mangling cookies) and the hit starts a new
visit.
"""

from datetime import UTC
from datetime import datetime
import base64
import binascii
import hashlib
import hmac
import logging
import re


logger = logging.getLogger(__name__)

# Keeps visit MACs apart from any other use of the same keys.
PURPOSE = "slc.clicktracker visit v1"
VISIT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_COOKIE_LENGTH = 200


class VisitCookieError(ValueError):
    """A visit cookie was refused; the message says why."""


def now():
    """The current time, aware, in UTC.

    The one clock of visits: tests replace it (monkeypatch) to let time pass.
    """
    return datetime.now(UTC)


# -- signing, pure -------------------------------------------------------------


def _mac(secret, site, visit_id):
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = "\n".join((PURPOSE, site, visit_id)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()


def sign(secret, site, visit_id):
    """The cookie value for ``visit_id`` of site key ``site``."""
    if not VISIT_ID.fullmatch(visit_id or ""):
        raise ValueError(f"not a visit id: {visit_id!r}")
    mac = base64.urlsafe_b64encode(_mac(secret, site, visit_id)).rstrip(b"=")
    return f"{visit_id}.{mac.decode('ascii')}"


def verify(keys, site, value):
    """The visit id in cookie ``value``; raises VisitCookieError if not ours."""
    if not isinstance(value, str) or len(value) > MAX_COOKIE_LENGTH:
        raise VisitCookieError("malformed")
    visit_id, dot, mac = value.partition(".")
    if not dot or not VISIT_ID.fullmatch(visit_id) or not mac:
        raise VisitCookieError("malformed")
    try:
        mac = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except (binascii.Error, ValueError):
        raise VisitCookieError("malformed") from None
    if not any(
        hmac.compare_digest(_mac(secret, site, visit_id), mac)
        for secret in keys
        if secret
    ):
        raise VisitCookieError("bad signature")
    return visit_id


# -- Plone side ---------------------------------------------------------------


def read_cookie(request, signing, config):
    """The verified visit id of ``request``'s visit cookie, or None.

    :param signing: the site's ``tokens.Signing``.
    :param config: the site's ``settings.Settings`` (the cookie's name).
    :returns: None also when there is no cookie; a cookie that does not
        verify is logged as a WARNING with the client's address.
    """
    value = request.cookies.get(config.cookie_name)
    if not value:
        return None
    try:
        return verify(signing.keys, signing.site, value)
    except VisitCookieError as error:
        logger.warning(
            "Refused the visit cookie sent by %s (%s): starting a new visit",
            client_address(request),
            error,
        )
        return None


def client_address(request):
    # getClientAddr honours trusted proxies (Zope's trusted-proxy setting).
    try:
        return request.getClientAddr() or "unknown address"
    except Exception:
        return "unknown address"


def set_cookie(request, visit_id, portal, signing, config):
    """Put ``visit_id``, signed, into the response's visit cookie.

    The cookie lives as long as a visit may (the maximum age), counted from
    when it is set; the callback sets it only when the visit id changes.
    """
    secure = request.get("SERVER_URL", "").lower().startswith("https:")
    request.response.setCookie(
        config.cookie_name,
        sign(signing.keys[0], signing.site, visit_id),
        path=portal.absolute_url_path() or "/",
        http_only=True,
        same_site="Lax",
        secure=secure,
        max_age=config.max_age,
    )
