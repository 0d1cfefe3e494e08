"""Reading a dataset's records: field filters, ordering, field selection, keyset cursors.

Every statement wraps the dataset's query as a subquery, so that filters and ordering apply to
its labelled columns on any engine. Pages are walked by keyset on (order field, key): no
offset, every row exactly once even while rows are being inserted.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Enum,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    and_,
    case,
    func,
    or_,
    select,
)

from bocage.core.api import Dataset, DatasetField, FieldType

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from sqlalchemy.types import TypeEngine

#: Query parameters that are not field filters.
RESERVED = frozenset({"fields", "order", "limit", "cursor", "count", "dialect"})
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "contains", "in")
MAX_LIMIT = 1000
NOT_A_CURSOR = "cursor: not a cursor this API returned"


class BadQuery(ValueError):
    """A client's mistake in the query parameters; the message says what to fix."""


def convert(dataset_field: DatasetField, raw: Any) -> Any:
    """A value given as text (or JSON) for ``dataset_field``, in its Python type."""
    if raw is None:
        return None
    kind = dataset_field.type
    try:
        if kind is FieldType.INTEGER:
            return int(raw)
        if kind is FieldType.NUMBER:
            return Decimal(str(raw))
        if kind is FieldType.BOOLEAN:
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() not in ("true", "false"):
                raise ValueError(raw)
            return str(raw).lower() == "true"
        if kind is FieldType.DATE:
            return dt.date.fromisoformat(str(raw))
        if kind is FieldType.DATETIME:
            value = dt.datetime.fromisoformat(str(raw))
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    except (ValueError, TypeError, InvalidOperation):
        raise BadQuery(f"{dataset_field.name}: {raw!r} is not a valid {kind.value}") from None
    return str(raw)


def _integer_range(column_type: TypeEngine[Any]) -> tuple[int, int]:
    """The integers a column of ``column_type`` holds (PostgreSQL's sizes: the narrower)."""
    bits = 64
    if isinstance(column_type, SmallInteger):
        bits = 16
    elif isinstance(column_type, BigInteger):
        bits = 64
    elif isinstance(column_type, Integer):
        bits = 32
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _number_limit(column_type: TypeEngine[Any]) -> Decimal:
    """The magnitude a number compared with a column of ``column_type`` stays under."""
    if isinstance(column_type, Float):
        return Decimal(sys.float_info.max)
    if isinstance(column_type, Numeric) and column_type.precision is not None:
        return Decimal(10) ** (column_type.precision - (column_type.scale or 0))
    return Decimal(10) ** 131072  # PostgreSQL's numeric: 131,072 digits before the point


def check(
    dataset_field: DatasetField, value: Any, column_type: TypeEngine[Any], raw: Any = None
) -> Any:
    """``value`` if a column of ``column_type`` can be compared with it, else
    :class:`BadQuery`: an enumeration's other values, numbers beyond the column's range and
    dates that leave years 1-9999 in UTC would fail in the database (or differ by engine)."""
    name = dataset_field.name
    if value is None:
        return None
    if isinstance(column_type, Enum) and column_type.enums and value not in column_type.enums:
        raise BadQuery(f"{name}: {value!r} is not one of {', '.join(column_type.enums)}")
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = _integer_range(column_type)
        if not low <= value <= high:
            raise BadQuery(f"{name}: {value} is out of range ({low} to {high})")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise BadQuery(f"{name}: {raw if raw is not None else value!r} is not a finite number")
        if abs(value) >= _number_limit(column_type):
            raise BadQuery(f"{name}: {value} is out of range")
    if isinstance(value, dt.datetime):
        try:
            value = value.astimezone(dt.UTC)
        except OverflowError:
            raise BadQuery(f"{name}: {raw!r} is out of range (years 1 to 9999 in UTC)") from None
    return value


def to_json(value: Any) -> Any:
    """A database value as JSON: numbers stay numbers, dates become ISO 8601 text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass
class RecordQuery:
    """What a client asked for, checked against the dataset's fields."""

    dataset: Dataset
    fields: list[str]
    filters: list[tuple[str, str, Any]] = field(default_factory=list)
    order: str | None = None
    descending: bool = False
    limit: int = 100
    cursor: list[Any] | None = None
    count: bool = False

    @classmethod
    def parse(
        cls, dataset: Dataset, params: Sequence[tuple[str, str]], *, default_limit: int = 100
    ) -> RecordQuery:
        """Read ``fields``, ``order``, ``limit``, ``cursor``, ``count`` and
        ``<field>[__<operator>]`` filters from query parameters."""
        names = [f.name for f in dataset.fields]
        single: dict[str, str] = {}
        query = cls(dataset=dataset, fields=list(names), limit=default_limit)
        for name, value in params:
            if name in RESERVED:
                single[name] = value
                continue
            field_name, _, operator = name.partition("__")
            operator = operator or "eq"
            dataset_field = dataset.field(field_name)
            if dataset_field is None:
                raise BadQuery(f"{name}: no field {field_name!r} (fields: {', '.join(names)})")
            if operator not in OPERATORS:
                raise BadQuery(f"{name}: unknown operator (use {', '.join(OPERATORS)})")
            if operator == "contains" and dataset_field.type is not FieldType.STRING:
                raise BadQuery(f"{name}: 'contains' applies to text fields only")
            column_type = query.column_type(field_name)
            if operator == "in":
                converted: Any = [
                    check(dataset_field, convert(dataset_field, v), column_type, v)
                    for v in value.split(",")
                ]
            elif operator == "contains":
                converted = value
            else:
                converted = check(dataset_field, convert(dataset_field, value), column_type, value)
            query.filters.append((field_name, operator, converted))
        if "fields" in single:
            wanted = [n.strip() for n in single["fields"].split(",") if n.strip()]
            unknown = [n for n in wanted if n not in names]
            if unknown or not wanted:
                raise BadQuery(f"fields: unknown {', '.join(unknown)} (fields: {', '.join(names)})")
            query.fields = wanted
        if "order" in single:
            order = single["order"]
            query.descending = order.startswith("-")
            query.order = order.lstrip("-")
            if dataset.field(query.order) is None:
                raise BadQuery(f"order: no field {query.order!r} (fields: {', '.join(names)})")
        if "limit" in single:
            try:
                query.limit = int(single["limit"])
            except ValueError:
                raise BadQuery("limit: an integer from 1 to 1000") from None
            if not 1 <= query.limit <= MAX_LIMIT:
                raise BadQuery("limit: an integer from 1 to 1000")
        if "cursor" in single:
            query.cursor = decode_cursor(single["cursor"])
        query.count = single.get("count", "false").lower() in ("true", "1")
        return query

    def column_type(self, name: str) -> TypeEngine[Any]:
        """The SQL type of the dataset's column ``name``."""
        return self.dataset.query.selected_columns[name].type

    # -- SQL ------------------------------------------------------------------------------------

    def _columns(self) -> tuple[Any, dict[str, Any]]:
        subquery = self.dataset.query.subquery("records")
        return subquery, {f.name: subquery.c[f.name] for f in self.dataset.fields}

    def _where(self, columns: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        for name, operator, value in self.filters:
            column = columns[name]
            if operator == "eq":
                clauses.append(column.is_(None) if value is None else column == value)
            elif operator == "ne":
                clauses.append(or_(column.is_(None), column != value))
            elif operator == "gt":
                clauses.append(column > value)
            elif operator == "gte":
                clauses.append(column >= value)
            elif operator == "lt":
                clauses.append(column < value)
            elif operator == "lte":
                clauses.append(column <= value)
            elif operator == "in":
                clauses.append(column.in_(value))
            elif operator == "contains":
                clauses.append(func.lower(column).contains(value.lower(), autoescape=True))
        return clauses

    def _order_field(self) -> str | None:
        key = self.dataset.key
        return self.order if self.order and self.order != key else None

    def page_statement(
        self, *, after: list[Any] | None, size: int | None
    ) -> Select[*tuple[Any, ...]]:
        """The filtered rows after the cursor values ``after``, in order, ``size`` of them."""
        _, columns = self._columns()
        key = columns[self.dataset.key]
        extra = [self.dataset.key] + ([self.order] if self.order else [])
        wanted = list(dict.fromkeys([*self.fields, *extra]))
        statement = select(*(columns[n] for n in wanted)).where(*self._where(columns))
        order_field = self._order_field()
        if order_field is None:
            descending = self.descending and self.order == self.dataset.key
            statement = statement.order_by(key.desc() if descending else key.asc())
            if after is not None:
                statement = statement.where(key < after[-1] if descending else key > after[-1])
        else:
            column = columns[order_field]
            nulls = case((column.is_(None), 1), else_=0)
            statement = statement.order_by(
                nulls.asc(), column.desc() if self.descending else column.asc(), key.asc()
            )
            if after is not None:
                value, last_key = after
                if value is None:
                    statement = statement.where(column.is_(None), key > last_key)
                else:
                    beyond = column < value if self.descending else column > value
                    statement = statement.where(
                        or_(column.is_(None), beyond, and_(column == value, key > last_key))
                    )
        if size is not None:
            statement = statement.limit(size)
        return statement

    def count_statement(self) -> Select[*tuple[Any, ...]]:
        _, columns = self._columns()
        filtered = select(columns[self.dataset.key]).where(*self._where(columns)).subquery()
        return select(func.count()).select_from(filtered)

    def cursor_of(self, row: Mapping[str, Any]) -> list[Any]:
        order_field = self._order_field()
        key = row[self.dataset.key]
        return [key] if order_field is None else [row[order_field], key]

    def loaded_cursor(self, values: list[Any]) -> list[Any]:
        order_field = self._order_field()
        names = [self.dataset.key] if order_field is None else [order_field, self.dataset.key]
        if len(values) != len(names):
            raise BadQuery("cursor: it belongs to another ordering; start again without it")
        loaded = []
        for name, value in zip(names, values, strict=True):
            dataset_field = self.dataset.field(name)
            if dataset_field is None or (value is None and name == self.dataset.key):
                raise BadQuery(NOT_A_CURSOR)
            try:
                converted = convert(dataset_field, value)
                loaded.append(check(dataset_field, converted, self.column_type(name)))
            except BadQuery:
                raise BadQuery(NOT_A_CURSOR) from None
        return loaded

    def output(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {name: to_json(row[name]) for name in self.fields}


def encode_cursor(values: list[Any]) -> str:
    text = json.dumps([to_json(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise BadQuery(NOT_A_CURSOR) from None
    if not isinstance(values, list):
        raise BadQuery(NOT_A_CURSOR)
    return values


async def read_page(
    session: AsyncSession, query: RecordQuery
) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """One page: its records, the cursor of the next page (or None) and, if asked, the count."""
    after = query.loaded_cursor(query.cursor) if query.cursor is not None else None
    statement = query.page_statement(after=after, size=query.limit + 1)
    rows = [dict(row) for row in (await session.execute(statement)).mappings()]
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(query.cursor_of(rows[-1]))
    total = None
    if query.count:
        total = (await session.execute(query.count_statement())).scalar_one()
    return [query.output(row) for row in rows], next_cursor, total


async def iterate(
    sessionmaker: async_sessionmaker[AsyncSession], query: RecordQuery, *, batch: int = 1000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every matching record, in batches walked by keyset, each batch in its own short session
    (memory stays flat whatever the size, and no transaction is held open)."""
    after: list[Any] | None = None
    while True:
        async with sessionmaker() as session:
            statement = query.page_statement(after=after, size=batch)
            rows = [dict(row) for row in (await session.execute(statement)).mappings()]
        if not rows:
            return
        yield [query.output(row) for row in rows]
        if len(rows) < batch:
            return
        after = query.cursor_of(rows[-1])
