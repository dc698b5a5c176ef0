"""Tracking on a running instance: viewlet cost, script size, callback rate.

Starts the ``make start`` demo (Zope + its private PostgreSQL) in a scratch
directory, then measures, side by side in one run:

- the viewlet's render cost (tracked page: signs a token; untracked: nothing);
- the tracking script's size, raw and gzipped;
- pages per second of a tracked document beside an untracked one, as a
  member, with the demo's HTTP caching on (plone.app.caching's preset
  without a proxy: Zope's RAM cache serves both after the first render);
- reading updates per second (the script's second kind of callback, for
  views stored just before) beside the first hits and the no-op;
- POSTs per second to ``@@clicktracker-callback`` on a tracked document from
  several concurrent clients logged in as a member, each hit stored in
  PostgreSQL, beside POSTs of the same body to Plone's trivial ``@@ok`` view
  on the same object and instance: once on kept-alive connections, and once
  closing the connection after each request, as waitress does after every
  204 answer (the callback's). After a warm-up of all three, short rounds
  alternate to spread machine noise; the ratios are of the totals, and the
  per-round ratios show the spread. Beside each rate, the CPU time that Zope
  and PostgreSQL spent per request (from the kernel's accounting).

The rounds run twice: once with Zope, PostgreSQL and the clients sharing
every core, and once with Zope on a core of its own and everything else on
the others, as when the database runs on its own server. On a small machine
the difference is large: sharing, the scheduler keeps moving Zope's threads
to the core PostgreSQL just left, and Zope's own work runs from cold caches.
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode
from urllib.parse import urlsplit
import base64
import gzip
import http.client
import json
import os
import port_for
import psutil
import psycopg2
import secrets
import subprocess
import sys
import time


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.control import Demo  # noqa: E402
from demo.control import remove  # noqa: E402
from demo.control import scratch_var  # noqa: E402
from slc.clicktracker.testing import DESKTOP_UA  # noqa: E402


CLIENTS = 4
ROUNDS = 16
PER_ROUND = 300
WARM_UP = 200
PAGE_ROUNDS = 6
PAGES_PER_ROUND = 200
SCRIPT = ROOT / "src/slc/clicktracker/browser/static/clicktracker.min.js"
SOURCE = SCRIPT.with_name("clicktracker.js")


def zope_side(var):
    zconsole = Path(sys.executable).parent / "zconsole"
    out = subprocess.run(
        [
            zconsole,
            "run",
            var / "instance/etc/zope.conf",
            ROOT / "benchmarks/zope_side.py",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def post_all(url, bodies, password, close=False):
    """POST every body from CLIENTS threads; returns (requests/s, statuses)."""
    payloads = [urlencode(body).encode("ascii") for body in bodies]
    return send_all("POST", url, payloads, password, close)


def send_all(method, url, payloads, password, close=False, extra_headers=()):
    """Send a request per payload (None: no body) from CLIENTS threads;
    returns (requests/s, statuses). ``extra_headers`` (pairs) add to or
    replace the form-post headers.

    Each client keeps one HTTP/1.1 connection (reopened when the server
    closes it, as waitress does after a 204) and sends back the cookies it
    was given, as a browser does. http.client rather than requests: on two
    cores, requests' own per-request CPU would crowd out the server. With
    ``close``, every request asks for its connection to be closed.
    """
    parts = urlsplit(url)
    auth = base64.b64encode(f"alice:{password}".encode()).decode("ascii")
    headers = {
        "Authorization": f"Basic {auth}",
        "User-Agent": DESKTOP_UA,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    headers.update(extra_headers)
    if close:
        headers["Connection"] = "close"
    chunks = [payloads[i::CLIENTS] for i in range(CLIENTS)]

    def work(chunk):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        cookies, statuses = {}, []
        for payload in chunk:
            sent = dict(headers)
            if cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            conn.request(method, parts.path, payload, sent)
            response = conn.getresponse()
            response.read()
            for header in response.headers.get_all("Set-Cookie") or ():
                name, _, rest = header.partition("=")
                cookies[name.strip()] = rest.partition(";")[0]
            statuses.append(response.status)
        conn.close()
        return statuses

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = [s for chunk in pool.map(work, chunks) for s in chunk]
    return len(payloads) / (time.perf_counter() - start), statuses


def select_one(var, sql):
    """The one number ``sql`` selects from the demo's database."""
    conn = psycopg2.connect(
        f"host={var / 'postgres'} port=5432 dbname=clicktracker user=postgres"
    )
    with conn, conn.cursor() as cur:
        cur.execute(sql)
        found = cur.fetchone()[0]
    conn.close()
    return found


def reading_views(var):
    """How many views of the database have a reading time."""
    return select_one(
        var, "SELECT count(*) FROM clicktracker.received WHERE seconds > 0"
    )


def stored_hits(var):
    # Every view is counted in the totals (raw hit rows fold reloads).
    return select_one(var, "SELECT coalesce(sum(count), 0) FROM clicktracker.access")


def main():
    raw = SCRIPT.read_bytes()
    print(
        f"tracking script as served ({SCRIPT.name}): {len(raw)} bytes,"
        f" {len(gzip.compress(raw, 9))} gzipped (target < 1024);"
        f" source {SOURCE.name}: {len(SOURCE.read_bytes())} bytes"
    )

    base, var = scratch_var()
    try:
        demo = Demo(var, port_for.select_random())
        demo.start()
        password = demo.credentials()["alice"]
        demo.interrupt()  # the ZODB is free for zconsole
        side = zope_side(var)
        print(
            "viewlet render: tracked page "
            f"{side['viewlet_tracked_us']:.0f} us, untracked page "
            f"{side['viewlet_untracked_us']:.1f} us (target < 1000 us)"
        )
        demo = Demo(var, port_for.select_random())
        demo.start()
        try:
            pages(demo, password)
            run(demo, password, side["token"])
        finally:
            demo.interrupt()
    finally:
        remove(base)


# name: (label, view, connection closed after each request, expected status)
VIEWS = {
    "ok": ("@@ok (no-op), keep-alive", "@@ok", False, 200),
    "ok_close": ("@@ok (no-op), closing", "@@ok", True, 200),
    "callback": ("@@clicktracker-callback", "@@clicktracker-callback", False, 204),
    # The script's reading update of each view the callback stored just
    # before in the same round (a view that is known, figures that grew).
    "update": ("reading update (callback)", "@@clicktracker-callback", False, 204),
}


def update_of(body):
    """The reading update the script sends for the view of ``body``."""
    return {
        "token": body["token"],
        "view": body["view"],
        "seconds": "42",
        "depth": "60",
        "end": "0",
    }


def layouts():
    """[(description, (Zope's CPUs, everything else's CPUs) or None)]."""
    cpus = os.sched_getaffinity(0)
    found = [(f"Zope, PostgreSQL and the clients sharing {len(cpus)} cores", None)]
    if len(cpus) >= 2:
        zope_cpu = {min(cpus)}
        found.append(
            (
                "Zope on a core of its own, PostgreSQL and the clients on the "
                f"other {len(cpus) - 1}",
                (zope_cpu, cpus - zope_cpu),
            )
        )
    return found


def pin(processes, cpus):
    """Run every thread of ``processes`` on ``cpus`` only.

    Threads started and processes forked later inherit it (PostgreSQL's
    backends are forked by the postmaster, the clients by our main thread).
    """
    for process in processes:
        try:
            for thread in process.threads():
                os.sched_setaffinity(thread.id, cpus)
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass  # a backend that just ended


def cpu_seconds(processes):
    """{pid: user + system CPU seconds so far} of the processes still alive."""
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def cpu_used(before, after):
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def pages(demo, password):
    """Tracked vs untracked page, alternating rounds of GETs as a member."""
    urls = {
        "tracked": f"{demo.url}/board-meeting/agenda",
        "untracked": f"{demo.url}/welcome",
    }
    zope = demo.zope_processes()
    for url in urls.values():  # the first render fills the RAM cache
        send_all("GET", url, [None] * 20, password)
    seconds, cpu, ratios = dict.fromkeys(urls, 0.0), dict.fromkeys(urls, 0.0), []
    for _ in range(PAGE_ROUNDS):
        rates = {}
        for name, url in urls.items():
            before = cpu_seconds(zope)
            rates[name], statuses = send_all(
                "GET", url, [None] * PAGES_PER_ROUND, password
            )
            assert set(statuses) == {200}, (name, set(statuses))
            cpu[name] += cpu_used(before, cpu_seconds(zope))
            seconds[name] += PAGES_PER_ROUND / rates[name]
        ratios.append(rates["tracked"] / rates["untracked"])
    total = PAGE_ROUNDS * PAGES_PER_ROUND
    print(
        f"Pages as a member with HTTP caching on, {CLIENTS} clients, "
        f"{PAGE_ROUNDS} alternating rounds of {PAGES_PER_ROUND}:"
    )
    for name in urls:
        print(
            f"  {name + ' page':<30}{total / seconds[name]:>7.0f} req/s"
            f"{cpu[name] / total * 1e6:>9.0f} us Zope CPU/req"
        )
    spread = sorted(ratios)
    print(
        f"  ratio tracked / untracked: {seconds['untracked'] / seconds['tracked']:.0%}"
        f"; per round {spread[0]:.0%}..{spread[-1]:.0%}"
    )


def run(demo, password, token):
    doc_url = f"{demo.url}/board-meeting/agenda"
    count = WARM_UP + len(layouts()) * ROUNDS * PER_ROUND
    # One page's token, each showing with its own view id, as the script
    # sends them: every POST is one view.
    bodies = [
        {
            "token": token,
            "view": secrets.token_hex(16),
            "url": doc_url,
            "referrer": demo.url,
        }
        for _ in range(count)
    ]
    zope = demo.zope_processes()
    everything_else = [psutil.Process()]

    def post(name, chunk):
        _label, view, close, expected = VIEWS[name]
        if name == "update":
            chunk = [update_of(body) for body in chunk]
        rate, statuses = post_all(f"{doc_url}/{view}", chunk, password, close)
        assert set(statuses) == {expected}, (name, set(statuses))
        return rate

    # Warm caches and the connection pool first; these hits are not counted.
    for name in VIEWS:
        post(name, bodies[:WARM_UP])
    bodies = bodies[WARM_UP:]
    all_cpus = os.sched_getaffinity(0)
    try:
        for n, (description, split) in enumerate(layouts()):
            if split is not None:
                pin(zope, split[0])
                pin(everything_else + demo.postgres_processes(), split[1])
            chunk = ROUNDS * PER_ROUND
            measure(description, bodies[n * chunk : (n + 1) * chunk], post, demo, zope)
    finally:
        pin(zope + everything_else + demo.postgres_processes(), all_cpus)


def measure(description, bodies, post, demo, zope):
    """Alternating rounds of every view; prints rates, CPU and the ratios."""
    before = stored_hits(demo.var)
    seconds = dict.fromkeys(VIEWS, 0.0)
    zope_cpu = dict.fromkeys(VIEWS, 0.0)
    postgres_cpu = dict.fromkeys(VIEWS, 0.0)
    ratios = {"ok": [], "ok_close": [], "update": []}
    for n in range(ROUNDS):
        chunk = bodies[n * PER_ROUND : (n + 1) * PER_ROUND]
        rates = {}
        for name in VIEWS:
            cpu = cpu_seconds(zope), cpu_seconds(demo.postgres_processes())
            rates[name] = post(name, chunk)
            zope_cpu[name] += cpu_used(cpu[0], cpu_seconds(zope))
            # Listed again: backends may have started meanwhile.
            postgres = demo.postgres_processes()
            postgres_cpu[name] += cpu_used(cpu[1], cpu_seconds(postgres))
            seconds[name] += len(chunk) / rates[name]
        for name in ("ok", "ok_close"):
            ratios[name].append(rates["callback"] / rates[name])
        ratios["update"].append(rates["update"] / rates["callback"])
    stored = stored_hits(demo.var) - before
    total = ROUNDS * PER_ROUND
    rate = {name: total / seconds[name] for name in VIEWS}
    print(
        f"{description}; HTTP POSTs from {CLIENTS} clients logged in as a "
        f"member, {ROUNDS} alternating rounds of {PER_ROUND}:"
    )
    print(f"  {'view':<30}{'req/s':>7}{'Zope CPU/req':>14}{'PostgreSQL CPU/req':>20}")
    for name, (label, *_rest) in VIEWS.items():
        print(
            f"  {label:<30}{rate[name]:>7.0f}"
            f"{zope_cpu[name] / total * 1e6:>11.0f} us"
            f"{postgres_cpu[name] / total * 1e6:>17.0f} us"
        )
    for name, label in (("ok_close", "closing"), ("ok", "keep-alive")):
        spread = sorted(ratios[name])
        print(
            f"  ratio callback / no-op {label}: "
            f"{rate['callback'] / rate[name]:.0%} (target >= 80%); per round "
            f"{spread[0]:.0%}..{spread[-1]:.0%}, median {spread[len(spread) // 2]:.0%}"
        )
    extra = (zope_cpu["callback"] - zope_cpu["ok_close"]) / total * 1e6
    print(
        f"  Zope CPU of a callback beyond the closing no-op: {extra:.0f} us "
        f"({zope_cpu['callback'] / zope_cpu['ok_close'] - 1:+.0%})"
    )
    spread = sorted(ratios["update"])
    print(
        f"  ratio reading update / first hit: {rate['update'] / rate['callback']:.0%}"
        f"; per round {spread[0]:.0%}..{spread[-1]:.0%}; update / closing no-op: "
        f"{rate['update'] / rate['ok_close']:.0%}, / keep-alive no-op: "
        f"{rate['update'] / rate['ok']:.0%}"
    )
    print(f"  hits stored in PostgreSQL: {stored} of {total} callbacks")
    print(f"  views with reading time: {reading_views(demo.var)}")


if __name__ == "__main__":
    main()
