"""Streamed exports and HTTP caching (ETag, Last-Modified, 304)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

EXPORT = "/api/opendata/datasets/{}/export.{}"


@pytest.fixture
async def communes(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await client.get("/api/opendata/datasets/communes/records")
    ).json()["items"]
    return items


async def test_csv(client: httpx.AsyncClient, communes: list[dict[str, Any]]) -> None:
    response = await client.get(EXPORT.format("communes", "csv"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="communes.csv"' in response.headers["content-disposition"]
    assert not response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert [r["nis_code"] for r in rows] == [c["nis_code"] for c in communes]


async def test_csv_for_french_excel(client: httpx.AsyncClient) -> None:
    response = await client.get(
        EXPORT.format("indicator-values", "csv"), params={"dialect": "excel-fr", "limit": "5"}
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("id;indicator_id;project_id;")
    assert len(first.split(";")) == len(header.split(";"))


async def test_json_and_ndjson(client: httpx.AsyncClient, communes: list[dict[str, Any]]) -> None:
    as_json = (await client.get(EXPORT.format("communes", "json"))).json()
    assert as_json == communes
    response = await client.get(EXPORT.format("communes", "ndjson"))
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in response.text.splitlines()] == communes


async def test_json_of_nothing_is_an_empty_list(client: httpx.AsyncClient) -> None:
    response = await client.get(EXPORT.format("communes", "json"), params={"nis_code": "00000"})
    assert response.json() == []


async def test_xlsx(client: httpx.AsyncClient, communes: list[dict[str, Any]]) -> None:
    response = await client.get(EXPORT.format("communes", "xlsx"), params={"fields": "id,name_fr"})
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("id", "name_fr")
    assert rows[1:] == [(c["id"], c["name_fr"]) for c in communes]


async def test_gzip_on_request(client: httpx.AsyncClient) -> None:
    plain = await client.get(EXPORT.format("stakeholders", "ndjson"))
    packed = await client.get(EXPORT.format("stakeholders", "ndjson.gz"))
    assert packed.headers["content-type"] == "application/gzip"
    assert 'filename="stakeholders.ndjson.gz"' in packed.headers["content-disposition"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content)


async def test_filters_and_order_apply_to_exports(client: httpx.AsyncClient) -> None:
    rows = (
        await client.get(
            EXPORT.format("projects", "json"),
            params={"status": "planned", "order": "-budget", "fields": "id,status,budget"},
        )
    ).json()
    assert rows and {r["status"] for r in rows} == {"planned"}
    budgets = [r["budget"] for r in rows if r["budget"] is not None]
    assert budgets == sorted(budgets, reverse=True)


async def test_export_mistakes(client: httpx.AsyncClient) -> None:
    assert (await client.get(EXPORT.format("projects", "pdf"))).status_code == 404
    assert (await client.get(EXPORT.format("projects", "csv.zip"))).status_code == 404
    bad = await client.get(EXPORT.format("projects", "csv"), params={"dialect": "klingon"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        EXPORT.format("projects", "csv"),
        "/api/opendata/datasets/projects/records?status=planned",
        "/api/opendata/datasets/projects",
        "/api/opendata/datasets/projects/dcat.ttl",
        "/api/opendata/catalog.jsonld",
    ],
)
async def test_conditional_get(client: httpx.AsyncClient, path: str) -> None:
    first = await client.get(path)
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    assert again.content == b""
    by_date = await client.get(path, headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = await client.get(path, headers={"If-None-Match": 'W/"other"'})
    assert stale.status_code == 200


async def test_etag_depends_on_the_query(client: httpx.AsyncClient) -> None:
    path = "/api/opendata/datasets/projects/records"
    one = await client.get(path, params={"status": "planned"})
    other = await client.get(path, params={"status": "done"})
    assert one.headers["etag"] != other.headers["etag"]


async def test_cors_for_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get(
        EXPORT.format("communes", "csv"), headers={"Origin": "https://commune.example.be"}
    )
    assert response.headers.get("access-control-allow-origin")


async def test_parquet_is_typed_and_complete(
    client: httpx.AsyncClient, communes: list[dict[str, Any]]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    response = await client.get(EXPORT.format("communes", "parquet"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.content))
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("area_km2").type == pa.float64()
    assert table.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    assert table.column("nis_code").to_pylist() == [c["nis_code"] for c in communes]
    packed = await client.get(EXPORT.format("communes", "parquet.gz"), params={"fields": "id"})
    assert pq.read_table(io.BytesIO(gzip.decompress(packed.content))).column_names == ["id"]


async def test_parquet_streams_row_groups() -> None:
    import pyarrow.parquet as pq

    from bocage.plugins.opendata.datasets import DatasetField, FieldType
    from bocage.plugins.opendata.exports import write_parquet

    async def batches() -> Any:
        for start in range(0, 2500, 500):
            yield [{"n": i, "on": f"2026-01-{1 + i % 28:02d}"} for i in range(start, start + 500)]

    fields = [DatasetField("n", FieldType.INTEGER), DatasetField("on", FieldType.DATE)]
    chunks = [c async for c in write_parquet(fields, batches(), row_group=1000)]
    assert len([c for c in chunks if c]) >= 3  # bytes left before the last batch was read
    parquet = pq.ParquetFile(io.BytesIO(b"".join(chunks)))
    assert parquet.metadata.num_rows == 2500 and parquet.metadata.num_row_groups == 3
    assert parquet.read().column("n").to_pylist() == list(range(2500))


async def test_geojson_only_where_there_are_coordinates(
    client: httpx.AsyncClient, serve_demo: Any
) -> None:
    from sqlalchemy import literal, select, union_all

    from .test_hook import Publishes, one_row

    missing = await client.get(EXPORT.format("communes", "geojson"))
    assert missing.status_code == 404 and "coordinates" in missing.json()["error"]["message"]
    meta = (await client.get("/api/opendata/datasets/communes")).json()
    assert "geojson" not in meta["formats"] and "parquet" in meta["formats"]

    from bocage.plugins.opendata.datasets import DatasetField, FieldType

    places = one_row(
        "lieux",
        fields=(
            DatasetField("id", FieldType.INTEGER),
            DatasetField("name", FieldType.STRING),
            DatasetField("lon", FieldType.NUMBER),
            DatasetField("lat", FieldType.NUMBER),
        ),
        query=union_all(
            select(
                literal(1).label("id"),
                literal("Hannut").label("name"),
                literal(5.08).label("lon"),
                literal(50.67).label("lat"),
            ),
            select(literal(2), literal("Nulle part"), literal(None), literal(None)),
        ),
        coordinates=("lon", "lat"),
    )
    async with serve_demo(("places", Publishes(places))) as demo:
        response = await demo.get(EXPORT.format("lieux", "geojson"), params={"fields": "name"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/geo+json"
        body = response.json()
        assert body["type"] == "FeatureCollection"
        first, second = body["features"]
        assert first["geometry"] == {"type": "Point", "coordinates": [5.08, 50.67]}
        assert first["properties"]["name"] == "Hannut"
        assert second["geometry"] is None
        meta = (await demo.get("/api/opendata/datasets/lieux")).json()
        assert "geojson" in meta["formats"]


def test_coordinates_must_be_number_fields() -> None:
    from .test_hook import one_row

    assert any("coordinates" in p for p in one_row("x", coordinates=("id", "nope")).problems())


async def test_excel_fr_keeps_number_like_texts_as_text(client: httpx.AsyncClient) -> None:
    """D2: a list of NIS codes such as ``92138,92035`` would be the number 92138.92035 in a
    French spreadsheet; the excel-fr CSV writes it ``="92138,92035"`` (a text to Excel and
    LibreOffice; ``bench/excel_fr_libreoffice.py`` checks every dataset in LibreOffice)."""
    rows = (await client.get(EXPORT.format("projects", "json"))).json()
    listed = next(r["communes"] for r in rows if r["communes"] and "," in r["communes"])
    response = await client.get(EXPORT.format("projects", "csv"), params={"dialect": "excel-fr"})
    escaped = '"=""' + listed + '"""'
    assert f";{escaped};".encode() in response.content
    plain = (await client.get(EXPORT.format("projects", "csv"))).content
    assert f',"{listed}",'.encode() in plain  # the plain CSV carries the value as it is


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("92138,92035", '="92138,92035"'),
        ("007", '="007"'),
        ("01/02/2024", '="01/02/2024"'),
        ("3,5 %", '="3,5 %"'),
        ("1e5", '="1e5"'),
        ("vrai", '="vrai"'),
        ("#N/A", '="#N/A"'),
        ("1 000,50 €", '="1 000,50 €"'),
        ("=1+1", "'=1+1"),  # the formula rule comes first
        ("Hannut", "Hannut"),
        ("Rue 12", "Rue 12"),
        ("", ""),
    ],
)
def test_excel_fr_text_cells(text: str, cell: str) -> None:
    from bocage.plugins.opendata.exports import excel_fr_text

    assert excel_fr_text(text) == cell


async def test_xlsx_holds_at_most_the_rows_of_a_sheet(
    client: httpx.AsyncClient, serve_demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BOCAGE_OPENDATA_XLSX_MAX_ROWS`` (Excel's 1,048,575 rows under the header): the records
    of the query at the bound make a workbook, one more is a 400 before any byte, naming the
    bound, its setting and what to export instead."""
    exported = (await client.get(EXPORT.format("communes", "csv"))).text
    records = list(csv.DictReader(io.StringIO(exported)))
    assert len(records) > 2
    monkeypatch.setenv("BOCAGE_OPENDATA_XLSX_MAX_ROWS", str(len(records) - 1))
    async with serve_demo() as capped:
        refused = await capped.get(EXPORT.format("communes", "xlsx"))
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["code"] == "bad_query" and error["limit"] == len(records) - 1
        assert error["setting"] == "BOCAGE_OPENDATA_XLSX_MAX_ROWS"
        assert "CSV" in error["message"] and "Parquet" in error["message"]
        narrowed = await capped.get(
            EXPORT.format("communes", "xlsx"), params={"nis_code__ne": records[0]["nis_code"]}
        )
    assert narrowed.status_code == 200, narrowed.text
    rows = list(load_workbook(io.BytesIO(narrowed.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(records) - 1  # the header and the bound's records


async def test_an_xlsx_sheet_stops_at_the_bound_whatever_comes() -> None:
    """Records added between the route's count and the export do not overflow the sheet."""
    from bocage.plugins.opendata.exports import capped

    async def batches() -> Any:
        for start in range(0, 10, 3):
            yield list(range(start, min(start + 3, 10)))

    for bound, expected in ((4, [0, 1, 2, 3]), (6, list(range(6))), (10, list(range(10)))):
        got = [item async for batch in capped(batches(), bound) for item in batch]
        assert got == expected
