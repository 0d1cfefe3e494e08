"""The workshop's state machine, rule by rule: in every phase, each action is either allowed
or refused with WRONG_PHASE (a workshop is set up directly in each phase with what the action
needs, so nothing but the phase can refuse it); and who may act."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from strawberry import relay

from bocage.core.api import Commune
from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.plugins.workshops import game
from bocage.plugins.workshops.models import (
    Card,
    CardWorkshop,
    Challenge,
    Participant,
    Phase,
)

FACILITATOR = Principal(
    kind=PrincipalKind.PERSON, subject="facilitator", roles=frozenset({Role.TERRITORY_ADMIN})
)
P0, P1, NEWCOMER = (Principal(kind=PrincipalKind.PERSON, subject=f"person-{i}") for i in range(3))

ALLOWED = {
    "join": {Phase.SETUP, Phase.INVENTORY, Phase.WRITING},
    "inventory": {Phase.INVENTORY},
    "write": {Phase.WRITING},
    "paper": {Phase.WRITING},
    "swap": {Phase.EXCHANGE},
    "groups": {Phase.SETUP, Phase.INVENTORY, Phase.WRITING, Phase.EXCHANGE, Phase.SELECTION},
    "select": {Phase.SELECTION},
    "merge": {Phase.CONCLUSION},
    "promote": {Phase.CONCLUSION, Phase.CLOSED},
}


def gid(type_name: str, key: int) -> str:
    return relay.to_base64(type_name, key)


async def workshop_in(world: Any, phase: Phase) -> dict[str, str]:
    """A workshop in ``phase``: two participants in group 1, p1 holding a card of p0, a card
    of p0 on the table, two challenges."""
    async with world.sessionmaker() as session, session.begin():
        commune = (await session.execute(select(Commune.id).limit(1))).scalar_one()
        workshop = CardWorkshop(title={"fr": "Matrice"}, phase=phase.value, durations={})
        session.add(workshop)
        await session.flush()
        p0, p1 = (
            Participant(
                workshop_id=workshop.id,
                person_subject=p.subject,
                alias=p.subject,
                commune_id=commune,
                group_number=1,
            )
            for p in (P0, P1)
        )
        session.add_all([p0, p1])
        await session.flush()
        held, table = (
            Card(
                workshop_id=workshop.id,
                author_id=p0.id,
                holder_id=holder,
                colour="green",
                axis="territory",
                text=text,
            )
            for holder, text in ((p1.id, "tenu"), (None, "sur la table"))
        )
        session.add_all([held, table])
        await session.flush()
        challenges = [
            Challenge(
                workshop_id=workshop.id,
                text=f"Défi {n}",
                colour="blue",
                axis="territory",
                position=n,
                card_ids=[held.id],
                groups=[1],
            )
            for n in (1, 2)
        ]
        session.add_all(challenges)
        await session.flush()
        return {
            "workshop": gid("WorkshopsCardWorkshop", workshop.id),
            "p0": gid("WorkshopsParticipant", p0.id),
            "held": gid("WorkshopsCard", held.id),
            "table": gid("WorkshopsCard", table.id),
            "c1": gid("WorkshopsChallenge", challenges[0].id),
            "c2": gid("WorkshopsChallenge", challenges[1].id),
        }


def actions(ids: dict[str, str]) -> dict[str, tuple[str, str, dict[str, Any], Principal]]:
    w = ids["workshop"]
    card = {"colour": "GREEN", "axis": "TERRITORY", "text": "Un défi"}
    return {
        "join": ("joinWorkshopsCardWorkshop", "JoinWorkshopsCardWorkshopInput",
                 {"workshop": w, "alias": "Nouveau"}, NEWCOMER),
        "inventory": ("addWorkshopsInventoryEntry", "AddWorkshopsInventoryEntryInput",
                      {"workshop": w, "text": "Déjà fait"}, P0),
        "write": ("writeWorkshopsCard", "WriteWorkshopsCardInput", {"workshop": w, **card}, P0),
        "paper": ("addWorkshopsPaperCards", "AddWorkshopsPaperCardsInput",
                  {"workshop": w, "cards": [{"participant": ids["p0"], **card}]}, FACILITATOR),
        "swap": ("swapWorkshopsCard", "SwapWorkshopsCardInput",
                 {"give": ids["held"], "take": ids["table"]}, P1),
        "groups": ("assignWorkshopsGroups", "AssignWorkshopsGroupsInput",
                   {"workshop": w, "count": 1}, FACILITATOR),
        "select": ("selectWorkshopsChallenges", "SelectWorkshopsChallengesInput",
                   {"workshop": w, "cards": [ids["held"]]}, P1),
        "merge": ("mergeWorkshopsChallenges", "MergeWorkshopsChallengesInput",
                  {"into": ids["c1"], "others": [ids["c2"]]}, FACILITATOR),
        "promote": ("promoteWorkshopsChallenge", "PromoteWorkshopsChallengeInput",
                    {"challenge": ids["c1"]}, FACILITATOR),
    }  # fmt: skip


async def attempt(run: Any, action: tuple[str, str, dict[str, Any], Principal]) -> list[Any]:
    field, type_, input, who = action
    query = f"mutation($i: {type_}!) {{ {field}(input: $i) {{ errors {{ code message }} }} }}"
    body = await run(query, {"i": input}, principal=who)
    assert "errors" not in body, body
    errors: list[Any] = body["data"][field]["errors"]
    return errors


@pytest.mark.parametrize("phase", list(Phase), ids=lambda p: p.value)
async def test_each_action_in_each_phase(run: Any, world: Any, phase: Phase) -> None:
    for name, allowed in ALLOWED.items():
        ids = await workshop_in(world, phase)  # fresh: one action cannot enable another
        errors = await attempt(run, actions(ids)[name])
        if phase in allowed:
            assert errors == [], (name, phase, errors)
        else:
            assert [e["code"] for e in errors] == ["WRONG_PHASE"], (name, phase, errors)
            assert phase.value in errors[0]["message"]  # says where the workshop is


@pytest.mark.parametrize(
    ("name", "who", "code"),
    [
        ("paper", P0, "FORBIDDEN"),
        ("groups", P0, "FORBIDDEN"),
        ("merge", P1, "FORBIDDEN"),
        ("promote", P0, "FORBIDDEN"),
        ("write", NEWCOMER, "NOT_PARTICIPANT"),
        ("swap", NEWCOMER, "NOT_PARTICIPANT"),
        ("select", NEWCOMER, "NOT_PARTICIPANT"),
        ("write", Principal(), "UNAUTHENTICATED"),
    ],
)
async def test_who_may_act(run: Any, world: Any, name: str, who: Principal, code: str) -> None:
    phase = next(iter(sorted(ALLOWED[name], key=list(Phase).index)))
    ids = await workshop_in(world, phase)
    field, type_, input, _ = actions(ids)[name]
    errors = await attempt(run, (field, type_, input, who))
    assert [e["code"] for e in errors] == [code]


def test_phases_only_move_forward_one_at_a_time() -> None:
    assert [game.next_phase(p) for p in Phase] == [*list(Phase)[1:], None]
    workshop = CardWorkshop(durations={"writing": 12})
    assert game.minutes(workshop, Phase.INVENTORY, communes=3) == 5 + 2 * 3
    assert game.minutes(workshop, Phase.WRITING, communes=3) == 12
    assert game.minutes(workshop, Phase.SELECTION, communes=0) == 15
    assert game.minutes(workshop, Phase.CLOSED, communes=0) is None
