"""Relay plumbing shared by every type backed by a table row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar

from strawberry import relay
from strawberry.types import Info

from bocage.core.domain.ids import row_key
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.loaders import by_id, children

T = TypeVar("T", bound="RowType")

__all__ = ["RowType", "decode_id", "load_children", "load_one", "row_key"]


class RowType:
    """A strawberry type that wraps a row: plain fields are copied, resolvers read ``row``.

    Subclasses declare ``row: strawberry.Private[Model]`` and set ``model``.
    """

    model: ClassVar[type[Any]]

    @classmethod
    def from_row(cls: type[T], row: Any) -> T:
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        values = {
            f.python_name: getattr(row, f.python_name)
            for f in definition.fields
            if f.base_resolver is None and f.python_name not in ("id", "row")
        }
        if any(f.python_name == "id" for f in definition.fields):
            values["id"] = row.id
        return cls(row=row, **values)  # type: ignore[call-arg]  # strawberry's __init__

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Any, Any], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids: list[int | None] = []
        for node_id in node_ids:
            try:
                ids.append(row_key(node_id))
            except ValueError:
                if not node_id.lstrip("-").isdigit():
                    raise BadInput(
                        f"{node_id!r} is not an ID of a {cls.__name__}", field="id"
                    ) from None
                ids.append(None)  # a number no row has
        rows = await by_id(info.context, cls.model).load_many([i for i in ids if i is not None])
        found = iter(rows)
        return [
            None if key is None else (cls.from_row(row) if (row := next(found)) else None)
            for key in ids
        ]


def decode_id(value: str, expected: type[Any] | tuple[type[Any], ...], field: str) -> int:
    """The database key of a global ID, checking it names an object of the expected type."""
    types = expected if isinstance(expected, tuple) else (expected,)
    names = [t.__name__ for t in types]
    try:
        global_id = relay.GlobalID.from_id(value)
        key = row_key(global_id.node_id)
    except Exception:
        raise BadInput(
            f"{value!r} is not a valid ID; pass the `id` of a {' or '.join(names)}", field=field
        ) from None
    if global_id.type_name not in names:
        raise BadInput(
            f"{value!r} is the ID of a {global_id.type_name}, not of a {' or '.join(names)}",
            field=field,
        )
    return key


async def load_one(info: Info[Any, Any], node_type: type[T], key: int | None) -> T | None:
    """The node of ``node_type`` with primary key ``key`` (a parent), through a DataLoader."""
    if key is None:
        return None
    row = await by_id(info.context, node_type.model).load(key)
    return node_type.from_row(row) if row is not None else None


async def load_children(
    info: Info[Any, Any], node_type: type[T], foreign_key: Any, parent_id: int, *order: Any
) -> list[T]:
    """The live nodes of ``node_type`` whose ``foreign_key`` is ``parent_id``, in ``order``."""
    rows = await children(info.context, node_type.model, foreign_key, *order).load(parent_id)
    return [node_type.from_row(row) for row in rows]
