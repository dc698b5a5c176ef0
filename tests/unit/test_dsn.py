"""Masking and restoring DSN secrets (no Zope needed).

libpq itself (through ``psycopg2.extensions.parse_dsn``) is the referee for
what a connection string means.
"""

from psycopg2.extensions import parse_dsn
from slc.clicktracker.storage.dsn import MASK
from slc.clicktracker.storage.dsn import destination
from slc.clicktracker.storage.dsn import has_secret
from slc.clicktracker.storage.dsn import mask
from slc.clicktracker.storage.dsn import merge
from slc.clicktracker.storage.dsn import same_target
from slc.clicktracker.storage.dsn import scrub
from slc.clicktracker.storage.dsn import secrets
import pytest


WITH_SECRETS = [
    ("host=db dbname=ct user=plone password=s3cret", ["s3cret"]),
    ("host=db password = s3cret dbname=ct", ["s3cret"]),
    ("host=db password='with space' dbname=ct", ["with space"]),
    (r"host=db password='it\'s \\ here' dbname=ct", ["it's \\ here"]),
    (r"host=db password=back\ slash dbname=ct", ["back slash"]),
    ("password=first host=db password=second", ["first", "second"]),
    ("host=db sslpassword=keypass password=pw", ["keypass", "pw"]),
    ("postgresql://plone:s3cret@db.example.org:5432/ct", ["s3cret"]),
    ("postgres://plone:p%40ss%2Fw%3Ard@db/ct", ["p@ss/w:rd"]),
    ("postgresql://plone:s3cret@db/ct?sslmode=require", ["s3cret"]),
    ("postgresql://plone@db/ct?password=q%26uery&sslmode=require", ["q&uery"]),
    ("postgresql://plone:pw?x@db/ct", ["pw?x"]),
]

WITHOUT_SECRETS = [
    "",
    "host=/var/run/postgresql dbname=ct user=plone",
    "host=db passfile=/etc/pgpass dbname=ct",
    "host=db application_name='password=nope'",
    "postgresql://plone@db/ct",
    "postgresql://db:5432/ct?sslmode=require",
    "postgresql:///ct?host=/var/run/postgresql",
]


@pytest.mark.parametrize("dsn,expected", WITH_SECRETS)
def test_finds_secrets(dsn, expected):
    assert [value for _k, _s, _e, value in secrets(dsn)] == expected
    assert has_secret(dsn)


@pytest.mark.parametrize("dsn", WITHOUT_SECRETS)
def test_no_secrets(dsn):
    assert secrets(dsn) == []
    assert not has_secret(dsn)
    assert mask(dsn) == dsn


@pytest.mark.parametrize("dsn,expected", WITH_SECRETS)
def test_mask_hides_every_secret(dsn, expected):
    masked = mask(dsn)
    for secret in expected:
        assert secret not in masked
    assert MASK in masked


@pytest.mark.parametrize("dsn,_expected", WITH_SECRETS)
def test_mask_keeps_the_rest(dsn, _expected):
    masked = parse_dsn(mask(dsn))
    original = parse_dsn(dsn)
    for key in ("password", "sslpassword"):
        if key in original:
            assert masked.pop(key) == MASK
            original.pop(key)
    assert masked == original


@pytest.mark.parametrize("dsn,_expected", WITH_SECRETS)
def test_merge_of_masked_value_restores_secret(dsn, _expected):
    # What libpq sees after the round trip is what was stored.
    assert parse_dsn(merge(mask(dsn), dsn)) == parse_dsn(dsn)


def test_merge_keeps_edits_around_the_mask():
    old = "host=db dbname=ct user=plone password='s e c'"
    new = "host=db dbname=ct user=plone sslmode=require password=" + MASK
    assert parse_dsn(merge(new, old)) == {
        "host": "db",
        "dbname": "ct",
        "user": "plone",
        "sslmode": "require",
        "password": "s e c",
    }


@pytest.mark.parametrize(
    "new",
    [
        "host=evil.example.org dbname=ct user=plone password=" + MASK,
        "host=db port=6543 dbname=ct user=plone password=" + MASK,
        "host=db dbname=other user=plone password=" + MASK,
        "host=db dbname=ct user=someone password=" + MASK,
        "hostaddr=203.0.113.9 dbname=ct user=plone password=" + MASK,
        "service=elsewhere password=" + MASK,
        f"postgresql://plone:{MASK}@evil.example.org/ct",
    ],
)
def test_a_stored_password_never_goes_to_another_target(new):
    old = "host=db dbname=ct user=plone password=secret"
    merged = merge(new, old)
    assert "secret" not in merged
    assert merged == new


def test_merge_takes_new_password_when_typed():
    old = "host=db password=old"
    assert merge("host=db password=new", old) == "host=db password=new"


def test_merge_across_syntaxes():
    old = "host=db dbname=ct user=plone password='a b/c@d'"
    new = f"postgresql://plone:{MASK}@db/ct"
    assert parse_dsn(merge(new, old))["password"] == "a b/c@d"
    old = "postgresql://plone:it%27s@db/ct"
    new = f"host=db dbname=ct user=plone password={MASK}"
    assert parse_dsn(merge(new, old))["password"] == "it's"


def test_same_target_ignores_everything_but_where_and_who():
    assert same_target(
        "host=db dbname=ct user=plone password=a sslmode=require",
        "postgresql://plone:b@db/ct?application_name=x",
    )
    assert not same_target("host=db dbname=ct", "host=db dbname=ct user=plone")


def test_destination_names_no_secret_and_ignores_the_password():
    one = destination("host=db dbname=ct user=plone password=secret")
    assert "secret" not in one and len(one) == 32
    assert one == destination("postgresql://plone:other@db/ct")
    assert one != destination("host=db2 dbname=ct user=plone password=secret")
    assert destination("") == ""


def test_merge_without_stored_secret_leaves_mask():
    new = f"host=db password={MASK}"
    assert merge(new, "host=db") == new
    assert merge(new, None) == new


def test_merge_empty():
    assert merge("", "host=db password=x") == ""
    assert merge(None, "host=db password=x") == ""


def test_mask_empty():
    assert mask(None) == ""


def test_scrub_removes_secret_from_messages():
    dsn = "postgresql://plone:p%40ss@db/ct"
    message = 'could not parse "p%40ss" nor "p@ss"'
    assert scrub(message, dsn) == f'could not parse "{MASK}" nor "{MASK}"'
    assert scrub("nothing to hide", "host=db") == "nothing to hide"
