"""Reading a spreadsheet to import: CSV (any common delimiter, UTF-8 with or without BOM, or
the Windows-1252 of French Excel) or XLSX (openpyxl in read-only mode, rows streamed), within
the ``BOCAGE_SPREADSHEET_*`` bounds (:mod:`bocage.core.spreadsheets`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bocage.core.spreadsheets import csvfiles, xlsxfiles
from bocage.core.spreadsheets.limits import (
    SpreadsheetError,
    SpreadsheetLimitError,
    SpreadsheetLimits,
)

if TYPE_CHECKING:
    from bocage.core.cancellation import Cancellation


class SourceError(Exception):
    """The file cannot be read as a spreadsheet; the message says what to do."""


@dataclass
class Sheet:
    """A table: its header row and its data rows, numbered as a spreadsheet shows them."""

    format: str
    headers: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[Any]]]
    #: Number of data rows when known in advance (for progress bars), else None.
    total: int | None = None


def read_sheet(
    data: bytes,
    *,
    sheet: str | None = None,
    limits: SpreadsheetLimits | None = None,
    cancellation: Cancellation | None = None,
) -> Sheet:
    """The first (or the named) sheet of ``data``: XLSX if it is a ZIP archive, else CSV; read
    within ``limits`` (the settings' defaults when ``None``), which raise
    :class:`~bocage.core.spreadsheets.SpreadsheetLimitError`."""
    limits = limits or SpreadsheetLimits.of()
    if not data.strip():
        raise SourceError("the file is empty: send a CSV or XLSX file with a header row")
    try:
        if data[:4] == b"PK\x03\x04":
            return _xlsx(data, sheet, limits, cancellation)
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise SourceError("this is an old Excel .xls file: save it as .xlsx or CSV and retry")
        if sheet is not None:
            raise SourceError("a CSV file has no sheets: leave out the sheet name")
        return _csv(data, limits, cancellation)
    except SpreadsheetLimitError:
        raise
    except SpreadsheetError as error:
        raise SourceError(str(error)) from None


def _csv(data: bytes, limits: SpreadsheetLimits, cancellation: Cancellation | None) -> Sheet:
    dialect = csvfiles.detect(data, limits)
    rows = csvfiles.read_csv(data, dialect, limits, cancellation)
    found = next(((n, c) for n, c in rows if not is_blank(c)), None)
    if found is None:
        raise SourceError("the file has no header row")
    number, headers = found[0], [cell.strip() for cell in found[1]]
    ends_a_line = data.rstrip(b"\x00").endswith(b"\n")  # (UTF-16: "\n" is one "\n" byte too)
    total = max(data.count(b"\n") - number + (0 if ends_a_line else 1), 0)
    return Sheet(
        format="csv",
        headers=_trim(headers),
        header_row=number,
        rows=rows,
        total=total,
    )


def _xlsx(
    data: bytes, name: str | None, limits: SpreadsheetLimits, cancellation: Cancellation | None
) -> Sheet:
    from openpyxl import load_workbook

    xlsxfiles.check_xlsx(io.BytesIO(data), limits, cancellation)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged archive
        raise SourceError(f"this is not a readable XLSX workbook ({error})") from None
    if name is not None:
        if name not in workbook.sheetnames:
            raise SourceError(
                f"no sheet {name!r} in the workbook; its sheets are: "
                + ", ".join(repr(s) for s in workbook.sheetnames)
            )
        worksheet: Any = workbook[name]
    else:
        worksheet = workbook.worksheets[0]
    rows = xlsxfiles.xlsx_rows(worksheet.iter_rows(values_only=True), limits, cancellation)
    found = next(((n, c) for n, c in rows if not is_blank(c)), None)
    if found is None:
        raise SourceError(f"the sheet {worksheet.title!r} is empty: it needs a header row")
    number = found[0]
    headers = ["" if cell is None else str(cell).strip() for cell in found[1]]
    max_row = worksheet.max_row
    return Sheet(
        format="xlsx",
        headers=_trim(headers),
        header_row=number,
        rows=rows,
        total=max_row - number if max_row else None,
    )


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _trim(headers: list[str]) -> list[str]:
    while headers and not headers[-1]:
        headers.pop()
    return headers


def is_blank(cells: list[Any]) -> bool:
    return not any(_filled(cell) for cell in cells)
