"""Registry-backed settings of the click tracker."""

from slc.clicktracker import _
from slc.clicktracker import bots
from zope import schema
from zope.interface import Interface
from zope.interface import Invalid
from zope.schema.vocabulary import SimpleTerm
from zope.schema.vocabulary import SimpleVocabulary
import re


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


def default_pattern_lines():
    return bots.format_lines(bots.DEFAULT_PATTERNS)


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
        title=_("Bot user agents"),
        description=_(
            "help_bot_patterns",
            default=(
                "One per line, as 'Name: regular expression'. A browser whose "
                "User-Agent matches any expression (case-insensitively, "
                "anywhere) is a bot: its pages carry no tracking script. An "
                "empty User-Agent always counts as a bot."
            ),
        ),
        value_type=schema.TextLine(),
        required=False,
        default=default_pattern_lines(),
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
                "'Purge now' deletes raw hits and visits older than this. The "
                "access totals (who read what, how often, first and last "
                "time) are kept. 0: keep everything."
            ),
        ),
        required=True,
        default=0,
        min=0,
    )
