"""The one rule for the cells of every spreadsheet Bocage writes: the CSV and XLSX exports of
every plugin. What someone typed reaches a spreadsheet as text, never as a formula (CSV or
formula injection, OWASP).

CSV: a string that a spreadsheet would evaluate gets a single quote (``'``) in front of it:
one that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP), or with
their full-width forms ``＝ ＋ － ＠``, or with any of them after leading whitespace (which
spreadsheets may trim). Only strings are touched: numbers stay numbers, and a string that is
exactly a number (``-3``, ``+32``, ``-2,5`` of the French Excel dialect) is left as it is, since
a spreadsheet reads it as that number and it cannot hold a formula. The quote is part of the
cell: a program that reads the CSV sees it (the JSON, NDJSON and Parquet exports carry every
value exactly).

XLSX: every string is written as an inline text cell, exactly as given (no quote is needed):
never a formula, nor an error value (``#N/A``). Characters XML cannot carry (the control
characters but tab, line feed and carriage return) become U+FFFD; openpyxl cuts strings at
32,767 characters, Excel's limit.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

#: First characters that make a spreadsheet evaluate a cell.
TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
#: A number written as text: read as a number by spreadsheets, never as a formula.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
#: First characters worth a closer look: the triggers and whitespace (U+3000 is the last).
_SUSPECT = TRIGGERS | {chr(c) for c in range(0x3001) if chr(c).isspace()}


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet opening ``text`` in a CSV file could evaluate it."""
    first = text[:1]
    if first not in _SUSPECT:
        return False  # the usual case, decided on one character
    if first in "\t\r":
        return True
    return text.lstrip()[:1] in TRIGGERS and not _NUMBER.fullmatch(text)


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: a formula-like string with ``'`` in front, anything else as
    it is."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


class CsvWriter:
    """:func:`csv.writer` whose every cell goes through :func:`csv_cell`."""

    def __init__(self, file: Any, **fmtparams: Any) -> None:
        self._writer = csv.writer(file, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        # csv_cell, inlined for the usual case: exports write millions of cells
        return self._writer.writerow(
            [
                "'" + value
                if isinstance(value, str) and value[:1] in _SUSPECT and is_formula_like(value)
                else value
                for value in row
            ]
        )

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """``value`` for a row of a write-only ``sheet``: a string becomes a text cell; numbers,
    dates, booleans and ``None`` stay as they are (openpyxl types them)."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"  # openpyxl would make "=..." a formula and "#N/A" an error
    return cell


def xlsx_append(sheet: Any, row: Iterable[Any]) -> None:
    """Append ``row`` to a write-only openpyxl ``sheet``, its strings as text cells."""
    sheet.append([xlsx_cell(sheet, value) for value in row])
