"""Views over time and the site statistics at ten million hits (issue 13).

The data of bench_accesslog (10 M hits over 365 days, 100,000 documents in
folders of 100, 2,000 members), loaded the same way into the ``make
start`` demo; then, for realism, visits of about five hits each (1 % of
them bots', whose hits are no reads) and a reading time for 70 % of the
hits. Then:

1. Preparing the figures (``prepare_statistics``): the first time (a year
   of daily totals and every document's windows), and again for the next
   day (one more day's totals, the windows rebuilt).
2. The storage (median of 5; target < 200 ms): the chart of one document,
   of a folder of 100 documents and of the whole site, for 30, 90 and 365
   days; the most read documents (first page of 50) and the figures of
   100, 1,000 and 100,000 tracked documents (the least read), for each
   window. Beside them, what the same answers cost read straight from the
   raw hits (the baseline the prepared figures replace).
3. Zope over HTTP as a Manager (median of 3 after a warm-up): the folder's
   Tracking tab with its chart, and the statistics page.

Prints figures; asserts nothing. ``BENCH_STATS_DSN=...`` measures a
database loaded before (2. only). Smaller for a trial run: BENCH_HITS=200000.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
import os
import port_for
import psycopg2
import requests
import statistics
import sys
import time


ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_accesslog import HITS  # noqa: E402
from bench_accesslog import load  # noqa: E402
from bench_accesslog import median_ms  # noqa: E402
from bench_accesslog import prepare_site  # noqa: E402
from demo.control import Demo  # noqa: E402
from demo.control import remove  # noqa: E402
from demo.control import scratch_var  # noqa: E402
from demo.start import socket_dir  # noqa: E402
from slc.clicktracker.storage import PostgresqlStorage  # noqa: E402
from slc.clicktracker.storage import schema  # noqa: E402
from slc.clicktracker.storage import stats  # noqa: E402


ZONE = "UTC"
FOLDER = "/Plone/f42"
DOCUMENT = f"{FOLDER}/doc7"
# Folders of 100 documents: f0 ... f999.
TRACKED = {
    "100 documents": [f"{FOLDER}/doc{n}" for n in range(100)],
    "1,000 documents": [f"/Plone/f{n // 100}/doc{n % 100}" for n in range(1000)],
    "100,000 documents": [f"/Plone/f{n // 100}/doc{n % 100}" for n in range(100_000)],
}

VISITS_SQL = (
    "INSERT INTO clicktracker.visits (id, member, started, last_hit, hits, is_bot)"
    " SELECT 'v' || (id / 5), min(member), min(at), max(at), count(*),"
    " random() < 0.01 FROM clicktracker.hits GROUP BY id / 5"
)
REALISM_SQL = (
    "UPDATE clicktracker.hits SET visit_id = 'v' || (id / 5), seconds = CASE"
    " WHEN random() < 0.3 THEN NULL ELSE (random() * 300)::int END"
)

# The baseline: the same answers read from the raw hits on each request.
RAW_SITE_DAYS = stats.PER_DAY.format(join="", where="")
RAW_MOST_READ = (
    "SELECT h.document_id, count(DISTINCT h.member)"  # noqa: S608
    " FILTER (WHERE h.member <> '(anonymous)') AS readers, sum(1 + h.reloads)"
    " AS views, percentile_cont(0.5) WITHIN GROUP (ORDER BY h.seconds)"
    " FROM clicktracker.hits h WHERE h.at >= now() - %(days)s * interval '1 day'"
    f" AND {stats.NO_BOT} GROUP BY 1 ORDER BY 2 DESC, 3 DESC LIMIT 50"
)


def realism(dsn):
    """Visits (1 % bots) and reading times; seconds it took."""
    started = time.monotonic()
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET work_mem = '512MB'; SET maintenance_work_mem = '1GB'")
        cur.execute(VISITS_SQL)
        cur.execute(REALISM_SQL)
        cur.execute("VACUUM ANALYZE")
    conn.close()
    return time.monotonic() - started


def raw_ms(dsn, sql, params):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    times = []
    with conn.cursor() as cur:
        for _ in range(3):
            started = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return statistics.median(times)


def preparing(storage):
    today = datetime.now(UTC).date()
    print()
    print("Preparing the figures (once a day, in the background)")
    for label, day in (("first time", today), ("the next day", today + timedelta(1))):
        started = time.perf_counter()
        storage.prepare_statistics(ZONE, today=day)
        print(f"  {label:<14} {time.perf_counter() - started:>8.1f} s")
    # Back to today's figures, as the pages read them.
    storage.pool.run(
        lambda cur: cur.execute(
            "DELETE FROM clicktracker.stats_prepared; DELETE FROM"
            " clicktracker.stats_days WHERE day >= %s",
            (today,),
        )
    )
    storage.prepare_statistics(ZONE, today=today)


def storage_figures(dsn):
    storage = PostgresqlStorage(dsn)
    storage.prepare_in_background = False
    preparing(storage)
    today = datetime.now(UTC).date()
    print()
    print("Storage (median of 5; target < 200 ms); raw: the same from the raw hits")
    for prefix, label in ((DOCUMENT, "one document"), (FOLDER, "folder of 100")):
        for days in (30, 90, 365):
            since = today - timedelta(days=days - 1)
            ms, rows = median_ms(
                lambda prefix=prefix, since=since: storage.views_per_day(
                    prefix, since, today, ZONE
                )
            )
            shown = (
                f"{sum(d.views for d in rows):,} views"
                if isinstance(rows, list)
                else rows
            )
            print(f"  chart, {label:<14} {days:>3} days {ms:>8.1f} ms  {shown}")
    for days in (30, 90, 365):
        since = today - timedelta(days=days - 1)
        ms, rows = median_ms(
            lambda since=since: storage.views_per_day(None, since, today, ZONE)
        )
        params = {
            "zone": ZONE,
            "since": since,
            "until": today + timedelta(days=1),
            "anonymous": "(anonymous)",
        }
        raw = raw_ms(dsn, RAW_SITE_DAYS, params)
        print(
            f"  chart, whole site    {days:>3} days {ms:>8.1f} ms"
            f"  {sum(d.views or 0 for d in rows):,} views; raw {raw:,.0f} ms"
        )
    for days in stats.WINDOWS:
        ms, page = median_ms(lambda days=days: storage.most_read(ZONE, days))
        raw = raw_ms(dsn, RAW_MOST_READ, {"days": days})
        print(
            f"  most read, {days:>3} days, page of 50 {ms:>8.1f} ms"
            f"  {page.total:,} documents; raw {raw:,.0f} ms"
        )
    for label, paths in TRACKED.items():
        for days in (30, 365):
            ms, page = median_ms(
                lambda paths=paths, days=days: storage.document_stats(paths, ZONE, days)
            )
            print(
                f"  least read, {label:<17} {days:>3} days {ms:>8.1f} ms"
                f"  {page.total:,} read"
            )
    storage.close()


def page_ms(session, url):
    session.get(url, timeout=300)  # warm up
    times, body = [], ""
    for _ in range(3):
        started = time.perf_counter()
        body = session.get(url, timeout=300).text
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), body


def zope_figures(demo):
    session = requests.Session()
    session.auth = ("admin", "admin")
    stats_url = f"{demo.url}/@@clicktracker-statistics"
    # The site's time zone may not be the one prepared above: the first
    # visit starts preparing its figures; wait for them.
    started = time.monotonic()
    while 'id="statistics-preparing"' in session.get(stats_url, timeout=300).text:
        time.sleep(2)
    print()
    print("Zope over HTTP as a Manager (median of 3 after one more)")
    waited = time.monotonic() - started
    print(f"  (figures of the site's time zone ready after {waited:.0f} s)")
    for label, url in (
        ("folder tab with its 30-day chart", f"{demo.url}/f42/@@tracking"),
        ("folder tab, 365-day chart", f"{demo.url}/f42/@@tracking?chart_days=365"),
        ("site root tab, 365-day chart", f"{demo.url}/@@tracking?chart_days=365"),
        ("statistics page, 30 days", stats_url),
        ("statistics page, 365 days", f"{stats_url}?days=365"),
    ):
        ms, body = page_ms(session, url)
        drawn = "chart" if "chart-svg" in body else "NO CHART"
        print(f"  {label:<34} {ms:>7.0f} ms  ({drawn})")


def main():
    if os.environ.get("BENCH_STATS_DSN"):
        storage_figures(os.environ["BENCH_STATS_DSN"])
        return
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
        seconds = realism(dsn)
        print(
            f"Loaded {timings['rows'][0]:,} hits (BENCH_HITS={HITS}) in"
            f" {timings['load']:.0f} s; visits and reading times in {seconds:.0f} s"
        )
        storage_figures(dsn)
        demo.interrupt()  # the ZODB is free for zconsole
        site = prepare_site(var, "readers_site.py")
        print(f"Meeting folder and members set up in {site['seconds']:.0f} s")
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
