"""When a document counts as read: "count as read when …" opened (the
default, as before reading time was measured), read for at least N seconds
(adding up over several sittings), or read to the end.

An expectation carries its rule (``readers.Expectation.rule``), so it is
inherited with the expected readers; every report that says read or not
read applies it and says which rule applies (``describe``). The storage
takes a rule as ``terms``: ``(seconds, end)``.
"""

from collections import namedtuple
from slc.clicktracker import _


OPENED = "opened"
SECONDS = "seconds"
END = "end"
KINDS = (OPENED, SECONDS, END)

# kind: one of KINDS; seconds: for SECONDS, the reading time asked for.
Rule = namedtuple("Rule", "kind seconds")

DEFAULT = Rule(OPENED, 0)

# Far beyond the cap on reading time per view.
MAX_SECONDS = 24 * 60 * 60


def make_rule(kind, seconds=0):
    """A checked Rule; ValueError for an unknown kind or seconds out of
    range (SECONDS needs 1 to MAX_SECONDS)."""
    if kind not in KINDS:
        raise ValueError(f"unknown rule {kind!r}")
    if kind != SECONDS:
        return Rule(kind, 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValueError(f"seconds must be an int, got {seconds!r}")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds must be between 1 and {MAX_SECONDS}")
    return Rule(SECONDS, seconds)


def stored(data):
    """The Rule kept in an expectation's mapping (none stored: DEFAULT)."""
    kind = data.get("rule_kind") or OPENED
    try:
        return make_rule(kind, data.get("rule_seconds") or 0)
    except ValueError:
        return DEFAULT


def to_store(rule):
    """What ``stored`` reads back, as mapping items."""
    return {"rule_kind": rule.kind, "rule_seconds": rule.seconds}


def terms(rule):
    """``(seconds, end)`` as ``IReadStatusStorage`` takes a rule."""
    return (rule.seconds, rule.kind == END)


def describe(rule, durations):
    """The rule in words, for the reports: "Counted as read when …".

    :param durations: a ``browser.durations.Durations`` of the page.
    """
    if rule.kind == SECONDS:
        return _(
            "rule_seconds",
            default="Counted as read when read for at least ${duration}.",
            mapping={"duration": durations(rule.seconds)},
        )
    if rule.kind == END:
        return _("rule_end", default="Counted as read when read to the end.")
    return _("rule_opened", default="Counted as read when opened.")
