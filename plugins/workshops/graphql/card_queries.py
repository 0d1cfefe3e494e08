"""The challenge-card workshop's root query fields."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core.api import (
    BadInput,
    Invalid,
    NotFound,
    Project,
    cost,
    node_key,
)
from bocage.plugins.workshops.graphql.cards import (
    WorkshopsCardWorkshop,
    WorkshopsChallenge,
)
from bocage.plugins.workshops.models import (
    CardWorkshop,
    Challenge,
    Event,
)

# -- queries ------------------------------------------------------------------------------------


async def _known(info: Info[Any, Any], value: str, type_name: str, model: Any, field: str) -> int:
    """The key of the ``type_name`` ID a filter was given; BAD_USER_INPUT for an ill-formed
    ID, the ID of another type or of no object (never an empty list that hides the mistake)."""
    try:
        key = node_key(value, type_name, field)
    except Invalid as error:
        raise BadInput(error.message, field=field) from None
    found = await info.context.execute(select(model.id).where(model.id == key))
    if found.first() is None:
        raise BadInput(f"{field}: no {type_name} has the ID {value!r}", field=field)
    return key


@strawberry.type
class CardWorkshopQuery:
    @strawberry.field(description="A challenge-card workshop by its ID.", metadata=cost(1))
    async def workshops_card_workshop(
        self, info: Info, id: strawberry.ID
    ) -> WorkshopsCardWorkshop | None:
        try:
            key = node_key(id, "WorkshopsCardWorkshop", "id")
        except Invalid as error:
            raise NotFound(error.message, field="id") from None
        row = (
            await info.context.execute(select(CardWorkshop).where(CardWorkshop.id == key))
        ).scalar_one_or_none()
        return WorkshopsCardWorkshop(row=row) if row is not None else None

    @strawberry.field(
        description="Challenge-card workshops, newest first (of one event if given).",
        metadata=cost(1, items=20),
    )
    async def workshops_card_workshops(
        self, info: Info, event: strawberry.ID | None = None
    ) -> list[WorkshopsCardWorkshop]:
        statement = select(CardWorkshop).order_by(CardWorkshop.id.desc()).limit(100)
        if event is not None:
            key = await _known(info, event, "WorkshopsEvent", Event, "event")
            statement = statement.where(CardWorkshop.event_id == key)
        rows = (await info.context.execute(statement)).scalars()
        return [WorkshopsCardWorkshop(row=r) for r in rows]

    @strawberry.field(
        description="The workshop challenges a core project came from (a Project ID).",
        metadata=cost(1, items=2),
    )
    async def workshops_challenges_of_project(
        self, info: Info, project: strawberry.ID
    ) -> list[WorkshopsChallenge]:
        key = await _known(info, project, "Project", Project, "project")
        rows = await info.context.execute(
            select(Challenge).where(Challenge.project_id == key).order_by(Challenge.id)
        )
        return [WorkshopsChallenge(row=r) for r in rows.scalars()]
