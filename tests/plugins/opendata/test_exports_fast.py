"""The fast export paths (``COPY`` on PostgreSQL, SQL-formatted cells on SQLite, typed batches,
the streamed XLSX) give what the generic path gives: the same bytes for CSV, JSON and NDJSON,
the same values for Parquet and XLSX, on both engines."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from bocage.core.api import Principal, PrincipalKind, Role
from bocage.core.testing import settings_for
from bocage.plugins.opendata.exports import export

from .conftest import As, serve

ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-staff", roles=frozenset({Role.TERRITORY_ADMIN})
)
EXPORT = "/api/opendata/datasets/{}/export.{}"
RECORDS = "/api/opendata/datasets/{}/records"
SCHEMA = {
    "fields": [
        {"name": "texte", "type": "string"},
        {"name": "n", "type": "number"},
        {"name": "i", "type": "integer"},
        {"name": "b", "type": "boolean"},
        {"name": "d", "type": "date"},
        {"name": "t", "type": "datetime"},
    ]
}
ROWS = [
    ["simple", "3", "1", "true", "2024-01-02", "2024-01-02T03:04:05Z"],
    ["", "86.5", "-7", "false", "1999-12-31", "2024-01-02T03:04:05.123456Z"],
    ["avec,virgule", "0.1", "0", "", "", ""],
    ['guillemet"s', "0.00001", "", "true", "2024-02-29", "2024-06-30T23:59:59Z"],
    ["ligne\nnouvelle", "123456789.125", "42", "false", "2024-03-01", "2024-03-01T00:00:00Z"],
    ["=1+1", "-0.5", "3", "true", "2024-03-02", "2024-03-02T12:00:00.5Z"],
    ["-3", "", "4", "false", "2024-03-03", "2024-03-03T12:00:00Z"],
    ["  =x", "1e20", "5", "true", "2024-03-04", "2024-03-04T12:00:00Z"],
    ["\tTAB", "1000000000000000", "6", "true", "2024-03-05", "2024-03-05T12:00:00Z"],
    ["école", "0.30000000000000004", "7", "true", "2024-03-06", "2024-03-06T12:00:00Z"],
]
PLACES_METADATA = {
    "title": {"fr": "Lieux"},
    "description": {"fr": "Des points, et un lieu sans coordonnées."},
    "theme": "GOVE",
    "schema": {
        "fields": [
            {"name": "nom", "type": "string"},
            {"name": "lon", "type": "number"},
            {"name": "lat", "type": "number"},
            {"name": "vu", "type": "datetime"},
            {"name": "le", "type": "date"},
        ]
    },
    "coordinates": {"longitude": "lon", "latitude": "lat"},
}
PLACES = [
    ["Hannut", "5.08", "50.67", "2024-01-02T03:04:05.5Z", "2024-01-02"],
    ["Nulle part", "", "", "", ""],
    ['"Ici", là', "-0.000001", "1e-05", "2024-06-30T23:59:59Z", "1999-12-31"],
]
METADATA = {
    "title": {"fr": "Types"},
    "description": {"fr": "Une valeur de chaque type."},
    "theme": "GOVE",
    "schema": SCHEMA,
}
#: (dataset, query parameters) exported by both paths.
CASES = [
    ("types", {}),
    ("types", {"order": "-n", "fields": "texte,n,t"}),
    ("types", {"b": "true", "order": "d"}),
    # values written into the SQL (COPY, SQLite's cursor): dates, times, a quote
    ("types", {"d__gte": "2024-01-02", "t__lt": "2024-06-01T00:00:00Z", "order": "-t"}),
    ("types", {"texte__contains": 't"'}),
    ("communes", {}),
    ("projects", {}),
    ("projects", {"status": "planned", "order": "-budget"}),
    ("stakeholders", {}),
    ("indicator-values", {}),
    ("lieux", {}),
]


@pytest.fixture(scope="module")
async def client(writable_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings_for(writable_url)) as client:
        client.app.state.authenticator = As(ADMIN)  # type: ignore[attr-defined]
        path = "/api/opendata/uploads/types"
        if (await client.get(path)).status_code == 404:
            assert (await client.put(path, json=METADATA)).status_code == 201
            out = io.StringIO(newline="")
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow([f["name"] for f in SCHEMA["fields"]])
            writer.writerows(ROWS)
            stored = await client.post(
                f"{path}/versions",
                content=out.getvalue().encode(),
                headers={"Content-Type": "text/csv"},
            )
            assert stored.status_code == 201, stored.text
            assert (await client.post(f"{path}/publish")).status_code == 200
            await _upload(client, "lieux", PLACES_METADATA, PLACES)
        yield client


async def _upload(
    client: httpx.AsyncClient, identifier: str, metadata: dict[str, Any], rows: list[list[str]]
) -> None:
    path = f"/api/opendata/uploads/{identifier}"
    assert (await client.put(path, json=metadata)).status_code == 201
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f["name"] for f in metadata["schema"]["fields"]])
    writer.writerows(rows)
    stored = await client.post(
        f"{path}/versions", content=out.getvalue().encode(), headers={"Content-Type": "text/csv"}
    )
    assert stored.status_code == 201, stored.text
    assert (await client.post(f"{path}/publish")).status_code == 200


async def _records(
    client: httpx.AsyncClient, identifier: str, params: dict[str, str]
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every record through the records API, page by page (the generic path's values)."""
    cursor = None
    while True:
        page = await client.get(
            RECORDS.format(identifier),
            params={**params, "limit": "7", **({"cursor": cursor} if cursor else {})},
        )
        assert page.status_code == 200, page.text
        body = page.json()
        yield body["items"]
        cursor = body["nextCursor"]
        if cursor is None:
            return


async def _generic(
    client: httpx.AsyncClient,
    identifier: str,
    params: dict[str, str],
    name: str,
    *,
    excel_fr: bool = False,
) -> bytes:
    first = await client.get(RECORDS.format(identifier), params={**params, "limit": "1"})
    items = first.json()["items"]
    fields = list(items[0]) if items else []
    chunks = export(
        name,
        fields,
        _records(client, identifier, params),
        title=identifier,
        excel_fr=excel_fr,
        dataset=SimpleNamespace(coordinates=("lon", "lat")),  # type: ignore[arg-type]
    )
    return b"".join([chunk async for chunk in chunks])


@pytest.mark.parametrize(("identifier", "params"), CASES)
@pytest.mark.parametrize("name", ["csv", "ndjson", "json", "excel-fr"])
async def test_same_bytes_as_the_generic_path(
    client: httpx.AsyncClient, identifier: str, params: dict[str, str], name: str
) -> None:
    excel_fr = name == "excel-fr"
    query = {**params, "dialect": "excel-fr"} if excel_fr else params
    response = await client.get(
        EXPORT.format(identifier, "csv" if excel_fr else name), params=query
    )
    assert response.status_code == 200
    expected = await _generic(
        client, identifier, params, "csv" if excel_fr else name, excel_fr=excel_fr
    )
    assert len(expected) > 20
    assert response.content == expected


@pytest.mark.parametrize("params", [{}, {"order": "-lon", "fields": "vu"}])
async def test_geojson_same_bytes_as_the_generic_path(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get(EXPORT.format("lieux", "geojson"), params=params)
    assert response.status_code == 200, response.text
    # the route adds the coordinates to the fields asked for
    fields = params.get("fields")
    asked = {**params, "fields": f"{fields},lon,lat"} if fields else params
    expected = await _generic(client, "lieux", asked, "geojson")
    assert response.content == expected
    features = response.json()["features"]
    assert [f["geometry"] for f in features if f["properties"].get("lon") is None] == [None]


async def test_csv_cells_of_every_type(client: httpx.AsyncClient) -> None:
    response = await client.get(EXPORT.format("types", "csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert rows[0] == ["_row", "texte", "n", "i", "b", "d", "t"]
    assert rows[1] == ["2", "simple", "3.0", "1", "True", "2024-01-02", "2024-01-02T03:04:05Z"]
    assert rows[2][1:] == ["", "86.5", "-7", "False", "1999-12-31", "2024-01-02T03:04:05.123456Z"]
    assert [r[1] for r in rows[3:]] == [
        "avec,virgule",
        'guillemet"s',
        "ligne\nnouvelle",
        "'=1+1",
        "-3",
        "'  =x",
        "'\tTAB",
        "école",
    ]
    assert [r[2] for r in rows[3:]] == [
        "0.1",
        "1e-05",
        "123456789.125",
        "-0.5",
        "",
        "1e+20",
        "1000000000000000.0",
        "0.30000000000000004",
    ]


async def test_parquet_values(client: httpx.AsyncClient) -> None:
    import pyarrow.parquet as pq

    response = await client.get(EXPORT.format("types", "parquet"))
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column_names == ["_row", "texte", "n", "i", "b", "d", "t"]
    first = table.slice(0, 1).to_pylist()[0]
    assert first == {
        "_row": 2,
        "texte": "simple",
        "n": 3.0,
        "i": 1,
        "b": True,
        "d": dt.date(2024, 1, 2),
        "t": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    }
    assert table.num_rows == len(ROWS)
    communes = await client.get(EXPORT.format("communes", "parquet"))
    records = [r async for page in _records(client, "communes", {}) for r in page]
    read = pq.read_table(io.BytesIO(communes.content)).to_pylist()
    assert [r["nis_code"] for r in read] == [r["nis_code"] for r in records]
    assert [r["area_km2"] for r in read] == [r["area_km2"] for r in records]
    # typed date and time columns (PostgreSQL sends days and microseconds since 1970)
    assert [r["updated_at"].isoformat().replace("+00:00", "Z") for r in read] == [
        r["updated_at"] for r in records
    ]
    projects = await client.get(EXPORT.format("projects", "parquet"))
    read = pq.read_table(io.BytesIO(projects.content)).to_pylist()
    records = [r async for page in _records(client, "projects", {}) for r in page]
    assert any(r["start_date"] for r in records)
    assert [r["start_date"] and r["start_date"].isoformat() for r in read] == [
        r["start_date"] for r in records
    ]


async def test_xlsx_cells_are_typed(client: httpx.AsyncClient) -> None:
    response = await client.get(EXPORT.format("types", "xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("_row", "texte", "n", "i", "b", "d", "t")
    assert rows[1] == (
        2,
        "simple",
        3,
        1,
        True,
        dt.datetime(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5),
    )
    assert rows[3][1:5] == ("avec,virgule", 0.1, 0, None)
    assert rows[6][1] == "=1+1"  # a text cell, not a formula
    date_cell, time_cell = sheet.cell(row=2, column=6), sheet.cell(row=2, column=7)
    assert date_cell.is_date and date_cell.number_format == "yyyy\\-mm\\-dd"
    assert time_cell.is_date and "hh:mm:ss" in time_cell.number_format
    assert {c.data_type for c in sheet[7]} == {"s", "n", "b", "d"}  # d: a dated number

    projects = await client.get(EXPORT.format("projects", "xlsx"))
    read = list(load_workbook(io.BytesIO(projects.content)).active.iter_rows(values_only=True))
    records = [r async for page in _records(client, "projects", {}) for r in page]
    header = list(read[0])
    assert [dict(zip(header, row, strict=True))["id"] for row in read[1:]] == [
        r["id"] for r in records
    ]
    starts = [dict(zip(header, row, strict=True))["start_date"] for row in read[1:]]
    assert [s.date().isoformat() if s else None for s in starts] == [
        r["start_date"] for r in records
    ]


async def test_xlsx_leaves_before_the_rows_are_read() -> None:
    """The workbook's first bytes (the ZIP's first entries) are sent before the database is
    asked for the first row."""
    from bocage.plugins.opendata.xlsx_stream import stream_xlsx

    asked = []

    async def rows() -> AsyncIterator[list[tuple[Any, ...]]]:
        asked.append("first batch")
        yield [(1, "a")]

    chunks = stream_xlsx(["id", "name"], rows(), title="t")
    first = await chunks.__anext__()
    assert first.startswith(b"PK\x03\x04") and asked == []
    rest = b"".join([c async for c in chunks])
    sheet = load_workbook(io.BytesIO(first + rest)).active
    assert list(sheet.iter_rows(values_only=True)) == [("id", "name"), (1, "a")]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000])
def test_copy_line_ends_whatever_the_pieces(size: int) -> None:
    """PostgreSQL's rows end with a line feed, Python's with CR LF: only the ends of rows are
    changed, not a line feed inside a quoted cell, however COPY cuts its output."""
    from bocage.plugins.opendata.export_sql import CrLf

    data = b'a,"x\ny"\nb,c\n"q""\n",d\n"""",e\n'
    lines = CrLf()
    out = b"".join(lines.convert(data[i : i + size]) for i in range(0, len(data), size))
    assert out == b'a,"x\ny"\r\nb,c\r\n"q""\n",d\r\n"""",e\r\n'


@pytest.mark.parametrize(
    "objects",
    [
        [{"a": 1, "b": "x"}, {"a": 2, "b": None}, {"a": 3, "b": 'é\n"q"'}],
        [{"a": "},{"}, {"a": "x"}],  # a text holding what separates two objects
        [{"a": "x"}, {"a": 'y"},{"z'}],
        [{"a": 1}],
        [],
    ],
)
@pytest.mark.parametrize("separator", [b"\n", b",\n"])
def test_json_objects_in_one_call(objects: list[dict[str, Any]], separator: bytes) -> None:
    """NDJSON, JSON and GeoJSON write a slice of rows with one call of orjson: the same
    bytes as one call per object, whatever the texts hold."""
    import orjson

    from bocage.plugins.opendata.exports import json_objects

    expected = separator.join(orjson.dumps(o) for o in objects)
    assert json_objects(objects, separator) == expected


@pytest.mark.parametrize("size", [1, 7, 100, 4096, 10**9])
def test_copy_line_ends_of_many_rows(size: int) -> None:
    """Rows of quoted cells with line feeds, doubled quotes, empty cells, cut anywhere."""
    import random

    from bocage.plugins.opendata.export_sql import CrLf

    cells = [b"a", b'"x\ny"', b'"q""\n"', b'""""', b"1.5", b'"a,b"', b"", b'"\n"']
    chosen = random.Random(3)
    rows = [b",".join(chosen.choice(cells) for _ in range(4)) for _ in range(3000)]
    data = b"\n".join(rows) + b"\n"
    lines = CrLf()
    out = b"".join(lines.convert(data[i : i + size]) for i in range(0, len(data), size))
    assert out == b"\r\n".join(rows) + b"\r\n"


def _tricky_floats() -> list[float]:
    """Floats at every edge of the notations (exponents -324 to 308, integral values, the
    bounds 1e-5, 1e-4, 1e15 and 1e16 and their neighbours), then random bit patterns."""
    import math
    import random
    import struct

    edges = [
        0.0,
        -0.0,
        3.0,
        -7.0,
        0.1,
        1 / 3,
        5e-324,
        -2.2250738585072014e-308,
        1.7976931348623157e308,
    ]
    for power in range(-10, 25):
        for base in (1.0, 1.5, 9.999999999999999, 1.2345678901234567):
            value = base * 10.0**power
            edges += [value, -value, math.nextafter(value, 0), math.nextafter(value, math.inf)]
    edges += [1e15 + 0.5, 1e16 - 2, 123456789012345.6, 9.999999999999999e-05, 1e-05]
    chosen = random.Random(14)
    for _ in range(20_000):
        value = struct.unpack("<d", struct.pack("<Q", chosen.getrandbits(64)))[0]
        if math.isfinite(value):
            edges.append(value)
    return edges + [math.nan, math.inf, -math.inf]


async def test_postgresql_writes_values_as_python(writable_url: str) -> None:
    """The cells PostgreSQL writes have Python's bytes: NDJSON's (:func:`_pg_json_cell`) are
    orjson's, CSV's (:func:`_pg_cell`) those of ``repr`` and of the core's writer: floats in
    Python's notation and digits (not PostgreSQL's, which rounds some otherwise), decimals,
    texts with every control character, quotes and backslashes, booleans."""
    import orjson
    from sqlalchemy import ARRAY, Boolean, Float, Numeric, Text, bindparam, column, select, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from bocage.plugins.opendata.export_sql import (
        Floats,
        Kind,
        _pg_cell,
        _pg_json_cell,
        json_float,
    )
    from bocage.plugins.opendata.records import to_json

    if not writable_url.startswith("postgresql"):
        pytest.skip("PostgreSQL writes these cells; SQLite's are written by Python")
    floats = _tricky_floats()
    texts = ["".join(map(chr, range(1, 0x30))), 'a"b\\c/d', "é\u2028\u2029\x7f🌳", ""]
    decimals = ["0", "5.00", "-12.5", "0.1", "123456789012.25", "1e-7", "NaN"]
    cases = [
        (Kind.FLOAT, "float8", Float(), floats, floats),
        (Kind.TEXT, "text", Text(), texts, texts),
        (Kind.BOOLEAN, "boolean", Boolean(), [True, False], [True, False]),
        (Kind.DECIMAL, "numeric", Numeric(), decimals, [to_json(Decimal(d)) for d in decimals]),
    ]
    engine = create_async_engine(writable_url)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SET extra_float_digits = 1")
            for kind, sql_type, python_type, values, expected in cases:
                x = column("x", python_type)
                rows = text(f"unnest(CAST(:v AS {sql_type}[])) WITH ORDINALITY AS t(x, n)")
                statement = (
                    select(_pg_json_cell(kind, x), _pg_cell(kind, x, False))
                    .select_from(
                        rows.bindparams(
                            bindparam("v", type_=ARRAY(Text())), v=[str(v) for v in values]
                        )
                    )
                    .order_by(text("n"))
                )
                written = (await connection.execute(statement)).all()
                assert len(written) == len(values)
                json = Floats(json_float)
                for value, wanted, (as_json, as_csv) in zip(values, expected, written, strict=True):
                    got = json.convert((as_json or "null").encode())
                    assert got == orjson.dumps(wanted), (kind, value)
                    if kind not in (Kind.FLOAT, Kind.DECIMAL):
                        continue
                    if not isinstance(wanted, float) or _python_notation(wanted):
                        assert as_csv == _csv_cell(wanted), (kind, value)
                    else:  # PostgreSQL's notation, and its digits
                        assert float(as_csv) == wanted, (kind, value)
    finally:
        await engine.dispose()


def _python_notation(value: float) -> bool:
    """Whether PostgreSQL's CSV writes ``value`` as Python does (:func:`_pg_float`)."""
    import math

    size = abs(value)
    return not math.isfinite(value) or size < 1e16 and (value.is_integer() or 1e-4 <= size < 1e15)


def _csv_cell(value: Any) -> str:
    """A number's cell as the core's CSV writer writes it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([value])
    return buffer.getvalue()


@pytest.mark.parametrize("identifier", sorted({identifier for identifier, _ in CASES}))
async def test_parquet_from_arrow_batches_as_from_rows(
    client: httpx.AsyncClient, identifier: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, Parquet is written from the Arrow record batches ADBC reads: the same
    schema and values as from the rows (the path SQLite takes)."""
    import pyarrow.parquet as pq

    from bocage.plugins.opendata import export_sql

    read = export_sql.arrow_batches
    used = []

    def counted(*args: Any) -> Any:
        used.append(args)
        return read(*args)

    monkeypatch.setattr(export_sql, "arrow_batches", counted)
    arrow = await client.get(EXPORT.format(identifier, "parquet"))
    assert arrow.status_code == 200, arrow.text
    assert bool(used) == str(client.app.state.settings.database_url).startswith("postgresql")  # type: ignore[attr-defined]
    monkeypatch.setattr(export_sql, "libpq_uri", lambda sessionmaker: None)
    rows = await client.get(EXPORT.format(identifier, "parquet"))
    from_arrow = pq.read_table(io.BytesIO(arrow.content))
    from_rows = pq.read_table(io.BytesIO(rows.content))
    assert from_arrow.num_rows > 0
    assert from_arrow.schema == from_rows.schema
    assert from_arrow.to_pylist() == from_rows.to_pylist()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100, 10**9])
def test_copy_json_whatever_the_pieces(size: int) -> None:
    """PostgreSQL's NDJSON lines, cut anywhere, become orjson's NDJSON and JSON bytes: the
    floats sent between marks written by orjson, the lines joined as a JSON array."""
    import random

    import orjson

    from bocage.plugins.opendata.export_sql import MARK, Floats, JsonArray, json_float

    chosen = random.Random(size)
    values = [1e23, -0.0, 5e-324, float("nan"), 1e-05, 1e15 + 0.5, 0.25, "x,\n\x03", None]
    objects = [{"a": chosen.choice(values), "b": chosen.choice(values)} for _ in range(500)]
    marked = {1e23: "1.0000000000000000e+23", -0.0: "-0", 5e-324: "5e-324", 1e-05: "1e-05"}

    def cell(value: Any) -> str:
        if isinstance(value, float) and value != 0.25:
            text = "NaN" if value != value else marked.get(value, repr(value))
            return MARK + text + MARK
        return orjson.dumps(value).decode()

    data = "".join(
        '{"a":' + cell(o["a"]) + ',"b":' + cell(o["b"]) + "}\n" for o in objects
    ).encode()
    for objects_of in (objects, []):
        source = data if objects_of else b""
        floats, array = Floats(json_float), JsonArray()
        pieces = [source[i : i + size] for i in range(0, len(source), size)]
        ndjson = [floats.convert(piece) for piece in pieces]
        assert floats.held == b""
        assert b"".join(ndjson) == b"".join(orjson.dumps(o) + b"\n" for o in objects_of)
        joined = b"[" + b"".join(array.convert(piece) for piece in ndjson) + b"\n]\n"
        expected = b"[" + (b"\n" if objects_of else b"")
        expected += b",\n".join(orjson.dumps(o) for o in objects_of) + b"\n]\n"
        assert joined == expected


@pytest.mark.parametrize("name", ["csv", "ndjson", "json"])
async def test_sqlite_exports_on_a_connection_of_their_own(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """On SQLite, CSV, NDJSON and JSON are read by ``sqlite3`` in worker threads,
    filters written into the SQL; when the statement cannot run there (a function only the
    engine's connections know), the engine's connection gives the same bytes. (NDJSON and
    JSON take these lines when no export process may read them: off here.)"""
    import sqlite3

    from bocage.plugins.opendata import export_sql, side_by_side, sqlite_arrow

    monkeypatch.setattr(sqlite_arrow, "available", lambda sessionmaker, processes: None)

    read, read_side_by_side = export_sql.sqlite_chunks, side_by_side.sqlite_segment_chunks
    used: list[str] = []

    def counted(path: str, sql: str, convert: Any) -> Any:
        used.append(sql)
        return read(path, sql, convert)

    def counted_side_by_side(path: str, segments: Any, convert: Any, readers: int) -> Any:
        used.append(segments.texts[False, False])
        return read_side_by_side(path, segments, convert, readers)

    monkeypatch.setattr(export_sql, "sqlite_chunks", counted)
    monkeypatch.setattr(side_by_side, "sqlite_segment_chunks", counted_side_by_side)
    quoted = {"d__gte": "2024-01-02", "texte__contains": "'"}
    assert (await client.get(EXPORT.format("types", name), params=quoted)).status_code == 200
    params = {"d__gte": "2024-01-02", "order": "-t"}
    response = await client.get(EXPORT.format("types", name), params=params)
    assert response.status_code == 200
    in_key_order = await client.get(EXPORT.format("types", name), params={"d__gte": "2024-01-02"})
    sqlite = str(client.app.state.settings.database_url).startswith("sqlite")  # type: ignore[attr-defined]
    assert len(used) == (3 if sqlite else 0)
    if sqlite:
        assert "'2024-01-02'" in used[0] and "''" in used[0]

    def unknown_function(*args: Any) -> Any:
        raise sqlite3.OperationalError("no such function: bocage_elsewhere")

    monkeypatch.setattr(export_sql, "sqlite_reader", unknown_function)
    monkeypatch.setattr(side_by_side, "sqlite_reader", unknown_function)
    for sent, again_params in ((response, params), (in_key_order, {"d__gte": "2024-01-02"})):
        again = await client.get(EXPORT.format("types", name), params=again_params)
        assert again.status_code == 200
        assert len(sent.content) > 20
        assert again.content == sent.content


def test_csv_floats_as_python_writes_them() -> None:
    """SQLite's CSV writes a batch's floats with one call of orjson, its notation rewritten
    to Python's: the cells of ``repr`` (nulls empty, integers and infinities, texts as the
    value-by-value function wrote them), in any batch."""
    import math

    import orjson

    from bocage.plugins.opendata.export_sql import _float_text, csv_floats, json_floats

    floats = _tricky_floats()
    finite = [v for v in floats if math.isfinite(v)]
    batches = [
        finite,
        [None, *finite[:50], None, 3, -7, 0],
        [1e-05, 10.00001, -1.5e-05, 1.2345678901234567e-05, 9.999999999999999e-05, 1e-4],
        [math.inf, 0.5, None],
        [float("nan")],
        ["a,b", 0.5],
        [None],
    ]
    for values in batches:
        expected = [(_float_text(v) or "").encode() for v in values]
        assert csv_floats(values) == expected, values[:5]
        if all(not isinstance(v, float) or math.isfinite(v) for v in values):
            assert json_floats(values) == [orjson.dumps(v) for v in values]


async def test_sqlite_cells_as_python_writes_them() -> None:
    """SQLite's lines (:meth:`Plan.sqlite_lines`): each text's CSV cell is the core's writer's
    (every first character a spreadsheet may evaluate or trim, every character that makes a
    cell quoted), each NDJSON value orjson's, times as stored or not."""
    import sqlite3

    import orjson
    from sqlalchemy import Text, column, select, table

    from bocage.core.api import CsvWriter
    from bocage.plugins.opendata.export_sql import (
        _SPACES,
        _SQLITE_FUNCTIONS,
        _TRIGGERS,
        Kind,
        _sqlite_cell,
        _sqlite_csv_cell,
        _sqlite_json_cell,
        csv_times,
        json_times,
        sqlite_sql,
    )

    firsts = sorted(set(_SPACES + _TRIGGERS + "0/9:<>?AZaz~\x7f\x84\x86\x9f\xa1é\u167f\u1681'\""))
    texts = [c + rest for c in firsts for rest in ("", "x", "1", " =1", ",", "\n", "\r", '"')]
    texts += ["", "-3", "+32", "-2,5", " -1", "a,b", 'a"b', "a\nb", "a\rb", "plain"]
    times = ["2024-01-02 03:04:05.000000", "2024-01-02 03:04:05.250000", "2024-01-02 03:04:05"]
    times += ["2024-01-02 03:04:05.5", "2024-01-02T03:04:05.000001", "x" * 26, ""]
    connection = sqlite3.connect(":memory:")
    for name, arguments, function in _SQLITE_FUNCTIONS:
        connection.create_function(name, arguments, function, deterministic=True)
    values = table("v", column("x", Text))
    connection.execute("CREATE TABLE v (x TEXT)")
    x = values.c.x
    for kind, cases in ((Kind.TEXT, texts), (Kind.DATETIME, times)):
        connection.execute("DELETE FROM v")
        connection.executemany("INSERT INTO v VALUES (?)", [(t,) for t in [*cases, None]])
        old = _sqlite_cell(kind, x, False)
        statement = select(_sqlite_csv_cell(kind, x), _sqlite_json_cell(kind, x), old, x)
        sql = sqlite_sql(statement)
        assert sql is not None
        for csv_cell, json_cell, cell, value in connection.execute(sql + " ORDER BY rowid"):
            if kind is Kind.TEXT:
                buffer = io.StringIO()
                CsvWriter(buffer, lineterminator="\r\n").writerow(["", value])
                assert "," + csv_cell + "\r\n" == buffer.getvalue(), repr(value)
            else:  # a time as the value-by-value expression wrote it
                assert csv_cell == (cell or ""), repr(value)
            assert json_cell.encode() == orjson.dumps(cell if kind is Kind.DATETIME else value)
    # times are written by Python for a whole batch: as SQLite's expression wrote each
    stored = [t for t in times if len(t) == 26 and t[19] == "." and t[10] == " "]
    odd = ["2024-01-02 03:04:05,000000", '2024-01-02 03:04:05.00000"', "2024-01-02 03:04:05.\x01"]
    for batch in (stored, stored * 3, [*stored, None], [*stored, *times], odd, [None], times):
        connection.execute("DELETE FROM v")
        connection.executemany("INSERT INTO v VALUES (?)", [(t,) for t in batch])
        sql = sqlite_sql(select(_sqlite_cell(Kind.DATETIME, x, False)))
        assert sql is not None
        cells = [cell for (cell,) in connection.execute(sql + " ORDER BY rowid")]
        assert csv_times(batch) == [(cell or "").encode() for cell in cells]
        assert json_times(batch) == [orjson.dumps(cell) for cell in cells]
    connection.close()


def test_parquet_typed_whatever_the_first_batch_holds() -> None:
    """Parquet's columns take the declared types: a first batch of nulls, then values."""
    import pyarrow.parquet as pq

    from bocage.core.api import DatasetField, FieldType
    from bocage.plugins.opendata.exports import ParquetRows

    fields = [
        DatasetField("i", FieldType.INTEGER),
        DatasetField("n", FieldType.NUMBER),
        DatasetField("s", FieldType.STRING),
        DatasetField("b", FieldType.BOOLEAN),
        DatasetField("d", FieldType.DATE),
        DatasetField("t", FieldType.DATETIME),
    ]
    parquet = ParquetRows(fields, row_group=3)
    rows = [(None,) * 6] * 2 + [(1, 2, "x", 1, "2024-02-29", "2024-01-02T03:04:05.5Z")]
    parquet.add(rows[:2])
    assert not parquet.full()
    parquet.add(rows[2:])
    assert parquet.full()
    data = parquet.flush()
    parquet.close()
    data += parquet.drain.take()
    read = pq.read_table(io.BytesIO(data))
    assert [str(t) for t in read.schema.types] == [
        "int64",
        "double",
        "string",
        "bool",
        "date32[day]",
        "timestamp[us, tz=UTC]",
    ]
    assert read.to_pylist()[2] == {
        "i": 1,
        "n": 2.0,
        "s": "x",
        "b": True,
        "d": dt.date(2024, 2, 29),
        "t": dt.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=dt.UTC),
    }
    assert read.to_pylist()[0] == dict.fromkeys(read.column_names)


@pytest.mark.parametrize("rows", [0, 1, 40])
def test_parquet_dictionary_only_for_repeated_texts(rows: int) -> None:
    """The Parquet writer dictionary-encodes a text column its first batch repeats (a
    commune) and writes a mostly unique one (a name) plain; numbers never have one. The
    values read back are those written, and a file without rows has the declared schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from bocage.core.api import DatasetField, FieldType
    from bocage.plugins.opendata.exports import ParquetWriter
    from bocage.plugins.opendata.xlsx_stream import Drain

    fields = [
        DatasetField("commune", FieldType.STRING),
        DatasetField("nom", FieldType.STRING),
        DatasetField("n", FieldType.INTEGER),
    ]
    drain = Drain()
    writer = ParquetWriter(drain, fields)
    data = {
        "commune": [("Hannut", "Andenne", None)[i % 3] for i in range(rows)],
        "nom": [f"personne {i}" for i in range(rows)],
        "n": list(range(rows)),
    }
    if rows:
        writer.write(pa.table(data, schema=writer.schema), row_group_size=rows)
    writer.close()
    parquet = pq.ParquetFile(io.BytesIO(drain.take()))
    assert parquet.schema_arrow == writer.schema
    assert parquet.read().to_pydict() == data
    if rows == 40:
        chunks = parquet.metadata.row_group(0)
        dictionary = {
            chunks.column(i).path_in_schema: chunks.column(i).has_dictionary_page for i in range(3)
        }
        assert dictionary == {"commune": True, "nom": False, "n": False}
    elif rows == 1:  # one value: nothing repeats
        assert not parquet.metadata.row_group(0).column(0).has_dictionary_page
