"""``make start``: a demo Plone site on a private PostgreSQL cluster.

Everything lives under ``var/`` (or $DEMO_VAR): the cluster (unix socket only,
so it never clashes with a system PostgreSQL), the ZODB, the generated Zope
configuration and the demo members' passwords. Ctrl-C stops Zope and then
PostgreSQL; a later start copes with what an unclean stop left behind.
"""

from pathlib import Path
from slc.clicktracker.testing import localpg
from slc.clicktracker.testing.smtp import MailCatcher
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile


HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
DBNAME = "clicktracker"
PG_PORT = "5432"  # only names the socket file: TCP is off
# Members with the Editor role on the tracked folder; the others only read.
EDITORS = ("bob",)
LOCALES = ROOT / "src" / "slc" / "clicktracker" / "locales"


def demo_language(environ):
    """The site language ``DEMO_LANGUAGE`` asks for (English without it):
    English or a language the add-on is translated into."""
    offered = ["en", *sorted(p.parent.name for p in LOCALES.glob("*/LC_MESSAGES"))]
    language = (environ.get("DEMO_LANGUAGE") or "en").strip().lower()
    if language not in offered:
        raise RuntimeError(
            f"DEMO_LANGUAGE={language!r} is not offered; use one of "
            + ", ".join(offered)
        )
    return language


def socket_dir(var):
    """Unix socket paths are limited to ~107 bytes; fall back to /tmp if deep."""
    sockdir = var / "postgres"
    if len(str(sockdir)) + len("/.s.PGSQL.5432.lock") < 100:
        return sockdir
    digest = hashlib.sha256(str(var).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"slc-ct-{digest}"


def pg_ctl(datadir, *args, check=True):
    return subprocess.run(
        [*localpg.tool("pg_ctl"), "-D", str(datadir), *args],
        check=check,
        capture_output=True,
        text=True,
    )


def start_postgres(var):
    pgdir = var / "postgres"
    datadir = pgdir / "data"
    sockdir = socket_dir(var)
    for path in (pgdir, sockdir):
        path.mkdir(parents=True, exist_ok=True)
        localpg.hand_over(path)
    if not (datadir / "PG_VERSION").exists():
        print("Creating a private PostgreSQL cluster in", datadir)
        subprocess.run(
            [
                *localpg.tool("initdb"),
                "-D",
                str(datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    status = pg_ctl(datadir, "status", check=False)
    if status.returncode == 0:
        print("PostgreSQL is already running in", datadir)
    else:
        # An unclean stop leaves postmaster.pid and the socket lock behind;
        # the server is not running (status said so), so they are stale.
        (datadir / "postmaster.pid").unlink(missing_ok=True)
        for lock in sockdir.glob(".s.PGSQL.*"):
            lock.unlink()
        options = f"-k '{sockdir}' -c listen_addresses='' -p {PG_PORT}"
        pg_ctl(datadir, "start", "-w", "-l", str(pgdir / "server.log"), "-o", options)
    dsn = f"host={sockdir} port={PG_PORT} dbname={DBNAME} user=postgres"
    create_database(dsn.replace(f"dbname={DBNAME}", "dbname=postgres"))
    return datadir, dsn


def create_database(admin_dsn):
    import psycopg2

    conn = psycopg2.connect(admin_dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DBNAME,))
            if cur.fetchone() is None:
                cur.execute(f"CREATE DATABASE {DBNAME}")
    finally:
        conn.close()


def write_zope_config(var, port):
    instance = var / "instance"
    etc = instance / "etc"
    for sub in (
        etc,
        var / "filestorage",
        var / "blobstorage",
        var / "log",
        var / "cache",
    ):
        sub.mkdir(parents=True, exist_ok=True)
    values = {
        "instance": instance,
        "var": var,
        "host": os.environ.get("HOST", "localhost"),
        "port": port,
    }
    for name in ("zope.conf", "zope.ini"):
        template = (HERE / f"{name}.in").read_text()
        (etc / name).write_text(template.format(**values))
    return etc


def print_credentials(var, port, language):
    members = json.loads((var / "demo-members.json").read_text())
    url = f"http://localhost:{port}/Plone"
    print()
    print(f"  Demo site:  {url}  (language: {language}; DEMO_LANGUAGE=de for German)")
    admin = os.environ["DEMO_ADMIN_USER"], os.environ["DEMO_ADMIN_PASSWORD"]
    print(f"  Manager:    {admin[0]} / {admin[1]}")
    for userid, password in sorted(members.items()):
        what = "edits" if userid in EDITORS else "reads"
        print(f"  Member:     {userid} / {password}   ({what} the board meeting)")
    print(f"  Tracked:    {url}/board-meeting  (Board: alice, bob, carol)")
    print(f"  Mail:       {var / 'mail'}  (reminders land there as .eml files)")
    print("  Stop with Ctrl-C.")
    print(flush=True)


def main():
    try:
        return run()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        print(f"make start failed: {exc}\n{detail}", file=sys.stderr)
        return 1


def stop_requested(signum, frame):
    raise KeyboardInterrupt


def run():
    # A job started in the background by a script ignores SIGINT; Ctrl-C and
    # `kill` (SIGTERM) must still stop Zope and PostgreSQL cleanly. Python
    # handlers also reset to the default in the child processes.
    signal.signal(signal.SIGINT, stop_requested)
    signal.signal(signal.SIGTERM, stop_requested)
    var = Path(os.environ.get("DEMO_VAR", ROOT / "var")).resolve()
    port = os.environ.get("PORT", "8080")
    os.environ.setdefault("DEMO_ADMIN_USER", "admin")
    os.environ.setdefault("DEMO_ADMIN_PASSWORD", "admin")
    language = demo_language(os.environ)
    var.mkdir(parents=True, exist_ok=True)
    datadir, dsn = start_postgres(var)
    # The site's outgoing mail (reminders): kept under var/mail, announced here.
    mail = MailCatcher(var / "mail", announce=True).start()
    zope = None
    interrupted = False
    try:
        etc = write_zope_config(var, port)
        env = dict(
            os.environ,
            DEMO_VAR=str(var),
            DEMO_DSN=dsn,
            DEMO_EDITORS=" ".join(EDITORS),
            DEMO_SMTP_PORT=str(mail.port),
            DEMO_LANGUAGE=language,
        )
        print("Preparing the demo site (first run takes a minute)...", flush=True)
        subprocess.run(
            [BIN / "zconsole", "run", etc / "zope.conf", HERE / "setup_site.py"],
            check=True,
            env=env,
        )
        print_credentials(var, port, language)
        zope = subprocess.Popen([BIN / "runwsgi", etc / "zope.ini"], env=env)
        zope.wait()
    except KeyboardInterrupt:
        interrupted = True
    except subprocess.CalledProcessError as exc:
        print(
            f"Failed ({exc.returncode}): {' '.join(map(str, exc.cmd))}", file=sys.stderr
        )
        return 1
    finally:
        if zope is not None and zope.poll() is None:
            zope.send_signal(signal.SIGINT)
            zope.wait()
        mail.stop()
        print("Stopping PostgreSQL...", flush=True)
        pg_ctl(datadir, "stop", "-m", "fast", check=False)
    # Ctrl-C is how a demo is meant to end: that is success.
    return 0 if interrupted or zope is None else zope.returncode


if __name__ == "__main__":
    sys.exit(main())
