"""``make start``: the demo site on its private PostgreSQL, start to stop.

Runs demo/start.py exactly as the Makefile does, in a temporary var/ and on a
free port, then checks what a visitor sees, stops it with Ctrl-C (SIGINT to
the process group, as a terminal does), starts it again after an unclean
kill, and checks that the data survived.
"""

from pathlib import Path
from tests.conftest import login
import os
import port_for
import psutil
import psycopg2
import pytest
import re
import requests
import shutil
import signal
import subprocess
import sys
import tempfile
import time


pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
READY = "Stop with Ctrl-C."


class Demo:
    def __init__(self, var, port):
        self.var, self.port = var, port
        self.url = f"http://localhost:{port}/Plone"
        self.proc = None
        self.output = []

    def start(self, timeout=300):
        env = dict(os.environ, DEMO_VAR=str(self.var), PORT=str(self.port))
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "demo" / "start.py")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            self.output.append(line)
            if READY in line or time.monotonic() > deadline:
                break
        assert READY in "".join(self.output), "".join(self.output)[-3000:]
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.5)
        pytest.fail(f"demo site never answered on {self.url}")

    def credentials(self):
        text = "".join(self.output)
        return dict(re.findall(r"(?:Manager|Member):\s+(\S+) / (\S+)", text))

    def interrupt(self):
        """Ctrl-C: SIGINT to the whole foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        rest, _ = self.proc.communicate(timeout=60)
        self.output.append(rest)
        return self.proc.returncode

    def kill_everything(self):
        """An unclean stop: SIGKILL Zope, the launcher and PostgreSQL."""
        pidfile = self.var / "postgres" / "data" / "postmaster.pid"
        postmaster = int(pidfile.read_text().split()[0])
        os.killpg(self.proc.pid, signal.SIGKILL)
        psutil.Process(postmaster).kill()
        psutil.wait_procs([psutil.Process(postmaster)], timeout=30)
        self.proc.wait(timeout=30)


def postmaster_running(var):
    return (var / "postgres" / "data" / "postmaster.pid").exists()


@pytest.fixture
def var():
    # Not pytest's tmp_path: that is private (0700), and as root the server
    # runs as another account that must reach its data directory.
    base = Path(tempfile.mkdtemp(prefix="slc-ct-demo-"))
    base.chmod(0o755)
    yield base / "var"
    shutil.rmtree(base, ignore_errors=True)


def test_make_start_demo(var, page):
    demo = Demo(var, port_for.select_random())
    demo.start()
    try:
        creds = demo.credentials()
        assert creds["admin"] == "admin"
        assert set(creds) == {"admin", "alice", "bob"}

        # The tracked demo folder with its published documents, for anonymous.
        folder = requests.get(f"{demo.url}/board-meeting", timeout=30)
        assert folder.status_code == 200
        assert "Agenda" in folder.text and "Budget proposal" in folder.text

        # The add-on is installed, its DSN points at the private cluster.
        login(page, demo.url, "admin", "admin")
        page.goto(f"{demo.url}/@@clicktracker-controlpanel")
        dsn = page.locator("#form-widgets-dsn").input_value()
        assert "dbname=clicktracker" in dsn and "postgres" in dsn

        # ... and the database there is initialised.
        conn = psycopg2.connect(dsn)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT version FROM clicktracker.schema_version")
            assert cur.fetchone()[0] >= 1
        conn.close()

        # Members can log in with the printed passwords.
        member = requests.get(
            f"{demo.url}/@@personal-information",
            auth=("alice", creds["alice"]),
            timeout=30,
        )
        assert member.status_code == 200 and "insufficient" not in member.url
    finally:
        assert demo.interrupt() == 0, "".join(demo.output)[-3000:]
    assert not postmaster_running(var), "PostgreSQL left running after Ctrl-C"

    # Start again, then stop uncleanly: stale pid file and socket lock stay.
    again = Demo(var, port_for.select_random())
    again.start(timeout=180)
    assert again.credentials() == creds, "passwords changed between runs"
    again.kill_everything()
    assert postmaster_running(var), "expected a stale postmaster.pid"

    third = Demo(var, port_for.select_random())
    third.start(timeout=180)
    try:
        folder = requests.get(f"{third.url}/board-meeting/agenda", timeout=30)
        assert folder.status_code == 200
    finally:
        assert third.interrupt() == 0
    assert not postmaster_running(var)
