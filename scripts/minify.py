"""Minify the tracking script: static/clicktracker.js -> clicktracker.min.js.

Pages load the minified copy (it must stay below 1 KB gzipped); the readable
source is what we edit and review. Needs node's ``npx`` (terser, pinned
below) and runs only when the source changed: the result is committed, so
neither the tests nor a site need node. The copy starts with (8 digits of) the
SHA-256 of the source it was made from; ``--check`` (``make lint``) and a unit test
fail when the source changed without ``make js``.
"""

from pathlib import Path
import hashlib
import subprocess
import sys


STATIC = (
    Path(__file__).resolve().parent.parent
    / "src"
    / "slc"
    / "clicktracker"
    / "browser"
    / "static"
)
SOURCE = STATIC / "clicktracker.js"
MINIFIED = STATIC / "clicktracker.min.js"
TERSER = "terser@5.51.4"


def banner(source=SOURCE):
    # Short: every byte here is sent with every tracked page.
    return f"/*{hashlib.sha256(source.read_bytes()).hexdigest()[:8]}*/"


def minify():
    result = subprocess.run(
        ["npx", "--yes", TERSER, str(SOURCE), "-c", "-m", "--ecma", "2020"],
        check=True,
        capture_output=True,
        text=True,
    )
    MINIFIED.write_text(f"{banner()}\n{result.stdout.strip()}\n", encoding="utf-8")


def is_current():
    first = MINIFIED.read_text(encoding="utf-8").partition("\n")[0]
    return first == banner()


def main(argv):
    if "--check" in argv:
        if not is_current():
            sys.exit(f"{MINIFIED.name} is not made from {SOURCE.name}: run make js")
        return
    minify()


if __name__ == "__main__":
    main(sys.argv[1:])
