"""The package's layout rules (docs/architecture.rst), checked on the code."""

from pathlib import Path
import ast
import subprocess
import sys


PACKAGE = Path(__file__).resolve().parents[2] / "src" / "slc" / "clicktracker"
MAX_LINES = 300


def modules(under=PACKAGE):
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def imported(path):
    """Every module name ``path`` imports, at any depth of its code."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_add_on_never_imports_its_test_support():
    runtime = [
        ".".join(("slc", "clicktracker", *p.relative_to(PACKAGE).with_suffix("").parts))
        for p in modules()
        if "testing" not in p.relative_to(PACKAGE).parts
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {runtime!r}:\n"
        "    importlib.import_module(name.removesuffix('.__init__'))\n"
        "print(sorted(m for m in sys.modules if m.startswith("
        "('slc.clicktracker.testing', 'pytest'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_views_never_import_a_database_driver():
    for folder in ("browser", "controlpanel"):
        for path in modules(PACKAGE / folder):
            drivers = {n for n in imported(path) if n.split(".")[0] == "psycopg2"}
            assert not drivers, f"{path.name} imports {drivers}"


def test_long_modules_say_why():
    for path in modules():
        source = path.read_text()
        if source.count("\n") > MAX_LINES:
            docstring = ast.get_docstring(ast.parse(source)) or ""
            assert "on purpose" in docstring, f"{path.name}: why so long?"
