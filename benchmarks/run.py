"""Run every benchmark in this folder (``bench_*.py``), one after the other.

Each benchmark prints its own measurements side by side with its baseline
and the ratio; nothing here asserts timings.
"""

from pathlib import Path
import runpy
import sys


def main():
    here = Path(__file__).parent
    scripts = sorted(here.glob("bench_*.py"))
    if not scripts:
        print("no benchmarks yet")
    for script in scripts:
        print(f"== {script.stem}")
        sys.stdout.flush()
        runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
