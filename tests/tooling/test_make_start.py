"""``make start``: the demo site on its private PostgreSQL, start to stop.

Runs demo/start.py exactly as the Makefile does, in a temporary var/ and on a
free port, then checks what a visitor sees, stops it with Ctrl-C (SIGINT to
the process group, as a terminal does), starts it again after an unclean
kill, and checks that the data survived.
"""

from demo.control import Demo
from demo.control import remove
from demo.control import scratch_var
from demo.start import pg_ctl
from demo.start import start_postgres
from pathlib import Path
from slc.clicktracker.testing import DESKTOP_UA
from tests.helpers import login
import port_for
import psycopg2
import pytest
import re
import requests
import subprocess
import sys
import time


pytestmark = pytest.mark.slow


def postmaster_running(var):
    return (var / "postgres" / "data" / "postmaster.pid").exists()


@pytest.fixture
def var():
    base, var = scratch_var()
    yield var
    remove(base)


def test_make_start_demo(var, page):
    demo = Demo(var, port_for.select_random())
    demo.start()
    try:
        creds = demo.credentials()
        assert creds["admin"] == "admin"
        assert set(creds) == {"admin", "alice", "bob", "carol"}
        assert f"Mail:       {var / 'mail'}" in demo.text

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

        # The demo folder is tracked: a member's page carries the script.
        agenda = requests.get(
            f"{demo.url}/board-meeting/agenda",
            auth=("alice", creds["alice"]),
            headers={"User-Agent": DESKTOP_UA},
            timeout=30,
        )
        assert "++resource++slc.clicktracker/clicktracker.min.js" in agenda.text
        # HTTP caching is on, as on production sites (plone.app.caching's
        # preset without a proxy): the page revalidates with its ETag.
        assert agenda.headers["X-Cache-Rule"] == "plone.content.itemView"
        again = requests.get(
            f"{demo.url}/board-meeting/agenda",
            auth=("alice", creds["alice"]),
            headers={"User-Agent": DESKTOP_UA, "If-None-Match": agenda.headers["ETag"]},
            timeout=30,
        )
        assert again.status_code == 304

        # bob edits the folder, so he manages its tracking; alice may not.
        tab = f"{demo.url}/board-meeting/@@tracking"
        editor = requests.get(tab, auth=("bob", creds["bob"]), timeout=30)
        assert editor.status_code == 200 and "tracked directly" in editor.text
        reader = requests.get(tab, auth=("alice", creds["alice"]), timeout=30)
        assert "insufficient-privileges" in reader.url

        # Before the meeting: Board is expected, alice has read the agenda.
        agenda_tab = f"{demo.url}/board-meeting/agenda/@@tracking"
        report = requests.get(agenda_tab, auth=("bob", creds["bob"]), timeout=30)
        assert "1 of 3 expected readers have read this (33%)" in report.text
        # Alice read it for 4 min 10 s, to the end (the seeded history).
        assert "4 min 10 s" in report.text
        # The folder: two months of the board reading the minutes, drawn.
        folder_tab = f"{demo.url}/board-meeting/@@tracking?chart_days=90"
        chart = requests.get(folder_tab, auth=("bob", creds["bob"]), timeout=30)
        assert 'id="tracking-chart"' in chart.text
        assert "<svg" in chart.text
        # bob reminds the others; the mail lands in var/mail, announced.
        login(page, demo.url, "bob", creds["bob"])
        page.goto(f"{demo.url}/board-meeting/agenda/@@clicktracker-remind")
        page.click("#remind-send")
        assert page.locator("#remind-sent").inner_text() == "2 reminders sent."
        mails = sorted((var / "mail").glob("*.eml"))
        assert len(mails) == 2
        assert "board-meeting/agenda" in mails[0].read_text()
        for _ in range(60):  # the launcher's output arrives a moment later
            if demo.text.count("Mail to ") == 2:
                break
            time.sleep(0.5)
        assert demo.text.count("Mail to ") == 2, demo.text[-2000:]
    finally:
        assert demo.interrupt() == 0, "".join(demo.output)[-3000:]
    assert not postmaster_running(var), "PostgreSQL left running after Ctrl-C"

    # The scheduled reminder run, as cron starts it: its own Zope from the
    # demo's zope.conf (Zope is stopped: the FileStorage is free), the
    # demo's database running.
    datadir, _dsn = start_postgres(var)
    try:
        run = subprocess.run(
            [
                Path(sys.executable).parent / "clicktracker-remind",
                "--zope-conf",
                var / "instance" / "etc" / "zope.conf",
                "--site",
                "Plone",
                "--days",
                "5",
                "--dry-run",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        pg_ctl(datadir, "stop", "-m", "fast", check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    # bob reminded the others of the agenda above; nobody read the budget.
    assert any("/board-meeting/agenda (deadline" in line for line in lines)
    assert sum("reminded recently" in line for line in lines) == 2, lines
    assert "  would remind alice <alice@example.org>" in lines

    # Start again in German, then stop uncleanly: stale pid file and socket
    # lock stay.
    again = Demo(var, port_for.select_random(), DEMO_LANGUAGE="de")
    again.start(timeout=180)
    assert again.credentials() == creds, "passwords changed between runs"
    report = requests.get(
        f"{again.url}/board-meeting/agenda/@@tracking",
        auth=("bob", creds["bob"]),
        timeout=30,
    )
    assert "1 von 3 vorgesehenen Lesern haben dies gelesen (33 %)" in report.text
    again.kill_everything()
    assert postmaster_running(var), "expected a stale postmaster.pid"

    third = Demo(var, port_for.select_random())
    third.start(timeout=180)
    try:
        folder = requests.get(f"{third.url}/board-meeting/agenda", timeout=30)
        assert folder.status_code == 200
        # Without DEMO_LANGUAGE the demo speaks English again.
        assert re.search(r'<html[^>]*\slang="en"', folder.text)
    finally:
        # This time a SIGTERM to the launcher alone: it still stops both.
        assert third.terminate() == 0
    assert not postmaster_running(var)
    assert not third.zope_running()
