"""Streamed exports: each writer turns batches of rows into bytes as they come, so memory
stays flat whatever the dataset's size.

:func:`stream` picks the fastest way for the engine and the format (:mod:`.export_sql`):
``COPY`` for CSV, NDJSON and JSON on PostgreSQL, lines built by SQLite and read by
``sqlite3`` in worker threads for CSV, NDJSON and JSON on SQLite (Parquet too, from typed
rows), typed rows read in large batches without the ORM otherwise: Parquet (Arrow record
batches; ADBC's on PostgreSQL) and XLSX (a ZIP
streamed as it is written, :mod:`.xlsx_stream`). GeoJSON, the ``excel-fr`` CSV and datasets
with columns of other types go through :func:`export` and the records' keyset walk.

CSV and XLSX cells follow the core's one rule (``CsvWriter``, ``xlsx_append``): a text a
spreadsheet would evaluate gets a quote in CSV, every string is a text cell in XLSX. JSON,
NDJSON, GeoJSON and Parquet carry values exactly. The ``excel-fr`` CSV also writes a text
that a spreadsheet would read as a number or a date (``92138,92035``, ``01/02``, ``007``)
as the formula ``="92138,92035"``, which Excel and LibreOffice show as that text.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import orjson

from bocage.core.api import CsvWriter, Dataset, DatasetField, FieldType, csv_cell, xlsx_append
from bocage.plugins.opendata import arrow_lines, export_sql, sqlite_arrow
from bocage.plugins.opendata.xlsx_stream import Drain, stream_xlsx

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bocage.plugins.opendata.records import RecordQuery


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
    "parquet": ExportFormat("parquet", "application/vnd.apache.parquet", "parquet"),
    "geojson": ExportFormat("geojson", "application/geo+json", "geojson"),
}
#: Formats that need the dataset to declare ``coordinates``.
GEOGRAPHIC = frozenset({"geojson"})


def formats_of(dataset: Dataset) -> list[str]:
    """The export formats a dataset is offered in (GeoJSON only with coordinates)."""
    return [n for n in FORMATS if n not in GEOGRAPHIC or dataset.coordinates is not None]


Batches = AsyncIterator[list[dict[str, Any]]]
_T = TypeVar("_T")


#: A text that a spreadsheet in a French (or English) locale would read as a number, a
#: date, a time, a percentage or an amount rather than as text: digits with separators,
#: signs, an exponent, currency or percent signs, and nothing else.
_NUMBER_LIKE = re.compile(r"[\s\d.,;:/'+\-−()%€$£eE]*\d[\s\d.,;:/'+\-−()%€$£eE]*")
#: Words a spreadsheet reads as booleans or error values (English and French).
_CONVERTED = frozenset(
    {"true", "false", "vrai", "faux", "#n/a", "#div/0!", "#value!", "#valeur!", "#ref!"}
    | {"#name?", "#nom?", "#num!", "#nombre!", "#null!", "#nul!"}
)


class TextFormula:
    """A text written as the formula ``="..."`` in the ``excel-fr`` CSV. It is built here, not
    typed by anyone: :class:`CsvWriter`, which guards strings, writes it as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return '="' + self.text.replace('"', '""') + '"'


def excel_fr_cell(value: str) -> str | TextFormula:
    """A text cell of the ``excel-fr`` CSV: the core's rule first (a formula-like text gets a
    quote), then a text a spreadsheet would convert is written ``="..."`` so that it stays
    that text (``92138,92035`` would become the number 92138.92035)."""
    guarded = csv_cell(value)
    if guarded is not value:
        return str(guarded)
    if _NUMBER_LIKE.fullmatch(value) or value.strip().lower() in _CONVERTED:
        return TextFormula(value)
    return value


def excel_fr_text(value: str) -> str:
    """The text of :func:`excel_fr_cell`."""
    return str(excel_fr_cell(value))


def _excel_fr(value: Any) -> Any:
    """French Excel reads ``3,5`` as a number and ``3.5`` as text; see :func:`excel_fr_cell`."""
    if isinstance(value, str):
        return excel_fr_cell(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    return value


async def write_csv(fields: list[str], batches: Batches, *, excel_fr: bool) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = CsvWriter(buffer, delimiter=";" if excel_fr else ",", lineterminator="\r\n")
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
    xlsx_append(sheet, fields)
    async for batch in batches:
        for record in batch:
            xlsx_append(sheet, [record[name] for name in fields])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await anyio.to_thread.run_sync(workbook.save, path)
        with open(path, "rb") as file:
            while chunk := file.read(64 * 1024):
                yield chunk
    finally:
        os.unlink(path)


async def write_geojson(
    fields: list[str], batches: Batches, *, coordinates: tuple[str, str]
) -> AsyncIterator[bytes]:
    """A FeatureCollection (RFC 7946), one point feature per record, written as it comes;
    records without both coordinates get a null geometry."""
    longitude, latitude = coordinates
    yield b'{"type":"FeatureCollection","features":['
    first = True
    async for batch in batches:
        features = []
        for record in batch:
            x, y = record.get(longitude), record.get(latitude)
            geometry = None if x is None or y is None else {"type": "Point", "coordinates": [x, y]}
            properties = {name: record[name] for name in fields}
            features.append(
                orjson.dumps({"type": "Feature", "geometry": geometry, "properties": properties})
            )
        if features:
            yield (b"\n" if first else b",\n") + b",\n".join(features)
            first = False
    yield b"\n]}\n"


def _arrow_type(kind: FieldType) -> Any:
    import pyarrow as pa

    return {
        FieldType.STRING: pa.string(),
        FieldType.INTEGER: pa.int64(),
        FieldType.NUMBER: pa.float64(),
        FieldType.BOOLEAN: pa.bool_(),
        FieldType.DATE: pa.date32(),
        FieldType.DATETIME: pa.timestamp("us", tz="UTC"),
    }[kind]


def _arrow_value(kind: FieldType, value: Any) -> Any:
    """Records carry JSON values (dates as ISO text): back to Python for Arrow."""
    if value is None:
        return None
    if kind is FieldType.DATE:
        return dt.date.fromisoformat(value)
    if kind is FieldType.DATETIME:
        return dt.datetime.fromisoformat(value)
    if kind is FieldType.NUMBER:
        return float(value)
    return value


def _arrow_array(values: Sequence[Any], arrow_type: Any) -> Any:
    """A column of raw values (:meth:`export_sql.Plan.raw`) as ``arrow_type``: ISO dates and
    times, days and microseconds since 1970, 0 and 1, integers in a float column are converted
    by Arrow (C++)."""
    import pyarrow as pa

    array = pa.array(values)
    if pa.types.is_date32(arrow_type) and pa.types.is_int64(array.type):
        array = array.cast(pa.int32())  # days since 1970 (Arrow casts no int64 to a date)
    return array if array.type == arrow_type else array.cast(arrow_type)


async def write_parquet(
    fields: list[DatasetField], batches: Batches, *, row_group: int = 50_000
) -> AsyncIterator[bytes]:
    """Parquet, typed from the Table Schema, one row group per ``row_group`` records, each
    streamed as soon as it is written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(f.name, _arrow_type(f.type)) for f in fields])
    drain = Drain()
    writer = pq.ParquetWriter(pa.PythonFile(drain, mode="w"), schema, compression="zstd")
    columns: dict[str, list[Any]] = {f.name: [] for f in fields}
    pending = 0

    def flush() -> None:
        table = pa.Table.from_pydict(columns, schema=schema)
        writer.write_table(table, row_group_size=max(pending, 1))
        for values in columns.values():
            values.clear()

    try:
        async for batch in batches:
            for f in fields:
                column = columns[f.name]
                column.extend(_arrow_value(f.type, record[f.name]) for record in batch)
            pending += len(batch)
            if pending >= row_group:
                await anyio.to_thread.run_sync(flush)
                pending = 0
                yield drain.take()
        if pending:
            await anyio.to_thread.run_sync(flush)
    finally:
        writer.close()
    yield drain.take()


async def gzipped(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    async for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def export(
    format_name: str,
    fields: list[str],
    batches: Batches,
    *,
    title: str,
    excel_fr: bool = False,
    dataset: Dataset | None = None,
) -> AsyncIterator[bytes]:
    """The bytes of ``format_name``; Parquet and GeoJSON need the ``dataset`` (its field types,
    its coordinates)."""
    if format_name == "parquet":
        assert dataset is not None
        typed = [f for name in fields if (f := dataset.field(name)) is not None]
        return write_parquet(typed, batches)
    if format_name == "geojson":
        assert dataset is not None and dataset.coordinates is not None
        return write_geojson(fields, batches, coordinates=dataset.coordinates)
    if format_name == "csv":
        return write_csv(fields, batches, excel_fr=excel_fr)
    if format_name == "json":
        return write_json(fields, batches)
    if format_name == "ndjson":
        return write_ndjson(fields, batches)
    return write_xlsx(fields, batches, title=title)


# -- the fast paths (export_sql) --------------------------------------------------------------

Rows = AsyncIterator[Sequence[Sequence[Any]]]
_JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def _json_default(value: Any) -> Any:
    """Decimals as :func:`bocage.plugins.opendata.records.to_json` writes them."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def json_objects(objects: list[dict[str, Any]], separator: bytes) -> bytes:
    """``objects`` (whose values hold no object but a GeoJSON geometry) as JSON, one after
    the other with ``separator`` between them. One call of orjson for them all (a call per
    object costs five times as much): its list's ``},{`` between objects become
    ``}<separator>{``, when no text holds ``},{`` (then there are as many as gaps)."""
    if not objects:
        return b""
    block = orjson.dumps(objects, default=_json_default, option=_JSON_OPTIONS)
    if block.count(b"},{") == len(objects) - 1:
        return block[1:-1].replace(b"},{", b"}" + separator + b"{")
    return separator.join(
        orjson.dumps(o, default=_json_default, option=_JSON_OPTIONS) for o in objects
    )


#: Rows serialised between two awaits: JSON is written on the event loop (orjson's buffers
#: freed in worker threads stay with those threads' malloc arenas: memory would grow).
JSON_SLICE = 5000


async def _json_slices(names: Sequence[str], rows: Rows, separator: bytes) -> AsyncIterator[bytes]:
    async for batch in rows:
        for start in range(0, len(batch), JSON_SLICE):
            window = batch[start : start + JSON_SLICE]
            objects = list(map(dict, map(zip, repeat(names), window)))  # no frame per row
            if objects:
                yield json_objects(objects, separator)


async def rows_to_ndjson(names: Sequence[str], rows: Rows) -> AsyncIterator[bytes]:
    async for block in _json_slices(names, rows, b"\n"):
        yield block + b"\n"


async def rows_to_json(names: Sequence[str], rows: Rows) -> AsyncIterator[bytes]:
    yield b"["
    first = True
    async for block in _json_slices(names, rows, b",\n"):
        yield (b"\n" if first else b",\n") + block
        first = False
    yield b"\n]\n"


async def rows_to_geojson(
    names: Sequence[str], rows: Rows, *, coordinates: tuple[str, str]
) -> AsyncIterator[bytes]:
    """:func:`write_geojson`'s bytes from the rows of :meth:`export_sql.Plan.json`."""
    x, y = names.index(coordinates[0]), names.index(coordinates[1])
    yield b'{"type":"FeatureCollection","features":['
    first = True
    async for batch in rows:
        for start in range(0, len(batch), JSON_SLICE):
            features = [
                {
                    "type": "Feature",
                    "geometry": None
                    if row[x] is None or row[y] is None
                    else {"type": "Point", "coordinates": [row[x], row[y]]},
                    "properties": dict(zip(names, row, strict=True)),
                }
                for row in batch[start : start + JSON_SLICE]
            ]
            if features:
                yield (b"\n" if first else b",\n") + json_objects(features, b",\n")
                first = False
    yield b"\n]}\n"


def _json_value(value: Any) -> Any:
    """A value of :meth:`export_sql.Plan.json` as :func:`records.to_json` gives it (a time
    without a zone is UTC)."""
    if isinstance(value, Decimal):
        return _json_default(value)
    if isinstance(value, dt.datetime):
        utc = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return utc.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _excel_fr_value(value: Any) -> Any:
    return _excel_fr(_json_value(value))


def _excel_fr_text(value: Any) -> Any:
    return excel_fr_cell(value) if isinstance(value, str) else value


def _same(value: Any) -> Any:
    return value


async def rows_to_excel_fr(
    names: Sequence[str], kinds: Sequence[export_sql.Kind], rows: Rows
) -> AsyncIterator[bytes]:
    """:func:`write_csv`'s ``excel-fr`` bytes from the rows of :meth:`export_sql.Plan.json`:
    each column converted by its kind (integers and booleans as they are)."""
    Kind = export_sql.Kind
    converters: list[Callable[[Any], Any]] = [
        _same
        if kind in (Kind.INTEGER, Kind.BOOLEAN)
        else _excel_fr_text
        if kind is Kind.TEXT
        else _excel_fr_value
        for kind in kinds
    ]
    buffer = io.StringIO()
    writer = CsvWriter(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(names)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    async for batch in rows:
        buffer.seek(0)
        buffer.truncate()
        for row in batch:
            writer.writerow([convert(v) for convert, v in zip(converters, row, strict=True)])
        yield buffer.getvalue().encode("utf-8")


async def rows_to_csv(
    header: bytes, rows: Rows, write: Callable[[Sequence[Sequence[Any]]], bytes]
) -> AsyncIterator[bytes]:
    yield header
    async for batch in rows:
        yield write(batch)


def _typed_array(values: Sequence[Any], arrow_type: Any) -> Any:
    """:func:`_arrow_array`, the column read straight as the declared type where it can be
    (numbers, texts; dates and times from their text), never from what a batch holds: a
    column of nulls is typed as any other."""
    import pyarrow as pa

    direct = {pa.int64(), pa.float64(), pa.string()}
    try:
        if arrow_type in direct:
            return pa.array(values, type=arrow_type)
        if pa.types.is_date32(arrow_type) or pa.types.is_timestamp(arrow_type):
            return pa.array(values, type=pa.string()).cast(arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        pass  # another Python type than the declared one (SQLite types values): as before
    return _arrow_array(values, arrow_type)


class ParquetRows:
    """Parquet from rows of :meth:`export_sql.Plan.raw`: each batch of rows becomes an Arrow
    record batch of the declared types as it arrives (only Arrow's compact arrays wait), one
    row group per ``row_group`` rows or so, whose bytes are taken as soon as written.

    (SQLite's rows read by ``sqlite3`` in one worker thread that also wrote the Parquet were
    no faster than aiosqlite's beside the writer's threads, and held 18 MiB more when the two
    were split: SQLite's Parquet keeps the engine's connection.)"""

    def __init__(self, fields: list[DatasetField], *, row_group: int = 32_000) -> None:
        self.row_group = row_group
        self.schema = parquet_schema(fields)
        self.drain = Drain()
        self.writer = ParquetWriter(self.drain, fields)
        self.waiting: list[Any] = []
        self.pending = 0

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        import pyarrow as pa

        columns = list(zip(*rows, strict=True)) if rows else [() for _ in self.schema]
        arrays = [_typed_array(c, t) for c, t in zip(columns, self.schema.types, strict=True)]
        self.waiting.append(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self.pending += len(rows)

    def full(self) -> bool:
        return self.pending >= self.row_group

    def flush(self) -> bytes:
        import pyarrow as pa

        if self.pending:
            table = pa.Table.from_batches(self.waiting, schema=self.schema)
            self.writer.write(table, row_group_size=self.pending)
            self.waiting.clear()
            self.pending = 0
        return self.drain.take()

    def close(self) -> None:
        self.writer.close()


async def rows_to_parquet(
    fields: list[DatasetField], rows: Rows, *, row_group: int = 32_000
) -> AsyncIterator[bytes]:
    """Parquet from batches of rows (:class:`ParquetRows`), written in worker threads."""
    parquet = ParquetRows(fields, row_group=row_group)
    try:
        async for batch in rows:
            await anyio.to_thread.run_sync(parquet.add, batch)
            if parquet.full():
                yield await anyio.to_thread.run_sync(parquet.flush)
        last = await anyio.to_thread.run_sync(parquet.flush)
    finally:
        parquet.close()
    yield last + parquet.drain.take()


def parquet_schema(fields: list[DatasetField]) -> Any:
    """The Arrow schema of a Parquet export: each field's declared type."""
    import pyarrow as pa

    return pa.schema([pa.field(f.name, _arrow_type(f.type)) for f in fields])


class ParquetWriter:
    """A zstd Parquet writer into ``drain``, opened at the first data written, whose texts are
    dictionary-encoded only where that first batch repeats them (:func:`repeated`). Numbers,
    dates, times and texts that are mostly unique (names, addresses, identifiers) are
    written plain: a dictionary of unique values costs time to build and room besides (1M
    rows of the bench: building the names' dictionary was an eighth of the server's CPU, and
    the file 11.2 MB instead of 9.4 MB); a dictionary of repeated values (a category, a
    commune) keeps a file small."""

    def __init__(self, drain: Drain, fields: list[DatasetField]) -> None:
        self.drain = drain
        self.schema = parquet_schema(fields)
        self.texts = [f.name for f in fields if f.type is FieldType.STRING]
        self.writer: Any = None

    def _open(self, dictionary: list[str]) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        return pq.ParquetWriter(
            pa.PythonFile(self.drain, mode="w"),
            self.schema,
            compression="zstd",
            use_dictionary=dictionary,
        )

    def write(self, data: Any, *, row_group_size: int) -> None:
        """Writes ``data`` (an Arrow table or record batch of :attr:`schema`)."""
        if self.writer is None:
            self.writer = self._open([n for n in self.texts if repeated(data.column(n))])
        self.writer.write(data, row_group_size=row_group_size)

    def close(self) -> None:
        if self.writer is None:  # no row: the schema alone
            self.writer = self._open(self.texts)
        self.writer.close()


def repeated(column: Any) -> bool:
    """Whether a column of texts holds fewer distinct values than half its values (Arrow's
    hash count, a few milliseconds for a batch)."""
    import pyarrow.compute as pc

    values = len(column) - column.null_count
    return bool(pc.count_distinct(column).as_py() * 2 <= values)


#: Rows of a Parquet row group written from Arrow (a batch of :mod:`.sqlite_arrow`).
ARROW_ROW_GROUP = 32_768


async def arrow_to_parquet(
    fields: list[DatasetField], batches: AsyncIterator[Any], *, row_group: int = ARROW_ROW_GROUP
) -> AsyncIterator[bytes]:
    """Parquet from Arrow record batches (:func:`export_sql.arrow_batches`,
    :func:`sqlite_arrow.arrow_batches`), each cast to the schema of :func:`rows_to_parquet`
    and written in a worker thread as it arrives (row groups of at most ``row_group`` rows)."""
    drain = Drain()
    writer = ParquetWriter(drain, fields)

    def write(batch: Any) -> None:
        writer.write(batch.cast(writer.schema), row_group_size=row_group)

    try:
        async for batch in batches:
            await anyio.to_thread.run_sync(write, batch)
            if chunk := drain.take():
                yield chunk
    finally:
        writer.close()
        if (close := getattr(batches, "aclose", None)) is not None:
            await close()  # a reader left mid-way: its source ends now, not when collected
    yield drain.take()


async def arrow_to_lines(
    fields: list[DatasetField],
    batches: AsyncIterator[Any],
    write: Callable[[Any], bytes],
) -> AsyncIterator[bytes]:
    """Lines from Arrow record batches (:func:`export_sql.arrow_batches`,
    :func:`sqlite_arrow.arrow_batches`), each cast to the schema of :func:`rows_to_parquet`
    and written by Arrow in a worker thread (``write``: :func:`arrow_lines.ndjson`, the
    bytes of :func:`rows_to_ndjson`; :func:`arrow_lines.csv`, those of the core's CSV
    writer)."""
    schema = parquet_schema(fields)
    try:
        async for batch in batches:
            for part in arrow_lines.slices(batch.cast(schema)):
                if lines := await anyio.to_thread.run_sync(write, part):
                    yield lines
    finally:
        if (close := getattr(batches, "aclose", None)) is not None:
            await close()  # a reader left mid-way: its source ends now, not when collected


#: Excel's rows in a sheet, less the header.
XLSX_MAX_ROWS = 1_048_575


async def capped(batches: AsyncIterator[list[_T]], most: int) -> AsyncIterator[list[_T]]:
    """The first ``most`` items of ``batches``; the source is closed at the bound."""
    left = most
    try:
        async for batch in batches:
            if len(batch) >= left:
                if left:
                    yield batch[:left]
                return
            left -= len(batch)
            yield batch
    finally:
        if (close := getattr(batches, "aclose", None)) is not None:
            await close()


def _sqlite_lines(
    format_name: str,
    fields: Sequence[str],
    plan: export_sql.Plan,
    sessionmaker: async_sessionmaker[AsyncSession],
    readers: int,
) -> AsyncIterator[bytes] | None:
    """SQLite: CSV, NDJSON or JSON from the lines SQLite builds, read by ``sqlite3`` in worker
    threads (:func:`export_sql.sqlite_lines`: ``readers`` side by side), or by the engine's
    connection should the statement need it; ``None`` when the database is not SQLite's
    file."""
    if plan.dialect != "sqlite":
        return None
    lines = plan.sqlite_lines(json=format_name != "csv")
    header = _header(fields) if format_name == "csv" else b""
    fast = export_sql.sqlite_lines(sessionmaker, lines, header, plan=plan, readers=readers)
    if fast is None:
        return None

    def otherwise() -> AsyncIterator[bytes]:
        rows = export_sql.batches(sessionmaker, lines.statement, sqlite_guard=True)
        return rows_to_csv(header, rows, lines)

    chunks = export_sql.first_of(fast, otherwise)
    return _json_array(chunks) if format_name == "json" else chunks


async def _json_array(lines: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """NDJSON lines as a JSON array (:class:`export_sql.JsonArray`)."""
    yield b"["
    array = export_sql.JsonArray()
    async for chunk in lines:
        if data := array.convert(chunk):
            yield data
    yield b"\n]\n"


def _header(fields: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    CsvWriter(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue().encode("utf-8")


def _sqlite_parquet(
    fields: list[DatasetField],
    plan: export_sql.Plan,
    sessionmaker: async_sessionmaker[AsyncSession],
    processes: int,
) -> AsyncIterator[bytes]:
    """SQLite's Parquet from the record batches ADBC's driver reads in child processes
    (:mod:`.sqlite_arrow`), or from the rows of the engine's connection when they cannot
    (off, busy, a statement only the engine's connections can run)."""

    def rows() -> AsyncIterator[bytes]:
        # sqlite_guard: the functions of the records' filters (folded text) on its connection
        sqlite = plan.dialect == "sqlite"
        batches = export_sql.batches(sessionmaker, plan.raw(), sqlite_guard=sqlite)
        return rows_to_parquet(fields, batches)

    path = sqlite_arrow.available(sessionmaker, processes) if plan.dialect == "sqlite" else None
    if path is None or not plan.supported:
        return rows()
    batches = sqlite_arrow.arrow_batches(path, plan, parquet_schema(fields), processes)
    return export_sql.first_of(arrow_to_parquet(fields, batches), rows)


def _typed(query: RecordQuery) -> list[DatasetField]:
    """The declared fields of the query's columns (the Arrow schema's)."""
    return [f for name in query.fields if (f := query.dataset.field(name)) is not None]


def _arrow_lines(
    format_name: str,
    query: RecordQuery,
    plan: export_sql.Plan,
    sessionmaker: async_sessionmaker[AsyncSession],
    processes: int,
    readers: int,
) -> AsyncIterator[bytes] | None:
    """NDJSON (JSON's lines too) or CSV written by Arrow (:mod:`.arrow_lines`) from the record
    batches of ADBC's drivers; ``None`` when no driver can read the rows, a field is a
    decimal (JSON writes an integral one as an integer: Arrow reads a float), or for CSV of
    one field (Python writes an empty text as ``""``).

    - PostgreSQL: the server writes the batches ADBC reads (:func:`arrow_to_lines`).
    - SQLite's NDJSON: the export processes that read the batches write them, two at once
      (:mod:`.sqlite_arrow`); SQLite's CSV: the server writes them (the CSV cell rule is the
      core's, which those processes do not load). Either falls back to the lines SQLite
      builds when no process can read."""
    csv = format_name == "csv"
    if export_sql.Kind.DECIMAL in plan.kinds or (csv and len(query.fields) < 2):
        return None
    typed = _typed(query)
    if plan.dialect == "postgresql":
        uri = export_sql.libpq_uri(sessionmaker)
        if uri is None:
            return None
        batches = export_sql.arrow_batches(uri, plan.arrow())
        if csv:
            return _headed(_header(query.fields), arrow_to_lines(typed, batches, arrow_lines.csv))
        return arrow_to_lines(typed, batches, arrow_lines.ndjson)
    path = sqlite_arrow.available(sessionmaker, processes)
    if path is None:
        return None
    schema = parquet_schema(typed)
    header = _header(query.fields) if csv else b""
    if csv:
        batches = sqlite_arrow.arrow_batches(path, plan, schema, processes)
        lines = arrow_to_lines(typed, batches, arrow_lines.csv)
    else:
        lines = sqlite_arrow.arrow_batches(path, plan, schema, processes, lines=True)

    def otherwise() -> AsyncIterator[bytes]:
        name = "csv" if csv else "ndjson"
        found = _sqlite_lines(name, query.fields, plan, sessionmaker, readers)
        if found is not None:
            return found
        if csv:
            statement = plan.csv_statement()
            rows = export_sql.batches(sessionmaker, statement, sqlite_guard=True)
            return rows_to_csv(header, rows, export_sql.csv_rows)
        return rows_to_ndjson(query.fields, export_sql.batches(sessionmaker, plan.json()))

    return export_sql.first_of(_headed(header, lines) if csv else lines, otherwise)


async def _headed(header: bytes, lines: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``header`` and ``lines``, the first lines read before anything is given: an error of
    the source before them (:class:`SqliteUnavailable`) comes before the header."""
    first = await anext(lines, None)
    yield header + (first or b"")
    async for chunk in lines:
        yield chunk


async def stream(
    format_name: str,
    query: RecordQuery,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    title: str,
    excel_fr: bool = False,
    xlsx_max_rows: int = XLSX_MAX_ROWS,
    export_processes: int = 0,
    readers: int = 1,
) -> AsyncIterator[bytes]:
    """The bytes of the export of ``query`` in ``format_name``, by the fastest path the
    engine and the dataset's column types allow (the same bytes as :func:`export`'s for CSV,
    JSON and NDJSON; the same values for Parquet and XLSX). An XLSX sheet stops after
    ``xlsx_max_rows`` records (the route refuses more beforehand: this only holds the sheet
    within Excel's rows should records be added meanwhile). ``readers``: SQLite connections
    that may read one export side by side (``BOCAGE_OPENDATA_EXPORT_READERS``). SQLite's
    Parquet is read by up to ``export_processes`` child processes (:mod:`.sqlite_arrow`; 0:
    by the server)."""
    from bocage.plugins.opendata.records import iterate

    dataset = query.dataset
    async with sessionmaker() as session:
        dialect = session.get_bind().dialect.name
    plan = export_sql.Plan(query, dialect)
    fast = plan.supported and format_name in FORMATS
    if not fast:
        records = iterate(sessionmaker, query)
        chunks = export(
            format_name,
            query.fields,
            capped(records, xlsx_max_rows) if format_name == "xlsx" else records,
            title=title,
            excel_fr=excel_fr,
            dataset=dataset,
        )
    elif format_name == "csv" and excel_fr:
        rows = export_sql.batches(sessionmaker, plan.json())
        chunks = rows_to_excel_fr(query.fields, plan.known_kinds(), rows)
    elif format_name == "geojson":
        assert dataset.coordinates is not None
        rows = export_sql.batches(sessionmaker, plan.json())
        chunks = rows_to_geojson(query.fields, rows, coordinates=dataset.coordinates)
    elif format_name in ("ndjson", "json", "csv") and (
        arrow := _arrow_lines(
            "csv" if format_name == "csv" else "ndjson",
            query,
            plan,
            sessionmaker,
            export_processes,
            readers,
        )
    ):
        chunks = _json_array(arrow) if format_name == "json" else arrow
    elif format_name == "csv" and dialect == "postgresql" and len(query.fields) > 1:
        # one field: Python writes an empty cell as "", PostgreSQL as nothing
        chunks = export_sql.copy_csv(sessionmaker, plan, _header(query.fields))
    elif format_name == "ndjson" and dialect == "postgresql":
        chunks = export_sql.copy_ndjson(sessionmaker, plan)
    elif format_name == "json" and dialect == "postgresql":
        chunks = export_sql.copy_json(sessionmaker, plan)
    elif (
        format_name in ("csv", "ndjson", "json")
        and (len(query.fields) > 1 or format_name != "csv")  # one field: as PostgreSQL's
        and (fast_lines := _sqlite_lines(format_name, query.fields, plan, sessionmaker, readers))
    ):
        chunks = fast_lines
    elif format_name == "csv" and dialect == "sqlite" and len(query.fields) > 1:
        statement = plan.csv_line_statement()
        sql = export_sql.sqlite_sql(statement)
        rows = (
            export_sql.batches(sessionmaker, statement, sqlite_guard=True)
            if sql is None
            else export_sql.driver_batches(sessionmaker, sql)
        )
        chunks = rows_to_csv(_header(query.fields), rows, export_sql.csv_lines)
    elif format_name == "csv":
        rows = export_sql.batches(
            sessionmaker, plan.csv_statement(), sqlite_guard=dialect == "sqlite"
        )
        chunks = rows_to_csv(_header(query.fields), rows, export_sql.csv_rows)
    elif format_name == "parquet":
        typed = _typed(query)
        uri = export_sql.libpq_uri(sessionmaker) if dialect == "postgresql" else None
        if uri is not None:
            chunks = arrow_to_parquet(typed, export_sql.arrow_batches(uri, plan.arrow()))
        else:
            chunks = _sqlite_parquet(typed, plan, sessionmaker, export_processes)
    elif format_name == "xlsx":
        rows = capped(export_sql.batches(sessionmaker, plan.typed()), xlsx_max_rows)
        chunks = stream_xlsx(query.fields, rows, title=title)
    else:
        writer = rows_to_ndjson if format_name == "ndjson" else rows_to_json
        chunks = writer(query.fields, export_sql.batches(sessionmaker, plan.json()))
    async for chunk in chunks:
        yield chunk
