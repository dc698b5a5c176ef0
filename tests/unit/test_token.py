"""Tracking tokens: signing, every reason to refuse one, single use."""

from slc.clicktracker import tokens
from slc.clicktracker.tokens import TokenError
import base64
import json
import pytest
import threading


SECRET = "s3cret-key"
NOW = 1_700_000_000.0
DOC = "0123456789abcdef0123456789abcdef"
SITE = "/plone|fedcba9876543210fedcba9876543210"


def make(secret=SECRET, **kw):
    args = {"member": "alice", "obj": DOC, "site": SITE, "now": NOW} | kw
    return tokens.sign(secret, **args)


def check(value, keys=(SECRET,), **kw):
    args = {"member": "alice", "obj": DOC, "site": SITE, "now": NOW + 60} | kw
    return tokens.check(list(keys), value, **args)


def reason(value, **kw):
    with pytest.raises(TokenError) as info:
        check(value, **kw)
    return info.value.reason


def payload_of(value):
    body = value.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def resign_free(value, **changes):
    """``value`` with its payload changed but its old signature kept."""
    payload = payload_of(value) | changes
    body = base64.urlsafe_b64encode(
        json.dumps(payload, separators=(",", ":")).encode()
    ).rstrip(b"=")
    return f"{body.decode()}.{value.split('.')[1]}"


def test_round_trip():
    value = make()
    assert value.count(".") == 1
    payload = check(value)
    assert payload["m"] == "alice"
    assert payload["o"] == DOC
    assert payload["s"] == SITE
    assert payload["e"] == NOW + tokens.DEFAULT_TTL


def test_url_safe():
    value = make(member="ü/+?&=x")
    assert all(c.isalnum() or c in "-_." for c in value)
    assert check(value, member="ü/+?&=x")["m"] == "ü/+?&=x"


def test_nonce_differs_per_token():
    assert payload_of(make())["n"] != payload_of(make())["n"]
    assert make() != make()


def test_valid_until_expiry():
    value = make(ttl=100)
    check(value, now=NOW + 99)
    assert reason(value, now=NOW + 100) == "expired"
    assert reason(value, now=NOW + 10**6) == "expired"


def test_default_lifetime_is_twelve_hours():
    value = make()
    check(value, now=NOW + 12 * 3600 - 1)
    assert reason(value, now=NOW + 12 * 3600) == "expired"


def test_wrong_member():
    assert reason(make(), member="bob") == "wrong member"
    assert reason(make(), member=tokens.ANONYMOUS) == "wrong member"


def test_wrong_object():
    assert reason(make(), obj="/plone/other") == "wrong object"


def test_wrong_site():
    assert reason(make(), site="/plone2|fedcba9876543210fedcba9876543210") == (
        "wrong site"
    )


def test_other_secret():
    assert reason(make(secret="another key")) == "bad signature"


def test_any_key_of_the_ring_verifies():
    # The ring was rotated after the page was rendered.
    assert check(make(), keys=("newer key", SECRET))["m"] == "alice"
    assert reason(make(), keys=("newer key", None)) == "bad signature"


def test_bytes_secret():
    assert check(make(secret=b"raw"), keys=(b"raw",))


@pytest.mark.parametrize(
    "changes",
    [{"m": "bob"}, {"o": "other"}, {"s": "/x"}, {"e": NOW + 10**9}, {"n": "x"}],
)
def test_changed_payload_breaks_the_signature(changes):
    value = resign_free(make(), **changes)
    assert reason(value) == "bad signature"


def test_changed_signature():
    body, mac = make().split(".")
    mac = ("A" if mac[0] != "A" else "B") + mac[1:]
    assert reason(f"{body}.{mac}") == "bad signature"


@pytest.mark.parametrize(
    "value,why",
    [
        ("", "missing"),
        (None, "missing"),
        (["a.b"], "missing"),
        ("no-dot", "malformed"),
        ("a.b.c", "malformed"),
        ("é.b", "malformed"),
        ("abc.!!!", "malformed"),
        ("a." + "A" * 5000, "malformed"),
    ],
)
def test_malformed(value, why):
    assert reason(value) == why


def test_signed_garbage_payload_is_malformed():
    # Only possible with the key; refused cleanly all the same.
    body = base64.urlsafe_b64encode(b'["not", "a", "dict"]').rstrip(b"=").decode()
    mac = base64.urlsafe_b64encode(tokens._mac(SECRET, body)).rstrip(b"=").decode()
    assert reason(f"{body}.{mac}") == "malformed"


def test_anonymous_name_is_no_user_id():
    assert tokens.ANONYMOUS == "(anonymous)"


# -- single use ---------------------------------------------------------------


def test_replay_refused():
    nonces = tokens.NonceRecord()
    value = make()
    check(value, nonces=nonces)
    assert reason(value, nonces=nonces) == "replayed"
    # Another render of the same page is a new read.
    check(make(), nonces=nonces)


def test_refused_token_is_not_used_up():
    nonces = tokens.NonceRecord()
    value = make()
    assert reason(value, member="bob", nonces=nonces) == "wrong member"
    assert len(nonces) == 0
    check(value, nonces=nonces)


def test_used_nonces_forgotten_after_expiry():
    nonces = tokens.NonceRecord()
    assert nonces.use("a", expires=NOW + 10, now=NOW)
    assert nonces.use("b", expires=NOW + 20, now=NOW)
    assert not nonces.use("a", expires=NOW + 10, now=NOW + 9)
    assert nonces.use("c", expires=NOW + 30, now=NOW + 15)
    assert len(nonces) == 2  # "a" expired, "b" and "c" remain


def test_nonce_record_is_bounded():
    nonces = tokens.NonceRecord(maxsize=3)
    for n in range(10):
        assert nonces.use(str(n), expires=NOW + 100, now=NOW)
    assert len(nonces) == 3
    # The newest are remembered.
    assert not nonces.use("9", expires=NOW + 100, now=NOW)


def test_nonce_record_is_thread_safe():
    nonces = tokens.NonceRecord()
    value = make()
    results = []
    barrier = threading.Barrier(16)

    def attempt():
        barrier.wait()
        try:
            check(value, nonces=nonces)
        except TokenError:
            results.append(False)
        else:
            results.append(True)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]
