"""Exports at the database's speed: rows read in large batches without the ORM, and, for CSV,
each cell written by the database itself.

PostgreSQL writes CSV with ``COPY (query) TO STDOUT``; each cell is formatted in SQL exactly as
the Python writer formats it (:func:`bocage.plugins.opendata.records.to_json` values through
the core's :class:`CsvWriter`: ``True``/``False``, Python's float notation, ISO 8601 dates and
``Z`` times, a quote in front of formula-like text), so both give the same bytes. On SQLite
each CSV or NDJSON line is built by SQLite too, but for its floats (SQLite 3.40 writes and
reads them without correct rounding) and its times: each row comes as the line's pieces with
those values between them, which Python writes for a whole batch (floats with one call of
orjson, times with a few operations on the joined column: :meth:`Plan.sqlite_lines`);
formula-like texts call back into Python. SQLite's CSV, NDJSON,
JSON and Parquet are read on a read-only ``sqlite3`` connection of their own in worker
threads, which turn the rows into bytes too (:func:`sqlite_chunks`): no aiosqlite or
SQLAlchemy hand-off per batch. NDJSON, JSON, Parquet and XLSX otherwise read typed rows in
batches of :data:`BATCH`.

A dataset with a column whose type is not one of :class:`Kind` is exported by the generic
path (:func:`bocage.plugins.opendata.records.iterate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import io
import queue
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    type_coerce,
)
from sqlalchemy.types import NullType

from bocage.core.api import CsvWriter, FieldType, csv_cell
from bocage.plugins.opendata import folding
from bocage.plugins.opendata.processes import SqliteUnavailable

if TYPE_CHECKING:
    from sqlalchemy import ColumnClause, ColumnElement, Select
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
    from sqlalchemy.types import TypeEngine

    from bocage.plugins.opendata import side_by_side
    from bocage.plugins.opendata.records import RecordQuery

#: Rows read at a time (one round trip, one chunk of output): memory holds one batch.
BATCH = 5000
#: Bytes gathered from ``COPY`` before they are handed on.
COPY_CHUNK = 256 * 1024

#: Characters after which a spreadsheet evaluates a cell (``bocage.core`` spreadsheets rule).
_TRIGGERS = "=+@\t\r＝＋－＠-"  # "-" last: it stays literal in a regex character class
#: What ``str.lstrip()`` removes (``str.isspace``), up to U+3000 as the core's rule looks.
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_NUMBER = r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$"


class Kind(enum.Enum):
    """How a column's values are written."""

    INTEGER = "integer"
    BOOLEAN = "boolean"
    DECIMAL = "decimal"  # read as Decimal: an integer when integral, else a float
    FLOAT = "float"
    DATE = "date"
    DATETIME = "datetime"
    TEXT = "text"


def kind_of(sql_type: TypeEngine[Any], declared: FieldType) -> Kind | None:
    """The :class:`Kind` of a column of ``sql_type`` (``declared`` for an untyped expression),
    or ``None`` when the fast path does not know it."""
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    if isinstance(sql_type, Boolean):
        return Kind.BOOLEAN
    if isinstance(sql_type, Integer):
        return Kind.INTEGER
    if isinstance(sql_type, Float) or (isinstance(sql_type, Numeric) and not sql_type.asdecimal):
        return Kind.FLOAT
    if isinstance(sql_type, Numeric):
        return Kind.DECIMAL
    if isinstance(sql_type, DateTime):
        return Kind.DATETIME
    if isinstance(sql_type, Date):
        return Kind.DATE
    if isinstance(sql_type, String):  # Unicode, Text and Enum too
        return Kind.TEXT
    if isinstance(sql_type, NullType) and declared is FieldType.DATETIME:
        return Kind.DATETIME  # an upload's timestamp on PostgreSQL: UTC without a zone
    return None


def _aware(sql_type: TypeEngine[Any]) -> bool:
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    return isinstance(sql_type, DateTime) and bool(sql_type.timezone)


class Plan:
    """The statement of a query's rows (its filters, its order) and each field's kind."""

    def __init__(self, query: RecordQuery, dialect: str) -> None:
        self.query = query
        self.dialect = dialect
        self.base = query.page_statement(after=None, size=None)
        #: The dataset's key when the rows come in its order alone (:meth:`segments`).
        self.key: ColumnElement[Any] | None = None
        if query.group_by is None and not query.order:
            # the dataset's key alone: never null, so no "nulls last" term, and the database
            # may read its index in order (the records' keyset order, the same rows)
            self.key = self.base.selected_columns[query.dataset.key]
            self.base = self.base.order_by(None).order_by(self.key)
        self.columns = [self.base.selected_columns[name] for name in query.fields]
        self.kinds = [
            kind_of(query.column_type(f.name), f.type)
            for f in (query.dataset.field(n) for n in query.fields)
            if f is not None
        ]

    @property
    def supported(self) -> bool:
        return None not in self.kinds and len(self.kinds) == len(self.columns)

    def known_kinds(self) -> list[Kind]:
        """Each field's kind, for the statements only a :attr:`supported` plan builds."""
        kinds = [kind for kind in self.kinds if kind is not None]
        if len(kinds) != len(self.columns):
            raise ValueError("a field has no kind the database can write: check Plan.supported")
        return kinds

    def statement(self, cells: Sequence[ColumnElement[Any]]) -> Select[Any]:
        return self.base.with_only_columns(*cells, maintain_column_froms=True)

    def segments(self, statement: Select[Any], size: int) -> side_by_side.Segments | None:
        """SQLite: ``statement`` (one of this plan's) as ranges of the key of at most ``size``
        rows each, for readers working side by side (:func:`side_by_side.sqlite_segment_chunks`);
        ``None`` when the rows are not in the key's order alone or a statement has no
        literal form."""
        if self.key is None or size < 1:
            return None
        key = self.key
        after: ColumnClause[Any] = literal_column(":bocage_after")
        upto: ColumnClause[Any] = literal_column(":bocage_upto")
        keys = self.statement([key]).limit(1).offset(size - 1)
        texts = {
            "first": sqlite_sql(keys),
            "next": sqlite_sql(keys.where(key > after)),
            (False, False): sqlite_sql(statement),
            (False, True): sqlite_sql(statement.where(key <= upto)),
            (True, False): sqlite_sql(statement.where(key > after)),
            (True, True): sqlite_sql(statement.where(key > after, key <= upto)),
        }
        if None in texts.values():
            return None
        from bocage.plugins.opendata.side_by_side import Segments

        return Segments({name: text for name, text in texts.items() if text is not None})

    # -- typed rows (NDJSON, JSON, Parquet, XLSX) ------------------------------------------

    def typed(self, *, floats: bool = False) -> Select[Any]:
        """The fields as the database types them; ``floats``: decimals as floats (Arrow)."""
        cells = []
        for column, kind, name in zip(self.columns, self.kinds, self.query.fields, strict=True):
            if floats and kind is Kind.DECIMAL:
                column = cast(column, Float)
            cells.append(column.label(name))
        return self.statement(cells)

    def arrow(self) -> Select[Any]:
        """PostgreSQL, for ADBC (:func:`arrow_batches`): the fields in the types Arrow's
        schema wants (integers as bigint, decimals as float8, texts and enums as text)."""
        cells = []
        for column, kind, name in zip(self.columns, self.kinds, self.query.fields, strict=True):
            cell: Any = column
            if kind is Kind.INTEGER:
                cell = cast(column, BigInteger)
            elif kind in (Kind.DECIMAL, Kind.FLOAT):
                cell = cast(column, Float)
            elif kind is Kind.TEXT:
                cell = cast(column, Text)
            cells.append(cell.label(name))
        return self.statement(cells)

    def raw(self) -> Select[Any]:
        """The fields with no conversion in Python (a TypeDecorator costs a call a value):
        times as ISO 8601 UTC text with ``Z`` on SQLite, microseconds since 1970 on
        PostgreSQL; SQLite's dates as ISO text, PostgreSQL's as days since 1970; SQLite's
        booleans as 0 or 1, decimals as floats. What JSON
        writes as is, and what Arrow converts in C++ (:func:`arrow_batch`)."""
        cells = []
        for column, kind, name in zip(self.columns, self.kinds, self.query.fields, strict=True):
            cell: Any = column
            if kind is Kind.DECIMAL:
                cell = cast(column, Float)
            elif kind is Kind.DATETIME and self.dialect == "sqlite":
                cell = _sqlite_cell(kind, column, True)
            elif self.dialect == "postgresql" and not isinstance(column.type, NullType):
                # numbers, not date and time objects (one each, then one Arrow value each)
                if kind is Kind.DATETIME:  # microseconds since 1970 (EXTRACT: an exact numeric)
                    cell = cast(extract("epoch", column) * 1_000_000, BigInteger)
                elif kind is Kind.DATE:  # days since 1970
                    cell = column - literal_column("DATE '1970-01-01'")
            cells.append(type_coerce(cell, NullType()).label(name))
        return self.statement(cells)

    def json(self) -> Select[Any]:
        """The fields for orjson: as :meth:`raw` for times and SQLite's dates, as the database
        types them otherwise (decimals stay decimals, SQLite's booleans become booleans)."""
        cells = []
        for column, kind, name in zip(self.columns, self.kinds, self.query.fields, strict=True):
            cell: Any = column
            if kind is Kind.DATETIME and self.dialect == "sqlite":
                cell = type_coerce(_sqlite_cell(kind, column, True), NullType())
            elif kind is Kind.DATETIME or (kind is Kind.DATE and self.dialect == "sqlite"):
                cell = type_coerce(column, NullType())
            cells.append(cell.label(name))
        return self.statement(cells)

    # -- NDJSON lines written by the database (PostgreSQL) ---------------------------------

    def json_line_statement(self) -> Select[Any]:
        """PostgreSQL: each row as the line orjson writes for it (:meth:`json`'s values
        through :func:`bocage.plugins.opendata.exports.json_objects`), built by the database:
        the same keys in the same order, the same escapes, numbers, dates and times."""
        line: Any = None
        for i, (kind, column, name) in enumerate(
            zip(self.known_kinds(), self.columns, self.query.fields, strict=True)
        ):
            key = ("{" if i == 0 else ",") + orjson.dumps(name).decode() + ":"
            cell = type_coerce(func.coalesce(_pg_json_cell(kind, column), "null"), Text())
            line = (literal(key, Text) if line is None else line + key) + cell
        if line is None:
            line = literal("{", Text)
        line = line + "}"
        return self.statement([type_coerce(line, NullType()).label("line")])

    # -- CSV cells written by the database -------------------------------------------------

    def csv_line_statement(self) -> Select[Any]:
        """SQLite: each row as one CSV line (without its end), built by the database."""
        line: Any = None
        for kind, column in zip(self.known_kinds(), self.columns, strict=True):
            cell = type_coerce(func.coalesce(_sqlite_line_cell(kind, column), ""), Text())
            line = cell if line is None else line + "," + cell
        return self.statement([type_coerce(line, NullType()).label("line")])

    def sqlite_lines(self, *, json: bool = False) -> Lines:
        """SQLite: each row's CSV line (``json``: NDJSON line) built by SQLite, but for its
        floats and times, which Python writes for a whole batch at once (:class:`Lines`)."""
        parts: list[Any] = []
        writers: list[Callable[[list[Any]], list[bytes]]] = []
        segment: Any = None

        def add(piece: Any) -> None:
            nonlocal segment
            segment = piece if segment is None else segment + piece

        for i, (kind, column, name) in enumerate(
            zip(self.known_kinds(), self.columns, self.query.fields, strict=True)
        ):
            if json:
                add(literal(("{" if i == 0 else ",") + orjson.dumps(name).decode() + ":", Text))
            elif i:
                add(literal(",", Text))
            if (kind, json) in _BATCH_WRITERS:
                parts += [_blob(segment), type_coerce(column, NullType())]
                segment = None
                writers.append(_BATCH_WRITERS[kind, json])
            else:
                cell = _sqlite_json_cell(kind, column) if json else _sqlite_csv_cell(kind, column)
                add(type_coerce(cell, Text()))
        if json and not self.columns:
            add(literal("{", Text))
        add(literal("}\n" if json else "\r\n", Text))
        parts.append(_blob(segment))
        statement = self.statement([p.label(f"p{i}") for i, p in enumerate(parts)])
        return Lines(statement, writers)

    def csv_statement(self, *, iso_style: bool = False) -> Select[Any]:
        """Each field as its CSV cell; ``iso_style``: PostgreSQL's ``DateStyle`` is ISO (dates
        and times are written as text, cheaper than ``to_char``)."""
        cells = [
            type_coerce(
                _pg_cell(kind, column, _aware(column.type), iso_style)
                if self.dialect == "postgresql"
                else _sqlite_cell(kind, column, _aware(column.type)),
                NullType(),
            ).label(f"c{i}")
            for i, (kind, column) in enumerate(zip(self.known_kinds(), self.columns, strict=True))
        ]
        return self.statement(cells)


# -- PostgreSQL ----------------------------------------------------------------------------


#: Around the text of a float that Python writes (:class:`Floats`): a control character,
#: which no cell holds raw (JSON escapes them all; CSV's are quoted, but never a float's).
MARK = "\x03"


def _pg_float(value: Any, *, marked: bool = False) -> Any:
    """A float as Python writes it (``repr``, and orjson likewise): PostgreSQL's shortest
    text where it has the same digits and notation (``-4 <= exponent < 15``, checked on
    a million values), an integral value as ``3.0``. PostgreSQL rounds some other values
    otherwise (``1e+23`` is its ``9.999999999999999e+22``) and writes them in its notation:
    ``marked``, such a value is sent as PostgreSQL's exact text between two :data:`MARK`
    for Python to write (:class:`Floats`; only where no text holds a raw control character:
    JSON); else as PostgreSQL writes it (the same number). The common branches come first."""
    size = func.abs(value)
    text = cast(value, Text)
    rare: list[tuple[Any, Any]] = []
    if not marked:
        nan: ColumnClause[float] = literal_column("'NaN'::float8")
        infinity: ColumnClause[float] = literal_column("'Infinity'::float8")
        rare = [
            (value == 0, "-0.0"),
            (value == nan, "nan"),
            (value == infinity, "inf"),
            (value == -infinity, "-inf"),
        ]
    return case(
        (
            and_(value == func.trunc(value), size < 1e16, value != 0),
            cast(cast(value, BigInteger), Text) + ".0",
        ),
        (and_(size >= 1e-4, size < 1e15), text),
        (and_(value == 0, text == "0"), "0.0"),
        *rare,
        else_=MARK + text + MARK if marked else text,
    )


def _pg_decimal(value: Any, *, marked: bool = False) -> Any:
    """A decimal as :func:`bocage.plugins.opendata.records.to_json` gives it: an integer when
    integral, else the float (:func:`_pg_float`)."""
    nan: ColumnClause[Any] = literal_column("'NaN'::numeric")
    return case(
        (and_(value == func.trunc(value), value != nan), cast(func.trunc(value), Text)),
        else_=_pg_float(cast(value, Float), marked=marked),
    )


class Floats:
    """Writes the floats :func:`_pg_float` sends between two :data:`MARK` with ``write``
    (``repr`` for CSV, orjson for JSON), in bytes that come in pieces cut anywhere (a piece
    ending inside a mark is held until the next)."""

    def __init__(self, write: Callable[[float], bytes]) -> None:
        self.write = write
        self.held = b""

    def _text(self, found: re.Match[bytes]) -> bytes:
        return self.write(float(found[1]))

    def convert(self, data: bytes) -> bytes:
        if self.held:
            data, self.held = self.held + data, b""
        if _MARK not in data:
            return data
        if data.count(_MARK) & 1:
            cut = data.rindex(_MARK)
            data, self.held = data[:cut], data[cut:]
        return _MARKED.sub(self._text, data)


_MARK = MARK.encode()
_MARKED = re.compile(re.escape(_MARK) + b"([^" + re.escape(_MARK) + b"]*)" + re.escape(_MARK))


def json_float(value: float) -> bytes:
    return orjson.dumps(value)


def _pg_text(value: Any) -> Any:
    """The core's CSV cell rule (:func:`bocage.core.api.csv_cell`) in SQL; an empty text
    is left unquoted, as Python's writer does."""
    text = cast(value, Text)
    # the first character's code (0 for an empty text): a comparison of integers, where a
    # regular expression would decode the whole text first
    suspect = func.ascii(text).in_(sorted({ord(c) for c in _SPACES + _TRIGGERS}))
    formula = or_(
        text.regexp_match("^[\t\r]"),
        and_(text.regexp_match(f"^[{_SPACES}]*[{_TRIGGERS}]"), ~text.regexp_match(_NUMBER)),
    )
    guarded = case((and_(suspect, formula), literal_column("''''") + text), else_=text)
    return func.nullif(guarded, "")


def _pg_cell(kind: Kind, value: Any, aware: bool, iso_style: bool = False) -> Any:
    if kind is Kind.INTEGER:
        return value
    if kind is Kind.BOOLEAN:
        return case((value.is_(True), "True"), (value.is_(False), "False"))
    if kind is Kind.FLOAT:
        return _pg_float(value)
    if kind is Kind.DECIMAL:
        return _pg_decimal(value)
    if kind is Kind.DATE:
        return cast(value, Text) if iso_style else func.to_char(value, "YYYY-MM-DD")
    if kind is Kind.DATETIME:
        utc = func.timezone("UTC", value) if aware else value
        if iso_style and not isinstance(value.type, NullType):
            # "2024-01-02 03:04:05.25": six digits of fraction, or none (a column of unknown
            # type may hold a zone: to_char's text, in the session's UTC, as below)
            text = cast(utc, Text)
            padded = case((func.strpos(text, ".") > 0, func.rpad(text, 26, "0")), else_=text)
            return func.replace(padded, " ", "T") + "Z"
        micro = func.to_char(utc, "US")
        return (
            func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
            + case((micro != "000000", "." + micro), else_="")
            + "Z"
        )
    return _pg_text(value)


def _pg_json_cell(kind: Kind, value: Any) -> Any:
    """A value as orjson writes it (``None`` for null), as text (floats as :func:`_pg_float`
    writes them)."""
    if kind is Kind.TEXT:
        return cast(func.to_json(cast(value, Text)), Text)
    if kind in (Kind.INTEGER, Kind.BOOLEAN):
        return cast(value, Text)  # PostgreSQL writes booleans true and false
    if kind is Kind.FLOAT:  # some between marks: Floats(json_float)
        return _pg_float(value, marked=True)
    if kind is Kind.DECIMAL:
        return _pg_decimal(value, marked=True)
    return '"' + _pg_cell(kind, value, _aware(value.type), iso_style=True) + '"'


class CrLf:
    """PostgreSQL ends CSV rows with ``\\n``; Python's writer (and RFC 4180) with ``\\r\\n``.
    A line feed inside a quoted cell stays as it is: a row's end is a line feed outside
    quotes (a quote in a cell is doubled, so the quotes' parity says where one is). Bytes come
    in pieces of any size, cut anywhere: the parity carries from one to the next. The work
    is per quoted cell, not per row (a piece is split at its quotes only)."""

    def __init__(self) -> None:
        self.inside = False

    def convert(self, data: bytes) -> bytes:
        if b'"' not in data:
            return data if self.inside else data.replace(b"\n", b"\r\n")
        parts = data.split(b'"')
        outside = 1 if self.inside else 0  # the parts between quotes are every other one
        parts[outside::2] = [part.replace(b"\n", b"\r\n") for part in parts[outside::2]]
        self.inside ^= bool((len(parts) - 1) & 1)
        return b'"'.join(parts)


async def copy_csv(
    sessionmaker: async_sessionmaker[AsyncSession], plan: Plan, header: bytes
) -> AsyncIterator[bytes]:
    """CSV written by PostgreSQL (``COPY (query) TO STDOUT``) after ``header``, with Python's
    line ends (:class:`CrLf`)."""
    yield header
    lines = CrLf()
    statement = plan.csv_statement(iso_style=True)
    async for chunk in copy_out(sessionmaker, statement, lines.convert):
        yield chunk


#: ``COPY`` options that write each row's one text as it is: CSV quotes a cell holding its
#: delimiter, its quote or a line end, and JSON text holds none of these (it escapes every
#: control character), so no cell is quoted.
VERBATIM = {"format": "csv", "delimiter": "\x02", "quote": "\x01"}


async def copy_ndjson(
    sessionmaker: async_sessionmaker[AsyncSession], plan: Plan
) -> AsyncIterator[bytes]:
    """NDJSON written by PostgreSQL: one line per row (:meth:`Plan.json_line_statement`)."""
    floats = Floats(json_float)
    async for chunk in copy_out(
        sessionmaker, plan.json_line_statement(), floats.convert, **VERBATIM
    ):
        yield chunk


class JsonArray:
    """NDJSON lines, in pieces cut anywhere, as the inside of a JSON array: ``\\n`` before
    the first line, ``,\\n`` between two (:func:`bocage.plugins.opendata.exports.rows_to_json`'s
    bytes, less its ``[`` and its ``\\n]\\n``)."""

    def __init__(self) -> None:
        self.held = b""  # the separator after the last line so far: the next line's, or none
        self.first = True

    def convert(self, data: bytes) -> bytes:
        data = self.held + data.replace(b"\n", b",\n")  # no JSON line holds a raw line feed
        self.held = b",\n" if data.endswith(b",\n") else b""
        data = data[: len(data) - len(self.held)]
        if data and self.first:
            self.first = False
            return b"\n" + data
        return data


async def copy_json(
    sessionmaker: async_sessionmaker[AsyncSession], plan: Plan
) -> AsyncIterator[bytes]:
    """A JSON array of the NDJSON lines (:class:`JsonArray`)."""
    yield b"["
    floats, array = Floats(json_float), JsonArray()
    statement = plan.json_line_statement()
    async for chunk in copy_out(sessionmaker, statement, floats.convert, **VERBATIM):
        if data := array.convert(chunk):
            yield data
    yield b"\n]\n"


async def copy_out(
    sessionmaker: async_sessionmaker[AsyncSession],
    statement: Select[Any],
    convert: Callable[[bytes], bytes] | None = None,
    **options: str,
) -> AsyncIterator[bytes]:
    """The bytes of ``COPY (statement) TO STDOUT`` (CSV unless ``options`` say otherwise),
    each piece through ``convert``, handed on in chunks of :data:`COPY_CHUNK`; a bounded
    queue holds the database back while the client reads slowly (memory stays flat)."""
    async with sessionmaker() as session:
        connection = await session.connection()
        await connection.exec_driver_sql("SET LOCAL extra_float_digits = 1")
        await connection.exec_driver_sql("SET LOCAL DateStyle = 'ISO, MDY'")
        sql = str(
            statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        )
        driver = await _driver(connection)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)
        pending = bytearray()

        async def output(data: bytes) -> None:
            pending.extend(data if convert is None else convert(data))
            if len(pending) >= COPY_CHUNK:
                await queue.put(bytes(pending))
                pending.clear()

        async def run() -> None:
            try:
                await driver.copy_from_query(sql, output=output, **{"format": "csv", **options})
                if pending:
                    await queue.put(bytes(pending))
            finally:
                await queue.put(None)

        task = asyncio.ensure_future(run())
        finished = False
        try:
            while (chunk := await queue.get()) is not None:
                yield chunk
            await task  # its error, if any
            finished = True
        finally:
            if not finished:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                await connection.invalidate()  # a COPY left half-read: not for reuse


#: Bytes of one Arrow record batch read by ADBC (its PostgreSQL driver's hint).
ARROW_BATCH_BYTES = 4 * 1024 * 1024


def libpq_uri(sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    """The libpq URI of the sessions' PostgreSQL database, for ADBC's driver; ``None`` when
    that driver is not installed or the URL has options only SQLAlchemy's driver knows."""
    try:
        import adbc_driver_postgresql  # noqa: F401
    except ImportError:
        return None
    bind = sessionmaker.kw.get("bind")
    url = getattr(bind, "url", None)
    if url is None or url.get_backend_name() != "postgresql" or url.query:
        return None
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


async def arrow_batches(uri: str, statement: Select[Any]) -> AsyncIterator[Any]:
    """The rows of ``statement`` as Arrow record batches of about :data:`ARROW_BATCH_BYTES`,
    read by ADBC's PostgreSQL driver (``COPY ... TO STDOUT (FORMAT binary)`` decoded in
    C++, no Python object per value) by a thread of its own, one batch ahead of the one
    handed on: PostgreSQL and the driver read the next while this one is written. (Not
    :func:`_read_ahead`'s worker threads: reading and writing on whichever of the pool's
    threads is free left a heap in each, 52 to 76 MiB over rest for 1M NDJSON lines against
    36 to 42 with one reading thread.)"""
    import adbc_driver_postgresql.dbapi as adbc
    from sqlalchemy.dialects import postgresql

    sql = str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )

    def open_reader() -> tuple[Any, Any, Any]:
        connection = adbc.connect(uri)
        try:
            cursor = connection.cursor()
            cursor.adbc_statement.set_options(
                **{"adbc.postgresql.batch_size_hint_bytes": str(ARROW_BATCH_BYTES)}
            )
            cursor.execute(sql)
            return connection, cursor, cursor.fetch_record_batch()
        except BaseException:
            connection.close()
            raise

    def next_batch(reader: Any) -> Any:
        try:
            return reader.read_next_batch()
        except StopIteration:
            return None

    def close(*objects: Any) -> None:
        for item in objects:
            with contextlib.suppress(Exception):
                item.close()

    connection, cursor, reader = await anyio.to_thread.run_sync(open_reader)
    ahead: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            while not stop.is_set():
                batch = next_batch(reader)
                ahead.put(batch)
                if batch is None:
                    return
        except BaseException as error:
            ahead.put(error)

    thread = threading.Thread(target=produce, name="bocage-adbc-reader", daemon=True)
    thread.start()
    try:
        while (batch := await anyio.to_thread.run_sync(ahead.get)) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield batch
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            ahead.get_nowait()  # a reader waiting to put its batch goes on, and sees stop
        await anyio.to_thread.run_sync(thread.join)
        await anyio.to_thread.run_sync(close, reader, cursor, connection)


# -- SQLite --------------------------------------------------------------------------------

#: The SQL function SQLite calls for a text whose first character may start a formula.
SQLITE_GUARD = "bocage_csv_cell"


def _sqlite_cell(kind: Kind, value: Any, aware: bool) -> Any:
    if kind is Kind.BOOLEAN:
        return case((value.is_(True), "True"), (value.is_(False), "False"))
    if kind is Kind.DECIMAL:
        scale = getattr(value.type, "scale", None)
        return case(
            (value == cast(value, Integer), cast(value, Integer)),
            else_=func.round(value, 10 if scale is None else scale),
        )
    if kind is Kind.DATETIME:  # stored as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC
        fraction = func.substr(value, 21, 6)
        return (
            func.replace(func.substr(value, 1, 19), " ", "T")
            + case((and_(fraction != "", fraction != "000000"), "." + fraction), else_="")
            + "Z"
        )
    if kind is Kind.TEXT:
        suspect = func.substr(value, 1, 1).in_(list(_SPACES + _TRIGGERS))
        return case((suspect, getattr(func, SQLITE_GUARD)(value)), else_=value)
    return value  # integers, floats and ISO dates as stored


#: SQLite's ``printf`` is not correctly rounded: Python writes floats (``repr``).
SQLITE_FLOAT = "bocage_float"
SQLITE_DECIMAL = "bocage_decimal"


def _float_text(value: Any) -> str | None:
    if value is None:
        return None
    return repr(value) if isinstance(value, float) else str(value)


def _decimal_text(value: Any, scale: int) -> str | None:
    """A number read as a Decimal of ``scale`` digits (SQLAlchemy's SQLite processor) then
    written as :func:`bocage.plugins.opendata.records.to_json` writes it."""
    if value is None:
        return None
    number = Decimal(f"%.{scale}f" % value)
    if number == number.to_integral_value():
        return str(int(number))
    return repr(float(number))


def _sqlite_line_cell(kind: Kind, value: Any) -> Any:
    if kind is Kind.INTEGER:
        return cast(value, Text)
    if kind is Kind.FLOAT:
        return getattr(func, SQLITE_FLOAT)(value)
    if kind is Kind.DECIMAL:
        scale = getattr(value.type, "scale", None)
        return getattr(func, SQLITE_DECIMAL)(value, 10 if scale is None else scale)
    if kind is Kind.TEXT:
        return _sqlite_quoted(_sqlite_cell(kind, value, False))
    return _sqlite_cell(kind, value, False)


def _sqlite_quoted(text: Any) -> Any:
    """A CSV cell quoted as Python's writer quotes it (a comma, a quote or a line end: within
    quotes, a quote doubled), in SQL: no call into Python per row."""
    quote = literal_column("'\"'", Text)
    has = [func.instr(text, literal_column(c, Text)) > 0 for c in ("','", "char(10)", "char(13)")]
    return case(
        (func.instr(text, quote) > 0, quote + func.replace(text, quote, '""') + quote),
        (or_(*has), quote + text + quote),
        else_=text,
    )


#: Code points from which a text's first character is neither whitespace nor a formula's
#: trigger (``_SPACES``, ``_TRIGGERS``) up to the next suspect one, less those in between:
#: the usual first characters (digits, letters, accented letters), decided on one number.
_PLAIN_FROM = ord("0")
_PLAIN_TO = min(ord(c) for c in _SPACES + _TRIGGERS if ord(c) > 0xFF)
_PLAIN_BUT = sorted({ord(c) for c in _SPACES + _TRIGGERS if _PLAIN_FROM <= ord(c) < _PLAIN_TO})


def _sqlite_csv_text(value: Any) -> Any:
    """A text's CSV cell (:func:`_sqlite_quoted` of the guarded text), its usual case (a
    plain first character, nothing to quote) decided first: SQLite evaluates each function
    of an expression, so the rare cases' work is left to the rare cases."""
    first = func.unicode(value)
    found = [func.instr(value, literal_column(c, Text)) == 0 for c in _QUOTED]
    plain = and_(first.between(_PLAIN_FROM, _PLAIN_TO - 1), first.notin_(_PLAIN_BUT), *found)
    return case((plain, value), else_=_sqlite_quoted(_sqlite_cell(Kind.TEXT, value, False)))


#: What makes Python's writer quote a cell, as SQLite literals.
_QUOTED = ("'\"'", "','", "char(10)", "char(13)")


def _sqlite_csv_cell(kind: Kind, value: Any) -> Any:
    """A cell of :meth:`Plan.sqlite_lines`' CSV (never null: an empty cell)."""
    if kind is Kind.BOOLEAN:
        return case((value.is_(True), "True"), (value.is_(False), "False"), else_="")
    cell = _sqlite_csv_text(value) if kind is Kind.TEXT else _sqlite_line_cell(kind, value)
    return func.ifnull(cell, "")


def _sqlite_json_cell(kind: Kind, value: Any) -> Any:
    """A value of :meth:`Plan.sqlite_lines`' NDJSON as orjson writes :meth:`Plan.json`'s
    (``json_quote`` escapes texts as orjson does; null for null)."""
    if kind is Kind.BOOLEAN:  # SQLAlchemy's bool(value)
        number = type_coerce(value, Integer)
        return case(
            (number.is_(None), "null"), (number == literal_column("0"), "false"), else_="true"
        )
    if kind is Kind.DECIMAL:
        scale = getattr(value.type, "scale", None)
        return func.ifnull(
            getattr(func, SQLITE_DECIMAL_JSON)(value, 10 if scale is None else scale), "null"
        )
    if kind is Kind.DATETIME:
        return func.json_quote(_sqlite_cell(kind, value, False))
    return func.json_quote(value)  # integers, texts, dates as stored


def _blob(segment: Any) -> Any:
    """A segment of a line, as bytes (no decoding into a Python text and back)."""
    return cast(literal("", Text) if segment is None else segment, LargeBinary)


#: A float orjson writes as ``0.0000...`` where Python writes ``1.5e-05`` (exponent -5).
_FIFTH = re.compile(rb"(?<![0-9.])0\.0000([1-9])([0-9]*)")
#: orjson's one-digit negative exponent (``1e-7``); Python writes two (``1e-07``).
_EXPONENT = re.compile(rb"e-([1-9])(?![0-9])")


def _fifth(found: re.Match[bytes]) -> bytes:
    return found[1] + (b"." + found[2] if found[2] else b"") + b"e-05"


def csv_floats(values: list[Any]) -> list[bytes]:
    """The CSV cells of a column of floats as Python writes them (``repr``; empty for null),
    from one call of orjson, whose shortest digits are Python's, its notation rewritten to
    Python's (five times faster than ``repr`` for each); value by value when a value is
    not a finite float or an integer (orjson writes infinities as null)."""
    try:
        block = orjson.dumps(values)
    except TypeError:
        block = b'"'
    if b'"' in block or block.count(b"null") != values.count(None):
        return [(_float_text(value) or "").encode() for value in values]
    text = block[1:-1].replace(b"null", b"")
    if b"0.0000" in text:  # the searches cost more than these looks
        text = _FIFTH.sub(_fifth, text)
    if b"e-" in text:
        text = _EXPONENT.sub(rb"e-0\1", text)
    return text.split(b",")


def json_floats(values: list[Any]) -> list[bytes]:
    """The JSON of a column of floats (orjson's bytes, null for null), from one call."""
    block = orjson.dumps(values)
    if b'"' in block:  # a text in a column of floats (SQLite types values, not columns)
        return [orjson.dumps(value) for value in values]
    return block[1:-1].split(b",")


def _time_text(value: Any) -> str:
    """:func:`_sqlite_cell`'s time, in Python."""
    value = value if isinstance(value, str) else str(value)
    fraction = value[20:26]
    dot = "." + fraction if fraction not in ("", "000000") else ""
    return value[:19].replace(" ", "T") + dot + "Z"


def _times(values: list[Any]) -> str | None:
    """A batch's times as :func:`_sqlite_cell` writes them, each ended by a line feed, by a
    few operations on all of them at once when each is as SQLAlchemy stores one
    ("YYYY-MM-DD HH:MM:SS.ffffff", no line feed); ``None`` otherwise."""
    if not values or set(map(type, values)) != {str} or set(map(len, values)) != {26}:
        return None
    joined = "\n".join(values) + "\n"
    count = len(values)
    if (
        joined.count("\n") != count
        or joined.count(" ") != count
        or joined[10::27] != " " * count
        or joined[19::27] != "." * count
    ):
        return None
    return joined.replace(" ", "T").replace(".000000\n", "\n").replace("\n", "Z\n")


def csv_times(values: list[Any]) -> list[bytes]:
    """The CSV cells of a batch of SQLite's times (:func:`_times`; empty for null)."""
    block = _times(values)
    if block is None:
        return [b"" if value is None else _time_text(value).encode() for value in values]
    return block.encode().split(b"\n")[:-1]


def json_times(values: list[Any]) -> list[bytes]:
    """The JSON of a batch of SQLite's times (orjson's strings, null for null)."""
    block = _times(values)
    if block is None or '"' in block or "\\" in block or not block.isascii():
        return [orjson.dumps(None if value is None else _time_text(value)) for value in values]
    if not block.replace("\n", "").isprintable():  # a control character: escaped by orjson
        return [orjson.dumps(_time_text(value)) for value in values]
    return ('"' + block[:-1].replace("\n", '"\n"') + '"').encode().split(b"\n")


#: Who writes a batch of the values of each kind Python writes (``True``: in JSON).
_BATCH_WRITERS: dict[tuple[Kind, bool], Callable[[list[Any]], list[bytes]]] = {
    (Kind.FLOAT, False): csv_floats,
    (Kind.FLOAT, True): json_floats,
    (Kind.DATETIME, False): csv_times,
    (Kind.DATETIME, True): json_times,
}


class LineWriter:
    """How the rows of :meth:`Plan.sqlite_lines`' statement become lines: each row is a
    line's segments (bytes) with, between them, the values Python writes for the whole batch
    (``writers``: :func:`csv_floats`, :func:`json_floats`, :func:`csv_times`...)."""

    def __init__(self, writers: Sequence[Callable[[list[Any]], list[bytes]]]) -> None:
        self.writers = list(writers)

    def __call__(self, rows: Sequence[Sequence[Any]]) -> bytes:
        flat = list(chain.from_iterable(rows))
        stride = 2 * len(self.writers) + 1
        for i, write in enumerate(self.writers):
            flat[2 * i + 1 :: stride] = write(flat[2 * i + 1 :: stride])
        return b"".join(flat)


class Lines(LineWriter):
    """The statement of :meth:`Plan.sqlite_lines` and its :class:`LineWriter`."""

    def __init__(
        self, statement: Select[Any], writers: Sequence[Callable[[list[Any]], list[bytes]]]
    ) -> None:
        super().__init__(writers)
        self.statement = statement

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent to another process (:mod:`side_by_side`'s readers) as its writer alone: the
        statement, already SQL there, would cost the pickling of SQLAlchemy's objects."""
        return (LineWriter, (self.writers,))


async def _driver(connection: AsyncConnection) -> Any:
    """The driver's own connection under ``connection`` (asyncpg's, aiosqlite's)."""
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("the database connection was closed: it has no driver connection")
    return driver


SQLITE_DECIMAL_JSON = "bocage_decimal_json"


def _decimal_json(value: Any, scale: int) -> str | None:
    """:func:`_decimal_text`'s number as orjson writes it (an integer, or a float)."""
    if value is None:
        return None
    number = Decimal(f"%.{scale}f" % value)
    exact = int(number) if number == number.to_integral_value() else float(number)
    return orjson.dumps(exact).decode()


#: The SQL functions of the SQLite paths: name, arguments, function (the records' filters'
#: accent-insensitive comparison too).
_SQLITE_FUNCTIONS: tuple[tuple[str, int, Callable[..., Any]], ...] = (
    (folding.SQLITE_FUNCTION, 1, folding.fold_text),
    (SQLITE_GUARD, 1, csv_cell),
    (SQLITE_FLOAT, 1, _float_text),
    (SQLITE_DECIMAL, 2, _decimal_text),
    (SQLITE_DECIMAL_JSON, 2, _decimal_json),
)


async def sqlite_functions(session: AsyncSession) -> None:
    """Register the SQL functions of the SQLite paths on the session's connection."""
    driver = await _driver(await session.connection())
    for name, arguments, function in _SQLITE_FUNCTIONS:
        await driver.create_function(name, arguments, function, deterministic=True)


def csv_lines(rows: Sequence[Sequence[Any]]) -> bytes:
    """Lines the database wrote, with Python's line ends."""
    if not rows:
        return b""
    return ("\r\n".join([row[0] for row in rows]) + "\r\n").encode("utf-8")


def csv_rows(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows of cells the database guarded as CSV (Python's quoting, ``\\r\\n``); the core's
    writer applies its rule again, which leaves a guarded cell as it is."""
    buffer = io.StringIO()
    CsvWriter(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def sqlite_sql(statement: Select[Any]) -> str | None:
    """``statement`` as SQLite's text with its values written in (SQLAlchemy's literal
    rendering, which quotes texts), for :func:`driver_batches`; ``None`` when a value has
    no literal form."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.exc import CompileError

    try:
        compiled = statement.compile(
            dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
        )
    except (CompileError, NotImplementedError):
        return None
    return str(compiled)


async def _read_ahead(
    read: Callable[[], Awaitable[Any]],
    close: Callable[[], Awaitable[Any]],
    more: Callable[[Any], bool] = bool,
) -> AsyncIterator[Any]:
    """The batches ``read`` gives until one is not ``more`` (an empty one or ``None``); the
    next is asked for as soon as one is handed on (the database reads it while this one is
    written); ``close`` once the reader leaves, after the read under way has ended."""
    ahead: asyncio.Future[Any] | None = asyncio.ensure_future(read())
    try:
        while ahead is not None and more(batch := await ahead):
            ahead = asyncio.ensure_future(read())
            yield batch
        ahead = None
    finally:
        if ahead is not None:
            with contextlib.suppress(BaseException):
                await ahead
        await close()


async def driver_batches(
    sessionmaker: async_sessionmaker[AsyncSession], sql: str
) -> AsyncIterator[list[Sequence[Any]]]:
    """SQLite: the rows of ``sql`` (:func:`sqlite_sql`) in batches of :data:`BATCH` from the
    driver's cursor (aiosqlite's), without SQLAlchemy's result rows (a quarter of the CPU
    of a CSV export whose lines SQLite builds), read ahead as :func:`batches` does."""
    async with sessionmaker() as session:
        await sqlite_functions(session)
        driver = await _driver(await session.connection())
        cursor = await driver.execute(sql)
        async for rows in _read_ahead(lambda: cursor.fetchmany(BATCH), cursor.close):
            yield rows


async def batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    statement: Select[Any],
    *,
    sqlite_guard: bool = False,
) -> AsyncIterator[list[Sequence[Any]]]:
    """The rows of ``statement`` in batches of :data:`BATCH`, from one server-side cursor.
    The next batch is asked for as soon as one is handed on: the database (PostgreSQL's
    process, SQLite's thread, which lets go of the GIL) reads it while this one is written.
    Memory holds two batches."""
    async with sessionmaker() as session:
        if sqlite_guard:
            await sqlite_functions(session)
        result = await session.stream(statement.execution_options(yield_per=BATCH))
        partitions = result.partitions(BATCH)
        async for partition in _read_ahead(lambda: anext(partitions, None), partitions.aclose):
            yield partition


# -- SQLite read by sqlite3 in worker threads ----------------------------------------------

#: Rows gathered into one chunk handed on (about 1 MB of CSV for the bench's six columns).
SQLITE_CHUNK_ROWS = 4 * BATCH
#: Rows of a range read side by side (:mod:`side_by_side`): several wait at once, so fewer.
SQLITE_RANGE_ROWS = 2 * BATCH
#: Seconds a reader waits for a lock (in WAL mode, only a recovery's), as the engine's.
SQLITE_BUSY_SECONDS = 5.0


def sqlite_path(sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    """The file of the sessions' SQLite database; ``None`` for another engine, a database
    in memory (another connection would see another) or a URL with options."""
    bind = sessionmaker.kw.get("bind")
    url = getattr(bind, "url", None)
    if url is None or url.get_backend_name() != "sqlite" or url.query:
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return str(Path(database).resolve())


def sqlite_reader(path: str) -> sqlite3.Connection:
    """A connection to the SQLite file ``path`` that cannot write (``PRAGMA query_only``),
    in autocommit, with the SQL functions of the SQLite paths, used by one worker thread at
    a time."""
    connection = sqlite3.connect(
        f"file:{quote(path)}?mode=rw",
        uri=True,
        timeout=SQLITE_BUSY_SECONDS,
        isolation_level=None,
        check_same_thread=False,  # worker threads take turns
    )
    try:
        connection.execute("PRAGMA query_only=ON")
        for name, arguments, function in _SQLITE_FUNCTIONS:
            connection.create_function(name, arguments, function, deterministic=True)
    except BaseException:
        connection.close()
        raise
    return connection


#: Seconds an export waits to hold writers back while its readers open their snapshot
#: (:func:`hold_writers`); a write under way for longer: one reader.
SQLITE_GUARD_SECONDS = 0.25


def hold_writers(path: str) -> sqlite3.Connection:
    """A connection holding the write lock of the SQLite file ``path`` (``BEGIN IMMEDIATE``:
    no write can commit) so that several readers that begin meanwhile read one snapshot,
    the last commit (two SQLite connections cannot share a snapshot otherwise); closing it
    rolls back and lets writers go. A plain connection: ``query_only`` refuses ``BEGIN
    IMMEDIATE``; it never writes. Raises :class:`sqlite3.Error` when the lock is not had
    within :data:`SQLITE_GUARD_SECONDS` (a write under way) or cannot be (a read-only
    file)."""
    connection = sqlite3.connect(
        f"file:{quote(path)}?mode=rw",
        uri=True,
        timeout=SQLITE_GUARD_SECONDS,
        isolation_level=None,
    )
    try:
        connection.execute("BEGIN IMMEDIATE")
    except BaseException:
        connection.close()
        raise
    return connection


class _SqliteReader:
    """One export's read-only ``sqlite3`` connection (:func:`sqlite_reader`; autocommit: the
    statement reads one snapshot, and no transaction outlives it), used by one worker thread
    at a time. Its rows become bytes in that thread (``convert``): the event loop only
    hands chunks on, and SQLite works without the GIL while the thread waits for rows."""

    def __init__(
        self, path: str, sql: str, convert: Callable[[Sequence[Sequence[Any]]], bytes]
    ) -> None:
        self.convert = convert
        self.done = False
        self.connection = sqlite_reader(path)
        try:
            self.cursor = self.connection.execute(sql)
        except BaseException:
            self.connection.close()
            raise

    def chunk(self) -> bytes | None:
        """The next chunk (up to :data:`SQLITE_CHUNK_ROWS` rows); ``None`` after the last."""
        if self.done:
            return None
        out = []
        for _ in range(max(1, SQLITE_CHUNK_ROWS // BATCH)):
            rows = self.cursor.fetchmany(BATCH)
            if not rows:
                self.done = True
                break
            out.append(self.convert(rows))
        return b"".join(out)

    def close(self) -> None:
        self.cursor.close()
        self.connection.close()


async def sqlite_chunks(
    path: str, sql: str, convert: Callable[[Sequence[Sequence[Any]]], bytes]
) -> AsyncIterator[bytes]:
    """The bytes ``convert`` makes of batches of the rows of ``sql`` (:func:`sqlite_sql`)
    read from the SQLite file ``path`` in worker threads, the next chunk read while one is
    sent; raises :class:`SqliteUnavailable` before the first when the statement cannot run
    there."""
    try:
        reader = await anyio.to_thread.run_sync(_SqliteReader, path, sql, convert)
    except sqlite3.Error as error:
        raise SqliteUnavailable(str(error)) from error

    async def read() -> bytes | None:
        return await anyio.to_thread.run_sync(reader.chunk)

    async def close() -> None:
        await anyio.to_thread.run_sync(reader.close)

    async for chunk in _read_ahead(read, close, more=_not_none):
        if chunk:
            yield chunk


def _not_none(value: Any) -> bool:
    return value is not None


async def first_of(
    fast: AsyncIterator[bytes], otherwise: Callable[[], AsyncIterator[bytes]]
) -> AsyncIterator[bytes]:
    """``fast``'s bytes, or ``otherwise()``'s when ``fast`` is :class:`SqliteUnavailable`
    before its first (the engine's path: its connections know every function)."""
    try:
        first = await anext(fast, None)
    except SqliteUnavailable:
        async for chunk in otherwise():
            yield chunk
        return
    if first is None:
        return
    yield first
    async for chunk in fast:
        yield chunk


def sqlite_lines(
    sessionmaker: async_sessionmaker[AsyncSession],
    lines: Lines,
    header: bytes = b"",
    *,
    plan: Plan | None = None,
    readers: int = 1,
) -> AsyncIterator[bytes] | None:
    """SQLite's lines (:meth:`Plan.sqlite_lines`) after ``header``, read by ``sqlite3``:
    by ``readers`` connections side by side (:func:`side_by_side.sqlite_segment_chunks`) when the
    ``plan``'s rows come in its key's order; ``None`` when the database is not a file or
    the statement has no literal form."""
    path = sqlite_path(sessionmaker)
    sql = sqlite_sql(lines.statement)
    if path is None or sql is None:
        return None
    if readers > 1 and plan is not None:
        segments = plan.segments(lines.statement, SQLITE_RANGE_ROWS)
        if segments is not None:
            from bocage.plugins.opendata import side_by_side

            chunks = side_by_side.sqlite_segment_chunks(path, segments, lines, readers)
            return _after(header, chunks)
    return _after(header, sqlite_chunks(path, sql, lines))


async def _after(header: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    first = await anext(chunks, b"")  # SqliteUnavailable before the header is sent
    yield header + first
    async for chunk in chunks:
        yield chunk
