"""Generic DataLoaders: rows by primary key, children by foreign key, many-to-many links.

Each returns a loader bound to the request's context, so a relation costs one statement per
request and per nesting level, however many parents the page has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.sql.elements import SQLColumnExpression
    from strawberry.dataloader import DataLoader

    from bocage.core.graphql.context import Context

M = TypeVar("M")


def alive(model: Any) -> Any:
    """Rows that are not archived (for models that can be)."""
    deleted_at = getattr(model, "deleted_at", None)
    return deleted_at.is_(None) if deleted_at is not None else True


def by_id(context: Context, model: type[M]) -> DataLoader[int, M | None]:
    """Live rows of ``model`` by primary key (``None`` for unknown or archived ones)."""

    async def load(ids: Sequence[int]) -> list[M | None]:
        statement = select(model).where(model.id.in_(ids), alive(model))  # type: ignore[attr-defined]
        rows = {row.id: row for row in (await context.execute(statement)).scalars()}
        return [rows.get(i) for i in ids]

    return context.loader(("by_id", model), load)


def children(
    context: Context, model: type[M], foreign_key: SQLColumnExpression[Any], *order: Any
) -> DataLoader[int, list[M]]:
    """Live rows of ``model`` grouped by ``foreign_key`` (one-to-many)."""

    async def load(ids: Sequence[int]) -> list[list[M]]:
        statement: Any = select(model, foreign_key).where(foreign_key.in_(ids), alive(model))
        grouped: dict[int, list[M]] = defaultdict(list)
        for row, parent in await context.execute(statement.order_by(*order)):
            grouped[parent].append(row)
        return [grouped[i] for i in ids]

    return context.loader(("children", model, foreign_key), load)


def linked(
    context: Context,
    model: type[M],
    link: Table,
    source: str,
    target: str,
    *order: Any,
    extra: Sequence[str] = (),
) -> DataLoader[int, list[Any]]:
    """Live rows of ``model`` reached through the link table ``link`` (many-to-many).

    Returns rows of ``model``, or ``(row, *extra link columns)`` tuples when ``extra`` is set.
    """

    async def load(ids: Sequence[int]) -> list[list[Any]]:
        extras = [link.c[name] for name in extra]
        statement: Any = (
            select(model, link.c[source], *extras)
            .join(link, link.c[target] == model.id)  # type: ignore[attr-defined]
            .where(link.c[source].in_(ids), alive(model))
            .order_by(*order)
        )
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in await context.execute(statement):
            item = (row[0], *row[2:]) if extra else row[0]
            grouped[row[1]].append(item)
        return [grouped[i] for i in ids]

    return context.loader(("linked", model, link.name, source, tuple(extra)), load)
