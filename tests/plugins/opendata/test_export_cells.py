"""What a commune uploads, or an editor types, reaches the public exports as data: CSV cells a
spreadsheet would run start with a quote (OWASP), XLSX strings are text cells, and the
machine formats (JSON, NDJSON, GeoJSON, Parquet) keep every value exactly."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from bocage.core.api import Principal, PrincipalKind, Role

from .conftest import As, serve

ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-staff", roles=frozenset({Role.TERRITORY_ADMIN})
)
EXPORT = "/api/opendata/datasets/{}/export.{}"
HYPERLINK = '=HYPERLINK("http://x","y")'
#: Each text, and the CSV cell it must become.
TEXTS = {
    HYPERLINK: "'" + HYPERLINK,
    "@SUM(1)": "'@SUM(1)",
    "+1+2": "'+1+2",
    "-2+3": "'-2+3",
    "\tTAB": "'\tTAB",
    "\rCR": "'\rCR",
    "＝1+1": "'＝1+1",  # full-width, as some spreadsheets read them
    "  =1+1": "'  =1+1",  # leading spaces, which spreadsheets may trim
    "-3": "-3",  # a number written as text: read as a number, never a formula
    "+32": "+32",
    "+32 81 22 33 44": "'+32 81 22 33 44",
    "#N/A": "#N/A",
    "a=b": "a=b",
}
#: What the excel-fr CSV writes instead: a text a spreadsheet would convert (a number, an
#: error value) is the formula ="...", which spreadsheets show as that text.
EXCEL_FR = {**TEXTS, "-3": '="-3"', "+32": '="+32"', "#N/A": '="#N/A"'}
SCHEMA = {
    "fields": [
        {"name": "texte", "type": "string"},
        {"name": "valeur", "type": "number"},
        {"name": "lon", "type": "number"},
        {"name": "lat", "type": "number"},
    ]
}
METADATA = {
    "title": {"fr": "Cellules"},
    "description": {"fr": "Des textes qui ressemblent à des formules."},
    "theme": "GOVE",
    "coordinates": {"longitude": "lon", "latitude": "lat"},
    "schema": SCHEMA,
}


@pytest.fixture
async def client(
    databases: Any, small_demo_url: str, make_settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(make_settings(str(await databases.clone(small_demo_url)))) as client:
        client.app.state.authenticator = As(ADMIN)  # type: ignore[attr-defined]
        yield client


def _upload() -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["texte", "valeur", "lon", "lat"])
    for n, text in enumerate(TEXTS):
        writer.writerow([text, -2.5 - n, 5.07, 50.67])
    return out.getvalue().encode()


def _csv_cells(content: bytes, delimiter: str) -> list[list[str]]:
    return list(
        csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    )


async def test_uploaded_texts_in_every_export_format(client: httpx.AsyncClient) -> None:
    path = "/api/opendata/uploads/cellules"
    assert (await client.put(path, json=METADATA)).status_code == 201
    stored = await client.post(
        f"{path}/versions", content=_upload(), headers={"Content-Type": "text/csv"}
    )
    assert stored.status_code == 201, stored.text
    assert (await client.post(f"{path}/publish")).status_code == 200
    records = (
        await client.get("/api/opendata/datasets/cellules/records", params={"limit": "100"})
    ).json()["items"]
    assert [r["texte"] for r in records] == list(TEXTS)  # stored exactly as uploaded

    for dialect, delimiter in (("", ","), ("excel-fr", ";")):
        response = await client.get(
            EXPORT.format("cellules", "csv"), params={"dialect": dialect} if dialect else {}
        )
        header, *rows = _csv_cells(response.content, delimiter)
        expected = EXCEL_FR if dialect else TEXTS
        assert [row[header.index("texte")] for row in rows] == list(expected.values()), dialect
        first = rows[0][header.index("valeur")]
        assert first == ("-2,5" if dialect else "-2.5")  # a negative number is left alone

    response = await client.get(EXPORT.format("cellules", "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert {cell.data_type for cell in cells} == {"s", "n"}
    header = [c.value for c in sheet[1]]
    column = header.index("texte")
    # XML reads a carriage return as a line feed: the one change a text undergoes in XLSX
    exact = [text.replace("\r", "\n") for text in TEXTS]
    assert [row[column].value for row in sheet.iter_rows(min_row=2)] == exact
    assert sheet.cell(row=2, column=header.index("valeur") + 1).value == -2.5

    as_json = (await client.get(EXPORT.format("cellules", "json"))).json()
    assert [r["texte"] for r in as_json] == list(TEXTS)
    ndjson = (await client.get(EXPORT.format("cellules", "ndjson"))).text.splitlines()
    assert [json.loads(line)["texte"] for line in ndjson] == list(TEXTS)
    geojson = (await client.get(EXPORT.format("cellules", "geojson"))).json()
    assert [f["properties"]["texte"] for f in geojson["features"]] == list(TEXTS)
    import pyarrow.parquet as pq

    parquet = await client.get(EXPORT.format("cellules", "parquet"))
    assert pq.read_table(io.BytesIO(parquet.content)).column("texte").to_pylist() == list(TEXTS)


async def test_a_core_dataset_value_too(client: httpx.AsyncClient) -> None:
    communes = await client.post(
        "/graphql", json={"query": "{ communes(first: 1) { edges { node { id } } } }"}
    )
    commune = communes.json()["data"]["communes"]["edges"][0]["node"]["id"]
    created = await client.post(
        "/graphql",
        json={
            "query": "mutation($input: CreateStakeholderInput!) { createStakeholder(input: "
            "$input) { stakeholder { id } errors { message } } }",
            "variables": {
                "input": {"kind": "ENTERPRISE", "name": HYPERLINK, "communes": [commune]}
            },
        },
    )
    payload = created.json()["data"]["createStakeholder"]
    assert payload["errors"] == [], payload
    key = base64.b64decode(payload["stakeholder"]["id"]).decode().split(":")[1]
    params = {"id": key}

    response = await client.get(EXPORT.format("stakeholders", "csv"), params=params)
    header, row = _csv_cells(response.content, ",")
    assert row[header.index("name")] == "'" + HYPERLINK
    assert row[header.index("id")] == key
    response = await client.get(EXPORT.format("stakeholders", "xlsx"), params=params)
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    name = sheet.cell(row=2, column=header.index("name") + 1)
    assert (name.data_type, name.value) == ("s", HYPERLINK)
    assert sheet.cell(row=2, column=header.index("id") + 1).data_type == "n"
    response = await client.get(EXPORT.format("stakeholders", "json"), params=params)
    assert response.json()[0]["name"] == HYPERLINK
