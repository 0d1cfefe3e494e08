"""The challenge-card workshop's GraphQL types: the workshop as each caller may see it.

Who sees what: anyone sees a workshop's title, phase and timer, its inventory and (from the
conclusion on) its challenges. Participants see their own cards until the exchange round, then
every card of the workshop (without their authors); the facilitator sees everything, history
included. Participants appear by the alias they chose, never by their identity.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON
from strawberry.types import Info

from bocage.core.api import (
    CommuneType,
    MediaRole,
    MediaType,
    ProjectType,
    TerritoryType,
    cost,
    load_one,
    media_of,
    utcnow,
)
from bocage.plugins.workshops import game, store
from bocage.plugins.workshops.graphql.common import (
    Forbidden,
    core_link,
    gid,
)
from bocage.plugins.workshops.models import (
    Card,
    CardAxis,
    CardColour,
    CardWorkshop,
    Challenge,
    HistoryEntry,
    InventoryEntry,
    Participant,
    Phase,
    Selection,
)

strawberry.enum(
    Phase,
    name="WorkshopsPhase",
    description="The phases of a challenge-card workshop, in order: SETUP, INVENTORY (what "
    "each commune already does), WRITING (round 1), EXCHANGE (round 2), SELECTION (round 3), "
    "CONCLUSION, CLOSED.",
)
strawberry.enum(
    CardColour,
    name="WorkshopsCardColour",
    description="GREEN: collaboration & participation; BLUE: digital & technology.",
)
strawberry.enum(
    CardAxis,
    name="WorkshopsCardAxis",
    description="TERRITORY: sustainable development of the territory; COMMUNE_PRIORITY: a "
    "priority of the commune (its PST).",
)
# strawberry.enum marks the model enums themselves: the GraphQL enums are those classes (and
# type checkers know them as classes).
WorkshopsPhase = Phase
WorkshopsCardColour = CardColour
WorkshopsCardAxis = CardAxis


PHASE_INDEX = {phase.value: index for index, phase in enumerate(game.ORDER)}
EXCHANGE_INDEX = PHASE_INDEX[Phase.EXCHANGE.value]


# -- the viewer ---------------------------------------------------------------------------------


class Viewer:
    """What the caller is in a workshop: facilitator, participant (which), or neither."""

    def __init__(self, facilitator: bool, participant: int | None, phase: str) -> None:
        self.facilitator = facilitator
        self.participant = participant
        self.phase = phase

    @property
    def member(self) -> bool:
        return self.facilitator or self.participant is not None

    def sees(self, card: Card) -> bool:
        if self.facilitator:
            return True
        if self.participant is None:
            return False
        return card.author_id == self.participant or PHASE_INDEX[self.phase] >= EXCHANGE_INDEX


async def viewer(info: Info[Any, Any], workshop: CardWorkshop) -> Viewer:
    principal = info.context.principal

    async def load(ids: Sequence[int]) -> list[int | None]:
        if principal.is_anonymous or not principal.subject:
            return [None for _ in ids]
        rows = await info.context.execute(
            select(Participant.workshop_id, Participant.id).where(
                Participant.workshop_id.in_(ids),
                Participant.person_subject == principal.subject,
            )
        )
        found = dict(rows.all())
        return [found.get(i) for i in ids]

    participant = await info.context.loader(("workshops", "me"), load).load(workshop.id)
    facilitator = (
        not principal.is_anonymous
        and game.can(principal, game.WORKSHOPS_FACILITATE.code)
        and store.runs_workshop(principal, workshop)
    )
    return Viewer(facilitator, participant, workshop.phase)


def _rows(info: Info[Any, Any], model: Any, order: Any) -> Any:
    """A DataLoader of ``model`` rows by workshop, in ``order``."""

    async def load(ids: Sequence[int]) -> list[list[Any]]:
        grouped: dict[int, list[Any]] = defaultdict(list)
        rows = await info.context.execute(
            select(model).where(model.workshop_id.in_(ids)).order_by(*order)
        )
        for row in rows.scalars():
            grouped[row.workshop_id].append(row)
        return [grouped[i] for i in ids]

    return info.context.loader(("workshops", "by-workshop", model.__tablename__), load)


# -- the types ----------------------------------------------------------------------------------


@strawberry.type(name="WorkshopsParticipant", description="A participant, by their alias.")
class WorkshopsParticipant:
    row: strawberry.Private[Participant]

    @strawberry.field(description="The participant's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsParticipant", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="How they appear on the workshop's screens (chosen by them).")
    def alias(self) -> str:
        return self.row.alias

    commune, home_commune = core_link(
        CommuneType,
        "commune_id",
        now="homeCommune",
        id_description="Their commune (a Commune ID), if given.",
        description="Their commune, if given.",
    )

    @strawberry.field(description="Their group in round 3 (1, 2...), once formed.")
    def group(self) -> int | None:
        return self.row.group_number

    @strawberry.field(description="Typed in by the facilitator (a paper participant).")
    def from_paper(self) -> bool:
        return self.row.person_subject is None


@strawberry.type(name="WorkshopsCard", description="A challenge card.")
class WorkshopsCard:
    row: strawberry.Private[Card]
    me: strawberry.Private[int | None]
    facilitator: strawberry.Private[bool]

    @strawberry.field(description="The card's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsCard", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="GREEN or BLUE.")
    def colour(self) -> WorkshopsCardColour:
        return CardColour(self.row.colour)

    @strawberry.field(description="The axis it addresses.")
    def axis(self) -> WorkshopsCardAxis:
        return CardAxis(self.row.axis)

    @strawberry.field(description="The challenge, as written.")
    def text(self) -> str:
        return self.row.text

    @strawberry.field(description="Whether you wrote it.")
    def mine(self) -> bool:
        return self.me is not None and self.row.author_id == self.me

    @strawberry.field(description="Whether you hold it (round 2 on).")
    def held_by_me(self) -> bool:
        return self.me is not None and self.row.holder_id == self.me

    @strawberry.field(description="Whether it lies on the table (not dealt, or given back).")
    def on_table(self) -> bool:
        return self.row.holder_id is None

    @strawberry.field(description="Who holds it (a WorkshopsParticipant ID), if anyone.")
    def holder(self) -> strawberry.ID | None:
        return gid("WorkshopsParticipant", self.row.holder_id)

    @strawberry.field(description="Who wrote it (a WorkshopsParticipant ID): facilitators only.")
    def author(self) -> strawberry.ID | None:
        return gid("WorkshopsParticipant", self.row.author_id) if self.facilitator else None

    @strawberry.field(description="Typed in by the facilitator from a paper card.")
    def from_paper(self) -> bool:
        return self.row.from_paper


@strawberry.type(name="WorkshopsGroup", description="A group of round 3 and its selection.")
class WorkshopsGroup:
    number: int = strawberry.field(description="The group's number (1, 2...).")
    members: list[WorkshopsParticipant]
    selection: list[WorkshopsCard] = strawberry.field(
        description="The group's selected challenges, best first (at most selectionSize)."
    )


@strawberry.type(
    name="WorkshopsInventoryEntry",
    description="An existing smart action of a commune, listed during the inventory.",
)
class WorkshopsInventoryEntry:
    row: strawberry.Private[InventoryEntry]

    @strawberry.field(description="The entry's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsInventoryEntry", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="What the commune already does.")
    def text(self) -> str:
        return self.row.text

    commune, owner_commune = core_link(
        CommuneType,
        "commune_id",
        now="ownerCommune",
        id_description="The commune (a Commune ID).",
        description="The commune whose action it is.",
    )

    project, linked_project = core_link(
        ProjectType,
        "project_id",
        now="linkedProject",
        id_description="The core project it is linked to or became (a Project ID).",
        description="The core project it is linked to or became.",
    )


@strawberry.type(
    name="WorkshopsChallenge",
    description="A challenge of the workshop's conclusion: the groups' selections merged.",
)
class WorkshopsChallenge:
    row: strawberry.Private[Challenge]

    @strawberry.field(description="The challenge's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsChallenge", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="The challenge.")
    def text(self) -> str:
        return self.row.text

    @strawberry.field(description="GREEN or BLUE.")
    def colour(self) -> WorkshopsCardColour:
        return CardColour(self.row.colour)

    @strawberry.field(description="The axis it addresses.")
    def axis(self) -> WorkshopsCardAxis:
        return CardAxis(self.row.axis)

    @strawberry.field(description="Its place in the workshop's list (1 = first).")
    def position(self) -> int:
        return self.row.position

    @strawberry.field(description="The groups that selected it.")
    def groups(self) -> list[int]:
        return list(self.row.groups)

    @strawberry.field(description="The cards it came from (WorkshopsCard IDs).")
    def cards(self) -> list[strawberry.ID]:
        return [gid("WorkshopsCard", c) for c in self.row.card_ids]  # type: ignore[misc]

    @strawberry.field(description="The workshop (a WorkshopsCardWorkshop ID).")
    def workshop(self) -> strawberry.ID:
        return gid("WorkshopsCardWorkshop", self.row.workshop_id)  # type: ignore[return-value]

    project, promoted_project = core_link(
        ProjectType,
        "project_id",
        now="promotedProject",
        id_description="The core project it was promoted to (a Project ID).",
        description="The core project it was promoted to.",
    )


@strawberry.type(name="WorkshopsHistoryEntry", description="One action in a workshop's life.")
class WorkshopsHistoryEntry:
    row: strawberry.Private[HistoryEntry]

    @strawberry.field(description="When.")
    def at(self) -> dt.datetime:
        return game.aware(self.row.at)  # type: ignore[return-value]

    @strawberry.field(description="The phase it happened in.")
    def phase(self) -> WorkshopsPhase:
        return Phase(self.row.phase)

    @strawberry.field(description="What (joined, cards_written, phase_exchange...).")
    def action(self) -> str:
        return self.row.action

    @strawberry.field(description="Done by the facilitator.")
    def by_facilitator(self) -> bool:
        return self.row.by_facilitator

    @strawberry.field(description="The participant who acted (a WorkshopsParticipant ID).")
    def participant(self) -> strawberry.ID | None:
        return gid("WorkshopsParticipant", self.row.participant_id)

    @strawberry.field(description="The details (IDs of what changed).")
    def data(self) -> JSON:
        return JSON(self.row.data)


@strawberry.type(name="WorkshopsPhaseDurations", description="Minutes of each phase.")
class WorkshopsPhaseDurations:
    inventory: int = strawberry.field(description="Listing what each commune does.")
    inventory_per_commune: int = strawberry.field(
        description="Added to the inventory for each commune present (its sharing)."
    )
    writing: int
    exchange: int
    selection: int
    conclusion: int


@strawberry.type(
    name="WorkshopsPhaseTimeBox",
    description="One phase of a workshop and its time box, for countdowns and agendas.",
)
class WorkshopsPhaseTimeBox:
    phase: WorkshopsPhase
    planned_minutes: int | None = strawberry.field(
        description="Its planned duration (the inventory's grows with the communes present); "
        "null for SETUP and CLOSED, which are not time-boxed."
    )
    started_at: dt.datetime | None = strawberry.field(
        description="When it started (Europe/Brussels); null if not yet."
    )
    ends_at: dt.datetime | None = strawberry.field(
        description="When its time box ends or ended (startedAt + plannedMinutes)."
    )
    ended_at: dt.datetime | None = strawberry.field(
        description="When the facilitator moved on to the next phase; null if not yet."
    )
    current: bool = strawberry.field(description="Whether the workshop is in this phase.")


async def _communes_present(info: Info[Any, Any], workshop: int) -> int:
    rows = await _rows(info, Participant, (Participant.id,)).load(workshop)
    return len({p.commune_id for p in rows if p.commune_id is not None})


def _planned(row: CardWorkshop, phase: Phase, communes: int) -> int | None:
    if phase == Phase(row.phase):
        started, ends = game.aware(row.phase_started_at), game.aware(row.phase_ends_at)
        if started is not None and ends is not None:
            return round((ends - started).total_seconds() / 60)
    return game.minutes(row, phase, communes) or None


@strawberry.type(
    name="WorkshopsCardWorkshop",
    description="A challenge-card workshop, driven by a facilitator through its phases.",
)
class WorkshopsCardWorkshop:
    row: strawberry.Private[CardWorkshop]

    @strawberry.field(description="The workshop's ID.")
    def id(self) -> strawberry.ID:
        return gid("WorkshopsCardWorkshop", self.row.id)  # type: ignore[return-value]

    @strawberry.field(description="Send it back to change the workshop's settings.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(
        description="Images and documents attached to the workshop, oldest first.",
        metadata=cost(1, items=5),
    )
    async def media(self, info: Info, role: MediaRole | None = None) -> list[MediaType]:
        return await media_of(info, "WorkshopsCardWorkshop", self.row.id, role)

    @strawberry.field(description="The title (French, or the first language given).")
    def title(self, info: Info) -> str:
        texts = self.row.title or {}
        return texts.get(info.context.language) or texts.get("fr") or next(iter(texts.values()))

    @strawberry.field(description="The event it takes place at (a WorkshopsEvent ID).")
    def event(self) -> strawberry.ID | None:
        return gid("WorkshopsEvent", self.row.event_id)

    @strawberry.field(
        description="The territory (GAL) it belongs to, whose facilitators run it: its "
        "event's, or the one it was made for.",
        metadata=cost(1),
    )
    async def territory(self, info: Info) -> TerritoryType | None:
        return await load_one(info, TerritoryType, self.row.territory_id)

    @strawberry.field(description="The current phase.")
    def phase(self) -> WorkshopsPhase:
        return Phase(self.row.phase)

    @strawberry.field(description="When the current phase started.")
    def phase_started_at(self) -> dt.datetime | None:
        value = game.aware(self.row.phase_started_at)
        return store.to_local(value) if value else None

    @strawberry.field(description="When the current phase's time box ends (Europe/Brussels).")
    def phase_ends_at(self) -> dt.datetime | None:
        value = game.aware(self.row.phase_ends_at)
        return store.to_local(value) if value else None

    @strawberry.field(
        description="The planned minutes of the current phase (null when not time-boxed).",
        metadata=cost(1),
    )
    async def phase_minutes(self, info: Info) -> int | None:
        if Phase(self.row.phase) in (Phase.SETUP, Phase.CLOSED):
            return None
        communes = await _communes_present(info, self.row.id)
        return _planned(self.row, Phase(self.row.phase), communes)

    @strawberry.field(
        description="Every phase with its planned duration, when it started and when its "
        "time box ends (or ended): what a screen needs for countdowns and the agenda.",
        metadata=cost(1),
    )
    async def phases(self, info: Info) -> list[WorkshopsPhaseTimeBox]:
        communes = await _communes_present(info, self.row.id)
        starts = {
            action.removeprefix("phase_"): game.aware(at)
            for action, at in (
                await info.context.execute(
                    select(HistoryEntry.action, HistoryEntry.at)
                    .where(
                        HistoryEntry.workshop_id == self.row.id,
                        HistoryEntry.action.like("phase\\_%", escape="\\"),
                    )
                    .order_by(HistoryEntry.id)
                )
            ).all()
        }
        current = Phase(self.row.phase)
        if current != Phase.SETUP and self.row.phase_started_at is not None:
            starts[current.value] = game.aware(self.row.phase_started_at)
        created = game.aware(self.row.created_at)
        boxes = []
        for index, phase in enumerate(game.ORDER):
            started = created if phase == Phase.SETUP else starts.get(phase.value)
            following = game.ORDER[index + 1] if index + 1 < len(game.ORDER) else None
            ended = starts.get(following.value) if following is not None else None
            timed = phase not in (Phase.SETUP, Phase.CLOSED)
            planned = _planned(self.row, phase, communes) if timed else None
            if phase == current:
                ends = game.aware(self.row.phase_ends_at) if timed else None
            elif started is not None and planned:
                ends = started + dt.timedelta(minutes=planned)
            else:
                ends = None
            boxes.append(
                WorkshopsPhaseTimeBox(
                    phase=phase,
                    planned_minutes=planned,
                    started_at=store.to_local(started) if started else None,
                    ends_at=store.to_local(ends) if ends else None,
                    ended_at=store.to_local(ended) if ended else None,
                    current=phase == current,
                )
            )
        return boxes

    @strawberry.field(description="Seconds left in the current phase's time box (0 when over).")
    def seconds_left(self) -> int | None:
        ends = game.aware(self.row.phase_ends_at)
        if ends is None:
            return None
        return max(0, int((ends - utcnow()).total_seconds()))

    @strawberry.field(
        description="The minutes of each phase (the facilitator may change them).",
        metadata=cost(0),
    )
    def durations(self) -> WorkshopsPhaseDurations:
        return WorkshopsPhaseDurations(**{**game.DURATIONS, **(self.row.durations or {})})

    @strawberry.field(description="Most cards a participant writes in round 1.")
    def max_cards(self) -> int:
        return self.row.max_cards

    @strawberry.field(description="Cards dealt to each participant in round 2.")
    def cards_per_hand(self) -> int:
        return self.row.cards_per_hand

    @strawberry.field(description="Most challenges a group selects in round 3.")
    def selection_size(self) -> int:
        return self.row.selection_size

    @strawberry.field(
        description="Your participation, if you joined (null otherwise).", metadata=cost(1)
    )
    async def me(self, info: Info) -> WorkshopsParticipant | None:
        who = await viewer(info, self.row)
        if who.participant is None:
            return None
        people = await _rows(info, Participant, (Participant.id,)).load(self.row.id)
        return next((WorkshopsParticipant(row=p) for p in people if p.id == who.participant), None)

    @strawberry.field(description="How many people take part.", metadata=cost(1))
    async def participant_count(self, info: Info) -> int:
        return len(await _rows(info, Participant, (Participant.id,)).load(self.row.id))

    @strawberry.field(
        description="The participants (to participants and facilitators).",
        metadata=cost(1, items=20),
    )
    async def participants(self, info: Info) -> list[WorkshopsParticipant]:
        if not (await viewer(info, self.row)).member:
            raise Forbidden("join the workshop (or be its facilitator) to see its participants")
        people = await _rows(info, Participant, (Participant.id,)).load(self.row.id)
        return [WorkshopsParticipant(row=p) for p in people]

    @strawberry.field(
        description="What the communes already do (the inventory).", metadata=cost(1, items=20)
    )
    async def inventory(self, info: Info) -> list[WorkshopsInventoryEntry]:
        rows = await _rows(info, InventoryEntry, (InventoryEntry.id,)).load(self.row.id)
        return [WorkshopsInventoryEntry(row=r) for r in rows]

    @strawberry.field(
        description="The cards you may see: your own until the exchange round, then every card "
        "(facilitators: always every card).",
        metadata=cost(1, items=60),
    )
    async def cards(self, info: Info) -> list[WorkshopsCard]:
        who = await viewer(info, self.row)
        rows = await _rows(info, Card, (Card.id,)).load(self.row.id)
        return [
            WorkshopsCard(row=r, me=who.participant, facilitator=who.facilitator)
            for r in rows
            if who.sees(r)
        ]

    @strawberry.field(
        description="The groups of round 3 with their selections (to participants and "
        "facilitators).",
        metadata=cost(1, items=5),
    )
    async def groups(self, info: Info) -> list[WorkshopsGroup]:
        who = await viewer(info, self.row)
        if not who.member:
            raise Forbidden("join the workshop (or be its facilitator) to see its groups")
        people = await _rows(info, Participant, (Participant.id,)).load(self.row.id)
        cards = {c.id: c for c in await _rows(info, Card, (Card.id,)).load(self.row.id)}
        chosen = await _rows(info, Selection, (Selection.group_number, Selection.rank)).load(
            self.row.id
        )
        numbers = sorted({p.group_number for p in people if p.group_number is not None})
        return [
            WorkshopsGroup(
                number=n,
                members=[WorkshopsParticipant(row=p) for p in people if p.group_number == n],
                selection=[
                    WorkshopsCard(
                        row=cards[s.card_id], me=who.participant, facilitator=who.facilitator
                    )
                    for s in chosen
                    if s.group_number == n
                ],
            )
            for n in numbers
        ]

    @strawberry.field(
        description="The workshop's challenges, from the conclusion on (public).",
        metadata=cost(1, items=20),
    )
    async def challenges(self, info: Info) -> list[WorkshopsChallenge]:
        rows = await _rows(info, Challenge, (Challenge.position, Challenge.id)).load(self.row.id)
        return [WorkshopsChallenge(row=r) for r in rows]

    @strawberry.field(
        description="Everything that happened, in order (facilitators only).",
        metadata=cost(1, items=100),
    )
    async def history(self, info: Info) -> list[WorkshopsHistoryEntry]:
        if not (await viewer(info, self.row)).facilitator:
            raise Forbidden(f"the history needs the {game.WORKSHOPS_FACILITATE.code} permission")
        rows = await _rows(info, HistoryEntry, (HistoryEntry.id,)).load(self.row.id)
        return [WorkshopsHistoryEntry(row=r) for r in rows]
