"""Two Zope instances behind one load balancer count a hit once (#16).

The usual production layout: several Zope processes share one ZODB (here a
ZEO server) and one PostgreSQL database, and the load balancer may send any
request to any of them. A page's token is the same whichever instance made it
(within the hour), and the database stores each hit id once, so the same
report sent to both instances is one view.

The site is made as ``make start`` makes it: demo/setup_site.py run by
zconsole, the Zope configuration from demo/zope.conf.in and zope.ini.in (the
ZODB swapped for a ZEO client), on a fresh database of the run's PostgreSQL
cluster. Every request carries the Host header a load balancer passes on, so
both instances make the same URLs.
"""

from demo import start as demo
from pathlib import Path
from slc.clicktracker import tokens
from slc.clicktracker.storage.postgresql import PostgresqlStorage
from slc.clicktracker.testing import DESKTOP_UA
import base64
import html
import json
import os
import port_for
import psycopg2
import pytest
import re
import requests
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time


pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
# What the load balancer passes on as Host.
PUBLIC = "clicktracker.example"
# Made by demo/setup_site.py: a tracked folder, published documents, members.
# Not the agenda: the demo seeds a read of it (alice, before the meeting).
DOC_PATH = "/Plone/board-meeting/budget-proposal"
DOC_URL = f"http://{PUBLIC}{DOC_PATH}"
CALLBACK = f"{DOC_URL}/@@clicktracker-callback"
STARTUP = 120  # seconds an instance may take to answer
TOKEN = re.compile(r'data-token="([^"]+)"')

ZEO_CONF = """\
<zeo>
    address 127.0.0.1:{port}
</zeo>
<filestorage 1>
    path {dir}/Data.fs
    blob-dir {dir}/blobs
</filestorage>
"""

ZEO_CLIENT = """\
<zodb_db main>
    mount-point /
    cache-size 30000
    <zeoclient>
        server 127.0.0.1:{port}
        storage 1
        blob-dir {var}/blobcache
        shared-blob-dir off
    </zeoclient>
</zodb_db>"""


def tail(path, size=3000):
    return path.read_text(errors="replace")[-size:] if path.exists() else ""


def wait_for_port(port, proc, log, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode}:\n{tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing answered on port {port}:\n{tail(log)}")


class Processes:
    """The processes the test starts: each in its own session, and always
    stopped (SIGINT as Ctrl-C, SIGKILL after a grace period) at the end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.procs = []

    def start(self, name, *args):
        log = self.tmp_path / f"{name}.out"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(a) for a in args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc, log

    def stop_all(self):
        """The Zope instances first, then the ZEO server they use."""
        for proc in reversed(self.procs):
            self.signal(proc, signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.signal(proc, signal.SIGKILL)
                proc.wait(timeout=10)

    @staticmethod
    def signal(proc, signum):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signum)
            except ProcessLookupError:  # ended just now
                pass


class Instance:
    """A Zope instance: the demo's configuration, its ZODB a ZEO client."""

    def __init__(self, var, zeo_port):
        self.var = var
        self.port = port_for.select_random()
        self.proc = self.log = None
        self.etc = demo.write_zope_config(var, self.port)
        conf = self.etc / "zope.conf"
        text, count = re.subn(
            r"<zodb_db main>.*?</zodb_db>",
            ZEO_CLIENT.format(port=zeo_port, var=var),
            conf.read_text(),
            flags=re.S,
        )
        assert count == 1, "demo/zope.conf.in has no <zodb_db main> to replace"
        conf.write_text(text)
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, auth, **kw):
        headers = {"Host": PUBLIC, "User-Agent": DESKTOP_UA}
        return requests.request(
            method,
            self.base + path,
            auth=auth,
            headers=headers,
            timeout=30,
            allow_redirects=False,
            **kw,
        )

    def wait_for_site(self):
        wait_for_port(self.port, self.proc, self.log, STARTUP)
        answer = self.request("GET", "/Plone", None)
        assert answer.status_code == 200, tail(self.var / "log" / "event.log")

    def token(self, auth):
        """The token of the document's page, rendered here for ``auth``."""
        page = self.request("GET", DOC_PATH, auth)
        assert page.status_code == 200, page.status_code
        assert f'data-callback="{CALLBACK}"' in page.text
        return html.unescape(TOKEN.search(page.text).group(1))

    def report(self, auth, token, view):
        """What the tracking script sends when the page has been seen."""
        form = {"token": token, "view": view, "url": DOC_URL, "referrer": ""}
        answer = self.request(
            "POST", f"{DOC_PATH}/@@clicktracker-callback", auth, data=form
        )
        assert answer.status_code == 204, (answer.status_code, answer.text[:500])

    def spooled(self):
        """Hits this instance had to keep for later (none, if all went well)."""
        spool = self.var / "clicktracker-spool.sqlite"
        if not spool.exists():
            return 0
        conn = sqlite3.connect(spool)
        try:
            return conn.execute("SELECT count(*) FROM hits").fetchone()[0]
        finally:
            conn.close()


def view_id():
    return secrets.token_hex(16)


def payload(token):
    body = token.partition(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def same_hour_tokens(a, b, auth):
    """The page's token from both instances; again if the hour turned."""
    for _attempt in range(2):
        first, second = a.token(auth), b.token(auth)
        if payload(first)["e"] == payload(second)["e"]:
            break
    return first, second


def stored_views(dsn):
    storage = PostgresqlStorage(dsn)
    try:
        return sum(row.count for row in storage.getLog(DOC_PATH))
    finally:
        storage.close()


def received_ids(dsn):
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM clicktracker.received")
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_a_hit_counts_once_across_instances(tmp_path, pg_dsn, monkeypatch):
    # demo/zope.ini.in listens on $HOST.
    monkeypatch.setenv("HOST", "127.0.0.1")
    zeo_dir = tmp_path / "zeo"
    zeo_dir.mkdir()
    zeo_port = port_for.select_random()
    (zeo_dir / "zeo.conf").write_text(ZEO_CONF.format(port=zeo_port, dir=zeo_dir))
    a = Instance(tmp_path / "a", zeo_port)
    b = Instance(tmp_path / "b", zeo_port)
    processes = Processes(tmp_path)
    try:
        zeo, zeo_log = processes.start(
            "zeo", BIN / "runzeo", "-C", zeo_dir / "zeo.conf"
        )
        wait_for_port(zeo_port, zeo, zeo_log, 30)
        alice, bob = make_site(a, pg_dsn)
        for instance in (a, b):
            instance.proc, instance.log = processes.start(
                instance.var.name, BIN / "runwsgi", instance.etc / "zope.ini"
            )
        for instance in (a, b):
            instance.wait_for_site()
        check_counting(a, b, alice, bob, pg_dsn)
    finally:
        processes.stop_all()


def make_site(instance, dsn):
    """The site, as `make start` makes it, through ``instance``'s ZEO client;
    returns the credentials of two members."""
    env = dict(
        os.environ,
        DEMO_VAR=str(instance.var),
        DEMO_DSN=dsn,
        DEMO_EDITORS="",
        DEMO_ADMIN_USER="admin",
        DEMO_ADMIN_PASSWORD=secrets.token_urlsafe(9),
    )
    setup = subprocess.run(
        [
            BIN / "zconsole",
            "run",
            instance.etc / "zope.conf",
            demo.HERE / "setup_site.py",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    members = json.loads((instance.var / "demo-members.json").read_text())
    return ("alice", members["alice"]), ("bob", members["bob"])


def check_counting(a, b, alice, bob, dsn):
    # Deterministic within the hour: the same token from either instance.
    token, token_b = same_hour_tokens(a, b, alice)
    assert token == token_b
    assert payload(token)["m"] == "alice"
    assert stored_views(dsn) == 0
    seeded = received_ids(dsn)  # the demo's own read of the agenda

    # One showing of the page, reported to A, then (a retry, a replay) to B,
    # twice: one view.
    first = view_id()
    a.report(alice, token, first)
    assert stored_views(dsn) == 1
    b.report(alice, token, first)
    b.report(alice, token, first)
    assert stored_views(dsn) == 1

    # Another showing of the same page (a reload): a second view.
    b.report(alice, token, view_id())
    assert stored_views(dsn) == 2

    # Someone else's token, and forged ones, count nothing anywhere.
    bobs = a.token(bob)
    assert payload(bobs)["m"] == "bob"
    fields = payload(token)
    wrong_key = tokens.sign(
        "not-the-site-secret", fields["m"], fields["o"], fields["s"]
    )
    altered = token.partition(".")[0] + "." + bobs.partition(".")[2]
    for instance in (a, b):
        for bad in (bobs, wrong_key, altered):
            instance.report(alice, bad, view_id())
    assert stored_views(dsn) == 2
    assert received_ids(dsn) == seeded + 2

    # Counted in the database, not left in an instance's spool for later.
    assert a.spooled() == b.spooled() == 0
