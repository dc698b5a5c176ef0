"""Reading time and depth of each view (IReadingTimeStorage).

The tracking script sends running figures for a view; the stored function
``clicktracker.log_reading`` (``sql/db.sql``) keeps the highest of each and
adds what is new to the view's click and to the member's totals. Updates
are not spooled: each one carries the whole running figure, so the next
update after an outage brings back what one lost.
"""

from slc.clicktracker.interfaces import IReadingTimeStorage
from slc.clicktracker.storage.hits import clean_hit_id
from slc.clicktracker.storage.hits import clean_member
from slc.clicktracker.storage.pool import Unavailable
from zope.interface import implementer
import psycopg2


LOG_READING = "SELECT clicktracker.log_reading(%s, %s, %s, %s::smallint, %s)"

# A column of integer holds no more; callers cap far below (settings).
MAX_SECONDS = 2**31 - 1


def clean_figures(seconds, depth, reached_end):
    """The figures checked: ints in range, a bool; ValueError if not."""
    for name, value, top in (("seconds", seconds, MAX_SECONDS), ("depth", depth, 100)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an int, got {value!r}")
        if not 0 <= value <= top:
            raise ValueError(f"{name} must be between 0 and {top}, got {value!r}")
    if not isinstance(reached_end, bool):
        raise ValueError(f"reached_end must be a bool, got {reached_end!r}")
    return seconds, depth, reached_end


@implementer(IReadingTimeStorage)
class ReadingTime:
    """Mixin of PostgresqlStorage (which supplies the pool and back-off)."""

    def log_reading(self, hit_id, member, seconds, depth, reached_end):
        hit_id = clean_hit_id(hit_id)
        member = clean_member(member)
        figures = clean_figures(seconds, depth, reached_end)
        self._require_dsn()
        if not self.backoff.ready():
            # Hits go to the spool meanwhile; an update has nowhere to go.
            return False

        def work(cur):
            cur.execute(LOG_READING, (hit_id, member, *figures))
            return cur.fetchone()[0]

        try:
            return bool(self.pool.run(work))
        except psycopg2.DataError as error:
            raise ValueError(str(error)) from error
        except (psycopg2.Error, Unavailable) as error:
            raise self.storage_error("recording reading time failed", error) from error
