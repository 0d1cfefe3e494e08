"""The time-boxed phases as screens read them: each phase's planned duration, when it started,
when its time box ends (the current one's is `phaseEndsAt`) and when it ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from strawberry import relay

from bocage.core.api import Commune
from bocage.core.auth.principal import Principal, PrincipalKind, Role

BOSS = Principal(kind=PrincipalKind.PERSON, subject="boss", roles=frozenset({Role.TERRITORY_ADMIN}))

READ = """query($id: ID!) { workshopsCardWorkshop(id: $id) {
  version phase phaseStartedAt phaseEndsAt phaseMinutes secondsLeft
  phases { phase plannedMinutes startedAt endsAt endedAt current } } }"""


def mutation(field: str, type_: str) -> str:
    return (
        f"mutation($i: {type_}!) {{ {field}(input: $i) {{ workshop {{ id }} errors {{ code }} }} }}"
    )


async def call(run: Any, field: str, type_: str, i: dict[str, Any], who: Principal) -> Any:
    body = await run(mutation(field, type_), {"i": i}, principal=who)
    assert body["data"][field]["errors"] == [], body
    return body["data"][field]


async def test_each_phase_shows_its_planned_duration_start_and_end(run: Any, world: Any) -> None:
    async with world.sessionmaker() as session:
        communes = list((await session.execute(select(Commune.id).limit(2))).scalars())
    created = await call(
        run,
        "createWorkshopsCardWorkshop",
        "CreateWorkshopsCardWorkshopInput",
        {"title": {"fr": "Chrono"}},
        BOSS,
    )
    workshop = created["workshop"]["id"]
    for n, commune in enumerate(communes):
        await call(
            run,
            "joinWorkshopsCardWorkshop",
            "JoinWorkshopsCardWorkshopInput",
            {
                "workshop": workshop,
                "alias": f"P{n}",
                "commune": relay.to_base64("Commune", commune),
            },
            Principal(kind=PrincipalKind.PERSON, subject=f"p{n}"),
        )
    setup = (await run(READ, {"id": workshop}))["data"]["workshopsCardWorkshop"]
    assert (setup["phase"], setup["phaseMinutes"], setup["phaseEndsAt"]) == ("SETUP", None, None)
    assert [p["plannedMinutes"] for p in setup["phases"]] == [None, 9, 10, 5, 15, 10, None]
    assert [p["current"] for p in setup["phases"]] == [True] + [False] * 6

    for to in ("INVENTORY", "WRITING"):
        await call(
            run,
            "advanceWorkshopsCardWorkshop",
            "AdvanceWorkshopsCardWorkshopInput",
            {"workshop": workshop, "to": to},
            BOSS,
        )
    seen = (await run(READ, {"id": workshop}))["data"]["workshopsCardWorkshop"]
    boxes = {p["phase"]: p for p in seen["phases"]}
    when = {k: dt.datetime.fromisoformat(v) for k, v in seen.items() if k.startswith("phaseS")}
    inventory, writing = boxes["INVENTORY"], boxes["WRITING"]
    # The inventory: 5 minutes and 2 per commune present; it ended when writing started.
    assert inventory["plannedMinutes"] == 9 and not inventory["current"]
    started = dt.datetime.fromisoformat(inventory["startedAt"])
    assert dt.datetime.fromisoformat(inventory["endsAt"]) - started == dt.timedelta(minutes=9)
    assert inventory["endedAt"] == writing["startedAt"] == seen["phaseStartedAt"]
    assert boxes["SETUP"]["endedAt"] == inventory["startedAt"]
    # The current phase: its time box is the workshop's countdown.
    assert writing["current"] and writing["plannedMinutes"] == 10 == seen["phaseMinutes"]
    assert writing["endsAt"] == seen["phaseEndsAt"]
    ends = dt.datetime.fromisoformat(seen["phaseEndsAt"])
    assert ends - when["phaseStartedAt"] == dt.timedelta(minutes=10)
    assert 0 < seen["secondsLeft"] <= 600
    assert seen["phaseEndsAt"].endswith(("+01:00", "+02:00"))  # Europe/Brussels
    # Phases to come: planned, not started.
    assert boxes["EXCHANGE"] == {
        "phase": "EXCHANGE",
        "plannedMinutes": 5,
        "startedAt": None,
        "endsAt": None,
        "endedAt": None,
        "current": False,
    }

    # The facilitator gives the writing 5 more minutes: its end moves, its start stays.
    await call(
        run,
        "updateWorkshopsCardWorkshop",
        "UpdateWorkshopsCardWorkshopInput",
        {"workshop": workshop, "version": seen["version"], "durations": {"writing": 15}},
        BOSS,
    )
    later = (await run(READ, {"id": workshop}))["data"]["workshopsCardWorkshop"]
    assert later["phaseMinutes"] == 15 and later["phaseStartedAt"] == seen["phaseStartedAt"]
    moved = dt.datetime.fromisoformat(later["phaseEndsAt"]) - ends
    assert moved == dt.timedelta(minutes=5)
