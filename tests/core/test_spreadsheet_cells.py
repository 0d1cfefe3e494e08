"""bocage.core.spreadsheets.cells: the one rule for the cells of every CSV and XLSX export."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bocage.core.spreadsheets import CsvWriter, csv_cell, xlsx_append


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@SUM(1)", "'@SUM(1)"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("＝1+1", "'＝1+1"),
        ("＋1", "'＋1"),
        ("－1", "'－1"),
        ("＠x", "'＠x"),
        ("  =1+1", "'  =1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("\u00a0@x", "'\u00a0@x"),
        ("-", "'-"),
        ("+32 81 22 33 44", "'+32 81 22 33 44"),
        ("-3 °C", "'-3 °C"),
        # numbers written as text: a spreadsheet reads them as numbers, never as formulas
        ("-3", "-3"),
        ("+32", "+32"),
        ("-2,5", "-2,5"),
        ("-1.5e3", "-1.5e3"),
        (".5", ".5"),
        # harmless
        ("a=b", "a=b"),
        ("#N/A", "#N/A"),
        ("", ""),
        (" x", " x"),
        # not strings: as they are
        (-3, -3),
        (-2.5, -2.5),
        (None, None),
        (True, True),
    ],
)
def test_the_csv_cell_rule(value: Any, cell: Any) -> None:
    assert csv_cell(value) == cell


def test_the_csv_writer_applies_it_to_every_cell() -> None:
    out = io.StringIO()
    CsvWriter(out, delimiter=";").writerows([["=a", -1, "-1"], ["b", None, "@c"]])
    assert list(csv.reader(io.StringIO(out.getvalue()), delimiter=";")) == [
        ["'=a", "-1", "-1"],
        ["b", "", "'@c"],
    ]


def test_xlsx_strings_are_text_cells_exactly() -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    texts = ['=HYPERLINK("http://x","y")', "#N/A", "#DIV/0!", "@SUM(1)", "+1", "＝1"]
    xlsx_append(sheet, [*texts, "bell\x07", -3, 2.5, None])
    buffer = io.BytesIO()
    book.save(buffer)
    (row,) = load_workbook(buffer).active.iter_rows()
    assert [(c.data_type, c.value) for c in row[: len(texts)]] == [("s", t) for t in texts]
    assert row[len(texts)].value == "bell\ufffd"  # XML cannot carry it
    assert [(c.data_type, c.value) for c in row[len(texts) + 1 :]] == [("n", -3), ("n", 2.5)]


def test_every_writer_goes_through_the_rule() -> None:
    """No module of the core or of a bundled plugin writes CSV with the csv module, or appends
    to a workbook, except through bocage.core.spreadsheets."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bypasses = re.compile(r"csv\.(writer|DictWriter)\(|\b(sheet|ws|texts|worksheet)\.append\(")
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("core", "plugins")
        for path in (root / folder).rglob("*.py")
        if "spreadsheets" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if bypasses.search(line)
    ]
    assert found == [], f"write through CsvWriter / xlsx_append: {found}"
