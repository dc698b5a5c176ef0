"""Drive ``demo/start.py`` from code: the make-start test and the benchmarks.

Starts it exactly as the Makefile does (in its own process group, like a
terminal job), waits until the site answers, reads the printed credentials,
and stops it with Ctrl-C or, to simulate a crash, with SIGKILL.
"""

from pathlib import Path
import os
import psutil
import re
import requests
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


ROOT = Path(__file__).resolve().parent.parent
READY = "Stop with Ctrl-C."


def scratch_var():
    """A throw-away data directory the PostgreSQL account can reach.

    (pytest's tmp_path is private, 0700; as root the server runs as
    another account.) Returns (base to remove afterwards, var directory).
    """
    base = Path(tempfile.mkdtemp(prefix="slc-ct-demo-"))
    base.chmod(0o755)
    return base, base / "var"


def remove(base):
    shutil.rmtree(base, ignore_errors=True)


class Demo:
    def __init__(self, var, port, **environ):
        """``environ``: more environment variables (DEMO_LANGUAGE="de")."""
        self.var, self.port = var, port
        self.environ = environ
        self.url = f"http://localhost:{port}/Plone"
        self.proc = None
        self.output = []

    @property
    def text(self):
        return "".join(self.output)

    def start(self, timeout=300):
        env = dict(
            os.environ, DEMO_VAR=str(self.var), PORT=str(self.port), **self.environ
        )
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
        if READY not in self.text:
            raise RuntimeError(f"demo did not start:\n{self.text[-3000:]}")
        # Keep reading: a full pipe would block Zope's next log line.
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url, timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.5)
        raise RuntimeError(f"demo site never answered on {self.url}")

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def zope_processes(self):
        """The running processes of this demo's Zope instance."""
        marker = str(self.var / "instance" / "etc" / "zope.ini")
        return [
            p
            for p in psutil.process_iter(["cmdline"])
            if marker in " ".join(p.info["cmdline"] or [])
        ]

    def zope_running(self):
        """Is any process of this demo's instance still alive?"""
        return bool(self.zope_processes())

    def postgres_processes(self):
        """This demo's PostgreSQL server: the postmaster and its children."""
        pidfile = self.var / "postgres" / "data" / "postmaster.pid"
        postmaster = psutil.Process(int(pidfile.read_text().split()[0]))
        return [postmaster, *postmaster.children(recursive=True)]

    def credentials(self):
        return dict(re.findall(r"(?:Manager|Member):\s+(\S+) / (\S+)", self.text))

    def interrupt(self):
        """Ctrl-C: SIGINT to the whole foreground process group."""
        return self._stop(lambda: os.killpg(self.proc.pid, signal.SIGINT))

    def terminate(self):
        """``kill PID``, as a process manager does: SIGTERM to the launcher only."""
        return self._stop(lambda: self.proc.send_signal(signal.SIGTERM))

    def _stop(self, send):
        send()
        self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        return self.proc.returncode

    def kill_everything(self):
        """An unclean stop: SIGKILL Zope, the launcher and PostgreSQL."""
        postmaster = self.postgres_processes()[0]
        os.killpg(self.proc.pid, signal.SIGKILL)
        postmaster.kill()
        psutil.wait_procs([postmaster], timeout=30)
        self.proc.wait(timeout=30)
