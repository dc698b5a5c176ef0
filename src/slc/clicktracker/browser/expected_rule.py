"""The expected readers form's "Count as read when" fields: opened, read
for at least N minutes, or read to the end (``readtime.rule``)."""

from slc.clicktracker import _
from slc.clicktracker.browser.reports import text_field
from slc.clicktracker.readtime import rule
import re


# Minutes as people type them: "5", "1.5", "0,5".
MINUTES = re.compile(r"\d{1,4}([.,]\d{1,2})?")


def field_values(found):
    """What the fields show for the Rule ``found``."""
    minutes = ""
    if found.kind == rule.SECONDS:
        minutes = f"{found.seconds / 60:g}"
    return {"rule": found.kind, "rule_minutes": minutes}


def sent_values(form, own):
    """The fields as sent; a request without them (a script that knows only
    the older fields) keeps what ``own`` (the item's Expectation or None)
    has."""
    if "readers_rule" not in form:
        return field_values(own.rule if own is not None else rule.DEFAULT)
    return {
        "rule": text_field(form.get("readers_rule")),
        "rule_minutes": text_field(form.get("readers_rule_minutes")),
    }


def parse(values):
    """``(Rule, None)`` or ``(None, error message)`` from ``values``."""
    kind = values["rule"]
    if kind not in rule.KINDS:
        return None, _("Choose when the item counts as read.")
    if kind != rule.SECONDS:
        return rule.make_rule(kind), None
    text = values["rule_minutes"]
    seconds = None
    if MINUTES.fullmatch(text):
        seconds = round(float(text.replace(",", ".")) * 60)
    if not seconds or seconds > rule.MAX_SECONDS:
        return None, _(
            "msg_rule_minutes",
            default="“${value}” is not a reading time: give minutes, more "
            "than 0 and at most ${max}, such as 2 or 0.5.",
            mapping={"value": text[:40], "max": rule.MAX_SECONDS // 60},
        )
    return rule.make_rule(rule.SECONDS, seconds), None
