"""The add-on's settings: the registry schema, record names, and one reader.

The records live in plone.registry under ``slc.clicktracker.<field>`` (the
control panel edits them; a policy product may set them in its own
``registry.xml``). Code reads them through ``read()``, never by record name
elsewhere; its defaults are the schema's, so they are written down once.
"""

from collections import namedtuple
from slc.clicktracker import _
from slc.clicktracker import bots
from zope import schema
from zope.interface import Interface
from zope.interface import Invalid
from zope.schema.vocabulary import SimpleTerm
from zope.schema.vocabulary import SimpleVocabulary
import re


PREFIX = "slc.clicktracker"

DEFAULT_COOKIE_NAME = "__ct_visit"
# A subset of RFC 6265's cookie-name that needs no quoting anywhere.
COOKIE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")

BOT_DROP = "drop"
BOT_RECORD = "record"
BOT_CALLBACK_VOCABULARY = SimpleVocabulary(
    [
        SimpleTerm(BOT_DROP, BOT_DROP, _("Drop them (not recorded)")),
        SimpleTerm(BOT_RECORD, BOT_RECORD, _("Record them as bot visits")),
    ]
)


def valid_cookie_name(value):
    if not COOKIE_NAME.fullmatch(value or ""):
        raise Invalid(
            _(
                "error_cookie_name",
                default="“${name}” cannot be a cookie name: use letters, digits "
                "and - _ . only.",
                mapping={"name": value},
            )
        )
    return True


def valid_pattern_lines(lines):
    """Refuse the list, naming the first line that is no 'Name: regex'."""
    for number, line in enumerate(lines or (), start=1):
        try:
            bots.compile_patterns(bots.parse_lines([line]))
        except (ValueError, re.error) as error:
            raise Invalid(
                _(
                    "error_bot_pattern",
                    default="Line ${number} (“${line}”) is not valid: ${reason}",
                    mapping={"number": number, "line": line, "reason": str(error)},
                )
            ) from None
    return True


class IClickTrackerSettings(Interface):
    """Records stored in plone.registry under the prefix ``slc.clicktracker``."""

    dsn = schema.TextLine(
        title=_("Database connection (DSN)"),
        description=_(
            "help_dsn",
            default=(
                "Where hits are stored, as a libpq connection string, for example "
                "'host=/var/run/postgresql dbname=clicktracker user=plone' or "
                "'postgresql://plone@db.example.org:5432/clicktracker'. "
                "A stored password is shown as ********: leave that in place to "
                "keep it. Saving tries to connect first. Empty: not configured, "
                "hits wait in the local spool. The environment variable "
                "SLC_CLICKTRACKER_DSN, when set, overrides this value."
            ),
        ),
        required=False,
        default="",
    )

    track_anonymous = schema.Bool(
        title=_("Track anonymous visitors"),
        description=_(
            "help_track_anonymous",
            default=(
                "Off: only logged-in members are recorded. On: visitors who are "
                "not logged in are recorded too, all under the name "
                "'(anonymous)', which no real user id can have."
            ),
        ),
        required=False,
        default=False,
    )

    visit_cookie_name = schema.ASCIILine(
        title=_("Visit cookie name"),
        description=_(
            "help_visit_cookie_name",
            default=(
                "The session cookie that ties the hits of one visit together. "
                "It holds a signed, random visit id and nothing else."
            ),
        ),
        required=True,
        default=DEFAULT_COOKIE_NAME,
        constraint=valid_cookie_name,
    )

    idle_timeout = schema.Int(
        title=_("Visit idle timeout (minutes)"),
        description=_(
            "help_idle_timeout",
            default=(
                "A visit ends when its member has not opened a tracked page "
                "for this long; the next page starts a new visit."
            ),
        ),
        required=True,
        default=20,
        min=1,
    )

    max_visit_age = schema.Int(
        title=_("Maximum visit length (minutes)"),
        description=_(
            "help_max_visit_age",
            default=(
                "A visit older than this ends even while its member is still "
                "active, so that a tab left open all week is not one visit."
            ),
        ),
        required=True,
        default=300,
        min=1,
    )

    bot_patterns = schema.List(
        title=_("More bot user agents"),
        description=_(
            "help_bot_patterns",
            default=(
                "Bots this site knows of, in addition to the built-in list "
                "(some 1,500 known crawlers, tools and libraries, and what "
                "automated clients say in general): one per line, as 'Name: "
                "regular expression'. A User-Agent that matches any "
                "expression (case-insensitively, anywhere) is a bot, and its "
                "views are not counted. An empty User-Agent always counts as "
                "a bot."
            ),
        ),
        value_type=schema.TextLine(),
        required=False,
        default=[],
        constraint=valid_pattern_lines,
    )

    bot_exceptions = schema.List(
        title=_("User agents that are never bots"),
        description=_(
            "help_bot_exceptions",
            default=(
                "One per line, as 'Name: regular expression', matched the same "
                "way. A User-Agent that matches any of them is never a bot, "
                "even when a built-in or added pattern says so: for a tool "
                "of your own whose views should count."
            ),
        ),
        value_type=schema.TextLine(),
        required=False,
        default=[],
        constraint=valid_pattern_lines,
    )

    bot_callbacks = schema.Choice(
        title=_("Callbacks from bots"),
        description=_(
            "help_bot_callbacks",
            default=(
                "What to do when a bot calls the tracking callback anyway. "
                "Recorded bot hits are marked as bot visits."
            ),
        ),
        vocabulary=BOT_CALLBACK_VOCABULARY,
        required=True,
        default=BOT_DROP,
    )

    retention_days = schema.Int(
        title=_("Keep raw hits and visits for (days)"),
        description=_(
            "help_retention_days",
            default=(
                "'Purge now' deletes what names a member and is older than "
                "this: raw hits, visits, access totals not viewed since, "
                "confirmations, reminders. Daily statistics stay. 0: keep "
                "everything."
            ),
        ),
        required=True,
        default=0,
        min=0,
    )


def record_name(field):
    """The registry record of schema field ``field``."""
    return f"{PREFIX}.{field}"


DSN_RECORD = record_name("dsn")

# Times in seconds (the registry keeps minutes); bot_patterns (the site's
# additions to the built-in bot list) and bot_exceptions are tuples of
# "Name: regex" lines, or None for none.
Settings = namedtuple(
    "Settings",
    "track_anonymous cookie_name idle_timeout max_age bot_patterns "
    "bot_exceptions bot_callbacks retention_days",
)

_FIELDS = IClickTrackerSettings
DEFAULTS = Settings(
    track_anonymous=_FIELDS["track_anonymous"].default,
    cookie_name=_FIELDS["visit_cookie_name"].default,
    idle_timeout=60 * _FIELDS["idle_timeout"].default,
    max_age=60 * _FIELDS["max_visit_age"].default,
    bot_patterns=None,
    bot_exceptions=None,
    bot_callbacks=_FIELDS["bot_callbacks"].default,
    retention_days=_FIELDS["retention_days"].default,
)
_RECORDS = tuple(
    (record_name(field), default)
    for field, default in (
        ("track_anonymous", DEFAULTS.track_anonymous),
        ("visit_cookie_name", DEFAULTS.cookie_name),
        ("idle_timeout", DEFAULTS.idle_timeout // 60),
        ("max_visit_age", DEFAULTS.max_age // 60),
        ("bot_patterns", None),
        ("bot_exceptions", None),
        ("bot_callbacks", DEFAULTS.bot_callbacks),
        ("retention_days", DEFAULTS.retention_days),
    )
)


def registry_values(records):
    """The values of ``records`` (``(record name, default)`` pairs) in the
    current site's registry, a missing record as its default; None outside
    a site. Asks the registry utility directly rather than through
    plone.api: ``read()`` runs on every page and hit."""
    from plone.registry.interfaces import IRegistry
    from zope.component import queryUtility

    registry = queryUtility(IRegistry)
    if registry is None:
        return None
    values = []
    for name, default in records:
        value = registry.get(name)
        values.append(default if value is None else value)
    return values


def read():
    """The current site's ``Settings``; ``DEFAULTS`` outside a site.

    A missing record (the add-on not installed, or installed before the
    record existed) reads as its default.
    """
    values = registry_values(_RECORDS)
    if values is None:
        return DEFAULTS
    track_anonymous, cookie, idle, max_age, patterns, exceptions, callbacks, days = (
        values
    )
    return Settings(
        track_anonymous=bool(track_anonymous),
        cookie_name=cookie,
        idle_timeout=60 * idle,
        max_age=60 * max_age,
        bot_patterns=tuple(patterns or ()) or None,
        bot_exceptions=tuple(exceptions or ()) or None,
        bot_callbacks=callbacks,
        retention_days=days,
    )
