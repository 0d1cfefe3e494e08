"""Checking an XLSX file within the bounds before openpyxl (or frictionless through it) opens
it: an XLSX file is a ZIP archive of XML documents, and a few kilobytes may declare a sheet of
sixteen thousand columns, skip to its millionth row, or expand a thousandfold (a zip bomb).

:func:`check_xlsx` reads the archive's central directory itself (members counted before
:mod:`zipfile` builds its list), then the sizes the members declare (which :mod:`zipfile` holds
them to: a member that expands beyond fails its checksum), then streams every member's XML
through expat, never extracted and never built into a tree, for the columns, cells and text
lengths of its sheets. :func:`xlsx_rows` bounds the rows openpyxl then reads.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, BinaryIO
from xml.parsers import expat

from bocage.core.spreadsheets.limits import (
    RowCounter,
    SpreadsheetError,
    SpreadsheetLimitError,
    SpreadsheetLimits,
    cell_too_long,
    too_many_cells,
    too_many_columns,
)

if TYPE_CHECKING:
    from bocage.core.cancellation import Cancellation

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_EOCD64 = 56 + 20  # the ZIP64 end record and its locator, just before the end record
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # a central directory header
#: SpreadsheetML's namespaces (transitional, strict), as expat reports them.
_MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main ",
    "http://purl.oclc.org/ooxml/spreadsheetml/main ",
)
_REFERENCE = re.compile(r"([A-Za-z]{1,4})(\d{1,8})?$")
#: Excel's own bounds, beyond which a reference is nonsense.
_MAX_EXCEL_COLUMNS, _MAX_EXCEL_ROWS = 16_384, 1_048_576


def check_xlsx(
    file: BinaryIO, limits: SpreadsheetLimits, cancellation: Cancellation | None = None
) -> None:
    """Check an XLSX file (seekable) against ``limits``: its members counted from its central
    directory before :mod:`zipfile` reads it; the sizes they declare (which :mod:`zipfile`
    holds them to: a member that expands beyond fails its checksum); then every member's XML
    streamed, never extracted, for the columns, cells and text lengths of its sheets."""
    size = file.seek(0, os.SEEK_END)
    _count_members(file, size, limits)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise SpreadsheetError(f"this is not a readable XLSX workbook ({error})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        expanded = sum(m.file_size for m in members)
        if expanded > limits.max_uncompressed_bytes:
            raise SpreadsheetLimitError(
                413,
                "max_uncompressed_bytes",
                limits.max_uncompressed_bytes,
                f"the workbook expands to {expanded} bytes",
                "split it into several files",
            )
        ratio = expanded / max(size, 1)
        if ratio > limits.max_compression_ratio:
            raise SpreadsheetLimitError(
                413,
                "max_compression_ratio",
                limits.max_compression_ratio,
                f"the workbook expands to {ratio:.1f} times its size, as zip bombs do",
                "save it again from your spreadsheet program",
            )
        cells = _SheetCells(limits)
        for member in members:
            try:
                with archive.open(member) as stream:
                    cells.scan(stream, cancellation)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:
                raise SpreadsheetError(
                    f"this is not a readable XLSX workbook ({member.filename}: {error})"
                ) from None
    file.seek(0)


def _count_members(file: BinaryIO, size: int, limits: SpreadsheetLimits) -> None:
    """Walk the central directory as :mod:`zipfile` will find it, counting members up to one
    more than ``max_zip_members``: reading a directory of a million entries would take
    seconds and hundreds of megabytes before any other check."""
    tail_size = min(size, _EOCD.size + 65_535)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = len(tail) - _EOCD.size  # no archive comment: the usual case, tried first as zipfile does
    if at < 0 or tail[at : at + 4] != b"PK\x05\x06":
        at = tail.rfind(b"PK\x05\x06", 0, len(tail) - _EOCD.size + 1)
    if at < 0:
        raise SpreadsheetError("this is not an XLSX workbook (not a ZIP archive)")
    end = size - tail_size + at
    directory_size = _EOCD.unpack_from(tail, at)[5]
    zip64 = end - _EOCD64
    if zip64 >= 0:
        file.seek(zip64)
        record = file.read(_EOCD64)
        if record[:4] == b"PK\x06\x06" and record[56:60] == b"PK\x06\x07":
            directory_size = struct.unpack_from("<Q", record, 40)[0]
            end = zip64
    position, count = end - directory_size, 0
    while 0 <= position < end:
        file.seek(position)
        header = file.read(_CENTRAL.size)
        if len(header) < _CENTRAL.size or header[:4] != b"PK\x01\x02":
            break  # zipfile will say what is wrong
        count += 1
        if count > limits.max_zip_members:
            raise SpreadsheetLimitError(
                422,
                "max_zip_members",
                limits.max_zip_members,
                f"the workbook holds more than {limits.max_zip_members} files",
                "save it again from your spreadsheet program",
            )
        fields_ = _CENTRAL.unpack(header)
        position += _CENTRAL.size + fields_[12] + fields_[13] + fields_[14]


class _SheetCells:
    """Streams a member's XML (expat, no tree) and checks the sheets it finds against the
    limits: each row's columns, each cell's text, and the cells readers will produce, which
    pad every row to the sheet's widest column (or its declared dimension) and fill the rows
    it skips."""

    def __init__(self, limits: SpreadsheetLimits) -> None:
        self.limits = limits
        self.cells = 0  # of the sheets scanned before this one

    def scan(self, stream: IO[bytes], cancellation: Cancellation | None) -> None:
        limits = self.limits
        parser = expat.ParserCreate(namespace_separator=" ")
        state = {"row": 0, "column": 0, "width": 0, "declared_rows": 0, "text": -1}

        def refuse_declarations(*args: Any) -> None:
            raise SpreadsheetError("the workbook's XML declares a DTD or entities: not allowed")

        def start(name: str, attributes: dict[str, str]) -> None:
            if not name.startswith(_MAIN):
                return
            local = name.rpartition(" ")[2]
            if local == "c":
                column = _column(attributes.get("r"), state["column"] + 1)
                state["column"] = column
                if column > state["width"]:
                    if column > limits.max_columns:
                        raise too_many_columns(limits, f"row {state['row']} has {column} columns")
                    state["width"] = column
            elif local == "row":
                state["row"] = _row(attributes.get("r"), state["row"] + 1)
                state["column"] = 0
                self._check_extent(state["row"], state["width"])
            elif local in ("t", "v"):
                state["text"] = 0
            elif local == "dimension":
                reference = attributes.get("ref", "").rpartition(":")[2]
                columns = _column(reference, 0)
                if columns > limits.max_columns:
                    raise too_many_columns(
                        limits, f"a sheet declares {columns} columns ({reference})"
                    )
                state["width"] = max(state["width"], columns)
                state["declared_rows"] = _row(reference, 0)

        def end(name: str) -> None:
            local = name.rpartition(" ")[2]
            if local in ("t", "v"):
                state["text"] = -1

        def text(data: str) -> None:
            if state["text"] >= 0:
                state["text"] += len(data)
                if state["text"] > limits.max_cell_chars:
                    raise cell_too_long(limits, f"row {state['row']} has a longer cell")

        parser.StartDoctypeDeclHandler = refuse_declarations
        parser.EntityDeclHandler = refuse_declarations
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        try:
            while chunk := stream.read(256 * 1024):
                parser.Parse(chunk, False)
                if cancellation is not None:
                    cancellation.check()
            parser.Parse(b"", True)
        except expat.ExpatError:
            return  # not XML (an image...); a broken sheet is its reader's to report
        rows = max(state["row"], state["declared_rows"])
        self._check_extent(rows, state["width"])
        self.cells += rows * state["width"]

    def _check_extent(self, rows: int, width: int) -> None:
        if self.cells + rows * width > self.limits.max_cells:
            raise too_many_cells(self.limits, f"a sheet spans {rows} rows of {width} columns")


def _column(reference: str | None, default: int) -> int:
    """The column number of a cell reference (``XFD1`` -> 16384)."""
    match = _REFERENCE.match(reference or "")
    if match is None:
        return default
    number = 0
    for letter in match.group(1).upper():
        number = number * 26 + ord(letter) - 64
    return min(number, _MAX_EXCEL_COLUMNS + 1)


def _row(reference: str | None, default: int) -> int:
    """The row number of a ``<row r="...">`` (or of a cell reference's digits)."""
    if not reference:
        return default
    digits = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    if not digits.isdigit():
        return default
    return min(int(digits), _MAX_EXCEL_ROWS + 1)


def xlsx_rows(
    rows: Iterable[Iterable[Any]],
    limits: SpreadsheetLimits,
    cancellation: Cancellation | None = None,
) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a sheet (openpyxl's ``iter_rows(values_only=True)``), numbered from 1, each
    checked against ``limits`` as it is read."""
    counter = RowCounter(limits, cancellation)
    for number, row in enumerate(rows, start=1):
        cells = list(row)
        counter.add(number, cells)
        yield number, cells
