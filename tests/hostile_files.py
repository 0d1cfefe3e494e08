"""Hostile spreadsheets, built on the fly (tests, and bench/hostile_uploads.py): too wide,
too many cells, zip bombs, archives that lie about their sizes or hold too many members."""

from __future__ import annotations

import io
import struct
import zipfile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def wide_csv(columns: int, rows: int = 1, delimiter: str = ",") -> bytes:
    """A header of ``columns`` names and ``rows`` rows of as many cells (1,000,000 columns:
    9.9 MB)."""
    header = delimiter.join(f"c{i}" for i in range(columns))
    row = delimiter.join("1" for _ in range(columns))
    return ("\r\n".join([header, *[row] * rows]) + "\r\n").encode()


def table_csv(columns: int, rows: int, cell: str = "1") -> bytes:
    """A header and ``rows`` rows of ``columns`` cells: ``columns * (rows + 1)`` cells."""
    header = ",".join(f"c{i}" for i in range(columns))
    row = ",".join(cell for _ in range(columns))
    return ("\r\n".join([header, *[row] * rows]) + "\r\n").encode()


def workbook(rows: list[list[object]]) -> bytes:
    """An ordinary workbook (openpyxl) of ``rows``."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet(sheet_xml: bytes, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A valid workbook whose first sheet's XML is ``sheet_xml`` (and ``extra`` members
    added), compressed as hard as deflate can."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook([["a"]]))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for item in source.infolist():
            target.writestr(
                item.filename, sheet_xml if item.filename == SHEET else source.read(item)
            )
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def sheet_xml(rows: str, dimension: str | None = None) -> bytes:
    """A worksheet's XML around ``rows`` (``<row>`` elements)."""
    ref = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{ref}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def zip_bomb_xlsx(rows: int = 800_000) -> bytes:
    """A workbook of a few dozen KB whose sheet has ``rows`` identical rows (26 bytes each:
    800,000 rows expand to 21 MB)."""
    return with_sheet(sheet_xml("<row><c><v>1</v></c></row>" * rows))


def lying_xlsx(rows: int = 200_000, declared: int = 1000) -> bytes:
    """A workbook whose sheet says (in its local and central headers) it holds ``declared``
    bytes, while its data expands to much more."""
    data = bytearray(zip_bomb_xlsx(rows))
    name = SHEET.encode()
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        (name_length,) = struct.unpack_from("<H", data, local + 26)
        if data[local + 30 : local + 30 + name_length] == name:
            struct.pack_into("<L", data, local + 22, declared)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        (name_length,) = struct.unpack_from("<H", data, central + 28)
        if data[central + 46 : central + 46 + name_length] == name:
            struct.pack_into("<L", data, central + 24, declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def many_members_xlsx(members: int) -> bytes:
    """An ordinary workbook with empty members added, ``members`` in all."""
    base = workbook([["a"], [1]])
    count = len(zipfile.ZipFile(io.BytesIO(base)).infolist())
    return with_sheet(
        sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'),
        extra={f"docProps/extra{i}.xml": b"" for i in range(members - count)},
    )
