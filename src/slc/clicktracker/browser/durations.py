"""Reading times as people say them: "42 s", "4 min 10 s", "1 h 5 min".

One ``Durations`` per page translates its units once (reports show
hundreds of times); None (not measured) is shown as UNKNOWN.
"""

from slc.clicktracker import _
from zope.i18n import translate


UNKNOWN = "–"

_UNITS = {
    "d": _("unit_days", default="${n} d"),
    "h": _("unit_hours", default="${n} h"),
    "min": _("unit_minutes", default="${n} min"),
    "s": _("unit_seconds", default="${n} s"),
}


def parts(seconds):
    """``[(n, unit), ...]``: the two largest units, the first not zero."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return [(hours, "h")] + ([(minutes, "min")] if minutes else [])
    if minutes:
        return [(minutes, "min")] + ([(secs, "s")] if secs else [])
    return [(secs, "s")]


class Durations:
    def __init__(self, request):
        self.request = request
        self._patterns = {}

    def _pattern(self, unit):
        if unit not in self._patterns:
            text = translate(_UNITS[unit], context=self.request)
            self._patterns[unit] = text.replace("${n}", "{n}")
        return self._patterns[unit]

    def __call__(self, seconds):
        """The duration in words; UNKNOWN for None."""
        if seconds is None:
            return UNKNOWN
        return self.words(parts(seconds))

    def words(self, amounts):
        """``[(n, unit), ...]`` (units "d", "h", "min", "s") in words."""
        return " ".join(self._pattern(unit).format(n=n) for n, unit in amounts)
