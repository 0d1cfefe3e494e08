"""Read a dataset's export in every format the open-data plugin writes, as rows of text: the
tests of a dataset check that each format says the same (``exported`` fixture)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx

#: The formats of every dataset (GeoJSON only for those with coordinates).
FORMATS = ("csv", "json", "ndjson", "xlsx", "parquet")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _rows(format_name: str, content: bytes) -> list[dict[str, str]]:
    if format_name == "csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    if format_name == "json":
        items = json.loads(content)
    elif format_name == "ndjson":
        items = [json.loads(line) for line in content.decode().splitlines() if line]
    elif format_name == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True).active
        header, *values = list(sheet.iter_rows(values_only=True))
        items = [dict(zip(header, row, strict=True)) for row in values]
    else:
        import pyarrow.parquet as pq

        items = pq.read_table(io.BytesIO(content)).to_pylist()
    return [{str(k): _text(v) for k, v in item.items()} for item in items]


async def exported(
    client: httpx.AsyncClient, identifier: str, fields: str, **headers: str
) -> dict[str, list[dict[str, str]]]:
    """``{format: rows}`` of the export of ``fields`` (text and integer fields: every format
    writes them alike) of the dataset ``identifier``, each row's values as text."""
    found = {}
    for format_name in FORMATS:
        response = await client.get(
            f"/api/opendata/datasets/{identifier}/export.{format_name}",
            params={"fields": fields},
            headers=headers,
        )
        assert response.status_code == 200, (format_name, response.text)
        found[format_name] = _rows(format_name, response.content)
    return found
