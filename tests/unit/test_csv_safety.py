"""CSV cells of the access log never start a spreadsheet formula (no Zope)."""

from slc.clicktracker.csvexport import safe_cell
from slc.clicktracker.csvexport import to_csv
import csv
import io
import pytest


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1:A9)",
        "\tcmd",
        "\rcmd",
        '=HYPERLINK("http://evil")',
        "=cmd|' /C calc'!A0",
    ],
)
def test_formula_starts_are_quoted(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("alice", "alice"),
        ("http://nohost/plone/doc?a=1", "http://nohost/plone/doc?a=1"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
        (None, ""),
        (3, "3"),
        ("'quoted", "'quoted"),
        ("\nnewline", "\nnewline"),
    ],
)
def test_other_values_are_kept(value, cell):
    assert safe_cell(value) == cell


def test_to_csv_protects_every_cell_and_round_trips():
    text = to_csv(
        ["User ID", "URL"],
        [["=evil", 'http://x/"a",b'], ["bob", "-2"]],
    )
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["User ID", "URL"],
        ["'=evil", 'http://x/"a",b'],
        ["bob", "'-2"],
    ]


def test_every_cell_is_quoted():
    text = to_csv(
        ["User ID", "Views"],
        [["x;=1+1", "a,b"], ['say "hi"', "two\nlines"], [3, None]],
    )
    assert text == (
        '"User ID","Views"\r\n"x;=1+1","a,b"\r\n"say ""hi""","two\nlines"\r\n"3",""\r\n'
    )


# Spreadsheets split on the separator of the reader's locale, which need not
# be a comma: a cell must stay whole, and harmless, with any of them.
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_no_formula_with_any_separator(delimiter):
    values = ["x;=1+1", "y,+2", "z\t-3", "w|@SUM(A1)", 'q";=4', "=5"]
    text = to_csv(["Value"], [[value] for value in values])
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert rows[1:] == [[safe_cell(value)] for value in values]
    for (cell,) in rows:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
