"""Keep buildout's versions.cfg generated from pip's constraints.txt.

constraints.txt is the one source of truth for pinned versions:
``python scripts/pins.py`` writes versions.cfg, ``--check`` fails when stale.
"""

from pathlib import Path
import sys


ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "# Generated from constraints.txt by scripts/pins.py; do not edit.\n[versions]\n"
)


def read_pins(text):
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise ValueError(f"constraints.txt: not an exact pin: {line!r}")
        pins[name.strip()] = version.strip()
    return pins


def render(pins):
    body = "".join(f"{name} = {pins[name]}\n" for name in sorted(pins, key=str.lower))
    return HEADER + body


def main(argv):
    wanted = render(read_pins((ROOT / "constraints.txt").read_text()))
    target = ROOT / "versions.cfg"
    if "--check" in argv:
        if not target.exists() or target.read_text() != wanted:
            print("versions.cfg is stale: run 'make pins'", file=sys.stderr)
            return 1
        return 0
    target.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
