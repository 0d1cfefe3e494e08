"""The rules of the challenge-card workshop: phases, who may act in which, and what each action
changes. GraphQL (``graphql.card_mutations``) calls these inside one transaction per action,
with the workshop's row locked, so two participants writing at once never pass a limit together.

Every refusal is an :class:`~bocage.core.api.Invalid` with a code of :class:`Refusal` (or the
core's codes) and a message saying what to do.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update

from bocage.core.api import Code, Invalid, Principal, as_utc, can, create_project, global_id, utcnow
from bocage.plugins.workshops import deal as dealing
from bocage.plugins.workshops import store
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
from bocage.plugins.workshops.permissions import WORKSHOPS_FACILITATE

ORDER = list(Phase)

#: Default minutes of each phase (the GAL's format); ``inventory_per_commune`` is added to the
#: inventory for each commune present (each shares for 2 minutes).
DURATIONS: dict[str, int] = {
    "inventory": 5,
    "inventory_per_commune": 2,
    "writing": 10,
    "exchange": 5,
    "selection": 15,
    "conclusion": 10,
}
MAX_TEXT = 300


class Refusal(enum.Enum):
    """Codes of the workshop's own refusals, beyond the core's (``Code``)."""

    WRONG_PHASE = "wrong_phase"
    NOT_PARTICIPANT = "not_participant"
    LIMIT_REACHED = "limit_reached"
    OWN_CARD = "own_card"
    NOT_HELD = "not_held"


def refuse(code: Refusal | Code, message: str, field: str | None = None) -> Invalid:
    error = Invalid(Code.INVALID, message, field)
    error.code = code  # type: ignore[assignment]  # mapped to WorkshopsErrorCode by name
    return error


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back: they are UTC."""
    return None if value is None else as_utc(value)


def require_phase(workshop: CardWorkshop, *phases: Phase, doing: str) -> None:
    if workshop.phase not in {p.value for p in phases}:
        allowed = " or ".join(p.value for p in phases)
        raise refuse(
            Refusal.WRONG_PHASE,
            f"{doing} is possible in the {allowed} phase only; the workshop is in {workshop.phase}",
            "workshop",
        )


def next_phase(phase: Phase) -> Phase | None:
    index = ORDER.index(phase)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def minutes(workshop: CardWorkshop, phase: Phase, communes: int) -> int | None:
    durations = {**DURATIONS, **(workshop.durations or {})}
    if phase == Phase.INVENTORY:
        return durations["inventory"] + durations["inventory_per_commune"] * communes
    return durations.get(phase.value)


# -- who is acting ------------------------------------------------------------------------------


@dataclass
class Actor:
    """The caller, as the workshop sees them."""

    principal: Principal
    facilitator: bool
    participant: Participant | None

    def need_participant(self) -> Participant:
        if self.participant is None:
            raise refuse(
                Refusal.NOT_PARTICIPANT,
                "join the workshop first (joinWorkshopsCardWorkshop)",
                "workshop",
            )
        return self.participant

    def need_facilitator(self) -> None:
        if not self.facilitator:
            raise Invalid(
                Code.FORBIDDEN,
                f"only a facilitator may do this (permission {WORKSHOPS_FACILITATE.code})",
                "workshop",
            )


async def actor(session: Any, principal: Principal, workshop: CardWorkshop) -> Actor:
    participant = None
    if not principal.is_anonymous and principal.subject:
        participant = (
            await session.execute(
                select(Participant).where(
                    Participant.workshop_id == workshop.id,
                    Participant.person_subject == principal.subject,
                )
            )
        ).scalar_one_or_none()
    facilitator = (
        not principal.is_anonymous
        and can(principal, WORKSHOPS_FACILITATE.code)
        and store.runs_workshop(principal, workshop)
    )
    return Actor(principal, facilitator, participant)


async def lock(session: Any, workshop_id: int) -> CardWorkshop | None:
    """The workshop, locked until the transaction ends (see ``store.lock_event``)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        statement = select(CardWorkshop).where(CardWorkshop.id == workshop_id).with_for_update()
        return (await session.execute(statement)).scalar_one_or_none()
    await session.execute(
        update(CardWorkshop)
        .where(CardWorkshop.id == workshop_id)
        .values(id=CardWorkshop.id)
        .execution_options(synchronize_session=False)
    )
    return await session.get(CardWorkshop, workshop_id, populate_existing=True)


# -- what an action did -------------------------------------------------------------------------


@dataclass
class Done:
    """What an action changed: the history line and the live messages."""

    action: str
    data: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    row: Any = None

    def live(self, workshop: CardWorkshop, type_: str, **values: Any) -> Done:
        self.messages.append(
            {"type": type_, "workshop": workshop.id, "phase": workshop.phase, **values}
        )
        return self


def record(session: Any, workshop: CardWorkshop, who: Actor, done: Done) -> None:
    session.add(
        HistoryEntry(
            workshop_id=workshop.id,
            at=utcnow(),
            phase=workshop.phase,
            action=done.action,
            by_facilitator=who.facilitator and who.participant is None,
            participant_id=who.participant.id if who.participant else None,
            data=done.data,
        )
    )


def card_message(card: Card, author: Participant | None) -> dict[str, Any]:
    return {
        "id": card.id,
        "colour": card.colour,
        "axis": card.axis,
        "text": card.text,
        "author": card.author_id,
        # Only for filtering who may see it before the exchange; never sent to clients.
        "author_subject": author.person_subject if author else None,
    }


# -- participants and inventory -----------------------------------------------------------------


def clean_text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise Invalid(Code.REQUIRED, f"{field} cannot be empty", field)
    if len(text) > limit:
        raise Invalid(Code.INVALID, f"{field} is {len(text)} characters; at most {limit}", field)
    return text


async def join(
    session: Any, workshop: CardWorkshop, who: Actor, alias: str, commune_id: int | None
) -> Done:
    require_phase(
        workshop, Phase.SETUP, Phase.INVENTORY, Phase.WRITING, doing="joining the workshop"
    )
    if who.principal.is_anonymous or not who.principal.subject:
        raise Invalid(Code.UNAUTHENTICATED, "sign in to join a workshop")
    if who.participant is not None:
        raise Invalid(Code.DUPLICATE, "you already joined this workshop", "workshop")
    participant = Participant(
        workshop_id=workshop.id,
        person_subject=who.principal.subject,
        alias=clean_text(alias, "alias", 60),
        commune_id=commune_id,
    )
    session.add(participant)
    await session.flush()
    who.participant = participant
    done = Done("joined", {"participant": participant.id}, row=participant)
    return done.live(workshop, "participant_joined", participant=participant.id)


async def add_paper_participants(
    session: Any, workshop: CardWorkshop, who: Actor, people: list[tuple[str, int | None]]
) -> Done:
    who.need_facilitator()
    require_phase(
        workshop, Phase.SETUP, Phase.INVENTORY, Phase.WRITING, doing="adding participants"
    )
    if not people:
        raise Invalid(Code.REQUIRED, "give at least one participant", "participants")
    added = []
    for index, (alias, commune_id) in enumerate(people):
        row = Participant(
            workshop_id=workshop.id,
            alias=clean_text(alias, f"participants[{index}].alias", 60),
            commune_id=commune_id,
        )
        session.add(row)
        added.append(row)
    await session.flush()
    done = Done("participants_added", {"participants": [p.id for p in added]})
    for row in added:
        done.live(workshop, "participant_joined", participant=row.id)
    return done


async def add_inventory(
    session: Any, workshop: CardWorkshop, who: Actor, text: str, commune_id: int | None
) -> Done:
    require_phase(workshop, Phase.INVENTORY, doing="listing existing actions")
    if not who.facilitator:
        who.need_participant()
    if commune_id is None and who.participant is not None:
        commune_id = who.participant.commune_id
    entry = InventoryEntry(
        workshop_id=workshop.id,
        participant_id=who.participant.id if who.participant else None,
        commune_id=commune_id,
        text=clean_text(text, "text", 500),
    )
    session.add(entry)
    await session.flush()
    done = Done("inventory_added", {"entry": entry.id}, row=entry)
    return done.live(workshop, "inventory_added", entry=entry.id, text=entry.text)


# -- phases ------------------------------------------------------------------------------------


async def advance(session: Any, workshop: CardWorkshop, who: Actor, to: Phase) -> Done:
    """Move to the next phase, doing what the transition entails (deal, merge)."""
    who.need_facilitator()
    current = Phase(workshop.phase)
    expected = next_phase(current)
    if to != expected:
        after = f"the next one is {expected.value}" if expected else "it is over"
        raise refuse(
            Refusal.WRONG_PHASE,
            f"the workshop is in {current.value}: {after}; phases cannot be skipped or revisited",
            "to",
        )
    people = list(
        (
            await session.execute(
                select(Participant)
                .where(Participant.workshop_id == workshop.id)
                .order_by(Participant.id)
            )
        ).scalars()
    )
    data: dict[str, Any] = {"from": current.value, "to": to.value}
    if to == Phase.WRITING and len(people) < 2:
        raise refuse(
            Refusal.LIMIT_REACHED, "at least 2 participants are needed to write and exchange"
        )
    if to == Phase.EXCHANGE:
        data["dealt"] = await _deal(session, workshop, people)
    if to == Phase.SELECTION:
        ungrouped = [p.id for p in people if p.group_number is None]
        if ungrouped:
            raise Invalid(
                Code.REQUIRED,
                f"{len(ungrouped)} participants have no group: assign groups first "
                "(assignWorkshopsGroups)",
                "workshop",
            )
    if to == Phase.CONCLUSION:
        data["challenges"] = await _merge_selections(session, workshop)
    workshop.phase = to.value
    now = utcnow()
    workshop.phase_started_at = now
    communes = len({p.commune_id for p in people if p.commune_id is not None})
    length = minutes(workshop, to, communes)
    workshop.phase_ends_at = now + dt.timedelta(minutes=length) if length else None
    done = Done(f"phase_{to.value}", data, row=workshop)
    return done.live(workshop, "phase_changed", **time_box(workshop))


def time_box(workshop: CardWorkshop) -> dict[str, Any]:
    """The current phase's time box, for live messages (ISO strings, minutes)."""
    started, ends = aware(workshop.phase_started_at), aware(workshop.phase_ends_at)
    minutes = round((ends - started).total_seconds() / 60) if started and ends else None
    return {
        "phase_started_at": started.isoformat() if started else None,
        "phase_ends_at": ends.isoformat() if ends else None,
        "phase_minutes": minutes,
    }


async def _deal(session: Any, workshop: CardWorkshop, people: list[Participant]) -> int:
    cards = list(
        (await session.execute(select(Card).where(Card.workshop_id == workshop.id))).scalars()
    )
    hands = dealing.deal(
        {c.id: c.author_id for c in cards},
        [p.id for p in people],
        workshop.cards_per_hand,
        random.Random(workshop.id),
    )
    for card in cards:
        card.holder_id = hands.get(card.id)  # None: on the table
    await session.flush()
    return len(hands)


async def _merge_selections(session: Any, workshop: CardWorkshop) -> int:
    rows = (
        await session.execute(
            select(Selection, Card)
            .join(Card, Card.id == Selection.card_id)
            .where(Selection.workshop_id == workshop.id)
            .order_by(Selection.rank, Selection.group_number)
        )
    ).all()
    if not rows:
        raise Invalid(
            Code.REQUIRED,
            "no group selected any challenge: groups select theirs first "
            "(selectWorkshopsChallenges)",
            "workshop",
        )
    await session.execute(delete(Challenge).where(Challenge.workshop_id == workshop.id))
    for position, (selection, card) in enumerate(rows, start=1):
        session.add(
            Challenge(
                workshop_id=workshop.id,
                text=card.text,
                colour=card.colour,
                axis=card.axis,
                position=position,
                card_ids=[card.id],
                groups=[selection.group_number],
            )
        )
    await session.flush()
    return len(rows)


# -- round 1: writing ---------------------------------------------------------------------------


async def _cards_of(session: Any, participant_id: int) -> int:
    found = await session.execute(
        select(func.count()).select_from(Card).where(Card.author_id == participant_id)
    )
    return int(found.scalar_one())


async def write_cards(
    session: Any,
    workshop: CardWorkshop,
    who: Actor,
    cards: list[tuple[Participant, CardColour, CardAxis, str]],
    paper: bool,
) -> Done:
    require_phase(workshop, Phase.WRITING, doing="writing cards")
    if paper:
        who.need_facilitator()
    else:
        who.need_participant()
    if not cards:
        raise Invalid(Code.REQUIRED, "give at least one card", "cards")
    written: dict[int, int] = defaultdict(int)
    rows = []
    for index, (author, colour, axis, text) in enumerate(cards):
        field = f"cards[{index}]" if paper else "text"
        if author.workshop_id != workshop.id:
            raise Invalid(Code.NOT_FOUND, "no such participant in this workshop", field)
        if author.id not in written:
            written[author.id] = await _cards_of(session, author.id)
        if written[author.id] >= workshop.max_cards:
            raise refuse(
                Refusal.LIMIT_REACHED,
                f"{'this participant has' if paper else 'you have'} already written "
                f"{workshop.max_cards} cards, the most allowed",
                field,
            )
        written[author.id] += 1
        row = Card(
            workshop_id=workshop.id,
            author_id=author.id,
            colour=colour.value,
            axis=axis.value,
            text=clean_text(text, f"{field}.text" if paper else "text"),
            from_paper=paper,
        )
        session.add(row)
        rows.append((row, author))
    await session.flush()
    done = Done("cards_written", {"cards": [r.id for r, _ in rows], "paper": paper})
    done.row = rows[0][0]
    for row, author in rows:
        done.live(workshop, "card_written", card=card_message(row, author))
    return done


# -- round 2: exchange --------------------------------------------------------------------------


async def swap(session: Any, workshop: CardWorkshop, who: Actor, give: Card, take: Card) -> Done:
    require_phase(workshop, Phase.EXCHANGE, doing="swapping cards")
    me = who.need_participant()
    if give.workshop_id != workshop.id or take.workshop_id != workshop.id:
        raise Invalid(Code.NOT_FOUND, "both cards must belong to this workshop", "take")
    if give.holder_id != me.id:
        raise refuse(Refusal.NOT_HELD, "you do not hold the card you give", "give")
    if take.holder_id is not None:
        raise refuse(Refusal.NOT_HELD, "the card you take is not on the table", "take")
    if take.author_id == me.id:
        raise refuse(Refusal.OWN_CARD, "you cannot take back a card you wrote", "take")
    give.holder_id = None
    take.holder_id = me.id
    await session.flush()
    done = Done("card_swapped", {"gave": give.id, "took": take.id}, row=take)
    return done.live(
        workshop,
        "card_swapped",
        participant=me.id,
        gave=card_message(give, None),
        took=take.id,
    )


# -- round 3: groups and selection --------------------------------------------------------------


async def assign_groups(
    session: Any, workshop: CardWorkshop, who: Actor, groups: list[list[int]] | None, count: int
) -> Done:
    who.need_facilitator()
    require_phase(
        workshop,
        Phase.SETUP,
        Phase.INVENTORY,
        Phase.WRITING,
        Phase.EXCHANGE,
        Phase.SELECTION,
        doing="forming groups",
    )
    chosen = (
        await session.execute(
            select(func.count()).select_from(Selection).where(Selection.workshop_id == workshop.id)
        )
    ).scalar_one()
    if chosen:
        raise refuse(
            Refusal.WRONG_PHASE, "groups have started selecting: they can no longer change"
        )
    people = list(
        (
            await session.execute(
                select(Participant)
                .where(Participant.workshop_id == workshop.id)
                .order_by(Participant.commune_id, Participant.id)
            )
        ).scalars()
    )
    by_id = {p.id: p for p in people}
    if groups:
        seen: list[int] = [key for group in groups for key in group]
        if len(seen) != len(set(seen)):
            raise Invalid(Code.DUPLICATE, "a participant is in two groups", "groups")
        if set(seen) != set(by_id):
            raise Invalid(
                Code.INVALID,
                f"every participant must be in exactly one group ({len(by_id)} participants, "
                f"{len(set(seen) & set(by_id))} placed, {len(set(seen) - set(by_id))} unknown)",
                "groups",
            )
        plan = {key: number for number, group in enumerate(groups, 1) for key in group}
    else:
        if not 1 <= count <= max(1, len(people)):
            raise Invalid(Code.INVALID, f"count must be 1 to {max(1, len(people))} groups", "count")
        # Dealt in commune order, so each group mixes communes.
        plan = {p.id: index % count + 1 for index, p in enumerate(people)}
    for key, number in plan.items():
        by_id[key].group_number = number
    await session.flush()
    sizes: dict[int, int] = defaultdict(int)
    for number in plan.values():
        sizes[number] += 1
    done = Done("groups_assigned", {"groups": {str(k): v for k, v in sorted(sizes.items())}})
    return done.live(workshop, "groups_assigned", groups=len(sizes))


async def select_challenges(
    session: Any, workshop: CardWorkshop, who: Actor, group: int | None, cards: list[Card]
) -> Done:
    require_phase(workshop, Phase.SELECTION, doing="selecting challenges")
    if who.facilitator and group is not None:
        number = group
    elif who.facilitator and who.participant is None:
        raise Invalid(Code.REQUIRED, "name the group you select for", "group")
    else:
        me = who.need_participant()
        if group is not None and group != me.group_number:
            raise Invalid(Code.FORBIDDEN, "you may only select for your own group", "group")
        if me.group_number is None:
            raise Invalid(Code.INVALID, "you are in no group: ask the facilitator", "group")
        number = me.group_number
    if len(cards) > workshop.selection_size:
        raise refuse(
            Refusal.LIMIT_REACHED,
            f"a group selects at most {workshop.selection_size} challenges; you gave {len(cards)}",
            "cards",
        )
    if len({c.id for c in cards}) != len(cards):
        raise Invalid(Code.DUPLICATE, "a card is selected twice", "cards")
    members = set(
        (
            await session.execute(
                select(Participant.id).where(
                    Participant.workshop_id == workshop.id, Participant.group_number == number
                )
            )
        ).scalars()
    )
    if not members:
        raise Invalid(Code.NOT_FOUND, f"group {number} has no members", "group")
    for index, card in enumerate(cards):
        if card.workshop_id != workshop.id or card.holder_id not in members:
            raise refuse(
                Refusal.NOT_HELD,
                f"cards[{index}] is not held by a member of group {number}: choose among the "
                "cards your members hold",
                "cards",
            )
    await session.execute(
        delete(Selection).where(
            Selection.workshop_id == workshop.id, Selection.group_number == number
        )
    )
    await session.flush()
    for rank, card in enumerate(cards, start=1):
        session.add(
            Selection(workshop_id=workshop.id, group_number=number, card_id=card.id, rank=rank)
        )
    await session.flush()
    ids = [c.id for c in cards]
    done = Done("challenges_selected", {"group": number, "cards": ids})
    return done.live(workshop, "selection_changed", group=number, cards=ids)


# -- conclusion ---------------------------------------------------------------------------------


async def merge(
    session: Any,
    workshop: CardWorkshop,
    who: Actor,
    into: Challenge,
    others: list[Challenge],
    text: str | None,
) -> Done:
    who.need_facilitator()
    require_phase(workshop, Phase.CONCLUSION, doing="merging challenges")
    if not others:
        raise Invalid(Code.REQUIRED, "give the challenges to merge into this one", "others")
    for other in [into, *others]:
        if other.workshop_id != workshop.id:
            raise Invalid(Code.NOT_FOUND, "every challenge must be of this workshop", "others")
    if into.id in {o.id for o in others}:
        raise Invalid(Code.INVALID, "a challenge cannot be merged into itself", "others")
    if any(o.project_id is not None for o in others):
        raise Invalid(Code.INVALID, "a promoted challenge cannot be merged away", "others")
    into.card_ids = sorted({*into.card_ids, *(c for o in others for c in o.card_ids)})
    into.groups = sorted({*into.groups, *(g for o in others for g in o.groups)})
    if text is not None:
        into.text = clean_text(text, "text")
    merged = [o.id for o in others]
    for other in others:
        await session.delete(other)
    await session.flush()
    remaining = (
        await session.execute(
            select(Challenge)
            .where(Challenge.workshop_id == workshop.id)
            .order_by(Challenge.position, Challenge.id)
        )
    ).scalars()
    for position, row in enumerate(remaining, start=1):
        row.position = position
    await session.flush()
    done = Done("challenges_merged", {"into": into.id, "merged": merged}, row=into)
    return done.live(workshop, "challenges_changed", challenge=into.id, merged=merged)


# -- projects -----------------------------------------------------------------------------------

FOCUS = {CardColour.GREEN.value: "collaboration", CardColour.BLUE.value: "digital"}


def _commune_gid(key: int) -> str:

    return global_id("Commune", key)


async def promote(
    session: Any,
    workshop: CardWorkshop,
    who: Actor,
    challenge: Challenge,
    communes: list[str] | None,
    title: dict[str, str] | None,
    event_commune: int | None,
) -> Done:
    """Make a core project (status idea) of a concluding challenge, linked both ways."""
    who.need_facilitator()
    require_phase(workshop, Phase.CONCLUSION, Phase.CLOSED, doing="promoting a challenge")
    if challenge.workshop_id != workshop.id:
        raise Invalid(Code.NOT_FOUND, "no such challenge in this workshop", "challenge")
    if challenge.project_id is not None:
        raise Invalid(Code.DUPLICATE, "this challenge is already a project", "challenge")
    if not communes:
        authors = (
            await session.execute(
                select(Participant.commune_id)
                .join(Card, Card.author_id == Participant.id)
                .where(Card.id.in_(challenge.card_ids), Participant.commune_id.is_not(None))
                .distinct()
            )
        ).scalars()
        keys = sorted(set(authors)) or ([event_commune] if event_commune else [])
        if not keys:
            raise Invalid(
                Code.REQUIRED,
                "the project needs communes: none can be inferred from the card authors, give "
                "communes",
                "communes",
            )
        communes = [_commune_gid(k) for k in keys]
    workshop_title = (workshop.title or {}).get("fr") or next(iter(workshop.title.values()), "")
    project = await create_project(
        session,
        who.principal,
        title=title or {"fr": challenge.text},
        focus=FOCUS[challenge.colour],
        communes=communes,
        status="idea",
        summary={
            "fr": f"Défi issu de l'atelier « {workshop_title} » ({len(challenge.card_ids)} "
            "carte(s))."
        },
        themes=["atelier"],
    )
    challenge.project_id = project.id
    await session.flush()
    done = Done(
        "challenge_promoted",
        {"challenge": challenge.id, "project": project.id, "cards": challenge.card_ids},
        row=challenge,
    )
    return done.live(workshop, "challenge_promoted", challenge=challenge.id, project=project.id)


async def entry_project(
    session: Any,
    workshop: CardWorkshop,
    who: Actor,
    entry: InventoryEntry,
    *,
    project_id: int | None,
    status: str | None,
    focus: str | None,
) -> Done:
    """Link an inventory entry to an existing project, or turn it into a new one."""
    who.need_facilitator()
    if workshop.phase == Phase.SETUP.value:
        raise refuse(Refusal.WRONG_PHASE, "the inventory has not started", "entry")
    if entry.workshop_id != workshop.id:
        raise Invalid(Code.NOT_FOUND, "no such entry in this workshop", "entry")
    if entry.project_id is not None:
        raise Invalid(Code.DUPLICATE, "this entry is already linked to a project", "entry")
    if project_id is None:
        if entry.commune_id is None:
            raise Invalid(Code.REQUIRED, "the entry has no commune: a project needs one", "entry")
        project = await create_project(
            session,
            who.principal,
            title={"fr": entry.text[:300]},
            focus=focus or "",
            communes=[_commune_gid(entry.commune_id)],
            status=status or "",
        )
        project_id = project.id
        action = "inventory_turned_into_project"
    else:
        action = "inventory_linked"
    entry.project_id = project_id
    await session.flush()
    done = Done(action, {"entry": entry.id, "project": project_id}, row=entry)
    return done.live(workshop, "inventory_linked", entry=entry.id, project=project_id)
