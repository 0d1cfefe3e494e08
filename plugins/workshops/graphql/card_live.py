"""The challenge-card workshop's live subscription and the events it carries."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core.api import (
    Invalid,
    NotFound,
    Project,
    ProjectType,
    cost,
    node_key,
)
from bocage.plugins.workshops import game, live, store
from bocage.plugins.workshops.graphql.cards import (
    EXCHANGE_INDEX,
    PHASE_INDEX,
    WorkshopsCardAxis,
    WorkshopsCardColour,
    WorkshopsPhase,
)
from bocage.plugins.workshops.graphql.common import (
    gid,
    moved,
)
from bocage.plugins.workshops.models import (
    CardAxis,
    CardColour,
    CardWorkshop,
    Participant,
    Phase,
)


@strawberry.enum(name="WorkshopsLiveEventType", description="What happened in a workshop.")
class LiveType(enum.Enum):
    PHASE_CHANGED = "phase_changed"
    PARTICIPANT_JOINED = "participant_joined"
    INVENTORY_ADDED = "inventory_added"
    INVENTORY_LINKED = "inventory_linked"
    CARD_WRITTEN = "card_written"
    CARD_SWAPPED = "card_swapped"
    GROUPS_ASSIGNED = "groups_assigned"
    SELECTION_CHANGED = "selection_changed"
    CHALLENGES_CHANGED = "challenges_changed"
    CHALLENGE_PROMOTED = "challenge_promoted"
    SETTINGS_CHANGED = "settings_changed"


# -- live ---------------------------------------------------------------------------------------


@strawberry.type(name="WorkshopsLiveCard", description="A card, as a live event carries it.")
class WorkshopsLiveCard:
    id: strawberry.ID
    colour: WorkshopsCardColour
    axis: WorkshopsCardAxis
    text: str
    mine: bool = strawberry.field(description="Whether you wrote it.")


@strawberry.type(
    name="WorkshopsLiveEvent",
    description="Something that happened in a workshop, pushed to its screens. Read the "
    "workshop again for the full picture; cards reach only those who may see them.",
)
class WorkshopsLiveEvent:
    type: LiveType
    workshop: strawberry.ID
    phase: WorkshopsPhase
    phase_ends_at: dt.datetime | None = strawberry.field(
        default=None, description="The new end of the time box (phase and settings changes)."
    )
    phase_started_at: dt.datetime | None = strawberry.field(
        default=None, description="When the phase started (phase and settings changes)."
    )
    phase_minutes: int | None = strawberry.field(
        default=None, description="The phase's planned minutes (phase and settings changes)."
    )
    participant: strawberry.ID | None = strawberry.field(
        default=None, description="Who joined or swapped (a WorkshopsParticipant ID)."
    )
    card: WorkshopsLiveCard | None = strawberry.field(
        default=None, description="The card written, or given back to the table."
    )
    group: int | None = strawberry.field(default=None, description="The group that selected.")
    cards: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The group's selection (WorkshopsCard IDs), ranked."
    )
    challenge: strawberry.ID | None = strawberry.field(default=None)
    project: strawberry.ID | None = strawberry.field(
        default=None,
        description="The project a challenge became (a Project ID).",
        deprecation_reason=moved("promotedProject"),
    )
    text: str | None = strawberry.field(default=None, description="An inventory entry's text.")
    project_key: strawberry.Private[int | None] = None

    @strawberry.field(
        description="The project a challenge became (CHALLENGE_PROMOTED), if not archived.",
        metadata=cost(1),
    )
    async def promoted_project(self, info: Info) -> ProjectType | None:
        if self.project_key is None:
            return None
        # Its own short session: a subscription's context lives as long as the connection.
        async with info.context.sessionmaker() as session:
            row = await session.get(Project, self.project_key)
        if row is None or row.deleted_at is not None:
            return None
        return ProjectType.from_row(row)


def _live_card(data: dict[str, Any], me: int | None) -> WorkshopsLiveCard:
    return WorkshopsLiveCard(
        id=gid("WorkshopsCard", data["id"]),  # type: ignore[arg-type]
        colour=CardColour(data["colour"]),
        axis=CardAxis(data["axis"]),
        text=data["text"],
        mine=me is not None and data.get("author") == me,
    )


def to_live(message: dict[str, Any], me: int | None) -> WorkshopsLiveEvent:
    ends = message.get("phase_ends_at")
    started = message.get("phase_started_at")
    card = message.get("card") or message.get("gave")
    return WorkshopsLiveEvent(
        type=LiveType(message["type"]),
        workshop=gid("WorkshopsCardWorkshop", message["workshop"]),  # type: ignore[arg-type]
        phase=Phase(message["phase"]),
        phase_ends_at=store.to_local(dt.datetime.fromisoformat(ends)) if ends else None,
        phase_started_at=store.to_local(dt.datetime.fromisoformat(started)) if started else None,
        phase_minutes=message.get("phase_minutes"),
        participant=gid("WorkshopsParticipant", message.get("participant")),
        card=_live_card(card, me) if card else None,
        group=message.get("group"),
        cards=[gid("WorkshopsCard", c) for c in message.get("cards", [])],  # type: ignore[misc]
        challenge=gid("WorkshopsChallenge", message.get("challenge")),
        project=gid("Project", message.get("project")),
        text=message.get("text"),
        project_key=message.get("project"),
    )


async def _participant_of(info: Info[Any, Any], workshop: int) -> int | None:
    principal = info.context.principal
    if principal.is_anonymous or not principal.subject:
        return None
    async with info.context.sessionmaker() as session:
        found = await session.execute(
            select(Participant.id).where(
                Participant.workshop_id == workshop,
                Participant.person_subject == principal.subject,
            )
        )
        return found.scalar_one_or_none()


@strawberry.type
class CardWorkshopSubscription:
    @strawberry.subscription(
        description="Live events of a workshop (graphql-transport-ws on /graphql): phase "
        "changes, participants, cards (to those who may see them), swaps, selections, "
        "challenges. Reaches subscribers on every server worker.",
        metadata=cost(1),
    )
    async def workshops_card_workshop_live(
        self, info: Info, workshop: strawberry.ID
    ) -> AsyncGenerator[WorkshopsLiveEvent, None]:
        try:
            key = node_key(workshop, "WorkshopsCardWorkshop", "workshop")
        except Invalid as error:
            raise NotFound(error.message, field="workshop") from None
        async with info.context.sessionmaker() as session:
            row = await session.get(CardWorkshop, key)
            if row is None:
                raise NotFound("no workshop with this ID", field="workshop")
        principal = info.context.principal
        facilitator = (
            not principal.is_anonymous
            and game.can(principal, game.WORKSHOPS_FACILITATE.code)
            and store.runs_workshop(principal, row)  # not another GAL's facilitator
        )
        me = await _participant_of(info, key)
        engine = info.context.sessionmaker.kw["bind"]
        async with live.broker(engine).subscribe(key) as queue:
            while True:
                message = await queue.get()
                card = message.get("card") or message.get("gave")
                if card is not None and not facilitator:
                    if me is None:
                        me = await _participant_of(info, key)
                    exchanged = PHASE_INDEX[message["phase"]] >= EXCHANGE_INDEX
                    own = principal.subject is not None and (
                        card.get("author_subject") == principal.subject
                    )
                    if not (own or (me is not None and exchanged)):
                        continue
                yield to_live(message, me)
