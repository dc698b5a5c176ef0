"""The translation template matches the code (``make pot``, ``make lint``)."""

from pathlib import Path
import importlib.util
import re


ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("pot", ROOT / "scripts" / "pot.py")
pot = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(pot)


def test_the_template_has_every_message_of_the_code_and_no_other():
    fresh = pot.build()
    # Python (_("...")) and page templates (i18n:translate) both count.
    assert len(pot.msgids(fresh)) > 100
    assert pot.differences(pot.POT.read_text(encoding="utf-8"), fresh) == ([], [])


def test_a_stale_template_is_reported():
    fresh = pot.build()
    # A short one-line message, so that its msgid line is easy to replace.
    gone = min((m for m in pot.msgids(fresh) if m.isalpha()), key=len)
    stale = fresh.replace(f'msgid "{gone}"', 'msgid "Left over"', 1)
    assert pot.differences(stale, fresh) == ([gone], ["Left over"])


def test_the_template_names_the_domain():
    text = pot.POT.read_text(encoding="utf-8")
    assert re.search(r'^"Domain: slc\.clicktracker\\n"$', text, re.MULTILINE)
