"""Signing and verifying visit cookies; the visit clock."""

from datetime import UTC
from slc.clicktracker import settings
from slc.clicktracker import visitcookie
import pytest


SITE = "/plone|0123"
VISIT = "5f0c3b1e2d4a4b6c8e9f0a1b2c3d4e5f"


def test_round_trip():
    value = visitcookie.sign("key", SITE, VISIT)
    assert value.startswith(VISIT + ".")
    assert visitcookie.verify(["key"], SITE, value) == VISIT


def test_any_key_on_the_ring_verifies():
    value = visitcookie.sign("old key", SITE, VISIT)
    assert visitcookie.verify(["new key", "old key"], SITE, value) == VISIT


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda v: "a" + v[1:], id="other visit id"),
        pytest.param(lambda v: v[:-2] + ("AA" if v[-2:] != "AA" else "BB"), id="mac"),
        pytest.param(lambda v: v.split(".")[0] + ".", id="no mac"),
        pytest.param(lambda v: v.split(".")[0], id="no dot"),
        pytest.param(lambda v: "../etc." + v.split(".")[1], id="odd id"),
        pytest.param(lambda v: v + "x" * 300, id="too long"),
        pytest.param(lambda v: v[:-1] + "!", id="not base64"),
    ],
)
def test_tampered_values_refused(tamper):
    value = tamper(visitcookie.sign("key", SITE, VISIT))
    with pytest.raises(visitcookie.VisitCookieError):
        visitcookie.verify(["key"], SITE, value)


def test_other_key_or_site_refused():
    value = visitcookie.sign("key", SITE, VISIT)
    with pytest.raises(visitcookie.VisitCookieError, match="bad signature"):
        visitcookie.verify(["another key"], SITE, value)
    with pytest.raises(visitcookie.VisitCookieError, match="bad signature"):
        visitcookie.verify(["key"], "/other|0123", value)


def test_not_a_page_token_signature():
    # Same key, same id: a MAC made for something else never verifies.
    import base64
    import hashlib
    import hmac

    mac = hmac.new(b"key", VISIT.encode(), hashlib.sha256).digest()
    value = f"{VISIT}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(visitcookie.VisitCookieError):
        visitcookie.verify(["key"], SITE, value)


@pytest.mark.parametrize("bad", ["", "a.b", "x" * 65, None])
def test_only_visit_ids_are_signed(bad):
    with pytest.raises(ValueError):
        visitcookie.sign("key", SITE, bad)


def test_clock_is_aware_utc():
    now = visitcookie.now()
    assert now.tzinfo is UTC


def test_settings_outside_a_site():
    assert settings.read() == settings.DEFAULTS
    assert settings.DEFAULTS.idle_timeout == 20 * 60
    assert settings.DEFAULTS.max_age == 300 * 60
