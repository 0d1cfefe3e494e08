"""Relay connections with keyset (cursor) pagination, for top-level and nested lists.

A cursor encodes the sort key of the last row seen, so pages stay stable when rows are added
before them, and deep pages cost the same as the first one. Nested connections (a commune's
projects) are loaded for all parents in one statement with a window function.

Both directions, as the Relay cursor connections specification says: ``first``/``after``
pages forwards, ``last``/``before`` backwards (the rows are read in the reversed order, then
handed back in the list's order); ``after`` and ``before`` may bound the same page. ``first``
and ``last`` together are refused. ``pageInfo``: ``hasNextPage`` is true when more rows follow
the page (forwards: counted; backwards: whenever ``before`` was given, since rows follow it),
``hasPreviousPage`` likewise.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import orjson
import strawberry
from sqlalchemy import and_, func, or_, select

from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.i18n import remember_language
from bocage.core.graphql.limits import cost

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select
    from sqlalchemy.sql.elements import SQLColumnExpression
    from strawberry.types import Info

    from bocage.core.graphql.context import Context
    from bocage.core.graphql.i18n import Language

NodeT = TypeVar("NodeT")

#: The arguments that page a connection backwards (with ``first``/``after`` forwards).
Last = Annotated[
    int | None,
    strawberry.argument(
        description="The last items of the list (before `before`, if given): pages backwards. "
        "Not with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="Only the items before this cursor (a `startCursor`)."),
]


@strawberry.type(description="Where a page sits in its list (Relay PageInfo).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a page, with the cursor to continue after it.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[NodeT]):
    # As many edges as the `first` of the field returning the connection.
    edges: list[Edge[NodeT]] = strawberry.field(metadata=cost(0, items="first"))
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="Number of items in the whole list, across all pages.", metadata=cost(1)
    )
    async def total_count(self) -> int:
        return await self._count()

    @strawberry.field(
        description="The items of this page (the nodes of `edges`).",
        metadata=cost(0, items="first"),
    )
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


# -- ordering and cursors ----------------------------------------------------------------------


def _dump(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering; ``load`` turns its cursor value back into a Python value."""

    expression: SQLColumnExpression[Any]
    descending: bool
    load: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True)
class Ordering:
    """A total order: the last key must be unique (the primary key)."""

    keys: tuple[SortKey, ...]

    def reversed(self) -> Ordering:
        """The same keys in the opposite direction (to read a page backwards)."""
        return Ordering(tuple(replace(k, descending=not k.descending) for k in self.keys))

    def order_by(self) -> list[ColumnElement[Any]]:
        return [k.expression.desc() if k.descending else k.expression.asc() for k in self.keys]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """Rows strictly after ``values`` in this order."""
        clauses = []
        for i, key in enumerate(self.keys):
            equal = [self.keys[j].expression == values[j] for j in range(i)]
            beyond = key.expression < values[i] if key.descending else key.expression > values[i]
            clauses.append(and_(*equal, beyond))
        return or_(*clauses)

    def encode(self, values: Sequence[Any]) -> str:
        raw = orjson.dumps([_dump(v) for v in values])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str, field: str = "after") -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = orjson.loads(raw)
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise ValueError
            return [key.load(value) for key, value in zip(self.keys, values, strict=True)]
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
            hint = "an `endCursor`" if field == "after" else "a `startCursor`"
            raise BadInput(
                f"`{field}` is not a cursor of this list with this ordering: pass {hint} "
                "or `cursor` from a previous page of the same query",
                field=field,
            ) from None


def load_datetime(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def load_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def page_size(context: Context, first: int | None, name: str = "first") -> int:
    settings = context.settings
    if first is None:
        return settings.page_size_default
    if first < 0 or first > settings.page_size_max:
        other = "after: <endCursor>" if name == "first" else "before: <startCursor>"
        raise BadInput(
            f"`{name}` must be between 0 and {settings.page_size_max}; got {first}. "
            f"Ask for the next page with `{other}`",
            field=name,
        )
    return first


@dataclass(frozen=True)
class Window:
    """What a connection's ``first``/``after``/``last``/``before`` ask for: ``size`` rows
    read in ``ordering`` (the list's, or reversed for ``last``) within the cursors."""

    size: int
    backward: bool
    #: The list's ordering; the rows are read in :attr:`reading`.
    ordering: Ordering
    after: str | None = None
    before: str | None = None
    after_values: list[Any] | None = None
    before_values: list[Any] | None = None

    @property
    def reading(self) -> Ordering:
        return self.ordering.reversed() if self.backward else self.ordering

    def conditions(self) -> list[ColumnElement[bool]]:
        """The rows strictly between the cursors."""
        found = []
        if self.after_values is not None:
            found.append(self.ordering.after(self.after_values))
        if self.before_values is not None:
            found.append(self.ordering.reversed().after(self.before_values))
        return found

    def page_info(self, fetched: int, edges: Sequence[Edge[Any]]) -> PageInfo:
        more = fetched > self.size
        return PageInfo(
            has_next_page=self.before is not None or (more and not self.backward),
            has_previous_page=self.after is not None or (more and self.backward),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )


def window(
    context: Context,
    ordering: Ordering,
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> Window:
    """The page a connection's arguments ask for, or a BAD_USER_INPUT saying what to fix."""
    if first is not None and last is not None:
        raise BadInput(
            "give `first` (with `after`) to page forwards or `last` (with `before`) to page "
            "backwards, not both",
            field="last",
        )
    backward = last is not None
    size = page_size(context, last, "last") if backward else page_size(context, first)
    return Window(
        size=size,
        backward=backward,
        ordering=ordering,
        after=after,
        before=before,
        after_values=ordering.decode(after, "after") if after is not None else None,
        before_values=ordering.decode(before, "before") if before is not None else None,
    )


def _sort_columns(ordering: Ordering) -> list[ColumnElement[Any]]:
    return [key.expression.label(f"page_key_{i}") for i, key in enumerate(ordering.keys)]


def _build(
    rows: Sequence[Any],
    page: Window,
    to_node: Callable[[Any], Any],
    count: Callable[[], Awaitable[int]],
) -> Connection[Any]:
    """The connection of ``rows`` (read in ``page.reading``, one more than the page)."""
    keys = len(page.ordering.keys)
    kept = list(rows[: page.size])
    if page.backward:
        kept.reverse()
    edges = [
        Edge(cursor=page.ordering.encode(list(row[1 : 1 + keys])), node=to_node(row[0]))
        for row in kept
    ]
    return Connection(edges=edges, page_info=page.page_info(len(rows), edges), _count=count)


async def paginate(
    context: Context,
    statement: Select[*tuple[Any, ...]],
    ordering: Ordering,
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], Any],
    last: int | None = None,
    before: str | None = None,
) -> Connection[Any]:
    """One page of ``statement`` (a ``select(Model)`` with its filters) in ``ordering``."""
    page = window(context, ordering, first=first, after=after, last=last, before=before)
    reading = page.reading
    selected = statement.add_columns(*_sort_columns(ordering)).where(*page.conditions())
    selected = selected.order_by(*reading.order_by()).limit(page.size + 1)
    rows = (await context.execute(selected)).all()

    async def count() -> int:
        total = select(func.count()).select_from(statement.order_by(None).subquery())
        return int((await context.execute(total)).scalar_one())

    return _build(rows, page, to_node, count)


async def paginate_field(
    info: Info[Any, Any],
    statement: Select[*tuple[Any, ...]],
    ordering: Ordering,
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], Any],
    last: int | None = None,
    before: str | None = None,
    lang: Language | None = None,
) -> Connection[Any]:
    """A connection field's answer: :func:`paginate` on the field's ``info`` and arguments,
    with the texts of its nodes (and of what is under them) in the field's ``lang``
    (:func:`~bocage.core.graphql.i18n.remember_language`). A source function's
    ``(statement, ordering)`` pair goes in as ``*source``."""
    remember_language(info, lang)
    return await paginate(
        info.context,
        statement,
        ordering,
        first=first,
        after=after,
        to_node=to_node,
        last=last,
        before=before,
    )


@dataclass(frozen=True)
class NestedList:
    """How to page a relation for many parents at once.

    ``statement`` selects the child entity joined to ``parent`` (the parent's key column).
    """

    name: str
    entity: Any
    statement: Select[*tuple[Any, ...]]
    parent: SQLColumnExpression[Any]
    ordering: Ordering


async def paginate_nested(
    context: Context,
    spec: NestedList,
    parent_id: Any,
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], Any],
    last: int | None = None,
    before: str | None = None,
) -> Connection[Any]:
    """One page of ``spec`` for ``parent_id``, batched with every sibling parent's page."""
    ordering = spec.ordering
    page = window(context, ordering, first=first, after=after, last=last, before=before)

    async def load_pages(parent_ids: Sequence[Any]) -> list[list[Any]]:
        inner_statement = spec.statement.where(spec.parent.in_(parent_ids), *page.conditions())
        rank = func.row_number().over(partition_by=spec.parent, order_by=page.reading.order_by())
        entity = spec.entity
        inner = inner_statement.with_only_columns(
            entity.id.label("page_row_id"),
            *_sort_columns(ordering),
            spec.parent.label("page_parent"),
            rank.label("page_rank"),
        ).subquery()
        keys = [inner.c[f"page_key_{i}"] for i in range(len(ordering.keys))]
        outer = (
            select(entity, *keys, inner.c.page_parent)
            .join(inner, inner.c.page_row_id == entity.id)
            .where(inner.c.page_rank <= page.size + 1)
            .order_by(inner.c.page_parent, inner.c.page_rank)
        )
        grouped: dict[Any, list[Any]] = {pid: [] for pid in parent_ids}
        for row in (await context.execute(outer)).all():
            grouped[row[-1]].append(row)
        return [grouped[pid] for pid in parent_ids]

    async def load_counts(parent_ids: Sequence[Any]) -> list[int]:
        counted = (
            spec.statement.with_only_columns(spec.parent, func.count())
            .where(spec.parent.in_(parent_ids))
            .group_by(spec.parent)
            .order_by(None)
        )
        rows: Any = (await context.execute(counted)).all()
        counts: dict[Any, int] = dict(rows)
        return [int(counts.get(pid, 0)) for pid in parent_ids]

    key = (spec.name, "page", page.size, page.backward, after, before)
    rows = await context.loader(key, load_pages).load(parent_id)
    counter = context.loader((spec.name, "count"), load_counts)
    return _build(rows, page, to_node, lambda: counter.load(parent_id))
