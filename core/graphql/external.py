"""External references: the key an object has in a city's own system (its PST tool, its CRM).

The spreadsheet import sets them (``bocage import --source ...``); integrators read them on
every object that has one, find objects by them (``filter: {externalReference: ...}``) and set
them when they create or change objects through the API, so that both sides keep one mapping.
"""

from __future__ import annotations

from typing import Any

import strawberry

from bocage.core.domain import external
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import Invalid, given


@strawberry.type(description="The key of an object in another system.")
class ExternalReference:
    source: str = strawberry.field(
        description="The namespace: the system's name or a commune's NIS code, e.g. `pst-andenne`."
    )
    id: str = strawberry.field(description="The object's key in that system.")


@strawberry.input(description="The key of an object in another system; unique per source.")
class ExternalReferenceInput:
    source: str
    id: str


@strawberry.interface(description="An object that may carry the key it has in another system.")
class ExternallyReferenced:
    @strawberry.field(
        description="Its key in another system, if it was imported or given one.",
        metadata=cost(0),
    )
    def external_reference(self) -> ExternalReference | None:
        row = self.row  # type: ignore[attr-defined]
        if row.external_source is None or row.external_id is None:
            return None
        return ExternalReference(source=row.external_source, id=row.external_id)


def reference_key(ref: ExternalReferenceInput) -> tuple[str, str]:
    """The cleaned ``(source, id)`` of ``ref``, or :class:`Invalid` saying what to fix."""
    return external.reference_key(ref.source, ref.id)


async def set_external_reference(session: Any, row: Any, ref: Any, type_name: str) -> None:
    """Apply an ``externalReference`` input to ``row`` (unset: unchanged; null: cleared);
    refuse a key another object of the same kind (archived ones included) already has."""
    if given(ref):
        await external.set_reference(
            session, row, None if ref is None else (ref.source, ref.id), type_name
        )


def external_reference_filter(model: Any, ref: Any) -> list[Any]:
    """The WHERE conditions of a list filter's ``externalReference`` (none when not given)."""
    if not given(ref) or ref is None:
        return []
    try:
        source, key = reference_key(ref)
    except Invalid as error:
        raise BadInput(error.message, field="externalReference") from None
    return [model.external_source == source, model.external_id == key]
