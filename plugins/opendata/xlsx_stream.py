"""An XLSX workbook written as a stream: the ZIP entries leave as they are compressed (the
standard library's :mod:`zipfile` writes data descriptors on a stream it cannot seek), and the
one worksheet's XML is generated row by row, so the first bytes leave at once and memory
stays flat whatever the number of rows.

Cells follow the core's rule for XLSX (:func:`bocage.core.api.xlsx_append`): every string is an
inline text cell, never a formula nor an error value, characters XML cannot carry become
U+FFFD and strings stop at 32,767 characters. Numbers are number cells, booleans boolean
cells, dates and times number cells with a date format (times in UTC: a cell has no zone).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

#: Excel's longest text in a cell.
MAX_TEXT = 32_767
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.date(1899, 12, 30)
_EPOCH_ORDINAL = _EPOCH.toordinal()

#: Style indexes of ``styles.xml``: 1 a date, 2 a date and time.
DATE_STYLE, DATETIME_STYLE = 1, 2

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_OOXML = "http://schemas.openxmlformats.org"
_MAIN = f"{_OOXML}/spreadsheetml/2006/main"
_RELATIONSHIPS = f"{_OOXML}/package/2006/relationships"
_RELATION = f"{_OOXML}/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_OOXML}/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
    "</Types>"
)
_RELS = (
    f'{_XML}<Relationships xmlns="{_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATION}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATION}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATION}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'
_SHEET_END = "</sheetData></worksheet>"


def _workbook(title: str) -> str:
    name = escape(_sheet_name(title), {'"': "&quot;"})
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATION}">'
        f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _sheet_name(title: str) -> str:
    """A worksheet name Excel accepts: 1 to 31 characters, none of ``[]:*?/\\``."""
    name = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'")[:31]
    return name or "data"


def text_cell(value: str) -> str:
    value = _ILLEGAL.sub("\ufffd", value[:MAX_TEXT])
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f'<c t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'


def number_cell(value: float | int | Decimal) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return text_cell(repr(value))  # a cell cannot hold nan or inf as a number
    return f"<c><v>{value}</v></c>"


def date_cell(value: dt.date) -> str:
    return f'<c s="{DATE_STYLE}"><v>{value.toordinal() - _EPOCH_ORDINAL}</v></c>'


def datetime_cell(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    serial = value.toordinal() - _EPOCH_ORDINAL + seconds / 86400
    return f'<c s="{DATETIME_STYLE}"><v>{serial!r}</v></c>'


def cell(value: Any) -> str:
    """The XML of one cell holding ``value``, typed by its Python type."""
    if value is None:
        return "<c/>"
    if isinstance(value, str):
        return text_cell(value)
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return number_cell(value)
    if isinstance(value, dt.datetime):
        return datetime_cell(value)
    if isinstance(value, dt.date):
        return date_cell(value)
    return text_cell(str(value))


def rows_xml(rows: Sequence[Sequence[Any]]) -> bytes:
    parts = []
    for row in rows:
        parts.append("<row>" + "".join([cell(v) for v in row]) + "</row>")
    return "".join(parts).encode("utf-8")


class Drain(io.RawIOBase):
    """A write-only file that cannot seek, whose bytes are taken out as they are written (the
    XLSX zip here, Parquet row groups in :mod:`.exports`): nothing accumulates."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        data = bytes(self.buffer)
        del self.buffer[:]
        return data


async def stream_xlsx(
    header: Sequence[str],
    batches: AsyncIterator[Sequence[Sequence[Any]]],
    *,
    title: str,
    compresslevel: int = 1,
) -> AsyncIterator[bytes]:
    """The workbook of ``header`` and the rows of ``batches``, as bytes as soon as they are
    compressed."""
    import anyio

    drain = Drain()
    archive = zipfile.ZipFile(
        drain, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    )
    for name, text in (
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _RELS),
        ("xl/workbook.xml", _workbook(title)),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/styles.xml", _STYLES),
    ):
        archive.writestr(name, text)
    sheet = archive.open("xl/worksheets/sheet1.xml", mode="w")
    sheet.write((_SHEET_START + "<row>" + "".join(map(text_cell, header)) + "</row>").encode())
    yield drain.take()
    try:
        async for batch in batches:

            def write(rows: Sequence[Sequence[Any]] = batch) -> None:
                sheet.write(rows_xml(rows))

            await anyio.to_thread.run_sync(write)
            if chunk := drain.take():
                yield chunk
        sheet.write(_SHEET_END.encode())
        sheet.close()
        archive.close()
        yield drain.take()
    finally:
        if not sheet.closed:  # the client left: release the compressor
            sheet.close()
