"""Registry-backed settings of the click tracker."""

from slc.clicktracker import _
from zope import schema
from zope.interface import Interface


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
