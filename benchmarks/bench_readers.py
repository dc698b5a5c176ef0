"""Reading accountability at ten million hits (issue 12).

The data of bench_accesslog (10 M hits over 100,000 documents in folders of
100, 2,000 members), loaded the same way into the ``make start`` demo. Then:

1. The storage (median of 5): ``read_status`` for the readers report of one
   document with 2,000 expected readers; for the folder matrix (100
   documents) what its page asks (``reader_totals``, then one page of 50
   members' first reads) and what its CSV asks (every reader's).
2. Zope over HTTP as a Manager (median of 3 after a warm-up): the Tracking
   tab of that document (the readers report of 2,000 expected readers,
   resolved through a group, and the access log) and of the folder (the
   matrix of 500 expected members x 100 documents), and the matrix CSV.

Targets (storage < 50 ms, page < 500 ms) are printed beside the figures;
nothing asserts them. Smaller for a trial run: BENCH_HITS=200000.
"""

from pathlib import Path
import port_for
import requests
import statistics
import sys
import time


ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_accesslog import HITS  # noqa: E402
from bench_accesslog import MEMBERS  # noqa: E402
from bench_accesslog import load  # noqa: E402
from bench_accesslog import median_ms  # noqa: E402
from bench_accesslog import prepare_site  # noqa: E402
from demo.control import Demo  # noqa: E402
from demo.control import remove  # noqa: E402
from demo.control import scratch_var  # noqa: E402
from demo.start import socket_dir  # noqa: E402
from slc.clicktracker.storage import PostgresqlStorage  # noqa: E402
from slc.clicktracker.storage import schema  # noqa: E402
import psycopg2  # noqa: E402


FOLDER = "/Plone/f42"
DOCUMENT = f"{FOLDER}/doc7"
PATHS = [f"{FOLDER}/doc{number}" for number in range(100)]
EXPECTED_2000 = [f"member{number:04}" for number in range(MEMBERS)]
EXPECTED_500 = EXPECTED_2000[:500]


def storage_figures(dsn):
    storage = PostgresqlStorage(dsn)
    print()
    print("Storage: read_status (median of 5; target < 50 ms)")
    cases = {
        "readers report, 2,000 expected": lambda: storage.read_status(
            [DOCUMENT], members=EXPECTED_2000
        ),
        # The matrix page: the totals, then one page of 50 members' cells.
        "matrix page: reader_totals, 100 docs": lambda: storage.reader_totals(
            PATHS, exclude=["(anonymous)"]
        ),
        "matrix page: 50 members' first reads": lambda: storage.read_status(
            PATHS, members=EXPECTED_500[:50]
        ),
        # The CSV: every reader's cells.
        "matrix CSV: all readers, 100 docs": lambda: storage.read_status(PATHS),
        "confirmations, 100 documents": lambda: storage.confirmations(PATHS),
    }
    for label, call in cases.items():
        ms, rows = median_ms(call)
        count = len(rows.members) if hasattr(rows, "members") else len(rows)
        print(f"  {label:<38} {ms:>8.1f} ms  {count:>7,} rows")
    storage.close()


def page_ms(session, url, params=None):
    session.get(url, params=params, timeout=300)  # warm up
    times, body = [], ""
    for _ in range(3):
        started = time.perf_counter()
        response = session.get(url, params=params, timeout=300)
        times.append((time.perf_counter() - started) * 1000)
        body = response.text
    return statistics.median(times), body


def zope_figures(demo):
    session = requests.Session()
    session.auth = ("admin", "admin")
    session.get(demo.url, timeout=60)
    print()
    print("Zope over HTTP as a Manager (median of 3 after one more; target < 500 ms)")
    ms, body = page_ms(session, f"{demo.url}/f42/doc7/@@tracking")
    print(f"  document tab, readers report (2,000 expected): {ms:>7.0f} ms")
    print(f"    ({'readers-headline' in body and 'report shown' or 'NO REPORT'})")
    ms, body = page_ms(session, f"{demo.url}/f42/@@tracking")
    print(f"  folder tab, matrix (500 expected x 100 documents): {ms:>5.0f} ms")
    print(f"    ({'matrix shown' if 'matrix' in body else 'NO MATRIX'})")
    ms, body = page_ms(session, f"{demo.url}/f42/@@tracking", {"format": "matrix-csv"})
    print(
        f"  folder matrix CSV (every reader): {ms:>7.0f} ms,"
        f" {body.count(chr(10)):,} lines"
    )


def main():
    base, var = scratch_var()
    try:
        demo = Demo(var, port_for.select_random())
        demo.start()
        dsn = f"host={socket_dir(var)} port=5432 dbname=clicktracker user=postgres"
        timings = load(dsn)
        # load() leaves the schema at version 4: bring it to the newest.
        conn = psycopg2.connect(dsn)
        schema.setup(conn)
        conn.close()
        print(
            f"Loaded {timings['rows'][0]:,} hits (BENCH_HITS={HITS})"
            f" in {timings['load']:.0f} s"
        )
        storage_figures(dsn)
        demo.interrupt()  # the ZODB is free for zconsole
        site = prepare_site(var, "readers_site.py")
        print(f"Meeting folder and groups set up in {site['seconds']:.0f} s")
        demo = Demo(var, port_for.select_random())
        demo.start()
        try:
            zope_figures(demo)
        finally:
            demo.interrupt()
    finally:
        remove(base)


if __name__ == "__main__":
    main()
