"""JSON built by the database, the same text on PostgreSQL and SQLite.

Each method returns a SQL expression whose value, embedded in a JSON object or array, is what
the resolver path serialises for the same field: strings as strings, ``Decimal`` as its text
with the column's scale, timestamps in ISO 8601 UTC with microseconds only when not zero,
enums by name, booleans as ``true``/``false``, global IDs and cursors in base64.

SQLite has no base64 nor time zones: ``bocage_b64``, ``bocage_b64url`` and
``bocage_local_iso`` are added to each connection by ``bocage.core.sqlite_functions`` (the
database's floor, on connect).
"""

from __future__ import annotations

import enum
import functools
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from bocage.core.settings import LANGUAGES


def cat(*parts: Any) -> ColumnElement[Any]:
    """SQL ``||`` of the parts (strings become literals)."""
    items = [literal(p, String) if isinstance(p, str) else p for p in parts]
    result = items[0]
    for item in items[1:]:
        result = result.op("||", return_type=String)(item)
    return result


@functools.cache
def scalar_subqueries_keep_json() -> bool:
    """Whether this SQLite (the ``sqlite3`` module's, which aiosqlite uses too) keeps a JSON
    value JSON when a scalar subquery returns it: ``json_object('a', (SELECT
    json_group_array(...)))`` embeds the array, not its text (SQLite keeps a value's subtype
    through a scalar subquery, not through a subquery's columns). Then the array needs no
    ``json()`` around it, which would parse it again (SQLite 3.40 parses a JSON text on each
    call: with the elements' own ``json()``, every value of a nested list was parsed once per
    level above it)."""
    probe = "SELECT json_object('a', (SELECT json_group_array(json_object('b', 1))))"
    try:
        connection = sqlite3.connect(":memory:")
        try:
            row = connection.execute(probe).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return bool(row[0] == '{"a":[{"b":1}]}')


def _key(name: str) -> ColumnElement[Any]:
    """A JSON key as a SQL string literal (response names are GraphQL names: no quotes)."""
    return literal_column("'" + name.replace("'", "''") + "'", String)


class JsonSQL:
    """Builds JSON values in SQL for one dialect (``postgresql`` or ``sqlite``)."""

    #: Most keys one JSON object may have (PostgreSQL functions take at most 100 arguments).
    MAX_KEYS = 50

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    # -- values --------------------------------------------------------------------------

    def obj(self, pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
        args: list[Any] = []
        for name, value in pairs:
            args += [_key(name), value]
        return func.json_build_object(*args) if self.pg else func.json_object(*args)

    def embed(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        """A JSON value read back from a subquery's column, embedded as JSON (not as text)."""
        return value if self.pg else func.json(value)

    def embed_scalar(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        """A JSON value a scalar subquery returns, embedded as JSON: as it is where SQLite
        keeps it JSON (:func:`scalar_subqueries_keep_json`)."""
        return value if self.pg or scalar_subqueries_keep_json() else func.json(value)

    def array(
        self,
        value: ColumnElement[Any],
        *,
        order_by: Sequence[ColumnElement[Any]] = (),
        where: ColumnElement[bool] | None = None,
    ) -> ColumnElement[Any]:
        """The JSON array of ``value`` over the group (``[]`` when empty), in ``order_by``.

        SQLite has no ordered aggregates before 3.44: its rows come from a subquery that is
        already in order, which it keeps."""
        if self.pg:
            aggregated: Any = func.json_agg(
                aggregate_order_by(value, *order_by) if order_by else value
            )
            if where is not None:
                aggregated = aggregated.filter(where)
            return func.coalesce(aggregated, literal_column("'[]'::json"))
        aggregated = func.json_group_array(value)
        if where is not None:
            aggregated = aggregated.filter(where)
        return aggregated

    def empty_array(self) -> ColumnElement[Any]:
        return literal_column("'[]'::json") if self.pg else func.json("[]")

    def constant(self, value: bool) -> ColumnElement[Any]:
        text = "true" if value else "false"
        return literal_column(text) if self.pg else func.json(text)

    def least(self, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.least(a, b) if self.pg else func.min(a, b)

    def per_parent(
        self,
        source: Any,
        parent: ColumnElement[Any],
        aggregates: dict[str, tuple[str, Any, Any, Any]],
        *,
        grouped: bool = True,
    ) -> Any:
        """A ``select`` of one row per ``parent`` of ``source``, a column per aggregate:
        ``(kind, value, order, where)`` with ``kind`` ``array`` (the JSON array of ``value``
        in ``order``, a list of ``ORDER BY`` terms) or ``max``. PostgreSQL groups (ordered
        aggregates); SQLite before 3.44
        has no ordered aggregates, but its aggregate window functions take an order: one row
        per parent is kept of the window's (``Build.per_parent`` uses them below its first
        levels). ``grouped`` false (PostgreSQL): ``source`` holds the rows of one parent (a
        ``LATERAL`` subquery), aggregated without ``GROUP BY`` (one row, its aggregates null
        when there are none)."""
        if self.pg:
            columns = [parent.label("q_parent")] if grouped else []
            for column, (kind, value, order, where) in aggregates.items():
                if kind == "array":
                    aggregated: Any = func.json_agg(aggregate_order_by(value, *order))
                else:
                    aggregated = func.max(value)
                if where is not None:
                    aggregated = aggregated.filter(where)
                columns.append(aggregated.label(column))
            statement = select(*columns).select_from(source)
            return statement.group_by(parent) if grouped else statement
        every = (None, None)
        columns = [
            parent.label("q_parent"),
            func.row_number().over(partition_by=parent).label("q_first"),
        ]
        for column, (kind, value, order, where) in aggregates.items():
            function: Any = func.json_group_array(value) if kind == "array" else func.max(value)
            if where is not None:
                function = function.filter(where)
            if kind == "array":
                windowed = function.over(partition_by=parent, order_by=order, rows=every)
            else:
                windowed = function.over(partition_by=parent)
            columns.append(windowed.label(column))
        windows = select(*columns).select_from(source).subquery()
        kept = [c for c in windows.c if c.key != "q_first"]
        return select(*kept).where(windows.c.q_first == 1)

    def boolean(self, condition: ColumnElement[bool]) -> ColumnElement[Any]:
        if self.pg:
            return cast(condition, Boolean)
        return case((condition, func.json("true")), else_=func.json("false"))

    def column_bool(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.pg:
            return column
        return case(
            (column.is_(None), null()),
            (column == true(), func.json("true")),
            else_=func.json("false"),
        )

    def date(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.to_char(column, "YYYY-MM-DD") if self.pg else column

    def datetime(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """``datetime.isoformat()`` of a UTC timestamp: ``2026-04-13T12:13:04+00:00``,
        ``.ffffff`` before the offset when the microseconds are not zero."""
        if self.pg:
            utc = column.op("AT TIME ZONE")(literal("UTC"))
            micro = func.mod(cast(func.date_part("microseconds", column), Integer), 1_000_000)
            return case(
                (column.is_(None), null()),
                else_=cat(
                    func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS'),
                    case((micro == 0, ""), else_=cat(".", func.to_char(utc, "US"))),
                    "+00:00",
                ),
            )
        fraction = func.substr(column, 21, 6)
        return case(
            (column.is_(None), null()),
            else_=cat(
                func.substr(column, 1, 10),
                "T",
                func.substr(column, 12, 8),
                case((fraction.in_(["", "000000"]), ""), else_=cat(".", fraction)),
                "+00:00",
            ),
        )

    def local_datetime(self, column: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
        """``datetime.astimezone(ZoneInfo(zone)).isoformat()`` of a UTC timestamp: the wall
        time in ``zone`` and its offset then (``2026-04-13T14:13:04+02:00``). PostgreSQL reads
        its own time zone database, SQLite calls Python's (``bocage_local_iso``)."""
        if not self.pg:
            return func.bocage_local_iso(column, literal(zone, String))
        local = column.op("AT TIME ZONE")(literal(zone))
        utc = column.op("AT TIME ZONE")(literal("UTC"))
        offset = cast(extract("epoch", local - utc), Integer)
        size = cast(func.abs(offset), Integer)
        micro = func.mod(cast(func.date_part("microseconds", column), Integer), 1_000_000)

        def two(value: Any) -> ColumnElement[Any]:
            return func.lpad(cast(value, String), 2, "0")

        return case(
            (column.is_(None), null()),
            else_=cat(
                func.to_char(local, 'YYYY-MM-DD"T"HH24:MI:SS'),
                case((micro == 0, ""), else_=cat(".", func.to_char(local, "US"))),
                case((offset < 0, "-"), else_="+"),
                two(func.div(size, 3600)),
                ":",
                two(func.div(func.mod(size, 3600), 60)),
                case((func.mod(size, 60) == 0, ""), else_=cat(":", two(func.mod(size, 60)))),
            ),
        )

    def decimal(self, column: ColumnElement[Any], scale: int) -> ColumnElement[Any]:
        """``str(Decimal)`` of a ``Numeric(p, scale)`` column."""
        if self.pg:
            return cast(column, String)
        return case((column.is_(None), null()), else_=func.printf(f"%.{scale}f", column))

    def stored_json(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """A JSON (PostgreSQL JSONB) column, embedded as JSON."""
        return column if self.pg else func.json(column)

    def enum_name(
        self, column: ColumnElement[Any], enum_class: type[enum.Enum]
    ) -> ColumnElement[Any]:
        """A ``StrEnumType`` column (values stored) as the GraphQL enum's names."""
        return case(
            *((column == member.value, literal(member.name)) for member in enum_class),
            else_=null(),
        )

    def enum_list(
        self, column: ColumnElement[Any], enum_class: type[enum.Enum]
    ) -> ColumnElement[Any]:
        """A stored JSON list of enum values, as the GraphQL enum's names, in its order."""
        return self.list_of(column, lambda item: self.enum_name(item, enum_class))

    def list_of(
        self,
        column: ColumnElement[Any],
        convert: Callable[[ColumnElement[Any]], ColumnElement[Any]],
    ) -> ColumnElement[Any]:
        """A stored JSON list (JSON or JSONB) of scalars, each item (PostgreSQL: as text)
        converted by ``convert``, in its order; ``[]`` when the column holds no list (SQL
        NULL, JSON null: Python's ``value or []``)."""
        if self.pg:
            stored = cast(column, JSONB)
            array = case((func.jsonb_typeof(stored) == "array", stored), else_=null())
            items = (
                func.jsonb_array_elements_text(array)
                .table_valued("value", with_ordinality="position")
                .render_derived()
            )
            return (
                select(self.array(convert(items.c.value), order_by=[items.c.position]))
                .select_from(items)
                .scalar_subquery()
            )
        array = case((func.json_type(column) == "array", column), else_=null())
        items = func.json_each(array).table_valued("value", "key")
        ordered = select(items.c.value).order_by(items.c.key).subquery()
        return self.embed_scalar(
            select(func.json_group_array(convert(ordered.c.value)))
            .select_from(ordered)
            .scalar_subquery()
        )

    # -- multilingual texts -------------------------------------------------------------

    def text_in(self, column: ColumnElement[Any], lang: str) -> ColumnElement[Any]:
        if self.pg:
            return func.nullif(column.op("->>")(literal_column(f"'{lang}'")), "")
        return func.nullif(func.json_extract(column, f"$.{lang}"), "")

    def translated(
        self, column: ColumnElement[Any], lang: str, required: bool
    ) -> ColumnElement[Any]:
        """``pick(values, lang)``: the text in ``lang``, else the first of fr, nl, de, en."""
        order = [lang, *(other for other in LANGUAGES if other != lang)]
        candidates = [self.text_in(column, language) for language in order]
        if required:
            candidates.append(literal(""))
        return func.coalesce(*candidates)

    # -- base64 --------------------------------------------------------------------------

    def b64(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        """Standard base64 with padding (a Relay global ID)."""
        if self.pg:
            return func.translate(func.encode(func.convert_to(text, "UTF8"), "base64"), "\n", "")
        return func.bocage_b64(text)

    def b64url(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        """URL-safe base64 without padding (a cursor)."""
        if self.pg:
            encoded = func.encode(func.convert_to(text, "UTF8"), "base64")
            return func.rtrim(func.translate(encoded, "+/\n", "-_"), "=")
        return func.bocage_b64url(text)

    def json_string(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        """``text`` as a JSON string literal (``orjson.dumps`` of a str)."""
        if self.pg:
            return cast(func.to_json(text), String)
        return func.json_quote(text)

    def global_id(self, type_name: str, key: ColumnElement[Any]) -> ColumnElement[Any]:
        return self.b64(cat(f"{type_name}:", cast(key, String)))
