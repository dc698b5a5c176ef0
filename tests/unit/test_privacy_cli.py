"""clicktracker-privacy: export, erase and pseudonymise from the command
line, on a real database (main() called with argv)."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from slc.clicktracker.storage.privacy import pseudonym
from slc.clicktracker.storage.privacy_cli import main
import csv
import io
import json
import logging
import pytest
import zipfile


KEY = b"a-key-of-the-site-0123456789"


@pytest.fixture
def filled(storage):
    old = datetime.now(UTC) - timedelta(days=60)
    for member in ("alice", "bob"):
        storage.log_visit(member, "/Plone/a", "http://x/Plone/a", title="A", when=old)
        storage.logAccess(member, "/Plone/b", "=cmd|' /C calc'!A0", title="B")
        storage.confirm("/Plone/a", member, when=old)
    return storage


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(KEY + b"\n")  # as `echo` writes it
    return str(path)


def test_export_json_to_stdout(filled, pg_dsn, capsysbinary, caplog):
    caplog.set_level(logging.INFO, "slc.clicktracker")
    assert main(["--dsn", pg_dsn, "export", "alice"]) == 0
    out, err = capsysbinary.readouterr()
    data = json.loads(out)
    assert data == json.loads(json.dumps(filled.member_data("alice")))
    assert [h["path"] for h in data["hits"]] == ["/Plone/a", "/Plone/b"]
    line = err.decode()
    assert line.startswith("clicktracker-privacy: audit: exported member 'alice'")
    assert "hits 2" in line and line.count("\n") == 1
    assert "exported member 'alice' as json by " in caplog.text


def test_export_csv_is_a_zip_of_safe_csv_files(filled, pg_dsn, tmp_path):
    target = tmp_path / "alice.zip"
    args = ["--dsn", pg_dsn, "export", "alice", "--format", "csv", "--output"]
    assert main([*args, str(target)]) == 0
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        hits = archive.read("hits.csv").decode("utf-8-sig")
        reminders = archive.read("reminders.csv")
    assert names == sorted(f"{t}.csv" for t in filled.member_data("alice"))
    rows = list(csv.DictReader(io.StringIO(hits)))
    assert [r["member"] for r in rows] == ["alice", "alice"]
    # Formula injection is defused as in every other CSV download.
    assert rows[1]["url"] == "'=cmd|' /C calc'!A0"
    assert reminders == b""  # nothing stored


def test_erase_needs_yes_and_erases(filled, pg_dsn, capsys):
    assert main(["--dsn", pg_dsn, "erase", "alice"]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert filled.member_data("alice")["hits"]
    assert main(["--dsn", pg_dsn, "erase", "alice", "--yes"]) == 0
    out, err = capsys.readouterr()
    assert out == "erased 8 rows of 'alice'\n"
    assert "audit: erased member 'alice' by " in err
    assert "hits 2, visits 1, access 2, confirmations 1, reminders 0" in err
    assert not any(filled.member_data("alice").values())
    assert filled.member_data("bob")["hits"]


def test_pseudonymise_a_member(filled, pg_dsn, key_file, capsys):
    args = ["--dsn", pg_dsn, "pseudonymise", "bob", "--key-file", key_file]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert out == "pseudonymised 6 rows of 'bob'\n"
    alias = pseudonym("bob", KEY)  # the site's pseudonym, newline or not
    assert f"as {alias!r}" in err
    assert len(filled.member_data(alias)["hits"]) == 2


def test_pseudonymise_old_rows(filled, pg_dsn, key_file, capsys, monkeypatch):
    monkeypatch.setenv("SLC_CLICKTRACKER_DSN", pg_dsn)
    args = ["--batch-size", "1", "pseudonymise", "--older-than", "30"]
    assert main([*args, "--key-file", key_file]) == 0
    # Per member: the old hit, its visit, its total and the confirmation.
    assert capsys.readouterr().out == "pseudonymised 8 rows older than 30 days\n"
    assert main([*args, "--key-file", key_file]) == 0
    assert capsys.readouterr().out == "pseudonymised 0 rows older than 30 days\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "COMMAND"),
        (["export"], "MEMBER"),
        (["export", "alice", "--format", "xml"], "invalid choice"),
        (["erase", "(anonymous)", "--yes"], "no member"),
        (["pseudonymise", "alice"], "--key-file"),
        (["pseudonymise", "--key-file", "KEY"], "either MEMBER or --older-than"),
        (["pseudonymise", "a", "--older-than", "3", "--key-file", "KEY"], "either"),
        (["pseudonymise", "--older-than", "0", "--key-file", "KEY"], "at least 1"),
        (["pseudonymise", "alice", "--key-file", "/nonexistent"], "cannot read"),
        (["pseudonymise", "alice", "--key-file", "SHORT"], "at least 16 bytes"),
        (["--batch-size", "0", "erase", "alice"], "at least 1"),
    ],
)
def test_bad_arguments(storage, pg_dsn, key_file, tmp_path, capsys, args, message):
    short = tmp_path / "short"
    short.write_bytes(b"tiny")
    args = [{"KEY": key_file, "SHORT": str(short)}.get(a, a) for a in args]
    try:
        status = main(["--dsn", pg_dsn, *args])
    except SystemExit as exit:  # argparse's way out
        status = exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("clicktracker-privacy: error: ")
    assert message in err and err.count("\n") == 1, err


def test_no_database_given(monkeypatch, capsys):
    monkeypatch.delenv("SLC_CLICKTRACKER_DSN", raising=False)
    assert main(["erase", "alice", "--yes"]) == 2
    assert capsys.readouterr().err == (
        "clicktracker-privacy: error: no database given "
        "(--dsn or $SLC_CLICKTRACKER_DSN)\n"
    )


def test_database_errors(pg_dsn, capsys):
    # Not set up yet; then a closed port on this host (refused at once).
    assert main(["--dsn", pg_dsn, "export", "alice"]) == 1
    assert "set up or upgrade the database" in capsys.readouterr().err
    assert main(["--dsn", "host=127.0.0.1 port=1 dbname=x", "erase", "a", "--yes"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("clicktracker-privacy: error: Cannot connect")
    assert err.count("\n") == 1 and "Traceback" not in err
