"""External references: the key an object has in a city's own system (its PST tool, its CRM),
unique per source among the objects of one kind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.ids import global_id

SOURCE_LENGTH = 100
ID_LENGTH = 200


def _clean(value: str, name: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise Invalid(
            Code.REQUIRED, f"externalReference.{name} cannot be empty", "externalReference"
        )
    if len(text) > limit:
        raise Invalid(
            Code.INVALID,
            f"externalReference.{name} is longer than {limit} characters",
            "externalReference",
        )
    return text


def reference_key(source: str, key: str) -> tuple[str, str]:
    """The cleaned ``(source, key)``, or :class:`Invalid` saying what to fix."""
    return _clean(source, "source", SOURCE_LENGTH), _clean(key, "id", ID_LENGTH)


async def set_reference(
    session: Any, row: Any, reference: tuple[str, str] | None, type_name: str
) -> None:
    """Give ``row`` the external ``reference`` (``(source, key)``; ``None`` clears it); refuse
    a key another object of the same kind (archived ones included) already has."""
    if reference is None:
        row.external_source = row.external_id = None
        return
    source, key = reference_key(*reference)
    model = type(row)
    holder = (
        await session.execute(
            select(model.id, model.deleted_at).where(
                model.external_source == source, model.external_id == key
            )
        )
    ).first()
    if holder is not None and holder.id != row.id:
        archived = " (archived)" if holder.deleted_at is not None else ""
        raise Invalid(
            Code.DUPLICATE,
            f"externalReference {source}/{key} already belongs to {type_name} "
            f"{global_id(type_name, holder.id)}{archived}: give another id, or change "
            "that object instead",
            "externalReference",
        )
    row.external_source, row.external_id = source, key
