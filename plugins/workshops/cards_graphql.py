"""GraphQL of the challenge-card workshop: the workshop as each caller may see it, the
facilitator's and participants' actions (one transaction each, the workshop's row locked, a
history line, live messages), and the live subscription.

Who sees what: anyone sees a workshop's title, phase and timer, its inventory and (from the
conclusion on) its challenges. Participants see their own cards until the exchange round, then
every card of the workshop (without their authors); the facilitator sees everything, history
included. Participants appear by the alias they chose, never by their identity.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON
from strawberry.types import Info

from bocage.core.api import (
    Code,
    DomainEvent,
    Invalid,
    NotFound,
    TranslationsInput,
    cost,
    node_key,
    record_event,
    unit_of_work,
)
from bocage.plugins.workshops import game, live, store
from bocage.plugins.workshops.graphql import (
    WRITE_COST,
    Forbidden,
    WorkshopsError,
    _errors,
    _texts,
    gid,
)
from bocage.plugins.workshops.models import (
    Card,
    CardAxis,
    CardColour,
    CardWorkshop,
    Challenge,
    Event,
    HistoryEntry,
    InventoryEntry,
    Participant,
    Phase,
    Selection,
)

WorkshopsPhase = strawberry.enum(
    Phase,
    name="WorkshopsPhase",
    description="The phases of a challenge-card workshop, in order: SETUP, INVENTORY (what "
    "each commune already does), WRITING (round 1), EXCHANGE (round 2), SELECTION (round 3), "
    "CONCLUSION, CLOSED.",
)
WorkshopsCardColour = strawberry.enum(
    CardColour,
    name="WorkshopsCardColour",
    description="GREEN: collaboration & participation; BLUE: digital & technology.",
)
WorkshopsCardAxis = strawberry.enum(
    CardAxis,
    name="WorkshopsCardAxis",
    description="TERRITORY: sustainable development of the territory; COMMUNE_PRIORITY: a "
    "priority of the commune (its PST).",
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
    facilitator = not principal.is_anonymous and game.can(principal, game.WORKSHOPS_FACILITATE.code)
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


async def _record(session: Any, workshop: CardWorkshop, action: str, data: dict[str, Any]) -> None:
    """``workshop.<action>`` in the event log, in the action's transaction: for facilitators
    (a workshop's history names its participants)."""
    subject = str(gid("WorkshopsCardWorkshop", workshop.id))
    if action.startswith("phase_"):  # the history says phase_exchange...; one event type
        action = "phase_changed"
    await record_event(
        session,
        DomainEvent(type=f"workshop.{action}", subject=subject, data=data),
        permission=game.WORKSHOPS_FACILITATE.code,
    )


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

    @strawberry.field(description="Their commune (a Commune ID), if given.")
    def commune(self) -> strawberry.ID | None:
        return gid("Commune", self.row.commune_id)

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
    def colour(self) -> WorkshopsCardColour:  # type: ignore[valid-type]
        return CardColour(self.row.colour)

    @strawberry.field(description="The axis it addresses.")
    def axis(self) -> WorkshopsCardAxis:  # type: ignore[valid-type]
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

    @strawberry.field(description="The commune (a Commune ID).")
    def commune(self) -> strawberry.ID | None:
        return gid("Commune", self.row.commune_id)

    @strawberry.field(description="The core project it is linked to or became (a Project ID).")
    def project(self) -> strawberry.ID | None:
        return gid("Project", self.row.project_id)


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
    def colour(self) -> WorkshopsCardColour:  # type: ignore[valid-type]
        return CardColour(self.row.colour)

    @strawberry.field(description="The axis it addresses.")
    def axis(self) -> WorkshopsCardAxis:  # type: ignore[valid-type]
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

    @strawberry.field(description="The core project it was promoted to (a Project ID).")
    def project(self) -> strawberry.ID | None:
        return gid("Project", self.row.project_id)


@strawberry.type(name="WorkshopsHistoryEntry", description="One action in a workshop's life.")
class WorkshopsHistoryEntry:
    row: strawberry.Private[HistoryEntry]

    @strawberry.field(description="When.")
    def at(self) -> dt.datetime:
        return game.aware(self.row.at)  # type: ignore[return-value]

    @strawberry.field(description="The phase it happened in.")
    def phase(self) -> WorkshopsPhase:  # type: ignore[valid-type]
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
        return self.row.data


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
    phase: WorkshopsPhase  # type: ignore[valid-type]
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

    @strawberry.field(description="The title (French, or the first language given).")
    def title(self, info: Info) -> str:
        texts = self.row.title or {}
        return texts.get(info.context.language) or texts.get("fr") or next(iter(texts.values()))

    @strawberry.field(description="The event it takes place at (a WorkshopsEvent ID).")
    def event(self) -> strawberry.ID | None:
        return gid("WorkshopsEvent", self.row.event_id)

    @strawberry.field(description="The current phase.")
    def phase(self) -> WorkshopsPhase:  # type: ignore[valid-type]
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
        return max(0, int((ends - game.utcnow()).total_seconds()))

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


# -- queries ------------------------------------------------------------------------------------


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
            try:
                key = node_key(event, "WorkshopsEvent", "event")
            except Invalid as error:
                raise NotFound(error.message, field="event") from None
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
        try:
            key = node_key(project, "Project", "project")
        except Invalid as error:
            raise NotFound(error.message, field="project") from None
        rows = await info.context.execute(
            select(Challenge).where(Challenge.project_id == key).order_by(Challenge.id)
        )
        return [WorkshopsChallenge(row=r) for r in rows.scalars()]


# -- mutations ----------------------------------------------------------------------------------


@strawberry.type(
    name="WorkshopsCardWorkshopPayload",
    description="The workshop after the action (and what it made), or what went wrong.",
)
class WorkshopsCardWorkshopPayload:
    workshop: WorkshopsCardWorkshop | None
    errors: list[WorkshopsError]
    challenge: WorkshopsChallenge | None = strawberry.field(
        default=None, description="The challenge changed (merge, promotion)."
    )
    project: strawberry.ID | None = strawberry.field(
        default=None, description="The core project made (promotion), a Project ID."
    )
    participant: WorkshopsParticipant | None = strawberry.field(
        default=None, description="Your participation (join)."
    )


Action = Callable[[Any, CardWorkshop, game.Actor], Awaitable[game.Done]]


def _failed(errors: list[Invalid]) -> WorkshopsCardWorkshopPayload:
    return WorkshopsCardWorkshopPayload(workshop=None, errors=_errors(errors))


async def _workshop_of(session: Any, model: Any, raw: Any, type_name: str, field: str) -> int:
    row = await session.get(model, node_key(raw, type_name, field))
    if row is None:
        raise Invalid(Code.NOT_FOUND, f"no {type_name} with this ID", field)
    return int(row.workshop_id)


async def act(
    info: Info[Any, Any],
    locate: Callable[[Any], Awaitable[int]],
    action: Action,
) -> WorkshopsCardWorkshopPayload:
    """Run ``action`` for the caller in one transaction with the workshop locked; record it in
    the history; publish its live messages and domain events after the commit."""
    principal = info.context.principal
    if principal.is_anonymous:
        return _failed([Invalid(Code.UNAUTHENTICATED, "sign in: send a Bearer token")])
    try:
        async with unit_of_work(info) as work:
            session = work.session
            key = await locate(session)
            workshop = await game.lock(session, key)
            if workshop is None:
                raise Invalid(Code.NOT_FOUND, "no workshop with this ID", "workshop")
            who = await game.actor(session, principal, workshop)
            done = await action(session, workshop, who)
            game.record(session, workshop, who, done)
            workshop.updated_at = game.utcnow()
            await session.flush()
            await _record(session, workshop, done.action, done.data)
            pending = await live.stage(session, done.messages)
            work.after_commit(lambda: live.deliver(info.context.sessionmaker.kw["bind"], pending))
    except Invalid as error:
        return _failed([error])
    payload = WorkshopsCardWorkshopPayload(workshop=WorkshopsCardWorkshop(row=workshop), errors=[])
    if isinstance(done.row, Challenge):
        payload.challenge = WorkshopsChallenge(row=done.row)
    if isinstance(done.row, Participant):
        payload.participant = WorkshopsParticipant(row=done.row)
    if "project" in done.data:
        payload.project = gid("Project", done.data["project"])
    return payload


def by_workshop(raw: Any, field: str = "workshop") -> Callable[[Any], Awaitable[int]]:
    async def locate(session: Any) -> int:
        return node_key(raw, "WorkshopsCardWorkshop", field)

    return locate


async def _commune(session: Any, raw: Any, field: str) -> int | None:
    if raw is None:
        return None
    found = await store.commune_by_id(session, node_key(raw, "Commune", field))
    if found is None:
        raise Invalid(Code.NOT_FOUND, "no such commune", field)
    return int(found.id)


@strawberry.input(description="Minutes of each phase; omitted ones keep their value.")
class WorkshopsPhaseDurationsInput:
    inventory: int | None = None
    inventory_per_commune: int | None = None
    writing: int | None = None
    exchange: int | None = None
    selection: int | None = None
    conclusion: int | None = None


def _durations(value: WorkshopsPhaseDurationsInput | None, current: dict[str, int]) -> Any:
    merged = dict(current or {})
    for name in game.DURATIONS:
        minutes = getattr(value, name, None) if value is not None else None
        if minutes is not None:
            if not 0 <= minutes <= 240:
                raise Invalid(
                    Code.INVALID, f"durations.{name} must be 0 to 240 minutes", "durations"
                )
            merged[name] = minutes
    return merged


@strawberry.input(description="A new challenge-card workshop (in its SETUP phase).")
class CreateWorkshopsCardWorkshopInput:
    title: TranslationsInput
    event: strawberry.ID | None = strawberry.field(
        default=None, description="The event it takes place at (a WorkshopsEvent ID)."
    )
    durations: WorkshopsPhaseDurationsInput | None = strawberry.field(
        default=None,
        description="Minutes per phase; defaults: inventory 5 (+2 per commune), writing 10, "
        "exchange 5, selection 15, conclusion 10.",
    )
    max_cards: int = strawberry.field(default=5, description="Cards per participant (1-10).")
    cards_per_hand: int = strawberry.field(default=3, description="Cards dealt to each (1-6).")
    selection_size: int = strawberry.field(default=5, description="Selections per group (1-10).")


@strawberry.input(description="Change a workshop's settings (only before they are used).")
class UpdateWorkshopsCardWorkshopInput:
    workshop: strawberry.ID
    durations: WorkshopsPhaseDurationsInput | None = strawberry.field(
        default=None,
        description="Minutes per phase; changing the current phase's moves its end.",
    )
    max_cards: int | None = None
    cards_per_hand: int | None = None
    selection_size: int | None = None


@strawberry.input(description="Join a workshop as the signed-in person.")
class JoinWorkshopsCardWorkshopInput:
    workshop: strawberry.ID
    alias: str = strawberry.field(description="How to appear on screens: a first name...")
    commune: strawberry.ID | None = strawberry.field(default=None, description="A Commune ID.")


@strawberry.input(description="A participant without an account (their cards are on paper).")
class WorkshopsPaperParticipantInput:
    alias: str
    commune: strawberry.ID | None = None


@strawberry.input(description="Participants the facilitator types in.")
class AddWorkshopsParticipantsInput:
    workshop: strawberry.ID
    participants: list[WorkshopsPaperParticipantInput]


@strawberry.input(description="Move the workshop to its next phase.")
class AdvanceWorkshopsCardWorkshopInput:
    workshop: strawberry.ID
    to: WorkshopsPhase = strawberry.field(  # type: ignore[valid-type]
        description="The phase to move to: the next one (a double click does not skip one)."
    )


@strawberry.input(description="An existing smart action of a commune.")
class AddWorkshopsInventoryEntryInput:
    workshop: strawberry.ID
    text: str
    commune: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the participant's commune."
    )


@strawberry.input(description="Link an inventory entry to a core project, or turn it into one.")
class LinkWorkshopsInventoryEntryInput:
    entry: strawberry.ID
    project: strawberry.ID | None = strawberry.field(
        default=None, description="An existing Project; omit it to create one."
    )
    status: str | None = strawberry.field(
        default=None, description="For a new project: done or in_progress."
    )
    focus: WorkshopsCardColour | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="For a new project: GREEN or BLUE."
    )


@strawberry.input(description="A challenge card you write (round 1).")
class WriteWorkshopsCardInput:
    workshop: strawberry.ID
    colour: WorkshopsCardColour  # type: ignore[valid-type]
    axis: WorkshopsCardAxis  # type: ignore[valid-type]
    text: str


@strawberry.input(description="A paper card typed in by the facilitator.")
class WorkshopsPaperCardInput:
    participant: strawberry.ID = strawberry.field(description="Its author.")
    colour: WorkshopsCardColour  # type: ignore[valid-type]
    axis: WorkshopsCardAxis  # type: ignore[valid-type]
    text: str


@strawberry.input(description="Paper cards, typed in by the facilitator in bulk (round 1).")
class AddWorkshopsPaperCardsInput:
    workshop: strawberry.ID
    cards: list[WorkshopsPaperCardInput]


@strawberry.input(description="Swap a card you hold for one on the table (round 2).")
class SwapWorkshopsCardInput:
    give: strawberry.ID = strawberry.field(description="A card you hold.")
    take: strawberry.ID = strawberry.field(description="A card on the table, not yours.")


@strawberry.input(description="Form the groups of round 3: explicit lists, or a count.")
class AssignWorkshopsGroupsInput:
    workshop: strawberry.ID
    groups: list[list[strawberry.ID]] | None = strawberry.field(
        default=None, description="Participant IDs per group."
    )
    count: int | None = strawberry.field(
        default=None, description="Or: this many groups, mixing communes."
    )


@strawberry.input(description="A group's ranked selection of challenges (round 3).")
class SelectWorkshopsChallengesInput:
    workshop: strawberry.ID
    cards: list[strawberry.ID] = strawberry.field(
        description="Cards held by the group's members, best first; replaces the selection."
    )
    group: int | None = strawberry.field(
        default=None, description="Default: your group; facilitators name one."
    )


@strawberry.input(description="De-duplicate: merge challenges into one (conclusion).")
class MergeWorkshopsChallengesInput:
    into: strawberry.ID
    others: list[strawberry.ID]
    text: str | None = strawberry.field(default=None, description="A new wording, if wanted.")


@strawberry.input(description="Make a core project (status idea) of a challenge.")
class PromoteWorkshopsChallengeInput:
    challenge: strawberry.ID
    communes: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Default: the communes of the cards' authors."
    )
    title: TranslationsInput | None = strawberry.field(
        default=None, description="Default: the challenge's text."
    )


def _bounded(value: int | None, name: str, low: int, high: int) -> int | None:
    if value is not None and not low <= value <= high:
        raise Invalid(Code.INVALID, f"{name} must be {low} to {high}", name)
    return value


@strawberry.type
class CardWorkshopMutation:
    @strawberry.mutation(
        description="Create a challenge-card workshop (permission workshops:facilitate).",
        metadata=cost(WRITE_COST),
    )
    async def create_workshops_card_workshop(
        self, info: Info, input: CreateWorkshopsCardWorkshopInput
    ) -> WorkshopsCardWorkshopPayload:
        principal = info.context.principal
        if principal.is_anonymous:
            return _failed([Invalid(Code.UNAUTHENTICATED, "sign in: send a Bearer token")])
        if not game.can(principal, game.WORKSHOPS_FACILITATE.code):
            return _failed(
                [Invalid(Code.FORBIDDEN, f"this needs {game.WORKSHOPS_FACILITATE.code}")]
            )
        try:
            async with unit_of_work(info) as work:
                session = work.session
                event_id = None
                if input.event is not None:
                    event_id = node_key(input.event, "WorkshopsEvent", "event")
                    event = await session.get(Event, event_id)
                    if event is None or event.deleted_at is not None:
                        raise Invalid(Code.NOT_FOUND, "no such event", "event")
                workshop = CardWorkshop(
                    title=_texts(input.title, "title", required=True, limit=300),
                    event_id=event_id,
                    phase=Phase.SETUP.value,
                    durations=_durations(input.durations, game.DURATIONS),
                    max_cards=_bounded(input.max_cards, "maxCards", 1, 10),
                    cards_per_hand=_bounded(input.cards_per_hand, "cardsPerHand", 1, 6),
                    selection_size=_bounded(input.selection_size, "selectionSize", 1, 10),
                    facilitator_subject=principal.subject,
                )
                session.add(workshop)
                await session.flush()
                who = game.Actor(principal, True, None)
                game.record(session, workshop, who, game.Done("created", {}))
                await _record(session, workshop, "created", {})
        except Invalid as error:
            return _failed([error])
        return WorkshopsCardWorkshopPayload(workshop=WorkshopsCardWorkshop(row=workshop), errors=[])

    @strawberry.mutation(
        description="Change a workshop's durations and limits (facilitators). Limits can only "
        "change before the phase that uses them.",
        metadata=cost(WRITE_COST),
    )
    async def update_workshops_card_workshop(
        self, info: Info, input: UpdateWorkshopsCardWorkshopInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            who.need_facilitator()
            phase = PHASE_INDEX[workshop.phase]
            changes: dict[str, Any] = {}
            for name, field, until, low, high in (
                ("max_cards", "maxCards", Phase.WRITING, 1, 10),
                ("cards_per_hand", "cardsPerHand", Phase.EXCHANGE, 1, 6),
                ("selection_size", "selectionSize", Phase.SELECTION, 1, 10),
            ):
                value = _bounded(getattr(input, name), field, low, high)
                if value is None:
                    continue
                if phase >= PHASE_INDEX[until.value]:
                    raise game.refuse(
                        game.Refusal.WRONG_PHASE,
                        f"{field} can only change before the {until.value} phase",
                        field,
                    )
                setattr(workshop, name, value)
                changes[name] = value
            if input.durations is not None:
                workshop.durations = _durations(input.durations, workshop.durations)
                changes["durations"] = workshop.durations
                current = Phase(workshop.phase)
                started = game.aware(workshop.phase_started_at)
                if started is not None:
                    communes = len(
                        {
                            c
                            for c in (
                                await session.execute(
                                    select(Participant.commune_id).where(
                                        Participant.workshop_id == workshop.id
                                    )
                                )
                            ).scalars()
                            if c is not None
                        }
                    )
                    length = game.minutes(workshop, current, communes)
                    workshop.phase_ends_at = (
                        started + dt.timedelta(minutes=length) if length else None
                    )
            done = game.Done("settings_changed", changes, row=workshop)
            return done.live(workshop, "settings_changed", **game.time_box(workshop))

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="Join a workshop as the signed-in person (setup, inventory or writing).",
        metadata=cost(WRITE_COST),
    )
    async def join_workshops_card_workshop(
        self, info: Info, input: JoinWorkshopsCardWorkshopInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            commune = await _commune(session, input.commune, "commune")
            return await game.join(session, workshop, who, input.alias, commune)

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="Type in participants without an account (facilitators).",
        metadata=cost(WRITE_COST),
    )
    async def add_workshops_participants(
        self, info: Info, input: AddWorkshopsParticipantsInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            people = [
                (p.alias, await _commune(session, p.commune, f"participants[{i}].commune"))
                for i, p in enumerate(input.participants)
            ]
            return await game.add_paper_participants(session, workshop, who, people)

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="Move to the next phase (facilitators): entering EXCHANGE deals the cards, "
        "entering CONCLUSION merges the groups' selections into challenges.",
        metadata=cost(WRITE_COST),
    )
    async def advance_workshops_card_workshop(
        self, info: Info, input: AdvanceWorkshopsCardWorkshopInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            return await game.advance(session, workshop, who, Phase(input.to.value))

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="List an existing smart action of your commune (inventory phase).",
        metadata=cost(WRITE_COST),
    )
    async def add_workshops_inventory_entry(
        self, info: Info, input: AddWorkshopsInventoryEntryInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            commune = await _commune(session, input.commune, "commune")
            return await game.add_inventory(session, workshop, who, input.text, commune)

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="Link an inventory entry to a core project, or turn it into a new project "
        "(status done or in_progress; facilitators, with projects:write to create one).",
        metadata=cost(WRITE_COST),
    )
    async def link_workshops_inventory_entry(
        self, info: Info, input: LinkWorkshopsInventoryEntryInput
    ) -> WorkshopsCardWorkshopPayload:
        async def locate(session: Any) -> int:
            return await _workshop_of(
                session, InventoryEntry, input.entry, "WorkshopsInventoryEntry", "entry"
            )

        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            entry = await session.get(
                InventoryEntry, node_key(input.entry, "WorkshopsInventoryEntry", "entry")
            )
            project_id = None
            if input.project is not None:
                project_id = node_key(input.project, "Project", "project")
                if not await store.project_exists(session, project_id):
                    raise Invalid(Code.NOT_FOUND, "no such project", "project")
            elif input.status not in ("done", "in_progress"):
                raise Invalid(
                    Code.REQUIRED, "give a project, or a status (done or in_progress)", "status"
                )
            elif input.focus is None:
                raise Invalid(
                    Code.REQUIRED, "give the new project's focus (GREEN or BLUE)", "focus"
                )
            return await game.entry_project(
                session,
                workshop,
                who,
                entry,
                project_id=project_id,
                status=input.status,
                focus=game.FOCUS[input.focus.value] if input.focus is not None else None,
            )

        return await act(info, locate, action)

    @strawberry.mutation(
        description="Write a challenge card (round 1; at most maxCards each).",
        metadata=cost(WRITE_COST),
    )
    async def write_workshops_card(
        self, info: Info, input: WriteWorkshopsCardInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            me = who.need_participant()
            return await game.write_cards(
                session,
                workshop,
                who,
                [(me, CardColour(input.colour.value), CardAxis(input.axis.value), input.text)],
                paper=False,
            )

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="Type in paper cards in bulk (facilitators; round 1; at most maxCards per "
        "participant). All or nothing.",
        metadata=cost(WRITE_COST),
    )
    async def add_workshops_paper_cards(
        self, info: Info, input: AddWorkshopsPaperCardsInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            cards = []
            for index, card in enumerate(input.cards):
                field = f"cards[{index}].participant"
                author = await session.get(
                    Participant, node_key(card.participant, "WorkshopsParticipant", field)
                )
                if author is None or author.workshop_id != workshop.id:
                    raise Invalid(Code.NOT_FOUND, "no such participant in this workshop", field)
                cards.append(
                    (author, CardColour(card.colour.value), CardAxis(card.axis.value), card.text)
                )
            return await game.write_cards(session, workshop, who, cards, paper=True)

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="Swap a card you hold for one on the table (round 2).",
        metadata=cost(WRITE_COST),
    )
    async def swap_workshops_card(
        self, info: Info, input: SwapWorkshopsCardInput
    ) -> WorkshopsCardWorkshopPayload:
        async def locate(session: Any) -> int:
            return await _workshop_of(session, Card, input.give, "WorkshopsCard", "give")

        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            give = await session.get(Card, node_key(input.give, "WorkshopsCard", "give"))
            take = await session.get(Card, node_key(input.take, "WorkshopsCard", "take"))
            if take is None:
                raise Invalid(Code.NOT_FOUND, "no such card", "take")
            return await game.swap(session, workshop, who, give, take)

        return await act(info, locate, action)

    @strawberry.mutation(
        description="Form the groups of round 3 (facilitators; until a group has selected).",
        metadata=cost(WRITE_COST),
    )
    async def assign_workshops_groups(
        self, info: Info, input: AssignWorkshopsGroupsInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            if (input.groups is None) == (input.count is None):
                raise Invalid(Code.REQUIRED, "give either groups or count", "groups")
            groups = None
            if input.groups is not None:
                groups = [
                    [node_key(p, "WorkshopsParticipant", "groups") for p in group]
                    for group in input.groups
                ]
            return await game.assign_groups(session, workshop, who, groups, input.count or 0)

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="Set your group's ranked selection (round 3; at most selectionSize cards "
        "held by the group's members).",
        metadata=cost(WRITE_COST),
    )
    async def select_workshops_challenges(
        self, info: Info, input: SelectWorkshopsChallengesInput
    ) -> WorkshopsCardWorkshopPayload:
        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            cards = []
            for index, raw in enumerate(input.cards):
                card = await session.get(Card, node_key(raw, "WorkshopsCard", f"cards[{index}]"))
                if card is None:
                    raise Invalid(Code.NOT_FOUND, f"cards[{index}] does not exist", "cards")
                cards.append(card)
            return await game.select_challenges(session, workshop, who, input.group, cards)

        return await act(info, by_workshop(input.workshop), action)

    @strawberry.mutation(
        description="Merge duplicate challenges into one (facilitators; conclusion).",
        metadata=cost(WRITE_COST),
    )
    async def merge_workshops_challenges(
        self, info: Info, input: MergeWorkshopsChallengesInput
    ) -> WorkshopsCardWorkshopPayload:
        async def locate(session: Any) -> int:
            return await _workshop_of(session, Challenge, input.into, "WorkshopsChallenge", "into")

        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            into = await session.get(Challenge, node_key(input.into, "WorkshopsChallenge", "into"))
            others = []
            for raw in input.others:
                other = await session.get(Challenge, node_key(raw, "WorkshopsChallenge", "others"))
                if other is None:
                    raise Invalid(Code.NOT_FOUND, "no such challenge", "others")
                others.append(other)
            return await game.merge(session, workshop, who, into, others, input.text)

        return await act(info, locate, action)

    @strawberry.mutation(
        description="Promote a challenge to a core project, status idea, linked to the workshop "
        "and its cards (facilitators with projects:write; conclusion or closed).",
        metadata=cost(WRITE_COST),
    )
    async def promote_workshops_challenge(
        self, info: Info, input: PromoteWorkshopsChallengeInput
    ) -> WorkshopsCardWorkshopPayload:
        async def locate(session: Any) -> int:
            return await _workshop_of(
                session, Challenge, input.challenge, "WorkshopsChallenge", "challenge"
            )

        async def action(session: Any, workshop: CardWorkshop, who: game.Actor) -> game.Done:
            challenge = await session.get(
                Challenge, node_key(input.challenge, "WorkshopsChallenge", "challenge")
            )
            event = await session.get(Event, workshop.event_id) if workshop.event_id else None
            title = _texts(input.title, "title", required=False, limit=300) or None
            return await game.promote(
                session,
                workshop,
                who,
                challenge,
                [str(c) for c in input.communes] if input.communes else None,
                title,
                event.commune_id if event is not None else None,
            )

        return await act(info, locate, action)


# -- live ---------------------------------------------------------------------------------------


@strawberry.type(name="WorkshopsLiveCard", description="A card, as a live event carries it.")
class WorkshopsLiveCard:
    id: strawberry.ID
    colour: WorkshopsCardColour  # type: ignore[valid-type]
    axis: WorkshopsCardAxis  # type: ignore[valid-type]
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
    phase: WorkshopsPhase  # type: ignore[valid-type]
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
    project: strawberry.ID | None = strawberry.field(default=None)
    text: str | None = strawberry.field(default=None, description="An inventory entry's text.")


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
            if await session.get(CardWorkshop, key) is None:
                raise NotFound("no workshop with this ID", field="workshop")
        principal = info.context.principal
        facilitator = not principal.is_anonymous and game.can(
            principal, game.WORKSHOPS_FACILITATE.code
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
