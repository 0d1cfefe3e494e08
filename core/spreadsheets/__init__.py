"""Spreadsheet files, out and in: one place for what every plugin and the core do with them.

- Writing (the CSV and XLSX exports): :mod:`.cells`, the rule that keeps what someone typed a
  text, never a formula (:class:`CsvWriter`, :func:`xlsx_append`).
- Reading (open-data uploads, the spreadsheet import): :mod:`.limits`, the bounds of the
  ``BOCAGE_SPREADSHEET_*`` settings, checked by :mod:`.csvfiles` and :mod:`.xlsxfiles` while
  the file is streamed, before any other parser reads it (:func:`check_spreadsheet`).

Plugins reach these through :mod:`bocage.core.api`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from bocage.core.spreadsheets.cells import (
    CsvWriter,
    csv_cell,
    is_formula_like,
    xlsx_append,
    xlsx_cell,
)
from bocage.core.spreadsheets.csvfiles import CsvDialect, check_csv, read_csv
from bocage.core.spreadsheets.limits import (
    SpreadsheetError,
    SpreadsheetLimitError,
    SpreadsheetLimits,
)
from bocage.core.spreadsheets.xlsxfiles import check_xlsx

if TYPE_CHECKING:
    from bocage.core.cancellation import Cancellation


def check_spreadsheet(
    path: str | os.PathLike[str],
    file_format: str,
    limits: SpreadsheetLimits,
    cancellation: Cancellation | None = None,
) -> CsvDialect | None:
    """Read the file at ``path`` (``csv`` or ``xlsx``) within ``limits``, before another reader
    opens it; return a CSV's dialect, for the next reader to read what was checked
    (:func:`read_csv`). Raises :class:`SpreadsheetLimitError` (a bound: its ``status``, 413 or
    422, and ``setting``) or :class:`SpreadsheetError` (not readable)."""
    if file_format == "csv":
        return check_csv(path, limits, cancellation)
    with open(path, "rb") as file:
        check_xlsx(file, limits, cancellation)
    return None


__all__ = [
    "CsvDialect",
    "CsvWriter",
    "SpreadsheetError",
    "SpreadsheetLimitError",
    "SpreadsheetLimits",
    "check_spreadsheet",
    "csv_cell",
    "is_formula_like",
    "read_csv",
    "xlsx_append",
    "xlsx_cell",
]
