"""Reading a spreadsheet: CSV (any common delimiter, UTF-8 with or without BOM, or the
Windows-1252 of French Excel) or XLSX (openpyxl in read-only mode, rows streamed)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Delimiters a CSV may use; French Excel writes ``;`` because ``,`` is the decimal separator.
DELIMITERS = ";,\t|"


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


def read_sheet(data: bytes, *, sheet: str | None = None) -> Sheet:
    """The first (or the named) sheet of ``data``: XLSX if it is a ZIP archive, else CSV."""
    if not data.strip():
        raise SourceError("the file is empty: send a CSV or XLSX file with a header row")
    if data[:4] == b"PK\x03\x04":
        return _xlsx(data, sheet)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SourceError("this is an old Excel .xls file: save it as .xlsx or CSV and retry")
    if sheet is not None:
        raise SourceError("a CSV file has no sheets: leave out the sheet name")
    return _csv(data)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv(data: bytes) -> Sheet:
    text = _decode(data)
    if "\x00" in text:
        raise SourceError("this is not a text CSV file: send UTF-8 CSV or XLSX")
    sample = text[:64_000]
    first_line = sample.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        counts = {d: first_line.count(d) for d in DELIMITERS}
        delimiter = max(counts, key=lambda d: counts[d])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = enumerate(reader, start=1)
    found = next(((n, c) for n, c in rows if not is_blank(c)), None)
    if found is None:
        raise SourceError("the file has no header row")
    number, headers = found[0], [cell.strip() for cell in found[1]]
    total = max(text.count("\n") - number + (0 if text.endswith("\n") else 1), 0)
    return Sheet(
        format="csv",
        headers=_trim(headers),
        header_row=number,
        rows=((n, list(c)) for n, c in rows),
        total=total,
    )


def _xlsx(data: bytes, name: str | None) -> Sheet:
    from openpyxl import load_workbook

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
        worksheet = workbook[name]
    else:
        worksheet = workbook.worksheets[0]
    rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
    found = next(((n, list(c)) for n, c in rows if not is_blank(list(c))), None)
    if found is None:
        raise SourceError(f"the sheet {worksheet.title!r} is empty: it needs a header row")
    number = found[0]
    headers = ["" if cell is None else str(cell).strip() for cell in found[1]]
    max_row = worksheet.max_row
    return Sheet(
        format="xlsx",
        headers=_trim(headers),
        header_row=number,
        rows=((n, list(c)) for n, c in rows),
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
