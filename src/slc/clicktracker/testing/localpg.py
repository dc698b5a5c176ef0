"""A private PostgreSQL server for the test suite and the ``make start`` demo.

Not used by the add-on at run time. PostgreSQL refuses to run as root, so when
we are root (containers, CI) the server tools run as an unprivileged account
through ``runuser`` and the directories they write are handed to it.
"""

from pathlib import Path
import glob
import os
import pwd
import shutil
import subprocess


MIN_MAJOR = 13
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl; version >= {min}) not found. "
    "Install them, e.g. on Debian/Ubuntu: apt-get install postgresql libpq-dev"
)


def find_bindir():
    """Directory holding initdb and pg_ctl: $PG_BINDIR, pg_config, or Debian's."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    if shutil.which("pg_config"):
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        )
        candidates.append(out.stdout.strip())
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(debian, key=lambda p: int(p.split("/")[-2]), reverse=True)
    for bindir in candidates:
        if bindir and (Path(bindir) / "pg_ctl").exists():
            return bindir
    raise RuntimeError(MISSING.format(min=MIN_MAJOR))


def server_user():
    """Account the server runs as: ourselves, or an unprivileged one for root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' account")


def tool(name, bindir=None):
    """Argument list prefix that runs a server tool (pg_ctl, initdb) correctly."""
    path = str(Path(bindir or find_bindir()) / name)
    user = server_user()
    return [path] if user is None else ["runuser", "-u", user.pw_name, "--", path]


def hand_over(path):
    """Make ``path`` (a directory we created) writable by the server account."""
    user = server_user()
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def wrapper_script(directory, name="pg_ctl", bindir=None):
    """A one-line executable that runs ``name`` as the server account.

    For tools such as pytest-postgresql's executor that take a single path.
    """
    script = Path(directory) / name
    command = " ".join(f"'{part}'" for part in tool(name, bindir))
    script.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
    script.chmod(0o755)
    return str(script)
