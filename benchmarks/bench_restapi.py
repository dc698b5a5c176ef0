"""``POST @hit`` (the REST API's hit, for headless frontends) on a running
instance, beside a plone.restapi service that does nothing.

Starts the ``make start`` demo in a scratch directory with one addition:
its Zope also loads ``restapi_noop.zcml`` (a no-op ``POST @bench-noop``
service on every content item; the add-on never registers it). Then
several concurrent clients logged in as a member POST the same JSON body
(the snippet's: token from ``GET @tracking``, a fresh view id per POST) to
``@hit`` and to ``@bench-noop`` on a tracked document; the Classic
callback (``@@clicktracker-callback``, a form body) runs beside them for
comparison. After a warm-up of each, short rounds alternate to spread
machine noise; the ratio is of the totals, the per-round ratios show the
spread. Every ``@hit`` must be stored in PostgreSQL (checked). As in
bench_tracking.py, the rounds run twice: with every core shared, and with
Zope on a core of its own.
"""

from pathlib import Path
from urllib.parse import urlsplit
import base64
import http.client
import json
import os
import port_for
import psutil
import secrets
import sys


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_tracking import CLIENTS  # noqa: E402
from bench_tracking import cpu_seconds  # noqa: E402
from bench_tracking import cpu_used  # noqa: E402
from bench_tracking import layouts  # noqa: E402
from bench_tracking import pin  # noqa: E402
from bench_tracking import stored_hits  # noqa: E402
from demo.control import Demo  # noqa: E402
from demo.control import remove  # noqa: E402
from demo.control import scratch_var  # noqa: E402
from slc.clicktracker.testing import DESKTOP_UA  # noqa: E402
import bench_tracking  # noqa: E402


ROUNDS = 12
PER_ROUND = 300
WARM_UP = 200

# Zope's own site.zcml (used when an instance has none) plus the no-op.
SITE_ZCML = """\
<configure xmlns="http://namespaces.zope.org/zope"
           xmlns:five="http://namespaces.zope.org/five">
  <include package="Zope2.App" />
  <include files="package-includes/*-meta.zcml" />
  <five:loadProducts file="meta.zcml"/>
  <include files="package-includes/*-configure.zcml" />
  <five:loadProducts />
  <include file="{noop}" />
  <includeOverrides files="package-includes/*-overrides.zcml" />
  <five:loadProductsOverrides />
</configure>
"""

# name: (label, view, JSON body, expected status)
VIEWS = {
    "noop": ("@bench-noop (no-op service)", "@bench-noop", True, 204),
    "hit": ("@hit", "@hit", True, 204),
    "callback": ("@@clicktracker-callback", "@@clicktracker-callback", False, 204),
}


def start_demo():
    """The demo, its Zope loading the no-op service too; (demo, base)."""
    base, var = scratch_var()
    etc = var / "instance" / "etc"
    etc.mkdir(parents=True)
    (etc / "site.zcml").write_text(
        SITE_ZCML.format(noop=HERE / "restapi_noop.zcml"), encoding="utf-8"
    )
    # restapi_noop.py for the ZCML's factory, in Zope and in its set-up;
    # only for this demo, not for the benchmarks run after this one.
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), before]))
    try:
        demo = Demo(var, port_for.select_random())
        demo.start()
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
    return demo, base


def request(method, url, password, body=None, headers=()):
    parts = urlsplit(url)
    auth = base64.b64encode(f"alice:{password}".encode()).decode("ascii")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    sent = {"Authorization": f"Basic {auth}", "User-Agent": DESKTOP_UA, **dict(headers)}
    conn.request(method, parts.path, body, sent)
    response = conn.getresponse()
    return response.status, response.read()


def token_of(doc_url, password):
    status, body = request(
        "GET", f"{doc_url}/@tracking", password, headers={"Accept": "application/json"}
    )
    assert status == 200, (status, body[:300])
    return json.loads(body)["hit"]["token"]


def post_json(url, bodies, password):
    """POST each body as JSON, as the snippet does (bench_tracking.send_all:
    CLIENTS threads, a connection and cookies each); returns (requests/s,
    statuses)."""
    payloads = [json.dumps(body).encode() for body in bodies]
    json_headers = {"Accept": "application/json", "Content-Type": "application/json"}
    return bench_tracking.send_all(
        "POST", url, payloads, password, extra_headers=json_headers.items()
    )


def main():
    demo, base = start_demo()
    try:
        password = demo.credentials()["alice"]
        doc_url = f"{demo.url}/board-meeting/agenda"
        status, _ = request(
            "POST",
            f"{doc_url}/@bench-noop",
            password,
            headers={"Accept": "application/json"},
        )
        assert status == 204, f"the no-op service is not there: {status}"
        token = token_of(doc_url, password)
        measure(demo, doc_url, password, token)
    finally:
        demo.interrupt()
        remove(base)


def measure(demo, doc_url, password, token):
    """Warm up, then the rounds once per layout of bench_tracking (cores
    shared; Zope on a core of its own)."""
    count = WARM_UP + len(layouts()) * ROUNDS * PER_ROUND
    views = {
        # The callback gets views of its own: a view counts once, either way.
        name: [
            {
                "token": token,
                "view": secrets.token_hex(16),
                "url": doc_url,
                "referrer": "",
            }
            for _ in range(count)
        ]
        for name in ("hit", "callback")
    }
    views["noop"] = views["hit"]

    def post(name, chunk):
        _label, view, as_json, expected = VIEWS[name]
        url = f"{doc_url}/{view}"
        if as_json:
            rate, statuses = post_json(url, chunk, password)
        else:
            rate, statuses = bench_tracking.post_all(url, chunk, password)
        assert set(statuses) == {expected}, (name, set(statuses))
        return rate

    for name in VIEWS:
        post(name, views[name][:WARM_UP])
    zope = demo.zope_processes()
    everything_else = [psutil.Process()]
    all_cpus = os.sched_getaffinity(0)
    try:
        for n, (description, split) in enumerate(layouts()):
            if split is not None:
                pin(zope, split[0])
                pin(everything_else + demo.postgres_processes(), split[1])
            first = WARM_UP + n * ROUNDS * PER_ROUND
            mine = {name: bodies[first:] for name, bodies in views.items()}
            rounds(description, mine, post, demo, zope)
    finally:
        pin(zope + everything_else + demo.postgres_processes(), all_cpus)


def rounds(description, views, post, demo, zope):
    """Alternating rounds of every view; prints rates, CPU and the ratio."""
    before = stored_hits(demo.var)
    seconds, cpu = dict.fromkeys(VIEWS, 0.0), dict.fromkeys(VIEWS, 0.0)
    ratios = []
    for n in range(ROUNDS):
        rates = {}
        for name in VIEWS:
            chunk = views[name][n * PER_ROUND : (n + 1) * PER_ROUND]
            used = cpu_seconds(zope)
            rates[name] = post(name, chunk)
            cpu[name] += cpu_used(used, cpu_seconds(zope))
            seconds[name] += len(chunk) / rates[name]
        ratios.append(rates["hit"] / rates["noop"])
    stored = stored_hits(demo.var) - before
    total = ROUNDS * PER_ROUND
    print(
        f"{description}; HTTP POSTs from {CLIENTS} clients logged in as a "
        f"member, {ROUNDS} alternating rounds of {PER_ROUND}:"
    )
    print(f"  {'view':<32}{'req/s':>7}{'Zope CPU/req':>14}")
    for name, (label, *_rest) in VIEWS.items():
        print(
            f"  {label:<32}{total / seconds[name]:>7.0f}"
            f"{cpu[name] / total * 1e6:>11.0f} us"
        )
    spread = sorted(ratios)
    print(
        f"  ratio @hit / no-op service: {seconds['noop'] / seconds['hit']:.0%} "
        f"(target >= 80%); per round {spread[0]:.0%}..{spread[-1]:.0%}, "
        f"median {spread[len(spread) // 2]:.0%}"
    )
    print(f"  @hit / Classic callback: {seconds['callback'] / seconds['hit']:.0%}")
    # Every @hit and every callback is a view of its own, all stored.
    print(f"  hits stored in PostgreSQL: {stored} of {2 * total} (@hit + callback)")
    assert stored == 2 * total, "some hits were not stored"


if __name__ == "__main__":
    main()
