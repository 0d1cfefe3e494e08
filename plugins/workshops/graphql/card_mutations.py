"""The challenge-card workshop's mutations: the facilitator's and participants' actions,
one transaction each, the workshop's row locked, a history line, live messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core.api import (
    Code,
    DomainEvent,
    Invalid,
    ProjectType,
    check_version,
    cost,
    input_texts,
    load_one,
    node_key,
    record_event,
    territory_of_new_row,
    unit_of_work,
    utcnow,
)
from bocage.plugins.workshops import game, live, store
from bocage.plugins.workshops.graphql.card_inputs import (
    AddWorkshopsInventoryEntryInput,
    AddWorkshopsPaperCardsInput,
    AddWorkshopsParticipantsInput,
    AdvanceWorkshopsCardWorkshopInput,
    AssignWorkshopsGroupsInput,
    CreateWorkshopsCardWorkshopInput,
    JoinWorkshopsCardWorkshopInput,
    LinkWorkshopsInventoryEntryInput,
    MergeWorkshopsChallengesInput,
    PromoteWorkshopsChallengeInput,
    SelectWorkshopsChallengesInput,
    SwapWorkshopsCardInput,
    UpdateWorkshopsCardWorkshopInput,
    WorkshopsPhaseDurationsInput,
    WriteWorkshopsCardInput,
)
from bocage.plugins.workshops.graphql.cards import (
    PHASE_INDEX,
    WorkshopsCardWorkshop,
    WorkshopsChallenge,
    WorkshopsParticipant,
)
from bocage.plugins.workshops.graphql.common import (
    WRITE_COST,
    WorkshopsError,
    error_list,
    gid,
    moved,
)
from bocage.plugins.workshops.models import (
    Card,
    CardAxis,
    CardColour,
    CardWorkshop,
    Challenge,
    Event,
    InventoryEntry,
    Participant,
    Phase,
)

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
        default=None,
        description="The core project made (promotion), a Project ID.",
        deprecation_reason=moved("createdProject"),
    )
    participant: WorkshopsParticipant | None = strawberry.field(
        default=None, description="Your participation (join)."
    )
    project_key: strawberry.Private[int | None] = None

    @strawberry.field(description="The core project made (promotion).", metadata=cost(1))
    async def created_project(self, info: Info) -> ProjectType | None:
        return await load_one(info, ProjectType, self.project_key)


Action = Callable[[Any, CardWorkshop, game.Actor], Awaitable[game.Done]]


def _failed(errors: list[Invalid]) -> WorkshopsCardWorkshopPayload:
    return WorkshopsCardWorkshopPayload(workshop=None, errors=error_list(errors))


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
            workshop.updated_at = utcnow()
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
        payload.project_key = done.data["project"]
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


async def _held_at(
    session: Any, principal: Any, input: CreateWorkshopsCardWorkshopInput
) -> tuple[int | None, int | None]:
    """The event and territory of a new workshop: the event's territory when it is held at
    one (not another GAL's), else the territory given, or the caller's only one, or the
    installation's only one (``territory_of_new_row``; docs/tenancy.md)."""
    if input.event is not None:
        event_id = node_key(input.event, "WorkshopsEvent", "event")
        event = await session.get(Event, event_id)
        if event is None or event.deleted_at is not None:
            raise Invalid(Code.NOT_FOUND, "no such event", "event")
        if not await store.facilitates_at(session.execute, principal, event_id):
            raise Invalid(
                Code.FORBIDDEN, "this event is another GAL's: hold it at one of yours", "event"
            )
        if input.territory is not None and (
            node_key(input.territory, "Territory", "territory") != event.territory_id
        ):
            raise Invalid(
                Code.INVALID,
                "a workshop at an event belongs to the event's territory: leave `territory` out",
                "territory",
            )
        return event_id, event.territory_id
    given = None
    if input.territory is not None:
        given = node_key(input.territory, "Territory", "territory")
        if not await store.territory_exists(session, given):
            raise Invalid(Code.NOT_FOUND, f"no territory {input.territory!r}", "territory")
    chosen = territory_of_new_row(principal, given)
    return None, chosen if chosen is not None else await store.only_territory(session)


async def _moved_to(session: Any, workshop: CardWorkshop, who: game.Actor, raw: Any) -> int:
    """The territory a workshop held without an event is given to: one of the caller's."""
    if workshop.event_id is not None:
        raise Invalid(
            Code.INVALID,
            "a workshop at an event belongs to the event's territory: move the event instead",
            "territory",
        )
    key = node_key(raw, "Territory", "territory")
    if not await store.territory_exists(session, key):
        raise Invalid(Code.NOT_FOUND, f"no territory {raw!r}", "territory")
    territory_of_new_row(who.principal, key)  # FORBIDDEN: not one of the caller's
    return key


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
                event_id, territory_id = await _held_at(session, principal, input)
                workshop = CardWorkshop(
                    title=input_texts(input.title, "title", required=True, max_length=300),
                    event_id=event_id,
                    territory_id=territory_id,
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
            check_version(workshop, input.version)
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
            if input.territory is not None:
                workshop.territory_id = await _moved_to(session, workshop, who, input.territory)
                changes["territory"] = str(input.territory)
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
            title = input_texts(input.title, "title", required=False, max_length=300) or None
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
        scope=store.workshop_scope(workshop),
    )
