"""Rebuild the translation template from the code: ``make pot``.

Runs i18ndude (pinned in the dev extra) over the package, and gives the
template a header that says how it was made, then brings each translation
(``locales/<language>/LC_MESSAGES/slc.clicktracker.po``) in line with it:
new messages untranslated, gone ones dropped (``i18ndude sync``). With
``--check``, exits 1 when the template in the checkout lacks a message of the
code or keeps one the code no longer has.
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


def entries(text):
    """{msgid: (default or None, msgstr, flags)} of a .po or .pot file's text."""
    found = {}
    for block in re.split(r"\n\s*\n", text.strip()):
        default, flags, parts, target = None, set(), {"msgid": [], "msgstr": []}, None
        for line in block.splitlines():
            if line.startswith("#. Default: "):
                default = ast.literal_eval(line[len("#. Default: ") :])
            elif line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith(("msgid ", "msgstr ")):
                key, _, rest = line.partition(" ")
                target = parts[key]
                target.append(ast.literal_eval(rest))
            elif line.startswith('"') and target is not None:
                target.append(ast.literal_eval(line))
        msgid = "".join(parts["msgid"])
        if msgid:
            found[msgid] = (default, "".join(parts["msgstr"]), flags)
    return found


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
    for po in sorted(LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        sync(po)
    return 0


def sync(po):
    """New messages of the template into ``po`` (untranslated), gone ones out;
    tests/tooling/test_translation.py fails until the new ones are translated."""
    i18ndude = Path(sys.executable).parent / "i18ndude"
    done = subprocess.run(
        [str(i18ndude), "sync", "--pot", str(POT), str(po)],
        check=True,
        capture_output=True,
        text=True,
        cwd=LOCALES,
    )
    print(done.stdout.strip())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
