"""The translation template knows every message of the Python code.

(Page templates are not checked here: their message ids come from their
content. Regenerate the template as its header says.)
"""

from pathlib import Path
import ast
import re


PACKAGE = Path(__file__).resolve().parents[2] / "src" / "slc" / "clicktracker"
POT = PACKAGE / "locales" / "slc.clicktracker.pot"


def pot_msgids():
    msgids, current = set(), None
    for line in POT.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = [line[len("msgid ") :]]
        elif line.startswith('"') and current is not None:
            current.append(line)
        else:
            if current is not None:
                msgids.add("".join(ast.literal_eval(part) for part in current))
            current = None
    return msgids - {""}


def python_msgids():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found[node.args[0].value] = path.relative_to(PACKAGE)
    return found


def test_python_messages_are_in_the_template():
    in_code = python_msgids()
    assert len(in_code) > 20  # the walk found the code's messages
    missing = {m: str(p) for m, p in in_code.items() if m not in pot_msgids()}
    assert not missing, f"regenerate {POT.name}; missing: {missing}"


def test_template_header_names_the_domain():
    text = POT.read_text(encoding="utf-8")
    assert re.search(r'^"Domain: slc\.clicktracker\\n"$', text, re.MULTILINE)
