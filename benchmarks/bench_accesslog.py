"""The paged access log at ten million hits (issue 11, items 5 and 12).

1. The write path with and without the indexes of migration 0004: hits/s of
   logAccess and logVisit (bench_storage's rounds) and WAL bytes per hit, on
   one durable cluster, alternating; twice, since the machine is noisy.
2. The ``make start`` demo in a scratch directory; its database gets 10 M
   hits in a few set-based statements (100,000 documents in folders of 100,
   2,000 members, 5 % of views at ``/view`` and 5 % at ``?utm_source=mail``,
   the running totals derived from the hits), loaded at schema version 3;
   then migration 0004 is applied to that data, timed.
3. The storage: ``getLog`` (what the tab read before) and ``log_page``, first
   page of every sort, per document and per URL, for one document, a folder
   of 100 documents and the site root.
4. Zope over HTTP as a Manager: the Tracking tab's first pages and the CSV
   downloads (time, bytes), with Zope's memory (RSS) before, after and at
   its peak.

Targets are printed beside the figures; nothing asserts them.
"""

from pathlib import Path
import json
import os
import port_for
import psycopg2
import requests
import statistics
import subprocess
import sys
import threading
import time


ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from demo.control import Demo  # noqa: E402
from demo.control import remove  # noqa: E402
from demo.control import scratch_var  # noqa: E402
from demo.start import pg_ctl  # noqa: E402
from demo.start import socket_dir  # noqa: E402
from demo.start import start_postgres  # noqa: E402
from slc.clicktracker.interfaces import LogTooSlow  # noqa: E402
from slc.clicktracker.interfaces import StorageError  # noqa: E402
from slc.clicktracker.storage import PostgresqlStorage  # noqa: E402
from slc.clicktracker.storage import schema  # noqa: E402
from slc.clicktracker.testing.cluster import PostgresCluster  # noqa: E402
import bench_storage  # noqa: E402


# Smaller for a trial run: BENCH_HITS=200000 BENCH_MEMBERS=50 BENCH_WRITES=0
HITS = int(os.environ.get("BENCH_HITS", 10_000_000))
DOCUMENTS = 100_000
MEMBERS = int(os.environ.get("BENCH_MEMBERS", 2_000))
RUNS = 5
PREFIXES = {
    "one document": "/Plone/f42/doc7",
    "folder of 100": "/Plone/f42",
    "site root": "/Plone",
}
MIGRATION = schema.MIGRATIONS_DIR / "0004.sql"
NEW_INDEXES = ("access_member", "documents_title", "hits_at")
# (per, sort_on, reverse): the default first, then every other sort.
PAGES = [
    ("document", "member", False),
    ("document", "fullname", False),
    ("document", "document", False),
    ("document", "count", True),
    ("document", "firstaccess", False),
    ("document", "lastaccess", True),
    ("document", "lastaccess", False),
    ("url", "member", False),
    ("url", "url", False),
    ("url", "lastaccess", True),
]


# -- 1. the write path --------------------------------------------------------


def cost_per_hit(dsn, offset, hits=2000):
    """(µs, WAL bytes) per logAccess, first views and repeat views, without
    waiting for the disk.

    ``synchronous_commit=off``: what is left is the work of a hit in the
    server (and the round trip), which an index adds to, without the fsync,
    whose time on this machine varies more than that work. The documents
    exist already (the new indexes cost a new document one more insert, but
    new documents are rare); ``offset`` gives each round members of its own,
    so that its first pass is first views of a document by a member (a new
    ``access`` row: what ``access_member`` costs) and its second pass repeat
    views (an update in place: what it must not cost).
    """
    storage = PostgresqlStorage(f"{dsn} options='-c synchronous_commit=off'")

    def lsn(cur):
        cur.execute("SELECT pg_current_wal_insert_lsn()")
        return cur.fetchone()[0]

    def wal_since(before):
        def diff(cur):
            cur.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", (before,)
            )
            return float(cur.fetchone()[0])

        return storage.pool.run(diff)

    def log(member_of):
        for n in range(hits):
            doc = n % 997
            storage.logAccess(
                member_of(n), f"/Plone/f{doc % 20}/d{doc}", f"http://x/{doc}"
            )

    log(lambda n: "warm-up")  # every document exists
    result = []
    for _view in ("first", "repeat"):
        before = storage.pool.run(lsn)
        started = time.perf_counter()
        log(lambda n: f"m{offset}-{n % 300}")
        seconds = time.perf_counter() - started
        result.append((seconds / hits * 1e6, wal_since(before) / hits))
    storage.close()
    return result


def database(cluster, with_indexes):
    """A set-up database, with or without 0004's indexes."""
    dsn = cluster.dsn(cluster.create_database())
    storage = PostgresqlStorage(dsn, statement_timeout_ms=0)
    storage.setup_database()
    if not with_indexes:
        drop = "; ".join(f"DROP INDEX clicktracker.{name}" for name in NEW_INDEXES)
        storage.pool.run(lambda cur: cur.execute(drop))
    storage.close()
    return dsn


def write_path():
    cluster = PostgresCluster(postgres_options="-c fsync=on")
    cluster.start()
    try:
        print("Write path without / with the 0004 indexes (same code; hits/s)")
        print(
            f"{'run':>4} {'indexes':>8} {'thr':>4} {'bare INSERT':>12}"
            f" {'logAccess':>10} {'ratio':>6} {'logAccess':>10} {'logVisit':>9}"
            f" {'ratio':>6}"
        )
        for run in (1, 2):
            for with_indexes in (False, True):
                label = "with" if with_indexes else "without"
                writes, _status = bench_storage.write_benchmark(
                    database(cluster, with_indexes)
                )
                visits, _n, _stats = bench_storage.visits_benchmark(
                    database(cluster, with_indexes)
                )
                for (threads, plain, mine), (_t, off, on) in zip(
                    writes, visits, strict=True
                ):
                    print(
                        f"{run:>4} {label:>8} {threads:>4} {plain:>12.0f}"
                        f" {mine:>10.0f} {mine / plain:>6.0%} {off:>10.0f}"
                        f" {on:>9.0f} {on / off:>6.0%}"
                    )
        # Less noisy: the server's work per hit, alternating, 7 rounds.
        dsns = {flag: database(cluster, flag) for flag in (False, True)}
        costs = {False: [], True: []}
        for number in range(7):
            for flag, dsn in dsns.items():
                costs[flag].append(cost_per_hit(dsn, number))
        print(
            "  per logAccess, synchronous_commit off (median of 7 rounds of"
            " 2000), first views / repeat views:"
        )
        for flag in (False, True):
            cells = []
            for view in (0, 1):
                us = statistics.median(c[view][0] for c in costs[flag])
                wal = statistics.median(c[view][1] for c in costs[flag])
                cells.append(f"{us:5.0f} µs {wal:5.0f} WAL bytes")
            label = "with" if flag else "without"
            print(f"    {label:>8}: {' / '.join(cells)}")
        print("  target: with the indexes within ~10 % of without")
    finally:
        cluster.stop()


# -- 2. ten million hits --------------------------------------------------------

DOCUMENTS_SQL = (
    "INSERT INTO clicktracker.documents (uid, path, title) SELECT md5(i::text),"
    " '/Plone/f' || i / 100 || '/doc' || i %% 100, 'Document ' || i"
    " FROM generate_series(0, %(documents)s - 1) i"
)
# In time order, as they arrive; a random document and member each.
HITS_SQL = (
    "INSERT INTO clicktracker.hits (at, member, document_id, url)"
    " SELECT now() - interval '365 days' + r.i * (interval '365 days' / %(hits)s),"
    " 'member' || lpad(floor(random() * %(members)s)::int::text, 4, '0'), d.id,"
    " 'http://localhost/Plone' || substr(d.path, 7) || CASE WHEN r.v < 0.05"
    " THEN '/view' WHEN r.v < 0.1 THEN '?utm_source=mail' ELSE '' END"
    " FROM (SELECT i, 1 + floor(random() * %(documents)s)::bigint AS doc,"
    " random() AS v FROM generate_series(1, %(hits)s) i) r"
    " JOIN clicktracker.documents d ON d.id = r.doc ORDER BY r.i"
)
# The running totals, in the order their rows would have been created.
ACCESS_SQL = (
    "INSERT INTO clicktracker.access SELECT document_id, member, url, count(*),"
    " min(at), max(at) FROM clicktracker.hits GROUP BY document_id, member, url"
    " ORDER BY min(at)"
)


def load(dsn):
    """10 M hits at schema version 3, then migration 0004; seconds of each."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    timings = {}
    with conn.cursor() as cur:
        cur.execute("SET work_mem = '512MB'; SET maintenance_work_mem = '1GB'")
        # The demo's own views (its seeded reads) would clash with the load;
        # the documents' ids must start at 1 (HITS_SQL picks them by number).
        cur.execute(
            "TRUNCATE clicktracker.access, clicktracker.hits,"
            " clicktracker.documents RESTART IDENTITY"
        )
        # Indexes are built after the rows (faster than 10 M inserts each).
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'clicktracker'"
            " AND tablename IN ('hits', 'access', 'documents')"
            " AND indexdef NOT LIKE '%%UNIQUE%%' AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cur.fetchall()
        for name, _definition in indexes + [("access_key", None)]:
            cur.execute(f"DROP INDEX clicktracker.{name}")
        cur.execute("UPDATE clicktracker.schema_version SET version = 3")
        params = {"hits": HITS, "documents": DOCUMENTS, "members": MEMBERS}
        started = time.monotonic()
        for sql in (DOCUMENTS_SQL, HITS_SQL, ACCESS_SQL):
            cur.execute(sql, params)
        cur.execute(
            "CREATE UNIQUE INDEX access_key"
            " ON clicktracker.access (document_id, member, md5(url))"
        )
        for name, definition in indexes:
            if name not in NEW_INDEXES:
                cur.execute(definition)
        cur.execute("VACUUM ANALYZE")
        timings["load"] = time.monotonic() - started
    # Migration 0004 on that data, as setup() applies it.
    started = time.monotonic()
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute(MIGRATION.read_text())
        cur.execute("UPDATE clicktracker.schema_version SET version = 4")
    conn.commit()
    timings["migration"] = time.monotonic() - started
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute(
            "SELECT (SELECT count(*) FROM clicktracker.hits),"
            " (SELECT count(*) FROM clicktracker.access),"
            " (SELECT count(*) FROM (SELECT DISTINCT document_id, member"
            " FROM clicktracker.access) x)"
        )
        timings["rows"] = cur.fetchone()
    conn.close()
    return timings


# -- 3. the storage ---------------------------------------------------------------


def fullnames(members):
    # The storage's callback; Zope's own lookups are timed over HTTP.
    return {member: member.upper() for member in members}


def median_ms(call):
    times, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        try:
            result = call()
        except LogTooSlow as refused:
            result = refused
        except StorageError as failed:
            result = failed
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def storage_figures(dsn):
    storage = PostgresqlStorage(dsn)
    print()
    print("Before: getLog, every row of the prefix fetched (median ms)")
    for label, prefix in PREFIXES.items():
        ms, rows = median_ms(lambda prefix=prefix: storage.getLog(prefix))
        shown = f"{len(rows):,} rows" if isinstance(rows, list) else "fails"
        print(f"  {label:<16} {ms:>9.1f} ms  {shown}")
    print()
    print("After: log_page, first page of 50 (median ms; target < 300 ms)")
    print(f"  {'per':<9}{'sort':<13}{'rev':<5}" + "".join(f"{p:>24}" for p in PREFIXES))
    for per, sort_on, reverse in PAGES:
        cells = []
        for prefix in PREFIXES.values():
            ms, page = median_ms(
                lambda prefix=prefix, per=per, sort_on=sort_on, reverse=reverse: (
                    storage.log_page(
                        prefix,
                        per=per,
                        sort_on=sort_on,
                        reverse=reverse,
                        fullnames=fullnames,
                    )
                )
            )
            if isinstance(page, LogTooSlow):
                what = "too slow"
            elif isinstance(page, Exception):
                what = "FAILED"
            else:
                what = f"{page.total:,}{'' if page.exact else '~'}"
            cells.append(f"{ms:>8.1f} ms {what:>12}")
        print(
            f"  {per:<9}{sort_on:<13}{'desc' if reverse else 'asc':<5}"
            + "".join(f"{cell:>24}" for cell in cells)
        )
    print("  (rows in all: ~ estimated; 'too slow': refused with LogTooSlow)")
    ms, _page = median_ms(lambda: storage.log_page(PREFIXES["folder of 100"]))
    print(f"  folder query (default sort): {ms:.1f} ms (target < 50 ms)")
    storage.close()


# -- 4. Zope ------------------------------------------------------------------------


def rss(processes):
    return sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20


class Peak(threading.Thread):
    """Zope's largest RSS while something runs."""

    def __init__(self, processes):
        super().__init__(daemon=True)
        self.processes, self.done = processes, threading.Event()
        self.peak = rss(processes)

    def run(self):
        while not self.done.wait(0.1):
            self.peak = max(self.peak, rss(self.processes))

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def tab_url(demo, prefix, **query):
    path = prefix.removeprefix("/Plone")
    return f"{demo.url}{path}/@@tracking", query


def zope_figures(demo):
    session = requests.Session()
    session.auth = ("admin", "admin")
    zope = demo.zope_processes()
    session.get(demo.url, timeout=60)
    print()
    print(f"Zope over HTTP as a Manager; Zope's RSS {rss(zope):.0f} MB at the start")
    print(f"  {'page':<32}" + "".join(f"{p:>24}" for p in PREFIXES))
    colds = []
    for per, sort_on, reverse in PAGES:
        cells = []
        for prefix in PREFIXES.values():
            url, query = tab_url(
                demo,
                prefix,
                per=per,
                sort_on=sort_on,
                sort_order="descending" if reverse else "ascending",
            )
            started = time.perf_counter()
            session.get(url, params=query, timeout=120)  # warm up
            cold = (time.perf_counter() - started) * 1000
            times = []
            for _ in range(3):
                started = time.perf_counter()
                body = session.get(url, params=query, timeout=120).text
                times.append((time.perf_counter() - started) * 1000)
            rows = body.count('class="tracking-row"')
            what = "too slow" if 'id="tracking-too-slow"' in body else f"{rows} rows"
            cells.append(f"{statistics.median(times):>8.0f} ms {what:>12}")
            if sort_on == "fullname":
                colds.append(f"{cold:.0f} ms")
        label = f"{per} {sort_on} {'desc' if reverse else 'asc'}"
        print(f"  {label:<32}" + "".join(f"{cell:>24}" for cell in cells))
    print(
        "  (median of 3 after one more; by name, the first request, which"
        f" looks every reader's name up: {', '.join(colds)})"
    )
    print(f"  target: < 300 ms; Zope's RSS now {rss(zope):.0f} MB")
    print()
    print("CSV download (default sort), streamed")
    print(
        f"  {'prefix':<16}{'seconds':>9}{'first byte':>12}{'MB':>9}{'rows':>12}"
        f"{'RSS before':>12}{'peak':>8}{'after':>8}"
    )
    for label, prefix in PREFIXES.items():
        url, query = tab_url(demo, prefix, format="csv")
        before = rss(zope)
        peak = Peak(zope)
        peak.start()
        started = time.perf_counter()
        size = lines = 0
        first = None
        with session.get(url, params=query, stream=True, timeout=3600) as response:
            for chunk in response.iter_content(1 << 16):
                first = first or time.perf_counter() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
        took = time.perf_counter() - started
        top = peak.stop()
        print(
            f"  {label:<16}{took:>9.1f}{first:>11.2f}s{size / 2**20:>9.1f}"
            f"{lines - 1:>12,}{before:>10.0f}MB{top:>6.0f}MB{rss(zope):>6.0f}MB"
        )
    print("  target: memory flat (peak close to before)")


def prepare_site(var, script="accesslog_site.py"):
    """Run ``benchmarks/<script>`` in the demo's Zope (stopped) with the
    member count; its last line of output, JSON."""
    zconsole = Path(sys.executable).parent / "zconsole"
    out = subprocess.run(
        [
            zconsole,
            "run",
            var / "instance/etc/zope.conf",
            ROOT / "benchmarks" / script,
            str(MEMBERS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"{script} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def before(var):
    """The tab reading the whole log (getLog), in a zconsole process.

    Runs the code on the path: set BENCH_BEFORE_SRC to the ``src`` of an
    older checkout (``git archive``) to measure that instead.
    """
    datadir, _dsn = start_postgres(var)
    env = dict(os.environ)
    if os.environ.get("BENCH_BEFORE_SRC"):
        env["PYTHONPATH"] = os.environ["BENCH_BEFORE_SRC"]
    try:
        out = subprocess.run(
            [
                Path(sys.executable).parent / "zconsole",
                "run",
                var / "instance/etc/zope.conf",
                ROOT / "benchmarks/accesslog_before.py",
            ],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
    finally:
        pg_ctl(datadir, "stop", "-m", "fast", check=False)
    if out.returncode:
        print(f"  (not measured: {out.stderr.strip().splitlines()[-1:]})")
        return
    found = json.loads(out.stdout.strip().splitlines()[-1])
    print()
    print(
        "Before: the tab reading the whole log (getLog) and paging it itself,"
        f" {'code of ' + env['PYTHONPATH'] if 'PYTHONPATH' in env else 'getLog only'}"
    )
    print(f"  RSS of that Zope process at the start: {found['rss_start']:.0f} MB")
    for label in ("folder of 100", "site root"):
        run = found[label]
        page = "failed" if run["failed"] else f"{run['rows']} rows"
        print(
            f"  {label:<14} page {run['page'] * 1000:7.0f} ms ({page}),"
            f" RSS {run['rss_after_page']:.0f} MB; CSV {run['csv']:6.1f} s,"
            f" {run['bytes'] / 2**20:.1f} MB, RSS {run['rss_after_csv']:.0f} MB"
        )


def main():
    if os.environ.get("BENCH_WRITES", "1") != "0":
        write_path()
    base, var = scratch_var()
    try:
        demo = Demo(var, port_for.select_random())
        demo.start()
        dsn = f"host={socket_dir(var)} port=5432 dbname=clicktracker user=postgres"
        timings = load(dsn)
        hits, totals, pairs = timings["rows"]
        print()
        print(
            f"Loaded {hits:,} hits ({totals:,} member x document x url totals,"
            f" {pairs:,} member x document) in {timings['load']:.0f} s;"
            f" migration 0004 on that data: {timings['migration']:.1f} s"
        )
        storage_figures(dsn)
        demo.interrupt()  # the ZODB is free for zconsole
        site = prepare_site(var)
        print()
        print(
            f"Demo site: {site['members']} members created in {site['seconds']:.0f} s"
        )
        demo = Demo(var, port_for.select_random())
        demo.start()
        try:
            zope_figures(demo)
        finally:
            demo.interrupt()
        before(var)
    finally:
        remove(base)


if __name__ == "__main__":
    main()
