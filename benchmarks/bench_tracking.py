"""Tracking on a running instance: viewlet cost, script size, callback rate.

Starts the ``make start`` demo (Zope + its private PostgreSQL) in a scratch
directory, then measures, side by side in one run:

- the viewlet's render cost (tracked page: signs a token; untracked: nothing);
- the tracking script's size, raw and gzipped;
- POSTs per second to ``@@clicktracker-callback`` on a tracked document from
  several concurrent clients logged in as a member, each hit stored in
  PostgreSQL, beside POSTs of the same body to Plone's trivial ``@@ok`` view
  on the same object and instance. Rounds alternate to spread machine noise.
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import gzip
import json
import port_for
import psycopg2
import requests
import subprocess
import sys
import time


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.control import Demo  # noqa: E402
from demo.control import remove  # noqa: E402
from demo.control import scratch_var  # noqa: E402


CLIENTS = 4
ROUNDS = 3
PER_ROUND = 600
UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36"
SCRIPT = ROOT / "src/slc/clicktracker/browser/static/clicktracker.js"


def zope_side(var, count):
    zconsole = Path(sys.executable).parent / "zconsole"
    out = subprocess.run(
        [
            zconsole,
            "run",
            var / "instance/etc/zope.conf",
            ROOT / "benchmarks/zope_side.py",
            str(count),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def post_all(url, bodies, password):
    """POST every body with CLIENTS sessions; returns (requests/s, statuses)."""
    sessions = []
    for _ in range(CLIENTS):
        session = requests.Session()
        session.auth = ("alice", password)
        session.headers["User-Agent"] = UA
        sessions.append(session)
    chunks = [bodies[i::CLIENTS] for i in range(CLIENTS)]

    def work(index):
        session = sessions[index]
        return [
            session.post(url, data=body, timeout=30).status_code
            for body in chunks[index]
        ]

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = [s for chunk in pool.map(work, range(CLIENTS)) for s in chunk]
    return len(bodies) / (time.perf_counter() - start), statuses


def stored_hits(var):
    conn = psycopg2.connect(
        f"host={var / 'postgres'} port=5432 dbname=clicktracker user=postgres"
    )
    with conn, conn.cursor() as cur:
        # Every view is counted in the totals (raw hit rows fold reloads).
        cur.execute("SELECT coalesce(sum(count), 0) FROM clicktracker.access")
        count = cur.fetchone()[0]
    conn.close()
    return count


def main():
    raw = SCRIPT.read_bytes()
    print(f"tracking script: {len(raw)} bytes, {len(gzip.compress(raw, 9))} gzipped")

    base, var = scratch_var()
    try:
        demo = Demo(var, port_for.select_random())
        demo.start()
        password = demo.credentials()["alice"]
        demo.interrupt()  # the ZODB is free for zconsole
        side = zope_side(var, ROUNDS * PER_ROUND)
        print(
            "viewlet render: tracked page "
            f"{side['viewlet_tracked_us']:.0f} us, untracked page "
            f"{side['viewlet_untracked_us']:.1f} us (target < 1000 us)"
        )
        demo = Demo(var, port_for.select_random())
        demo.start()
        try:
            run(demo, var, password, side["tokens"])
        finally:
            demo.interrupt()
    finally:
        remove(base)


def run(demo, var, password, tokens):
    doc_url = f"{demo.url}/board-meeting/agenda"
    before = stored_hits(var)
    rates = {"callback": [], "ok": []}
    for n in range(ROUNDS):
        bodies = [
            {"token": token, "url": doc_url, "referrer": demo.url}
            for token in tokens[n * PER_ROUND : (n + 1) * PER_ROUND]
        ]
        rate, statuses = post_all(f"{doc_url}/@@ok", bodies, password)
        assert set(statuses) == {200}, set(statuses)
        rates["ok"].append(rate)
        rate, statuses = post_all(
            f"{doc_url}/@@clicktracker-callback", bodies, password
        )
        assert set(statuses) == {204}, set(statuses)
        rates["callback"].append(rate)
    stored = stored_hits(var) - before
    ok, callback = (sum(rates[k]) / ROUNDS for k in ("ok", "callback"))
    print(f"HTTP POSTs/s, {CLIENTS} clients logged in as a member, {ROUNDS} rounds:")
    print(f"  {'view':<28}{'req/s':>8}")
    print(f"  {'@@ok (no-op)':<28}{ok:>8.0f}")
    print(f"  {'@@clicktracker-callback':<28}{callback:>8.0f}")
    print(f"  ratio callback / no-op: {callback / ok:.0%} (target >= 80%)")
    print(f"  hits stored in PostgreSQL: {stored} of {ROUNDS * PER_ROUND} callbacks")


if __name__ == "__main__":
    main()
