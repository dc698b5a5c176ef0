"""Rebuild the translation template from the code: ``make pot``.

Runs i18ndude (pinned in the dev extra) over the package, and gives the
template a header that says how it was made. With ``--check``, exits 1 when
the template in the checkout lacks a message of the code or keeps one the
code no longer has.
"""

from pathlib import Path
import ast
import re
import subprocess
import sys
import tempfile


ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "src" / "slc" / "clicktracker" / "locales"
POT = LOCALES / "slc.clicktracker.pot"
DOMAIN = "slc.clicktracker"
HEADER = """\
# Translation template for slc.clicktracker.
# Made from the code by `make pot` (scripts/pot.py, with i18ndude); do not
# edit by hand. `make lint` fails when it is out of date.
"""


def build():
    """The template i18ndude makes from the code, with our header."""
    i18ndude = Path(sys.executable).parent / "i18ndude"
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / f"{DOMAIN}.pot"
        subprocess.run(
            [str(i18ndude), "rebuild-pot", "--pot", str(pot), "--create", DOMAIN]
            + [str(LOCALES.parent)],
            check=True,
            capture_output=True,
            cwd=LOCALES,
        )
        text = pot.read_text(encoding="utf-8")
    # i18ndude's own header: placeholder comments, then the first msgid.
    body = text[text.index('msgid ""') :]
    return HEADER + re.sub(r'"POT-Creation-Date: [^"]*"\n', "", body, count=1)


def msgids(text):
    """The msgids of a .pot file's text (continued over lines or not)."""
    found, current = set(), None
    for line in text.splitlines():
        if line.startswith("msgid "):
            current = [line[len("msgid ") :]]
        elif line.startswith('"') and current is not None:
            current.append(line)
        else:
            if current is not None:
                found.add("".join(ast.literal_eval(part) for part in current))
            current = None
    return found - {""}


def differences(template_text, fresh):
    """:returns: (msgids the template lacks, msgids it keeps needlessly)."""
    have, want = msgids(template_text), msgids(fresh)
    return sorted(want - have), sorted(have - want)


def main(argv):
    fresh = build()
    if "--check" in argv:
        missing, unused = differences(POT.read_text(encoding="utf-8"), fresh)
        if missing or unused:
            print(f"{POT.name} is out of date; run `make pot`.")
            for msgid in missing:
                print(f"  missing: {msgid}")
            for msgid in unused:
                print(f"  no longer used: {msgid}")
            return 1
        return 0
    POT.write_text(fresh, encoding="utf-8")
    print(f"wrote {POT.relative_to(ROOT)} ({len(msgids(fresh))} messages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
