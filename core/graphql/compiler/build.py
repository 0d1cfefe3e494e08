"""From a root field's selection to one SQL statement whose single value is its JSON answer.

:class:`Build` walks the selection the way graphql-core's executor would (fragments, inline
fragments, ``@skip``/``@include``, aliases, merged fields), converts arguments the way
strawberry does before calling a resolver, and asks each field's spec
(:mod:`bocage.core.graphql.compiler.spec`) for its SQL.

Each place of the answer where rows are listed (the root page, a project's communes, a
commune's page of projects...) is a level of rows labelled with their parent's key
(``q_parent``) and their sort keys; the JSON of a level is aggregated per parent, in the
order of those keys, and joined to the level above (:class:`Level`). A page ranks its rows
and reads one more than it shows (``q_rank``, ``q_fetched``) only when ``pageInfo`` is
selected; a cursor is computed only where it is selected. Two plans, one per engine:

- PostgreSQL: each relation is a ``LATERAL`` subquery read for each row of the level above,
  through the foreign key's index, as PostGraphile plans it (read for all parents at once,
  the planner misjudged the number of parents and scanned whole tables), aggregated without
  ``GROUP BY`` (``json_agg(... ORDER BY ...)``); the statement is sent with its values
  written in it (:meth:`Build.inlined`: planned once per connection, not at each run);
- SQLite: each level is one CTE read for all parents at once, as the resolvers' DataLoaders
  do, and each list is aggregated in a correlated subquery over its parent's rows, as a
  hand-written statement does. SQLite's parser refuses more than about 15 nested
  expressions: a statement it refuses (checked on an empty in-memory database,
  :meth:`Build.parses`) is built again with deeper levels in aggregate windows, which nest
  less (:meth:`Build.per_parent`, ``LESS_NESTED``, ``compiler/execute.py``).

Anything it cannot express raises :class:`NotCompilable` (the resolver path answers the root
field instead); an argument the resolver would refuse raises :class:`Fallback` (the resolver
path answers it, with its typed error).
"""

from __future__ import annotations

import sqlite3
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.exc import CompileError
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments

from bocage.core.graphql.compiler.sqljson import JsonSQL, cat
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.i18n import Language
from bocage.core.graphql.pagination import Ordering, Window, load_date, load_datetime, window

if TYPE_CHECKING:
    from bocage.core.graphql.compiler.spec import (
        Page,
        Registry,
        RootList,
        RootOne,
        RootRows,
        ToMany,
    )
    from bocage.core.graphql.context import Context

#: SQLite: levels above this depth aggregate their lists in correlated subqueries, as a
#: hand-written statement does, deeper ones in aggregate windows, which cost more (each row of
#: a window holds a copy of its parent's whole array) but nest less (see ``Build.per_parent``):
#: every level first; a statement SQLite's parser refuses as too nested (about 15 nested
#: expressions) is built again with fewer correlated levels (``LESS_NESTED``, in
#: ``compiler/execute.py``), once per document: the statement is kept.
CORRELATED_DEPTH = 1_000
#: The depths tried, in order, after SQLite's parser refused a statement (0: windows only).
LESS_NESTED = (3, 1, 0)

#: The arguments of a connection the compiler reads itself (the others go to its source).
PAGE_ARGUMENTS = frozenset({"first", "after", "last", "before"})

#: Columns the compiler adds to the rows of a level.
PARENT, RANK, FETCHED = "q_parent", "q_rank", "q_fetched"


def _sort_keys(order: Sequence[Any]) -> list[tuple[Any, bool]] | None:
    """``(expression, descending)`` of each term of an ``ORDER BY`` list, or None when one
    is more than a plain ascending or descending expression."""
    keys = []
    for term in order:
        if isinstance(term, UnaryExpression) and term.modifier is operators.desc_op:
            keys.append((term.element, True))
        elif isinstance(term, UnaryExpression) and term.modifier is operators.asc_op:
            keys.append((term.element, False))
        elif isinstance(term, UnaryExpression):
            return None
        else:
            keys.append((term, False))
    return keys


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


@dataclass
class Level:
    """Where the fields of one row are computed: its rows, and the per-parent aggregates of
    its relations joined to them (``joins``), filled while its fields are built.

    ``lateral``: each aggregate is a ``LATERAL`` subquery read for the row it is joined to
    (PostgreSQL); else a subquery grouped by ``q_parent``, joined on it (SQLite)."""

    rows: FromClause
    lateral: bool = False
    #: 0 for the root's, 1 for the rows of a root field, and so on.
    depth: int = 0
    joins: list[tuple[FromClause, ColumnElement[bool]]] = field(default_factory=list)
    #: The rows of every parent, when ``rows`` holds one parent's (SQLite's correlated
    #: lists, ``Build.correlated_list``): the relations below read their parents' keys there.
    every: FromClause | None = None

    def join(self, aggregate: FromClause) -> FromClause:
        """Join ``aggregate`` (made by :meth:`Build.aggregate`) to the rows; use the
        returned clause's columns."""
        condition = true() if self.lateral else aggregate.c[PARENT] == self.rows.c.id
        self.joins.append((aggregate, condition))
        return aggregate

    def source(self) -> FromClause:
        source: Any = self.rows
        for aggregate, condition in self.joins:
            source = source.outerjoin(aggregate, condition)
        return source


class Correlated:
    """Per-parent aggregates that are expressions of the level's row (SQLite's correlated
    subqueries), used like a joined aggregate's columns: ``c.name`` or ``c[name]``."""

    def __init__(self, columns: dict[str, Any]) -> None:
        self.c = _Columns(columns)


class _Columns(dict[str, Any]):
    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


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
        correlated_depth: int | None = None,
    ) -> None:
        self.registry = registry
        #: SQLite: levels above it aggregate in correlated subqueries (0: none does).
        self.correlated_depth = CORRELATED_DEPTH if correlated_depth is None else correlated_depth
        self.schema = schema
        self.graphql_schema = schema._schema
        self.context = context
        self.fragments = fragments
        self.variable_values = variable_values
        self.json = JsonSQL(context.dialect)
        self.language = context.language
        #: PostgreSQL plans a relation best per parent row, through the foreign key's index
        #: (``LATERAL``), as PostGraphile does; SQLite reads each level once for all parents
        #: (its parser refuses the nesting per row would take).
        self.lateral = self.json.pg
        self._names = 0

    def name(self, prefix: str) -> str:
        self._names += 1
        return f"{prefix}{self._names}"

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
            args = self.arguments(definition, field_nodes[0]) if definition else {}
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
        # An interface or union the object type belongs to.
        return bool(self.graphql_schema.is_sub_type(target, type_))

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variable_values)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variable_values)
        return not (include is not None and include.get("if") is False)

    def arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """The field's arguments as its resolver gets them (strawberry's conversion)."""
        if not definition.args:
            return {}
        raw = get_argument_values(definition, node, self.variable_values)
        field_ = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if field_ is None:
            return raw
        return convert_arguments(
            raw,
            field_.arguments,
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
        pairs: list[tuple[str, ColumnElement[Any]]] = []
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

    def node(self, type_name: str, level: Level, selection: Selection) -> ColumnElement[Any]:
        """The JSON object of a row of the compilable type ``type_name`` at ``level``."""
        spec = self.registry.types.get(type_name)
        if spec is None:
            raise NotCompilable(f"type {type_name}")

        def value(name: str, sub: Selection) -> ColumnElement[Any]:
            field_spec = spec.fields.get(name)
            if field_spec is None:
                raise NotCompilable(f"{type_name}.{name}")
            return field_spec.sql(self, level, sub)

        return self.object_of(selection, value, type_name)

    # -- levels --------------------------------------------------------------------------

    def rows_of(
        self, statement: Select[*tuple[Any, ...]], *extra: Any, reads: frozenset[str] | None = None
    ) -> Select[*tuple[Any, ...]]:
        """``statement`` (a ``select(Model, ...)``) with the columns the fields read (all but
        the search text when ``reads`` is None) and ``extra`` columns."""
        if reads is None:
            keep = [c for c in statement.selected_columns if c.key != "search_text"]
        else:
            keep = [c for c in statement.selected_columns if c.key in reads]
        return statement.with_only_columns(*keep, *extra)

    def reads(self, type_name: str, selections: Sequence[Selection]) -> frozenset[str] | None:
        from bocage.core.graphql.compiler.spec import Embed

        """The columns the fields ``selections`` select on rows of ``type_name`` read (with
        ``id`` and the relation's own columns), or None when one may read any."""
        spec = self.registry.types.get(type_name)
        if spec is None:
            return None
        needed = {"id", PARENT, RANK, "link_role"}
        for selection in selections:
            type_ = self.object_type(selection)
            for sub in self.selections(type_, selection.nodes):
                if sub.name == "__typename":
                    continue
                field_spec = spec.fields.get(sub.name)
                if isinstance(field_spec, Embed):
                    reads = self.reads(field_spec.type_name, [sub])
                else:
                    reads = field_spec.reads() if field_spec is not None else None
                if reads is None:
                    return None
                needed |= reads
        return frozenset(needed)

    def parents(self, level: Level) -> Select[*tuple[Any, ...]]:
        """The keys a relation below ``level`` is read for: the row's own (``LATERAL``), or
        the distinct keys of the level's rows."""
        if level.lateral:
            return select(level.rows.c.id).correlate(level.rows)
        rows = level.rows if level.every is None else level.every
        return select(rows.c.id).distinct()

    def level(self, rows: FromClause, parent: Level | None = None) -> Level:
        return Level(rows, self.lateral, 0 if parent is None else parent.depth + 1)

    def rows(self, statement: Select[*tuple[Any, ...]], prefix: str) -> FromClause:
        """The rows of a level: a subquery inside its parent's ``LATERAL``, or a CTE."""
        name = self.name(prefix)
        return statement.subquery(name) if self.lateral else statement.cte(name)

    def aggregate(self, statement: Select[*tuple[Any, ...]], prefix: str) -> FromClause:
        """A per-parent aggregate to :meth:`Level.join`: ``LATERAL``, or a subquery."""
        name = self.name(prefix)
        return statement.lateral(name) if self.lateral else statement.subquery(name)

    def per_parent(
        self,
        level: Level,
        source: Any,
        parent: ColumnElement[Any],
        aggregates: dict[str, tuple[str, Any, Any, Any]],
        prefix: str,
    ) -> Any:
        """Aggregates of the rows of ``source`` for each row of ``level`` (``parent``: their
        column holding its key), as columns of the returned clause's ``c``: ``(kind, value,
        order, where)`` with ``kind`` ``array`` (the JSON array of ``value`` in ``order``, a
        list of ``ORDER BY`` terms) or ``max``. PostgreSQL: one aggregated row per parent
        (ordered aggregates), joined to the level. SQLite (no ordered aggregates before
        3.44): one correlated scalar subquery per aggregate, over the rows of that parent in
        order (its aggregates read their input in the order of a subquery's ``ORDER BY``),
        as a hand-written statement does; below ``correlated_depth``, aggregate windows, which
        cost more (each row of a window holds a copy of the whole array) but nest less."""
        if not self.correlated(level):
            grouped = self.json.per_parent(source, parent, aggregates, grouped=not level.lateral)
            return level.join(self.aggregate(grouped, prefix))
        mine = parent == level.rows.c.id
        columns: dict[str, Any] = {}
        for column, (kind, value, order, where) in aggregates.items():
            conditions = [mine] if where is None else [mine, where]
            if kind == "array":
                ordered = (
                    select(value.label("v"))
                    .select_from(source)
                    .where(*conditions)
                    .order_by(*order)
                    .correlate(level.rows)
                    .subquery(self.name(prefix))
                )
                aggregated = select(func.json_group_array(func.json(ordered.c.v)))
            else:
                aggregated = (
                    select(func.max(value))
                    .select_from(source)
                    .where(*conditions)
                    .correlate(level.rows)
                )
            columns[column] = aggregated.scalar_subquery()
        return Correlated(columns)

    def correlated(self, level: Level) -> bool:
        """Whether the lists of ``level``'s rows are correlated subqueries (SQLite)."""
        return not self.json.pg and level.depth < self.correlated_depth

    def correlated_list(
        self, target: str, level: Level, rows: FromClause, order: list[Any], selection: Selection
    ) -> ColumnElement[Any] | None:
        """SQLite: the JSON array of the ``target`` objects of ``rows`` (every parent's)
        under each row of ``level``, in ``order``, built in the aggregate's own ``SELECT``
        over an ordered subquery of that parent's rows, as a hand-written statement does:
        ``json_group_array(json_object(...))`` over ``(SELECT ... ORDER BY ...)``. Building
        the objects in the subquery instead would make them text (SQLite keeps a value JSON
        through a scalar subquery, not through a subquery's column), parsed again by
        ``json()``. None when the objects need aggregates joined to their rows (the
        ``per_parent`` way then)."""
        ordered, child = self._ordered_rows(level, rows, order)
        value = self.node(target, child, selection)
        if child.joins:
            return None
        array = select(func.json_group_array(value)).select_from(ordered).scalar_subquery()
        return self.json.embed_scalar(array)

    def _ordered_rows(
        self, level: Level, rows: FromClause, order: list[Any]
    ) -> tuple[FromClause, Level]:
        """The rows of ``rows`` (every parent's) under one row of ``level``, in ``order``: a
        subquery correlated to it, and the level of those rows."""
        ordered = (
            select(rows)
            .where(rows.c[PARENT] == level.rows.c.id)
            .order_by(*order)
            .correlate(level.rows)
            .subquery(self.name("list"))
        )
        return ordered, Level(ordered, self.lateral, level.depth + 1, every=rows)

    def array_of(self, aggregate: Any, column: str) -> ColumnElement[Any]:
        """The JSON array in ``column`` of a :meth:`per_parent` clause, ``[]`` when the
        parent has no rows (a correlated ``json_group_array`` already gives ``[]``: one
        expression less to nest, SQLite's parser caps the nesting)."""
        if isinstance(aggregate, Correlated):
            return self.json.embed_scalar(aggregate.c[column])
        return func.coalesce(self.json.embed(aggregate.c[column]), self.json.empty_array())

    def many(self, spec: ToMany, level: Level, selection: Selection) -> ColumnElement[Any]:
        """A list (or its first item) of ``spec.target`` rows of each row of ``level``."""
        relation = spec.rows(self.parents(level))
        columns: Any = type("Columns", (), {"c": relation.selected_columns})
        order = spec.order(columns)
        keys = None if spec.first_only else _sort_keys(order)
        if keys is None:
            extra = [
                func.row_number()
                .over(partition_by=relation.selected_columns[PARENT], order_by=order)
                .label(RANK)
            ]
        else:
            # A list is aggregated in the order of its sort keys: no window to rank it.
            extra = [expression.label(f"q_order_{i}") for i, (expression, _) in enumerate(keys)]
        ranked = self.rows_of(relation, *extra, reads=self.reads(spec.target, [selection]))
        rows = self.rows(ranked, "rows")
        if keys is None:
            in_order: list[Any] = [rows.c[RANK]]
        else:
            in_order = [
                rows.c[f"q_order_{i}"].desc() if descending else rows.c[f"q_order_{i}"].asc()
                for i, (_, descending) in enumerate(keys)
            ]
        if not spec.first_only and self.correlated(level):
            listed = self.correlated_list(spec.target, level, rows, in_order, selection)
            if listed is not None:
                return listed
        child = self.level(rows, level)
        value = self.node(spec.target, child, selection)
        if spec.first_only:
            first = select(rows.c[PARENT], value.label("j")).select_from(child.source())
            aggregate = level.join(self.aggregate(first.where(rows.c[RANK] == 1), "one"))
            return self.json.embed(aggregate.c.j)
        items = {"j": ("array", value, in_order, None)}
        aggregate = self.per_parent(level, child.source(), rows.c[PARENT], items, "list")
        return self.array_of(aggregate, "j")

    def one(self, target: str, foreign_key: str, level: Level, selection: Selection) -> Any:
        """The live row of ``target`` whose key is the ``foreign_key`` of each row."""
        model = self.registry.types[target].model
        table = model.__table__
        alive = [table.c.deleted_at.is_(None)] if "deleted_at" in table.c else []
        if level.lateral:
            parent = level.rows
            statement = self.rows_of(
                select(model).where(table.c.id == parent.c[foreign_key], *alive),
                parent.c.id.label(PARENT),
                reads=self.reads(target, [selection]),
            ).correlate(parent)
        else:
            every = level.rows if level.every is None else level.every
            links = select(every.c.id, every.c[foreign_key]).distinct().subquery(self.name("to"))
            statement = self.rows_of(
                select(model).join(links, and_(table.c.id == links.c[foreign_key], *alive)),
                links.c.id.label(PARENT),
                reads=self.reads(target, [selection]),
            )
        rows = self.rows(statement, "rows")
        child = self.level(rows, level)
        value = self.node(target, child, selection)
        one = select(rows.c[PARENT], value.label("j")).select_from(child.source())
        aggregate = level.join(self.aggregate(one, "one"))
        return self.json.embed(aggregate.c.j)

    # -- pages ---------------------------------------------------------------------------

    def page(
        self,
        selection: Selection,
        target: str,
        base: Select[*tuple[Any, ...]],
        ordering: Ordering,
        parent: ColumnElement[Any] | None,
        level: Level,
    ) -> ColumnElement[Any]:
        """The JSON of a connection over ``base`` (a filtered ``select(Model)``) in
        ``ordering``, for every row of ``level`` at once (``parent``: the column of ``base``
        holding its parent's key; None under the root): what ``paginate`` and
        ``paginate_nested`` answer. A page read backwards (``last``) ranks its rows in the
        reversed order and lists them from the highest rank down. The connection's ``lang``
        is the language of the texts under it."""
        args = selection.args
        try:
            page = window(
                self.context,
                ordering,
                first=args.get("first"),
                after=args.get("after"),
                last=args.get("last"),
                before=args.get("before"),
            )
        except BadInput as error:
            raise Fallback(str(error)) from None
        outer_language = self.language
        if isinstance(args.get("lang"), Language):
            self.language = args["lang"].value
        try:
            return self._page(selection, target, base, page, parent, level)
        finally:
            self.language = outer_language

    def _page(
        self,
        selection: Selection,
        target: str,
        base: Select[*tuple[Any, ...]],
        page: Window,
        parent: ColumnElement[Any] | None,
        level: Level,
    ) -> ColumnElement[Any]:
        size = page.size
        type_ = self.object_type(selection)
        subs = self.selections(type_, selection.nodes)
        # Without pageInfo the page needs neither its extra row nor ranks: the database
        # reads ``size`` rows, aggregated in the order of their sort keys.
        numbered = any(sub.name == "pageInfo" for sub in subs)
        reads = self.reads(target, self._page_nodes(selection))
        rows = self._page_rows(base, page, parent, level, reads, numbered=numbered)
        child = self.level(rows, level)
        cursor = self.cursor(rows, page.ordering)
        in_order: list[Any]
        if numbered:
            rank, fetched = rows.c[RANK], rows.c[FETCHED]
            on_page: Any = rank <= size
            last = self.json.least(fetched, literal(size))
            # In the list's order: the first item and the last one of the page.
            first_rank, last_rank = (last, 1) if page.backward else (1, last)
            in_order = [rank.desc() if page.backward else rank]
        else:
            # The list's order is the ordering's (a backward page read reversed, listed back).
            on_page = None
            in_order = [
                rows.c[f"page_key_{i}"].desc() if key.descending else rows.c[f"page_key_{i}"]
                for i, key in enumerate(page.ordering.keys)
            ]
        aggregates: dict[str, tuple[str, Any, Any, Any]] = {}
        wanted: list[tuple[Selection, str]] = []
        #: Lists built by :meth:`correlated_list`'s way, by column.
        listed: dict[str, ColumnElement[Any]] = {}
        lists = [sub for sub in subs if sub.name in ("edges", "nodes")]
        counted = False
        for sub in subs:
            if sub.name == "__typename":
                wanted.append((sub, "__typename"))
            elif sub.name in ("edges", "nodes"):
                column = self.name("items")
                wanted.append((sub, column))
                if not numbered and len(lists) == 1 and self.correlated(level):
                    array = self._correlated_page(sub, target, level, rows, page, in_order)
                    if array is not None:
                        listed[column] = array
                        continue
                if sub.name == "edges":
                    item = self._edge(sub, target, child, cursor)
                else:
                    item = self.node(target, child, sub)
                aggregates[column] = ("array", item, in_order, on_page)
            elif sub.name == "pageInfo":
                aggregates["fetched"] = ("max", fetched, None, None)
                aggregates["first_cursor"] = (
                    "max",
                    case((rank == first_rank, cursor)),
                    None,
                    on_page,
                )
                aggregates["last_cursor"] = (
                    "max",
                    case((rank == last_rank, cursor)),
                    None,
                    on_page,
                )
                wanted.append((sub, "pageInfo"))
            elif sub.name == "totalCount":
                counted = True
                wanted.append((sub, "totalCount"))
            else:
                raise NotCompilable(f"{type_.name}.{sub.name}")
        aggregate = None
        if aggregates:
            aggregate = self.per_parent(level, child.source(), rows.c[PARENT], aggregates, "agg")
        total = level.join(self._totals(base, parent)) if counted else None
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for sub, what in wanted:
            if what == "__typename":
                pairs.append((sub.key, literal(type_.name, String)))
            elif what == "totalCount":
                assert total is not None
                pairs.append((sub.key, func.coalesce(total.c.n, 0)))
            elif what == "pageInfo":
                assert aggregate is not None
                pairs.append((sub.key, self._page_info(sub, aggregate, page)))
            elif what in listed:
                pairs.append((sub.key, listed[what]))
            else:
                assert aggregate is not None
                pairs.append((sub.key, self.array_of(aggregate, what)))
        if len(pairs) > self.json.MAX_KEYS:
            raise NotCompilable("too many keys in one object")
        return self.json.obj(pairs)

    def _correlated_page(
        self,
        selection: Selection,
        target: str,
        level: Level,
        rows: FromClause,
        page: Window,
        order: list[Any],
    ) -> ColumnElement[Any] | None:
        """SQLite: a page's ``edges`` or ``nodes`` (``selection``), without ``pageInfo``, as
        :meth:`correlated_list` builds a list; None when it cannot."""
        ordered, child = self._ordered_rows(level, rows, order)
        if selection.name == "edges":
            item = self._edge(selection, target, child, self.cursor(ordered, page.ordering))
        else:
            item = self.node(target, child, selection)
        if child.joins and level.depth > 0:
            return None
        # Under the root (one parent), aggregates joined to the rows are read once; the
        # ordered rows stay the outer loop of their LEFT JOINs, in order.
        array = select(func.json_group_array(item)).select_from(child.source()).scalar_subquery()
        return self.json.embed_scalar(array)

    def _page_nodes(self, selection: Selection) -> list[Selection]:
        """The selections of a connection's nodes (under ``edges`` and ``nodes``)."""
        nodes = []
        for sub in self.selections(self.object_type(selection), selection.nodes):
            if sub.name == "nodes":
                nodes.append(sub)
            elif sub.name == "edges":
                edges = self.selections(self.object_type(sub), sub.nodes)
                nodes.extend(edge for edge in edges if edge.name == "node")
        return nodes

    def _page_rows(
        self,
        base: Select[*tuple[Any, ...]],
        page: Window,
        parent: ColumnElement[Any] | None,
        level: Level,
        reads: frozenset[str] | None,
        *,
        numbered: bool = True,
    ) -> FromClause:
        """The rows of the pages: at most ``size + 1`` per parent within the cursors, read
        in ``page.reading``, with their sort keys, rank and the number fetched (the extra
        one says there are more); ``numbered`` false: at most ``size``, with their sort keys
        alone."""
        fetch = page.size + 1 if numbered else page.size
        ordering, reading = page.ordering, page.reading
        keys: list[Any] = [
            key.expression.label(f"page_key_{i}") for i, key in enumerate(ordering.keys)
        ]
        candidates = base.where(*page.conditions())
        if parent is None or level.lateral:
            # One list (the root's, or one parent's in its LATERAL): the database stops at
            # the limit (an index in the ordering helps).
            label = literal_column("0") if parent is None else parent
            limited = self.rows_of(candidates, *keys, label.label(PARENT), reads=reads)
            limited = limited.order_by(*reading.order_by()).limit(fetch)
            if not numbered:
                return self.rows(limited, "page")
            inner = limited.subquery(self.name("limited"))
        else:
            rank = func.row_number().over(partition_by=parent, order_by=reading.order_by())
            ranked = self.rows_of(
                candidates, *keys, parent.label(PARENT), rank.label("q_pos"), reads=reads
            )
            windowed = ranked.subquery(self.name("ranked"))
            kept = select(windowed).where(windowed.c.q_pos <= fetch)
            if not numbered:
                return self.rows(kept, "page")
            inner = kept.subquery(self.name("kept"))
        sort = [
            inner.c[f"page_key_{i}"].desc() if key.descending else inner.c[f"page_key_{i}"].asc()
            for i, key in enumerate(reading.keys)
        ]
        partition = inner.c[PARENT]
        columns = [c for c in inner.c if c.key != "q_pos"]
        ranks = select(
            *columns,
            func.row_number().over(partition_by=partition, order_by=sort).label(RANK),
            func.count().over(partition_by=partition).label(FETCHED),
        )
        return self.rows(ranks, "page")

    def _edge(
        self, selection: Selection, target: str, level: Level, cursor: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        edge_type = self.object_type(selection)

        def value(name: str, sub: Selection) -> ColumnElement[Any]:
            if name == "cursor":
                return cursor
            if name == "node":
                return self.node(target, level, sub)
            raise NotCompilable(f"{edge_type.name}.{name}")

        return self.object_of(selection, value)

    def _totals(
        self, base: Select[*tuple[Any, ...]], parent: ColumnElement[Any] | None
    ) -> FromClause:
        """``totalCount`` of each parent's list (as ``paginate``'s count)."""
        label = (parent if parent is not None else literal_column("0")).label(PARENT)
        # Keep the FROM of ``base`` even when no filter names its table (a bare
        # ``select(Model)`` would otherwise count one row).
        every = (
            base.order_by(None)
            .with_only_columns(label, maintain_column_froms=True)
            .subquery(self.name("every"))
        )
        if self.lateral:  # the rows of one parent
            return self.aggregate(select(func.count().label("n")).select_from(every), "total")
        counts = select(every.c[PARENT], func.count().label("n")).group_by(every.c[PARENT])
        return self.aggregate(counts, "total")

    def _page_info(
        self, selection: Selection, aggregate: FromClause, page: Window
    ) -> ColumnElement[Any]:
        """``Window.page_info``: whether more rows were fetched than the page holds, or
        the cursor given on that side."""
        more = func.coalesce(aggregate.c.fetched, 0) > page.size

        def side(given: bool, counted: bool) -> ColumnElement[Any]:
            if given or not counted:
                return self.json.constant(given)
            return self.json.boolean(more)

        def info(name: str, _sub: Selection) -> ColumnElement[Any]:
            match name:
                case "hasNextPage":
                    return side(page.before is not None, not page.backward)
                case "hasPreviousPage":
                    return side(page.after is not None, page.backward)
                case "startCursor":
                    return aggregate.c.first_cursor
                case "endCursor":
                    return aggregate.c.last_cursor
            raise NotCompilable(f"PageInfo.{name}")

        return self.object_of(selection, info)

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

    def nested_page(self, spec: Page, level: Level, selection: Selection) -> ColumnElement[Any]:
        nested = spec.nested
        base = nested.statement.where(nested.parent.in_(self.parents(level)))
        # Spec columns may be ORM attributes; SQLAlchemy takes them where a column goes.
        parent = typing.cast("ColumnElement[Any]", nested.parent)
        return self.page(selection, spec.target, base, nested.ordering, parent, level)

    # -- roots ---------------------------------------------------------------------------

    def root(
        self, spec: RootList | RootOne | RootRows, selection: Selection
    ) -> Select[*tuple[Any, ...]]:
        """The statement answering the root field: one row, one text column of JSON."""
        from bocage.core.graphql.compiler.spec import RootList, RootRows, ToMany

        top = select(literal_column("0").label("id")).cte(self.name("root"))
        level = self.level(top)
        try:
            if isinstance(spec, RootList):
                arguments = {k: v for k, v in selection.args.items() if k not in PAGE_ARGUMENTS}
                base, ordering = spec.source(self.context, **arguments)
                value = self.page(selection, spec.target, base, ordering, None, level)
            elif isinstance(spec, RootRows):
                listed, order = spec.source(self.context, **selection.args)
                under_root = listed.add_columns(literal_column("0").label(PARENT))
                # The list's ``lang`` is the language of the texts under it, as a page's.
                if isinstance(selection.args.get("lang"), Language):
                    self.language = selection.args["lang"].value
                value = self.many(
                    ToMany(spec.target, lambda _: under_root, order), level, selection
                )
            else:
                statement = spec.source(self.context, **selection.args)
                one_row = self.rows_of(
                    statement.limit(1),
                    literal_column("0").label(PARENT),
                    reads=self.reads(spec.target, [selection]),
                )
                rows = self.rows(one_row, "rows")
                child = self.level(rows, level)
                one = select(rows.c[PARENT], self.node(spec.target, child, selection).label("j"))
                aggregate = level.join(self.aggregate(one.select_from(child.source()), "one"))
                value = self.json.embed(aggregate.c.j)
        except BadInput as error:
            raise Fallback(str(error)) from None
        statement = select(value).select_from(level.source())
        if self.json.pg:
            return self.inlined(select(cast(statement.scalar_subquery(), Text)))
        return statement

    def parses(self, statement: Any) -> bool:
        """SQLite: whether its parser takes ``statement`` (it refuses one nested too deep:
        "parser stack overflow"), tried on an empty in-memory database, where a statement
        that parses fails on its first table."""
        dialect = self.context.sessionmaker.kw["bind"].dialect
        sql = str(statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))
        connection = sqlite3.connect(":memory:")
        try:
            connection.execute(sql)
        except sqlite3.Error as error:
            return "parser stack overflow" not in str(error)
        finally:
            connection.close()
        return True

    def inlined(self, statement: Select[*tuple[Any, ...]]) -> Any:
        """PostgreSQL: ``statement`` with its values written in it (rendered by the engine's
        dialect, which quotes them), sent without parameters. PostgreSQL plans a prepared
        statement with parameters again at each execution (custom plans: the compiler's
        forty-odd constants, the page size), which cost as much as running the statement;
        one without is planned once per connection. Statements are already built per
        variables' values (``execute``'s cache key), so this makes no more of them. A value
        the dialect cannot write keeps its parameter."""
        dialect = self.context.sessionmaker.kw["bind"].dialect
        try:
            compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        except (CompileError, NotImplementedError):
            return statement
        return select(literal_column(f"({compiled})", Text))
