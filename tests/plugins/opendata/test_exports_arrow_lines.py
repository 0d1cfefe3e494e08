"""NDJSON, JSON and CSV written by Arrow from record batches
(:mod:`bocage.plugins.opendata.arrow_lines`): orjson's bytes and the core CSV writer's for
every type and value (the cases where Arrow's text differs are written by Python), the paths
the engines take for a dataset without decimals, and SQLite's lines when the export
processes cannot read."""

from __future__ import annotations

import datetime as dt
import random
import struct
from typing import Any

import httpx
import orjson
import pytest

from bocage.plugins.opendata import arrow_lines, exports, sqlite_arrow
from bocage.plugins.opendata.processes import SqliteUnavailable

from .test_exports_fast import EXPORT, _generic, client  # noqa: F401 (the fixture)

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC

#: Floats where Arrow's text and orjson's part: integral (``3`` against ``3.0``), zero's sign,
#: exponents either way, 2**53 (orjson drops the ``.0``), NaN and the infinities (null).
FLOATS = [
    0.0,
    -0.0,
    1.0,
    -3.0,
    1e15,
    2.0**53 - 1,
    2.0**53,
    1e16,
    1e17,
    1e20,
    1e-4,
    9.99e-5,
    1.5e-5,
    0.1,
    0.30000000000000004,
    23518951138.42175,
    916269835505.2942,
    1e15 + 0.5,
    5e-324,
    1.7976931348623157e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    None,
]
TEXTS = [
    "",
    "simple",
    'guillemet "x"',
    "barre \\ oblique",
    "ligne\nnouvelle",
    "\ttab\r\x00\x01\x1f",
    "\x7f del",
    "école 🌳 \u2028",
    None,
]
TIMES = [
    dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=dt.UTC),
    dt.datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    dt.datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    None,
]


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("i", pa.int64()),
            ("f", pa.float64()),
            ("s", pa.string()),
            ("b", pa.bool_()),
            ("d", pa.date32()),
            ("t", pa.timestamp("us", tz="UTC")),
        ]
    )


def _rows(count: int, seed: int) -> list[dict[str, Any]]:
    pick = random.Random(seed)

    def number() -> float | None:
        roll = pick.random()
        if roll < 0.3:  # any bit pattern: every exponent, NaNs
            return float(struct.unpack("d", struct.pack("Q", pick.getrandbits(64)))[0])
        if roll < 0.5:
            return float(pick.randint(-(10**17), 10**17))
        if roll < 0.6:
            return pick.choice(FLOATS)
        return pick.random() * 10 ** pick.randint(-8, 20) * pick.choice([1, -1])

    def text() -> str | None:
        roll = pick.random()
        if roll < 0.3:
            return "".join(chr(pick.randint(0, 0x7F)) for _ in range(pick.randint(0, 6)))
        if roll < 0.4:
            return "".join(chr(pick.randint(0xA0, 0xD7FF)) for _ in range(3))
        return pick.choice(TEXTS)

    def time() -> dt.datetime | None:
        if pick.random() < 0.5:
            return pick.choice(TIMES)
        start = dt.datetime(pick.randint(1, 9998), 1, 1, tzinfo=dt.UTC)
        return start + dt.timedelta(
            seconds=pick.randint(0, 10**7),
            microseconds=pick.choice([0, pick.randint(0, 10**6 - 1)]),
        )

    def day() -> dt.date | None:
        if pick.random() < 0.1:
            return None
        return dt.date(pick.randint(1, 9999), pick.randint(1, 12), pick.randint(1, 28))

    return [
        {
            "i": pick.choice([None, 0, -1, 2**63 - 1, -(2**63), pick.randint(-(10**12), 10**12)]),
            "f": number(),
            "s": text(),
            "b": pick.choice([None, True, False]),
            "d": day(),
            "t": time(),
        }
        for _ in range(count)
    ]


def _orjson(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row, option=JSON_OPTIONS) + b"\n" for row in rows)


def _python_csv(rows: list[dict[str, Any]]) -> bytes:
    """The generic path's CSV: the records' JSON values through the core's writer."""
    import io

    from bocage.core.api import CsvWriter
    from bocage.plugins.opendata.records import to_json

    buffer = io.StringIO()
    CsvWriter(buffer, lineterminator="\r\n").writerows(
        [[to_json(value) for value in row.values()] for row in rows]
    )
    return buffer.getvalue().encode()


@pytest.mark.parametrize("seed", range(4))
def test_lines_are_orjson_bytes(seed: int) -> None:
    """Random rows of every type, with the values where Arrow's text differs from orjson's
    (floats, control characters, times with and without a fraction, years before 1000):
    orjson's bytes, for the whole batch and for slices of it."""
    import pyarrow as pa

    rows = _rows(3000, seed)
    batch = pa.RecordBatch.from_pylist(rows, schema=_schema())
    assert arrow_lines.ndjson(batch) == _orjson(rows)
    for start, length in ((0, 1), (17, 40), (2999, 1), (5, 0)):
        assert arrow_lines.ndjson(batch.slice(start, length)) == _orjson(
            rows[start : start + length]
        )


@pytest.mark.parametrize("seed", range(4))
def test_csv_lines_are_the_core_writers_bytes(seed: int) -> None:
    """The same random rows as CSV: the core's writer's bytes (Python's quoting, the formula
    rule, ``True``/``False``, ``repr``'s floats, empty nulls), whole and in slices."""
    import pyarrow as pa

    rows = _rows(3000, seed)
    for row in rows:  # texts a spreadsheet would evaluate, and ones to quote
        if row["i"] is not None and row["i"] % 7 == 0:
            row["s"] = pick_formula(row["i"])
    batch = pa.RecordBatch.from_pylist(rows, schema=_schema())
    assert arrow_lines.csv(batch) == _python_csv(rows)
    for start, length in ((0, 1), (17, 40), (2999, 1), (5, 0)):
        part = batch.slice(start, length)
        assert arrow_lines.csv(part) == _python_csv(rows[start : start + length])


def pick_formula(number: int) -> str:
    return [
        "=1+1",
        "-3",
        "-2,5",
        "  =x",
        "\tTAB",
        "+32",
        "@here",
        "＝full",
        "\u3000-x",
        "0,5",
        'a "b", c',
        "ligne\r\nfin",
        " espace",
        "",
    ][number % 14]


def test_csv_lines_of_one_column_are_refused() -> None:
    """One column: Python writes an empty text as ``""`` (a line of nothing is no row)."""
    import pyarrow as pa

    with pytest.raises(ValueError, match="one column"):
        arrow_lines.csv(pa.record_batch({"s": ["", "x"]}))


def test_every_listed_value_alone() -> None:
    """Each listed float, text and time in a column of its own (no other value beside it to
    set the column's path), nulls included."""
    import pyarrow as pa

    for name, values, kind in (
        ("f", FLOATS, pa.float64()),
        ("s", TEXTS, pa.string()),
        ("t", TIMES, pa.timestamp("us", tz="UTC")),
    ):
        for value in values:
            batch = pa.RecordBatch.from_pylist([{name: value}], schema=pa.schema([(name, kind)]))
            assert arrow_lines.ndjson(batch) == _orjson([{name: value}]), value


def test_no_columns_and_no_rows() -> None:
    import pyarrow as pa

    assert arrow_lines.ndjson(pa.RecordBatch.from_pylist([], schema=_schema())) == b""
    empty = pa.RecordBatch.from_arrays([], names=[]).slice(0, 0)
    assert arrow_lines.ndjson(empty) == b""
    unnamed = pa.record_batch({"a": [1, 2]}).select([])
    assert arrow_lines.ndjson(unnamed) == b"{}\n{}\n"


def test_keys_are_escaped_as_orjson_does() -> None:
    import pyarrow as pa

    batch = pa.record_batch({'clé "1"\\': [1], "\n": ["x"]})
    assert arrow_lines.ndjson(batch) == orjson.dumps({'clé "1"\\': 1, "\n": "x"}) + b"\n"


@pytest.mark.parametrize("name", ["ndjson", "json", "csv"])
async def test_exports_written_by_arrow(
    client: httpx.AsyncClient,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """A dataset without decimals: its NDJSON, JSON and CSV lines are written by Arrow on
    both engines (from ADBC's PostgreSQL driver's batches in the server; SQLite's NDJSON in
    its export processes, its CSV by the server); the generic path's bytes, filtered or
    not. A dataset with decimals (projects' budgets) takes the other paths (JSON writes an
    integral decimal as an integer)."""
    written: list[int] = []
    ndjson, csv, read = arrow_lines.ndjson, arrow_lines.csv, sqlite_arrow.arrow_batches

    def counted(write: Any) -> Any:  # batches written by the server
        def counting(batch: Any) -> bytes:
            written.append(batch.num_rows)
            return write(batch)  # type: ignore[no-any-return]

        return counting

    async def lines(*args: Any, **options: Any) -> Any:  # SQLite's, by the export processes
        async for chunk in read(*args, **options):
            if options.get("lines"):
                written.append(chunk.count(b"\n"))
            yield chunk

    monkeypatch.setattr(arrow_lines, "ndjson", counted(ndjson))
    monkeypatch.setattr(arrow_lines, "csv", counted(csv))
    monkeypatch.setattr(sqlite_arrow, "arrow_batches", lines)
    for params in ({}, {"d__gte": "2024-01-02", "order": "-t"}):
        response = await client.get(EXPORT.format("types", name), params=params)
        assert response.status_code == 200
        assert response.content == await _generic(client, "types", params, name)
        assert written, params
        written.clear()
    projects = await client.get(EXPORT.format("projects", name))
    assert projects.status_code == 200
    assert projects.content == await _generic(client, "projects", {}, name)
    assert not written


@pytest.mark.parametrize("name", ["ndjson", "json", "csv"])
async def test_sqlite_lines_when_no_export_process_reads(
    client: httpx.AsyncClient,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """When the export processes cannot read (all busy, a statement they cannot run), the
    lines SQLite builds give the same bytes; PostgreSQL never asks them."""
    asked: list[str] = []

    async def unavailable(path: str, *args: Any, **options: Any) -> Any:
        asked.append(path)
        raise SqliteUnavailable("every export process is busy")
        yield  # an async generator, as the real one

    monkeypatch.setattr(sqlite_arrow, "arrow_batches", unavailable)
    response = await client.get(EXPORT.format("types", name))
    assert response.status_code == 200
    assert response.content == await _generic(client, "types", {}, name)
    sqlite = str(client.app.state.settings.database_url).startswith("sqlite")  # type: ignore[attr-defined]
    assert bool(asked) == sqlite


async def test_a_reader_left_mid_way_is_closed() -> None:
    """A client that leaves: the batches' source is closed then, not when collected."""
    import pyarrow as pa

    from bocage.core.api import DatasetField, FieldType

    closed: list[bool] = []

    async def batches() -> Any:
        try:
            for start in range(0, 40_000, 10_000):
                yield pa.record_batch({"i": list(range(start, start + 10_000))})
        finally:
            closed.append(True)

    fields = [DatasetField("i", FieldType.INTEGER)]
    lines = exports.arrow_to_lines(fields, batches(), arrow_lines.ndjson)
    first = await anext(lines)
    assert first.startswith(b'{"i":0}\n')
    await lines.aclose()
    assert closed == [True]


def _libpq_uri() -> str | None:
    import os

    url = os.environ.get("BOCAGE_TEST_DATABASE_URL", "")
    return url.replace("postgresql+asyncpg://", "postgresql://") if url else None


def _readers() -> list[Any]:
    import threading

    return [t for t in threading.enumerate() if t.name == "bocage-adbc-reader"]


async def test_postgresql_batches_read_ahead_end_with_their_reader() -> None:
    """PostgreSQL's batches are read one ahead by a thread of their own: a reader that
    leaves after the first batch ends that thread and its connection; an error of the
    statement after some batches reaches the reader, and the thread ends too."""
    from sqlalchemy import func, literal_column, select

    from bocage.plugins.opendata import export_sql

    uri = _libpq_uri()
    if uri is None:
        pytest.skip("PostgreSQL's path (BOCAGE_TEST_DATABASE_URL)")
    wide = func.repeat("x", 100).label("text")  # about 40 MB: several batches of 4 MB
    rows = select(func.generate_series(1, 400_000).label("i"), wide)
    batches = export_sql.arrow_batches(uri, rows)
    first = await anext(batches)
    assert first.num_rows > 0 and _readers()
    await batches.aclose()
    assert not _readers()
    every = [batch async for batch in export_sql.arrow_batches(uri, rows)]
    assert sum(batch.num_rows for batch in every) == 400_000
    assert not _readers()
    step = literal_column("i")
    failing = select((1 / (step - 300_000)).label("x"), wide).select_from(
        func.generate_series(1, 400_000).alias("i")
    )
    read = 0
    with pytest.raises(Exception, match="division by zero"):
        async for batch in export_sql.arrow_batches(uri, failing):
            read += batch.num_rows
    assert 0 < read < 400_000
    assert not _readers()
