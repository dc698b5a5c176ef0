"""The SQL files ship inside the package."""

from importlib import resources
from pathlib import Path
from slc.clicktracker.storage import schema
import os
import subprocess
import sys
import zipfile


ROOT = Path(__file__).resolve().parents[2]


def test_package_sql_is_a_relative_symlink_to_the_top_level_sql():
    link = ROOT / "src" / "slc" / "clicktracker" / "sql"
    assert link.is_symlink()
    assert os.readlink(link) == "../../../sql"


def test_editable_install_finds_db_sql():
    found = resources.files("slc.clicktracker").joinpath("sql", "db.sql")
    assert found.is_file()
    assert schema.DB_SQL.is_file()
    assert found.read_text() == (ROOT / "sql" / "db.sql").read_text()


def test_wheel_contains_the_sql(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"]
        + ["--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("slc_clicktracker-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "slc/clicktracker/sql/db.sql" in names
        assert "slc/clicktracker/sql/upgrades/README.rst" in names
        shipped = archive.read("slc/clicktracker/sql/db.sql").decode()
    assert shipped == (ROOT / "sql" / "db.sql").read_text()
