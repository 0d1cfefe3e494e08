"""From a root field's selection to one SQL statement whose single value is its JSON answer.

:class:`Build` walks the selection the way graphql-core's executor would (fragments, inline
fragments, ``@skip``/``@include``, aliases, merged fields), converts arguments the way
strawberry does before calling a resolver, and asks each field's spec
(:mod:`bocage.core.graphql.compiler.spec`) for its SQL. Lists and pages are correlated
subqueries aggregated into JSON arrays; pages fetch ``first + 1`` rows in the ordering the
resolver uses, so ``hasNextPage``, cursors and ``totalCount`` agree with it.

Anything it cannot express raises :class:`NotCompilable` (the resolver path answers the root
field instead); an argument the resolver would refuse raises :class:`Fallback` (the resolver
path answers it, with its typed error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_directive_values
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    String,
    Text,
    case,
    cast,
    func,
    literal,
    null,
    select,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments

from bocage.core.graphql.compiler.sqljson import JsonSQL, cat
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.pagination import Ordering, load_date, load_datetime, page_size

if TYPE_CHECKING:
    from bocage.core.graphql.compiler.spec import Page, Registry, RootList, RootOne, ToMany
    from bocage.core.graphql.context import Context


class NotCompilable(Exception):
    """The selection holds a field no spec declares: the resolver path answers it."""


class Fallback(Exception):
    """An argument the resolver refuses: let it answer, with its error."""


@dataclass
class Selection:
    """One field of a selection set, merged across fragments, with converted arguments."""

    key: str
    name: str
    nodes: list[FieldNode]
    args: dict[str, Any]
    definition: GraphQLField | None


class Build:
    """Builds the SQL of root fields for one request (its variables, language, dialect)."""

    def __init__(
        self,
        *,
        registry: Registry,
        schema: Any,
        context: Context,
        fragments: dict[str, Any],
        variable_values: Any,
    ) -> None:
        self.registry = registry
        self.schema = schema
        self.graphql_schema = schema._schema
        self.context = context
        self.fragments = fragments
        self.variable_values = variable_values
        self.json = JsonSQL(context.dialect)
        self.language = context.language
        self._aliases = 0

    # -- selections ----------------------------------------------------------------------

    def selections(self, type_: GraphQLObjectType, nodes: Sequence[FieldNode]) -> list[Selection]:
        """The fields selected on an object of ``type_`` under ``nodes`` (merged by key)."""
        grouped: dict[str, list[FieldNode]] = {}
        for node in nodes:
            self._collect(type_, node.selection_set, grouped, set())
        result = []
        for key, field_nodes in grouped.items():
            name = field_nodes[0].name.value
            definition = type_.fields.get(name)
            args = self._arguments(definition, field_nodes[0]) if definition else {}
            result.append(Selection(key, name, field_nodes, args, definition))
        return result

    def _collect(
        self,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode | None,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, type_):
                    self._collect(type_, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition, type_):
                    self._collect(type_, fragment.selection_set, grouped, visited)

    def _applies(self, condition: Any, type_: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        target = self.graphql_schema.get_type(condition.name.value)
        if target is type_:
            return True
        if target is None:
            return False
        # An interface or union the object type belongs to: compiled only for object types.
        return self.graphql_schema.is_sub_type(target, type_)  # type: ignore[arg-type]

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variable_values)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variable_values)
        return not (include is not None and include.get("if") is False)

    def _arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        if not definition.args:
            return {}
        raw = get_argument_values(definition, node, self.variable_values)
        field = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if field is None:
            return raw
        return convert_arguments(
            raw,
            field.arguments,
            scalar_registry=self.schema.schema_converter.scalar_registry,
            config=self.schema.config,
        )

    def object_type(self, selection: Selection) -> GraphQLObjectType:
        assert selection.definition is not None
        named = get_named_type(selection.definition.type)
        if not isinstance(named, GraphQLObjectType):
            raise NotCompilable(f"{selection.name} returns an abstract type")
        return named

    # -- objects -------------------------------------------------------------------------

    def object_of(
        self,
        selection: Selection,
        value_of: Callable[[str, Selection], ColumnElement[Any]],
        type_name: str | None = None,
    ) -> ColumnElement[Any]:
        """The JSON object of ``selection``'s fields, each computed by ``value_of``."""
        type_ = self.object_type(selection)
        pairs = []
        for sub in self.selections(type_, selection.nodes):
            if sub.name == "__typename":
                pairs.append((sub.key, literal(type_name or type_.name, String)))
            elif sub.definition is None:
                raise NotCompilable(f"unknown field {sub.name}")
            else:
                pairs.append((sub.key, value_of(sub.name, sub)))
        if len(pairs) > self.json.MAX_KEYS:
            raise NotCompilable("too many keys in one object")
        return self.json.obj(pairs)

    def node(self, type_name: str, row: FromClause, selection: Selection) -> ColumnElement[Any]:
        """The JSON object of a row of the compilable type ``type_name``."""
        spec = self.registry.types.get(type_name)
        if spec is None:
            raise NotCompilable(f"type {type_name}")

        def value(name: str, sub: Selection) -> ColumnElement[Any]:
            field = spec.fields.get(name)
            if field is None:
                raise NotCompilable(f"{type_name}.{name}")
            return field.sql(self, row, sub)

        return self.object_of(selection, value, type_name)

    def scalar_subquery(
        self,
        value: ColumnElement[Any],
        source: FromClause,
        conditions: Sequence[ColumnElement[bool]],
    ) -> ColumnElement[Any]:
        return select(value).select_from(source).where(*conditions).scalar_subquery()

    def alias(self, source: Any, name: str = "r") -> Any:
        self._aliases += 1
        return source.alias(f"{name}{self._aliases}")

    # -- lists ---------------------------------------------------------------------------

    def many(self, spec: ToMany, row: FromClause, selection: Selection) -> ColumnElement[Any]:
        """A list (or its first item) of ``spec.target`` rows, in ``spec.order``.

        The rows come from a subquery already in order (SQLite aggregates keep it); on
        PostgreSQL the aggregate orders them explicitly."""
        rows = spec.rows(row).correlate(row)
        columns = SimpleNamespace(c=rows.selected_columns)
        items = self.alias(rows.order_by(*spec.order(columns)).subquery(), "items")  # type: ignore[arg-type]
        value = self.node(spec.target, items, selection)
        if spec.first_only:
            statement = select(value).select_from(items).order_by(*spec.order(items)).limit(1)
            return self.json.embed(statement.correlate(row).scalar_subquery())
        array = self.json.array(value, order_by=spec.order(items))
        return self.json.embed(select(array).select_from(items).correlate(row).scalar_subquery())

    # -- pages ---------------------------------------------------------------------------

    def page(
        self,
        selection: Selection,
        target: str,
        base: Select[Any],
        ordering: Ordering,
        *,
        correlate: FromClause | None = None,
    ) -> ColumnElement[Any]:
        """The JSON of a connection over ``base`` (a filtered ``select(Model)``) in
        ``ordering``: what ``paginate``/``paginate_nested`` answer, in one statement."""
        try:
            size = page_size(self.context, selection.args.get("first"))
            after = selection.args.get("after")
            after_values = ordering.decode(after) if after is not None else None
        except BadInput as error:
            raise Fallback(str(error)) from None
        keys = [key.expression.label(f"page_key_{i}") for i, key in enumerate(ordering.keys)]
        limited = base.add_columns(*keys)
        if after_values is not None:
            limited = limited.where(ordering.after(after_values))
        limited = limited.order_by(*ordering.order_by()).limit(size + 1)
        if correlate is not None:
            limited = limited.correlate(correlate)
        page = self.alias(limited.subquery(), "page")
        sort = [
            page.c[f"page_key_{i}"].desc() if key.descending else page.c[f"page_key_{i}"].asc()
            for i, key in enumerate(ordering.keys)
        ]
        numbered = select(
            page,
            func.row_number().over(order_by=sort).label("page_rank"),
            func.count().over().label("page_rows"),
        )
        if correlate is not None:
            numbered = numbered.correlate(correlate)
        rows = self.alias(numbered.order_by(*sort).subquery(), "numbered")
        rank, fetched = rows.c.page_rank, rows.c.page_rows
        cursor = self.cursor(rows, ordering)
        type_ = self.object_type(selection)
        on_page = rank <= size
        aggregated = False

        def value(name: str, sub: Selection) -> ColumnElement[Any]:
            nonlocal aggregated
            aggregated = aggregated or name in ("edges", "nodes", "pageInfo")
            if name == "edges":
                edge_type = self.object_type(sub)

                def edge_value(edge_name: str, edge_sub: Selection) -> ColumnElement[Any]:
                    if edge_name == "cursor":
                        return cursor
                    if edge_name == "node":
                        return self.node(target, rows, edge_sub)
                    raise NotCompilable(f"{edge_type.name}.{edge_name}")

                edge = self.object_of(sub, edge_value)
                return self.json.array(edge, order_by=[rank], where=on_page)
            if name == "nodes":
                return self.json.array(self.node(target, rows, sub), order_by=[rank], where=on_page)
            if name == "pageInfo":
                last = func.min(fetched, size) if not self.json.pg else func.least(fetched, size)

                def info(info_name: str, info_sub: Selection) -> ColumnElement[Any]:
                    match info_name:
                        case "hasNextPage":
                            return self.json.boolean(func.coalesce(func.max(fetched), 0) > size)
                        case "hasPreviousPage":
                            return self.json.boolean(literal(after is not None))
                        case "startCursor":
                            return func.max(case(((rank == 1) & on_page, cursor), else_=null()))
                        case "endCursor":
                            return func.max(case(((rank == last) & on_page, cursor), else_=null()))
                    raise NotCompilable(f"PageInfo.{info_name}")

                return self.object_of(sub, info)
            if name == "totalCount":
                counted = base.order_by(None)
                if correlate is not None:
                    counted = counted.correlate(correlate)
                total = select(func.count()).select_from(self.alias(counted.subquery(), "all"))
                if correlate is not None:
                    total = total.correlate(correlate)
                return total.scalar_subquery()
            raise NotCompilable(f"{type_.name}.{name}")

        value_json = self.object_of(selection, value)
        # Aggregates over the page's rows, or (only totalCount asked) no row source at all:
        # one row either way.
        statement = select(value_json).select_from(rows) if aggregated else select(value_json)
        if correlate is not None:
            statement = statement.correlate(correlate)
        return self.json.embed(statement.scalar_subquery())

    def cursor(self, rows: FromClause, ordering: Ordering) -> ColumnElement[Any]:
        """``Ordering.encode`` of a row's sort keys: base64url of their JSON array."""
        parts: list[Any] = ["["]
        for i, key in enumerate(ordering.keys):
            column = rows.c[f"page_key_{i}"]
            if key.load is load_datetime:
                text = self.json.json_string(self.json.datetime(column))
            elif key.load is load_date:
                text = self.json.json_string(self.json.date(column))
            elif key.load is int:
                text = cast(column, String)
            else:
                text = self.json.json_string(column)
            parts += [text, ","] if i < len(ordering.keys) - 1 else [text]
        parts.append("]")
        return self.json.b64url(cat(*parts))

    def nested_page(self, spec: Page, row: FromClause, selection: Selection) -> ColumnElement[Any]:
        nested = spec.nested
        base = nested.statement.where(nested.parent == row.c.id)
        return self.page(selection, spec.target, base, nested.ordering, correlate=row)

    # -- roots ---------------------------------------------------------------------------

    def root(self, spec: RootList | RootOne, selection: Selection) -> Select[Any]:
        """The statement answering the root field: one row, one text column of JSON."""
        from bocage.core.graphql.compiler.spec import RootList

        arguments = {k: v for k, v in selection.args.items() if k not in ("first", "after")}
        try:
            if isinstance(spec, RootList):
                base, ordering = spec.source(self.context, **arguments)
                value = self.page(selection, spec.target, base, ordering)
            else:
                statement = spec.source(self.context, **selection.args)
                row = self.alias(statement.limit(1).subquery(), "one")
                value = select(self.node(spec.target, row, selection)).select_from(row)
                value = value.scalar_subquery()
        except BadInput as error:
            raise Fallback(str(error)) from None
        if self.json.pg:
            return select(cast(value, Text))
        return select(value)
