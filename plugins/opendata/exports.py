"""Streamed exports: each writer turns batches of records into bytes as they come, so memory
stays flat whatever the dataset's size."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import anyio
import orjson


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str


FORMATS = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", "csv"),
    "json": ExportFormat("json", "application/json", "json"),
    "ndjson": ExportFormat("ndjson", "application/x-ndjson", "ndjson"),
    "xlsx": ExportFormat(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    ),
}

Batches = AsyncIterator[list[dict[str, Any]]]


def _excel_fr(value: Any) -> Any:
    """French Excel reads ``3,5`` as a number and ``3.5`` as text."""
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    return value


async def write_csv(fields: list[str], batches: Batches, *, excel_fr: bool) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel_fr else ",", lineterminator="\r\n")
    writer.writerow(fields)
    prefix = "\ufeff" if excel_fr else ""
    yield (prefix + buffer.getvalue()).encode("utf-8")
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        for record in batch:
            values = [record[name] for name in fields]
            writer.writerow([_excel_fr(v) for v in values] if excel_fr else values)
        yield buffer.getvalue().encode("utf-8")


async def write_json(fields: list[str], batches: Batches) -> AsyncIterator[bytes]:
    yield b"["
    first = True
    async for batch in batches:
        chunk = b",\n".join(orjson.dumps(record) for record in batch)
        if chunk:
            yield (b"\n" if first else b",\n") + chunk
            first = False
    yield b"\n]\n"


async def write_ndjson(fields: list[str], batches: Batches) -> AsyncIterator[bytes]:
    async for batch in batches:
        yield b"".join(orjson.dumps(record) + b"\n" for record in batch)


async def write_xlsx(fields: list[str], batches: Batches, *, title: str) -> AsyncIterator[bytes]:
    """openpyxl's write-only workbook spools rows to disk; the finished file is streamed from
    a temporary file (a ZIP is only complete once written)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(fields)
    async for batch in batches:
        for record in batch:
            sheet.append([record[name] for name in fields])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await anyio.to_thread.run_sync(workbook.save, path)
        with open(path, "rb") as file:
            while chunk := file.read(64 * 1024):
                yield chunk
    finally:
        os.unlink(path)


async def gzipped(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    async for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def export(
    format_name: str, fields: list[str], batches: Batches, *, title: str, excel_fr: bool = False
) -> AsyncIterator[bytes]:
    if format_name == "csv":
        return write_csv(fields, batches, excel_fr=excel_fr)
    if format_name == "json":
        return write_json(fields, batches)
    if format_name == "ndjson":
        return write_ndjson(fields, batches)
    return write_xlsx(fields, batches, title=title)
