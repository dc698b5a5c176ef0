"""Tracking tokens: signing, every reason to refuse one, hit ids."""

from slc.clicktracker import tokens
from slc.clicktracker.tokens import TokenError
import base64
import json
import pytest
import threading
import uuid


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
    # Rounded up to the hour: at least the lifetime, at most an hour more.
    assert payload["e"] % 3600 == 0
    assert NOW + tokens.DEFAULT_TTL <= payload["e"] < NOW + tokens.DEFAULT_TTL + 3600


def test_url_safe():
    value = make(member="ü/+?&=x")
    assert all(c.isalnum() or c in "-_." for c in value)
    assert check(value, member="ü/+?&=x")["m"] == "ü/+?&=x"


def test_same_token_within_the_hour():
    # A page rendered twice (or cached) carries the same token: no
    # per-render secret in cacheable HTML.
    hour = (NOW // 3600 + 1) * 3600
    assert make(now=hour - 3599) == make(now=hour - 1)
    assert make(now=hour - 1) != make(now=hour + 1)
    assert make() != make(member="bob")


def test_valid_until_expiry():
    value = make(ttl=100)
    expires = payload_of(value)["e"]
    check(value, now=expires - 1)
    assert reason(value, now=expires) == "expired"
    assert reason(value, now=NOW + 10**6) == "expired"


def test_default_lifetime_is_twelve_hours_or_a_little_more():
    value = make()
    check(value, now=NOW + 12 * 3600)
    assert reason(value, now=NOW + 13 * 3600) == "expired"


def test_expired_is_said_only_of_an_otherwise_right_token():
    late = NOW + 10**6
    assert reason(make(), now=late) == "expired"
    assert reason(make(), now=late, member="bob") == "wrong member"
    assert reason(make(), now=late, obj="/plone/other") == "wrong object"
    assert reason(make(), now=late, site="/other") == "wrong site"


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
    [{"m": "bob"}, {"o": "other"}, {"s": "/x"}, {"e": NOW + 10**9}],
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


# -- hit ids ------------------------------------------------------------------


def test_hit_id_is_the_same_for_the_same_showing():
    value = make()
    assert tokens.hit_id(value, "a" * 32) == tokens.hit_id(value, "a" * 32)
    assert tokens.hit_id(value, "a" * 32) != tokens.hit_id(value, "b" * 32)
    assert tokens.hit_id(value, "") != tokens.hit_id(make(member="bob"), "")


def test_hit_id_is_a_uuid7_of_the_tokens_expiry():
    value = make()
    hit = uuid.UUID(tokens.hit_id(value, "a" * 32))
    assert hit.version == 7
    assert hit.int >> 80 == payload_of(value)["e"] * 1000


@pytest.mark.parametrize("view", ["", "abc", "a" * 65, "a b" * 10, "ü" * 20])
def test_view_ids_the_script_does_not_make_are_refused(view):
    assert not tokens.VIEW_ID.fullmatch(view)


def test_view_ids_the_script_makes():
    assert tokens.VIEW_ID.fullmatch("0123456789abcdef" * 2)


# -- what a process has seen (storages without hit ids) ----------------------


def test_seen_forgotten_after_expiry():
    seen = tokens.SeenRecord()
    assert seen.use("a", expires=NOW + 10, now=NOW)
    assert seen.use("b", expires=NOW + 20, now=NOW)
    assert not seen.use("a", expires=NOW + 10, now=NOW + 9)
    assert seen.use("c", expires=NOW + 30, now=NOW + 15)
    assert len(seen) == 2  # "a" expired, "b" and "c" remain


def test_seen_record_is_bounded():
    seen = tokens.SeenRecord(maxsize=3)
    for n in range(10):
        assert seen.use(str(n), expires=NOW + 100, now=NOW)
    assert len(seen) == 3
    # The newest are remembered.
    assert not seen.use("9", expires=NOW + 100, now=NOW)


def test_seen_record_is_thread_safe():
    seen = tokens.SeenRecord()
    results = []
    barrier = threading.Barrier(16)

    def attempt():
        barrier.wait()
        results.append(seen.use("hit", expires=NOW + 100, now=NOW))

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]
