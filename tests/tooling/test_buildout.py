"""The classic path: zc.buildout builds bin/instance that serves the add-on.

Runs the repository's buildout.cfg (pins from versions.cfg, generated from
constraints.txt) in a scratch copy of the source, with the project's
virtualenv Python, so it checks the configuration a site administrator uses.
"""

from pathlib import Path
import os
import port_for
import pytest
import requests
import shutil
import signal
import subprocess
import sys
import time


pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUILDOUT = Path(sys.executable).parent / "buildout"
SOURCES = ["setup.py", "pyproject.toml", "MANIFEST.in", "README.rst", "CHANGES.rst"]
CONFIGS = ["buildout.cfg", "versions.cfg"]

CHECK = """
from Products.GenericSetup import profile_registry
info = profile_registry.getProfileInfo("slc.clicktracker:default")
print("PROFILE", info["title"])
from plone.distribution.api import distribution
print("DISTRIBUTIONS", *sorted(d.name for d in distribution.get_distributions()))
"""


def test_pins_have_one_source_of_truth():
    result = subprocess.run(
        [sys.executable, ROOT / "scripts" / "pins.py", "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_buildout_builds_a_serving_instance(tmp_path):
    for name in SOURCES + CONFIGS:
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "src", tmp_path / "src", symlinks=True)
    if (ROOT / "sql").exists():
        shutil.copytree(ROOT / "sql", tmp_path / "sql")
    port = port_for.select_random()
    build = subprocess.run(
        [BUILDOUT, "-N", f"instance:http-address={port}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    instance = tmp_path / "bin" / "instance"

    (tmp_path / "check.py").write_text(CHECK)
    run = subprocess.run(
        [instance, "run", "check.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "PROFILE slc.clicktracker" in run.stdout, run.stdout + run.stderr
    # The Zope root can create a Classic UI site, as on any Plone install.
    assert "DISTRIBUTIONS classic" in run.stdout, run.stdout + run.stderr

    server = subprocess.Popen(
        [instance, "fg"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = requests.get(
                    f"http://localhost:{port}/", timeout=5
                ).status_code
            except requests.RequestException:
                time.sleep(1)
        assert status == 200
        # The instance's Manager (user = admin:admin) reaches the ZMI.
        zmi = requests.get(
            f"http://localhost:{port}/manage_main", auth=("admin", "admin"), timeout=30
        )
        assert zmi.status_code == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
