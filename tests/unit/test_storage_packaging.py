"""The SQL files ship inside the package."""

from importlib import resources
from pathlib import Path
from slc.clicktracker.storage import schema
import os
import shutil
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
    assert (schema.MIGRATIONS_DIR / "0001.sql").is_file()
    assert found.read_text() == (ROOT / "sql" / "db.sql").read_text()


def test_wheel_contains_exactly_the_sql(tmp_path):
    # From a copy without build output: setuptools would add files left in
    # an old build/ directory to the wheel.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "var", "*.egg-info", "__pycache__"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"]
        + ["--no-build-isolation", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("slc_clicktracker-*.whl")
    prefix = "slc/clicktracker/sql/"
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name[len(prefix) :]: archive.read(name)
            for name in archive.namelist()
            if name.startswith(prefix)
        }
    sql = ROOT / "sql"
    expected = {
        str(path.relative_to(sql)): path.read_bytes()
        for path in sql.rglob("*")
        if path.is_file()
    }
    assert shipped == expected
