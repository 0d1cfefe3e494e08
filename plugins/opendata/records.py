"""Reading a dataset's records: filters (OR groups, accent-insensitive text, nulls, a box or a
distance), full-text search, several sort keys, field selection, groups with aggregates and
facets; pages walked by keyset cursors.

Every statement wraps the dataset's query as a subquery, so that filters and ordering apply to
its labelled columns on any engine. Pages are walked by keyset on the sort keys then the
dataset's key (or, for groups, their fields): no offset, so no ceiling, and every row exactly
once even while rows are being inserted. Every bound is a setting (:class:`Bounds`); a query
beyond one, or naming what the dataset lacks, is a :class:`BadQuery` (400) naming the
parameter.
"""

from __future__ import annotations

import datetime as dt
import math
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
    cast,
    func,
    or_,
    select,
)

from bocage.core.api import Dataset, DatasetField, FieldType
from bocage.plugins.opendata import keyset
from bocage.plugins.opendata.folding import fold, fold_text, prepare, terms
from bocage.plugins.opendata.geo import Box, Near, parse_numbers
from bocage.plugins.opendata.keyset import SortKey

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from sqlalchemy.types import TypeEngine

#: Query parameters that are not field filters.
RESERVED = frozenset(
    {
        "fields",
        "order",
        "limit",
        "cursor",
        "count",
        "dialect",
        "q",
        "group_by",
        "aggregate",
        "facet",
        "facet_size",
        "bbox",
        "near",
    }
)
#: Parameters of a records page only (not of an export, which streams rows).
PAGE_ONLY = ("group_by", "aggregate", "facet", "facet_size")
OPERATORS = (
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "contains",
    "startswith",
    "endswith",
    "iexact",
    "isnull",
)
#: Operators comparing folded text (accents and case ignored).
TEXT_OPERATORS = ("contains", "startswith", "endswith", "iexact")
AGGREGATES = ("count", "sum", "avg", "min", "max")
NUMERIC = (FieldType.INTEGER, FieldType.NUMBER)
MAX_LIMIT = 1000
DEFAULT_FACET_SIZE = 10
NOT_A_CURSOR = "cursor: not a cursor this API returned"
OR_PREFIX = "or."
_INT64 = (-(2**63), 2**63 - 1)


class BadQuery(ValueError):
    """A client's mistake in the query parameters; the message names the parameter and says
    what to fix. A refusal by a bound also carries the bound and its setting."""

    def __init__(self, message: str, *, limit: int | None = None, setting: str | None = None):
        super().__init__(message)
        self.limit = limit
        self.setting = setting


@dataclass(frozen=True)
class Bounds:
    """The records API's bounds (``BOCAGE_OPENDATA_MAX_*``); the defaults are the settings'."""

    filters: int = 30
    filter_values: int = 100
    order_keys: int = 3
    search_chars: int = 200
    search_terms: int = 10
    group_by: int = 3
    aggregates: int = 10
    facets: int = 5
    facet_values: int = 100
    distance_metres: int = 100_000

    @classmethod
    def of(cls, settings: Any) -> Bounds:
        return cls(**{name: getattr(settings, f"max_{name}") for name in cls.__dataclass_fields__})

    def check(self, parameter: str, found: int, name: str, what: str) -> None:
        """Refuse ``found`` items when the bound ``name`` allows fewer."""
        limit = getattr(self, name)
        if found > limit:
            setting = f"BOCAGE_OPENDATA_MAX_{name.upper()}"
            raise BadQuery(
                f"{parameter}: at most {limit} {what} ({found} given; the bound is {setting})",
                limit=limit,
                setting=setting,
            )


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


@dataclass(frozen=True)
class Condition:
    """``<field>__<operator>=<value>``, the value read in the field's type."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True)
class Aggregate:
    """``count``, or ``sum``/``avg``/``min``/``max`` of a field: ``sum:budget``."""

    function: str
    field: str | None = None

    @property
    def name(self) -> str:
        return self.function if self.field is None else f"{self.function}:{self.field}"


@dataclass
class RecordQuery:
    """What a client asked for, checked against the dataset's fields."""

    dataset: Dataset
    fields: list[str]
    filters: list[Condition] = field(default_factory=list)
    #: Each group holds if any of its conditions does; groups and filters all must.
    any_of: dict[str, list[Condition]] = field(default_factory=dict)
    search: list[str] = field(default_factory=list)
    order: list[SortKey] = field(default_factory=list)
    limit: int = 100
    cursor: list[Any] | None = None
    count: bool = False
    group_by: list[str] | None = None
    aggregates: list[Aggregate] = field(default_factory=list)
    facets: list[str] = field(default_factory=list)
    facet_size: int = DEFAULT_FACET_SIZE
    box: Box | None = None
    near: Near | None = None

    # -- parsing ----------------------------------------------------------------------------------

    @classmethod
    def parse(
        cls,
        dataset: Dataset,
        params: Sequence[tuple[str, str]],
        *,
        default_limit: int = 100,
        bounds: Bounds | None = None,
        page: bool = False,
    ) -> RecordQuery:
        """Read the query parameters (see ``docs/opendata.md``); ``page``: a records page,
        which may also group and count facets (an export streams rows)."""
        bounds = bounds or Bounds()
        query = cls(dataset=dataset, fields=[f.name for f in dataset.fields], limit=default_limit)
        single: dict[str, str] = {}
        facets: list[str] = []  # the one parameter that may be repeated
        conditions = 0
        for name, value in params:
            if name in RESERVED:
                if not page and name in PAGE_ONLY:
                    raise BadQuery(f"{name}: applies to records pages, not to exports")
                if name == "facet":
                    facets.append(value)
                elif name in single:
                    raise BadQuery(f"{name}: given twice; give it once")
                single[name] = ",".join(facets) if name == "facet" else value
                continue
            if name.startswith(OR_PREFIX):
                group, _, rest = name[len(OR_PREFIX) :].rpartition(".")
                condition = query._condition(name, rest, value, bounds)
                query.any_of.setdefault(group, []).append(condition)
            else:
                query.filters.append(query._condition(name, name, value, bounds))
            conditions += 1
            bounds.check(name, conditions, "filters", "field conditions (OR groups included)")
        query._read_single(single, bounds)
        return query

    def _names(self) -> str:
        return ", ".join(f.name for f in self.dataset.fields)

    def _field(self, parameter: str, name: str) -> DatasetField:
        found = self.dataset.field(name)
        if found is None:
            raise BadQuery(f"{parameter}: no field {name!r} (fields: {self._names()})")
        return found

    def _condition(self, parameter: str, text: str, value: str, bounds: Bounds) -> Condition:
        field_name, _, operator = text.partition("__")
        operator = operator or "eq"
        dataset_field = self._field(parameter, field_name)
        if operator not in OPERATORS:
            raise BadQuery(f"{parameter}: unknown operator (use {', '.join(OPERATORS)})")
        if operator in TEXT_OPERATORS and dataset_field.type is not FieldType.STRING:
            raise BadQuery(f"{parameter}: '{operator}' applies to text fields only")
        column_type = self.column_type(field_name)
        converted: Any
        if operator == "isnull":
            if value.lower() not in ("true", "false"):
                raise BadQuery(f"{parameter}: true (no value) or false (a value)")
            converted = value.lower() == "true"
        elif operator == "in":
            items = value.split(",")
            bounds.check(parameter, len(items), "filter_values", "values in a list")
            converted = [
                check(dataset_field, convert(dataset_field, v), column_type, v) for v in items
            ]
        elif operator in TEXT_OPERATORS:
            bounds.check(parameter, len(value), "search_chars", "characters")
            converted = fold_text(value)
        else:
            converted = check(dataset_field, convert(dataset_field, value), column_type, value)
        return Condition(field_name, operator, converted)

    def _read_single(self, single: Mapping[str, str], bounds: Bounds) -> None:
        if "q" in single:
            self._read_search(single["q"], bounds)
        if "group_by" in single or "aggregate" in single:
            self._read_groups(single, bounds)
        if "fields" in single:
            if self.group_by is not None:
                raise BadQuery(
                    "fields: not with group_by or aggregate (each group holds its group_by "
                    "fields and aggregates)"
                )
            wanted = [n.strip() for n in single["fields"].split(",") if n.strip()]
            unknown = [n for n in wanted if self.dataset.field(n) is None]
            if unknown or not wanted:
                raise BadQuery(f"fields: unknown {', '.join(unknown)} (fields: {self._names()})")
            self.fields = list(dict.fromkeys(wanted))
        if "order" in single:
            self._read_order(single["order"], bounds)
        if "limit" in single:
            self.limit = _integer("limit", single["limit"], 1, MAX_LIMIT)
        if "cursor" in single:
            values = keyset.decode(single["cursor"])
            if values is None:
                raise BadQuery(NOT_A_CURSOR)
            self.cursor = values
        self.count = single.get("count", "false").lower() in ("true", "1")
        if "facet" in single:
            names = list(dict.fromkeys(n.strip() for n in single["facet"].split(",") if n.strip()))
            bounds.check("facet", len(names), "facets", "facets")
            self.facets = [self._field("facet", n).name for n in names]
        if "facet_size" in single:
            text = single["facet_size"]
            size = int(text) if text.isdigit() and len(text) < 20 else 0
            if size < 1:
                raise BadQuery(f"facet_size: an integer from 1 to {bounds.facet_values}")
            bounds.check("facet_size", size, "facet_values", "values per facet")
            self.facet_size = size
        if "bbox" in single:
            self.box = self._read_box(single["bbox"])
        if "near" in single:
            self.near = self._read_near(single["near"], bounds)

    def _read_search(self, text: str, bounds: Bounds) -> None:
        bounds.check("q", len(text), "search_chars", "characters")
        found = terms(text)
        bounds.check("q", len(found), "search_terms", "words or quoted phrases")
        if found and not self._text_fields():
            raise BadQuery("q: this dataset has no text field to search")
        self.search = found

    def _text_fields(self) -> list[str]:
        return [f.name for f in self.dataset.fields if f.type is FieldType.STRING]

    def _read_groups(self, single: Mapping[str, str], bounds: Bounds) -> None:
        names = [n.strip() for n in single.get("group_by", "").split(",") if n.strip()]
        bounds.check("group_by", len(names), "group_by", "fields")
        self.group_by = list(dict.fromkeys(self._field("group_by", n).name for n in names))
        if "count" in self.group_by:
            raise BadQuery("group_by: a field named 'count' would hide the groups' count")
        self.aggregates = [Aggregate("count")]
        items = [a.strip() for a in single.get("aggregate", "").split(",") if a.strip()]
        bounds.check("aggregate", len(items), "aggregates", "aggregates")
        for item in items:
            function, _, name = item.partition(":")
            if function not in AGGREGATES or (function == "count") != (name == ""):
                raise BadQuery(
                    f"aggregate: {item!r} is not count, sum:<field>, avg:<field>, min:<field> "
                    "or max:<field>"
                )
            if function == "count":
                continue
            dataset_field = self._field("aggregate", name)
            if function in ("sum", "avg") and dataset_field.type not in NUMERIC:
                raise BadQuery(
                    f"aggregate: {function} applies to number fields (integer or number); "
                    f"{name!r} is {dataset_field.type.value}"
                )
            if dataset_field.type is FieldType.BOOLEAN:
                raise BadQuery(f"aggregate: {function} does not apply to the boolean {name!r}")
            aggregate = Aggregate(function, name)
            if aggregate not in self.aggregates:
                self.aggregates.append(aggregate)

    def _read_order(self, text: str, bounds: Bounds) -> None:
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise BadQuery("order: a field, or several separated by commas (-field: descending)")
        bounds.check("order", len(items), "order_keys", "sort keys")
        allowed = self._output_names()
        keys: list[SortKey] = []
        for item in items:
            name = item.removeprefix("-")
            if name not in allowed:
                raise BadQuery(f"order: no field {name!r} (sort by: {', '.join(allowed)})")
            if any(k.name == name for k in keys):
                raise BadQuery(f"order: {name!r} is given twice")
            keys.append(SortKey(name, item.startswith("-")))
        self.order = keys

    def _output_names(self) -> list[str]:
        if self.group_by is None:
            return [f.name for f in self.dataset.fields]
        return [*self.group_by, *(a.name for a in self.aggregates)]

    def _coordinates(self, parameter: str) -> tuple[str, str]:
        if self.dataset.coordinates is None:
            raise BadQuery(
                f"{parameter}: dataset {self.dataset.identifier!r} has no coordinates (only "
                "datasets that declare longitude and latitude fields can be filtered by place)"
            )
        return self.dataset.coordinates

    def _read_box(self, text: str) -> Box:
        self._coordinates("bbox")
        numbers = parse_numbers(text, 4)
        wrong = "bbox: west,south,east,north in degrees (e.g. 5.0,50.6,5.2,50.7)"
        if numbers is None:
            raise BadQuery(wrong)
        west, south, east, north = numbers
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise BadQuery(f"{wrong}: west <= east within -180..180, south <= north within -90..90")
        return Box(west, south, east, north)

    def _read_near(self, text: str, bounds: Bounds) -> Near:
        self._coordinates("near")
        numbers = parse_numbers(text, 3)
        wrong = "near: longitude,latitude,metres (e.g. 5.08,50.67,1500)"
        if numbers is None:
            raise BadQuery(wrong)
        longitude, latitude, metres = numbers
        if not (-180 <= longitude <= 180 and -90 <= latitude <= 90) or metres <= 0:
            raise BadQuery(f"{wrong}: a longitude within -180..180, a latitude within -90..90")
        bounds.check("near", math.ceil(metres), "distance_metres", "metres")
        return Near(longitude, latitude, metres)

    def column_type(self, name: str) -> TypeEngine[Any]:
        """The SQL type of the dataset's column ``name``."""
        return self.dataset.query.selected_columns[name].type

    # -- SQL ------------------------------------------------------------------------------------

    def _columns(self) -> dict[str, Any]:
        subquery = self.dataset.query.subquery("records")
        return {f.name: subquery.c[f.name] for f in self.dataset.fields}

    def _where(self, columns: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        clauses = [_clause(columns[c.field], c) for c in self.filters]
        for group in self.any_of.values():
            clauses.append(or_(*(_clause(columns[c.field], c) for c in group)))
        text_columns = [columns[name] for name in self._text_fields()]
        for term in self.search:
            clauses.append(
                or_(*(fold(column).contains(term, autoescape=True) for column in text_columns))
            )
        for area in (self.box, self.near):
            if area is not None:
                longitude, latitude = self._coordinates("bbox")
                clauses.append(area.clause(columns[longitude], columns[latitude]))
        return clauses

    def sort_keys(self) -> list[SortKey]:
        """The client's keys, then what makes the order total: the dataset's key (rows), the
        group's fields (groups)."""
        keys = list(self.order)
        if self.group_by is not None:
            named = {k.name for k in keys}
            return keys + [SortKey(n) for n in self.group_by if n not in named]
        for i, key in enumerate(keys):
            if key.name == self.dataset.key:
                return keys[: i + 1]  # unique: the keys after it would never decide
        return [*keys, SortKey(self.dataset.key)]

    def _groups(self, columns: Mapping[str, Any]) -> dict[str, Any]:
        """The groups' source: their fields and aggregates, by output name."""
        assert self.group_by is not None
        selected = [columns[name].label(name) for name in self.group_by]
        for aggregate in self.aggregates:
            selected.append(self._aggregate(columns, aggregate).label(aggregate.name))
        statement = select(*selected).where(*self._where(columns))
        if self.group_by:
            statement = statement.group_by(*(columns[name] for name in self.group_by))
        groups = statement.subquery("groups")
        return {name: groups.c[name] for name in self._output_names()}

    def _aggregate(self, columns: Mapping[str, Any], aggregate: Aggregate) -> Any:
        if aggregate.field is None:
            return func.count()
        column = columns[aggregate.field]
        kind = self._field("aggregate", aggregate.field).type
        if aggregate.function == "avg" or (
            aggregate.function == "sum" and kind is not FieldType.INTEGER
        ):
            # a double on both engines: its value and its cursor compare exactly
            return cast(getattr(func, aggregate.function)(cast(column, Float)), Float)
        if aggregate.function == "sum":
            return cast(func.sum(column), BigInteger)
        return getattr(func, aggregate.function)(column)

    def page_statement(
        self, *, after: list[Any] | None, size: int | None
    ) -> Select[*tuple[Any, ...]]:
        """The filtered rows (or groups) after the cursor values ``after``, in order."""
        keys = self.sort_keys()
        if self.group_by is not None:
            columns = self._groups(self._columns())
            statement = select(*columns.values())
        else:
            columns = self._columns()
            wanted = list(dict.fromkeys([*self.fields, *(k.name for k in keys)]))
            statement = select(*(columns[n] for n in wanted)).where(*self._where(columns))
        statement = statement.order_by(*keyset.order_by(columns, keys))
        if after is not None:
            statement = statement.where(keyset.after(columns, keys, after))
        if size is not None:
            statement = statement.limit(size)
        return statement

    def count_statement(self) -> Select[*tuple[Any, ...]]:
        """The number of matching records (of groups, when grouped)."""
        if self.group_by is not None:
            groups = self._groups(self._columns())
            return select(func.count()).select_from(next(iter(groups.values())).table)
        columns = self._columns()
        filtered = select(columns[self.dataset.key]).where(*self._where(columns)).subquery()
        return select(func.count()).select_from(filtered)

    def facet_statement(self, name: str) -> Select[*tuple[Any, ...]]:
        """The most frequent values of ``name`` among the matching records (one more than
        ``facet_size``: whether there are more)."""
        columns = self._columns()
        column = columns[name]
        count = func.count().label("count")
        return (
            select(column.label("value"), count)
            .where(*self._where(columns))
            .group_by(column)
            .order_by(count.desc(), *keyset.order_by({"value": column}, [SortKey("value")]))
            .limit(self.facet_size + 1)
        )

    # -- cursors --------------------------------------------------------------------------------

    def cursor_of(self, row: Mapping[str, Any]) -> list[Any]:
        return [row[key.name] for key in self.sort_keys()]

    def loaded_cursor(self, values: list[Any]) -> list[Any]:
        keys = self.sort_keys()
        if len(values) != len(keys):
            raise BadQuery("cursor: it belongs to another ordering; start again without it")
        try:
            return [self._load(key.name, value) for key, value in zip(keys, values, strict=True)]
        except (BadQuery, TypeError, ValueError, OverflowError):
            raise BadQuery(NOT_A_CURSOR) from None

    def _load(self, name: str, value: Any) -> Any:
        """A cursor value of the output column ``name``, checked as a filter value is."""
        if value is None:
            if self.group_by is None and name == self.dataset.key:
                raise BadQuery(NOT_A_CURSOR)
            return None
        aggregate = next((a for a in self.aggregates if a.name == name), None)
        if self.group_by is not None and aggregate is not None:
            if aggregate.field is None or (
                aggregate.function == "sum"
                and self._field("cursor", aggregate.field).type is FieldType.INTEGER
            ):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise BadQuery(NOT_A_CURSOR)
                if not _INT64[0] <= value <= _INT64[1]:
                    raise BadQuery(NOT_A_CURSOR)
                return value
            if aggregate.function in ("sum", "avg"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise BadQuery(NOT_A_CURSOR)
                number = float(value)
                if number != number or number in (float("inf"), float("-inf")):
                    raise BadQuery(NOT_A_CURSOR)
                return number
            name = aggregate.field
        if isinstance(value, list | dict) or (isinstance(value, str) and "\x00" in value):
            raise BadQuery(NOT_A_CURSOR)  # a NUL: PostgreSQL cannot compare it
        dataset_field = self._field("cursor", name)
        return check(dataset_field, convert(dataset_field, value), self.column_type(name))

    def output(self, row: Mapping[str, Any]) -> dict[str, Any]:
        names = self._output_names() if self.group_by is not None else self.fields
        return {name: to_json(row[name]) for name in names}


def _integer(parameter: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadQuery(f"{parameter}: an integer from {low} to {high}")
    return value


def _clause(column: Any, condition: Condition) -> ColumnElement[bool]:
    operator, value = condition.operator, condition.value
    if operator == "eq":
        return column.is_(None) if value is None else column == value
    if operator == "ne":
        return or_(column.is_(None), column != value)
    if operator == "isnull":
        return column.is_(None) if value else column.is_not(None)
    if operator == "in":
        return column.in_(value)
    if operator == "contains":
        return fold(column).contains(value, autoescape=True)
    if operator == "startswith":
        return fold(column).startswith(value, autoescape=True)
    if operator == "endswith":
        return fold(column).endswith(value, autoescape=True)
    if operator == "iexact":
        return fold(column) == value
    comparisons = {"gt": column > value, "gte": column >= value, "lt": column < value}
    return comparisons.get(operator, column <= value)


async def read_page(
    session: AsyncSession, query: RecordQuery
) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """One page: its records (or groups), the cursor of the next page (or None) and, if
    asked, the count."""
    after = query.loaded_cursor(query.cursor) if query.cursor is not None else None
    await prepare(session)
    statement = query.page_statement(after=after, size=query.limit + 1)
    rows = [dict(row) for row in (await session.execute(statement)).mappings()]
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = keyset.encode(query.cursor_of(rows[-1]))
    total = None
    if query.count:
        total = (await session.execute(query.count_statement())).scalar_one()
    return [query.output(row) for row in rows], next_cursor, total


async def read_facets(session: AsyncSession, query: RecordQuery) -> dict[str, Any]:
    """Each facet's most frequent values among the matching records, with their counts."""
    await prepare(session)
    found: dict[str, Any] = {}
    for name in query.facets:
        rows = (await session.execute(query.facet_statement(name))).all()
        found[name] = {
            "values": [
                {"value": to_json(value), "count": count}
                for value, count in rows[: query.facet_size]
            ],
            "more": len(rows) > query.facet_size,
        }
    return found


async def iterate(
    sessionmaker: async_sessionmaker[AsyncSession], query: RecordQuery, *, batch: int = 1000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every matching record, in batches walked by keyset, each batch in its own short session
    (memory stays flat whatever the size, and no transaction is held open)."""
    after: list[Any] | None = None
    while True:
        async with sessionmaker() as session:
            await prepare(session)
            statement = query.page_statement(after=after, size=batch)
            rows = [dict(row) for row in (await session.execute(statement)).mappings()]
        if not rows:
            return
        yield [query.output(row) for row in rows]
        if len(rows) < batch:
            return
        after = query.cursor_of(rows[-1])
