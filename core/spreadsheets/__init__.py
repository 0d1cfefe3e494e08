"""Spreadsheet files: one place for what every plugin and the core do with them.

- Writing (the CSV and XLSX exports): :mod:`.cells`, the rule that keeps what someone typed a
  text, never a formula (:class:`CsvWriter`, :func:`xlsx_append`).

Plugins reach these through :mod:`bocage.core.api`.
"""

from __future__ import annotations

from bocage.core.spreadsheets.cells import (
    CsvWriter,
    csv_cell,
    is_formula_like,
    xlsx_append,
    xlsx_cell,
)

__all__ = ["CsvWriter", "csv_cell", "is_formula_like", "xlsx_append", "xlsx_cell"]
