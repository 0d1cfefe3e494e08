"""A challenge-card workshop of one GAL, played through the API as its people play it: its
administrator facilitates (at the GAL's event in a commune), its signed-in person and two
paper participants play. The write matrix moves it on, phase by phase, as its cases need."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .conftest import Gal, Installation, tr

PHASES = ("SETUP", "INVENTORY", "WRITING", "EXCHANGE", "SELECTION", "CONCLUSION", "CLOSED")
PAYLOAD = "workshop { id phase version } errors { field code message }"
VIEW = """query($id: ID!) { workshopsCardWorkshop(id: $id) { id version phase
  me { id } participants { id fromPaper }
  cards { id mine heldByMe onTable holder author }
  inventory { id linkedProject { id } } challenges { id } } }"""
#: What a player sees (the participants are hidden from whoever has not joined).
PLAYER_VIEW = """query($id: ID!) { workshopsCardWorkshop(id: $id) { id phase me { id }
  cards { id mine heldByMe onTable } } }"""
INPUTS = {
    "createWorkshopsCardWorkshop": "CreateWorkshopsCardWorkshopInput",
    "joinWorkshopsCardWorkshop": "JoinWorkshopsCardWorkshopInput",
    "addWorkshopsParticipants": "AddWorkshopsParticipantsInput",
    "advanceWorkshopsCardWorkshop": "AdvanceWorkshopsCardWorkshopInput",
    "addWorkshopsInventoryEntry": "AddWorkshopsInventoryEntryInput",
    "writeWorkshopsCard": "WriteWorkshopsCardInput",
    "addWorkshopsPaperCards": "AddWorkshopsPaperCardsInput",
    "assignWorkshopsGroups": "AssignWorkshopsGroupsInput",
    "selectWorkshopsChallenges": "SelectWorkshopsChallengesInput",
}


async def act(inst: Installation, name: str, values: dict[str, Any], who: str) -> Any:
    document = f"mutation($i: {INPUTS[name]}!) {{ {name}(input: $i) {{ {PAYLOAD} }} }}"
    return await inst.ok(document, {"i": values}, who)


async def view(inst: Installation, gal: Gal, who: str | None = None) -> dict[str, Any]:
    """What the GAL's facilitator sees of its workshop, or what player ``who`` sees."""
    document = PLAYER_VIEW if who else VIEW
    body = await inst.body(document, {"id": gal.ids["game"]}, who or f"{gal.name}.admin")
    assert not body.get("errors"), body
    found: dict[str, Any] = body["data"]["workshopsCardWorkshop"]
    return found


async def create(inst: Installation, gal: Gal, key: str = "game") -> str:
    """A workshop at the GAL's event in a commune: one card dealt each, two selected."""
    made = await act(
        inst,
        "createWorkshopsCardWorkshop",
        {
            "title": tr(f"Jeu {gal.marker}"),
            "event": gal.ids["event_commune"],
            "maxCards": 3,
            "cardsPerHand": 1,
            "selectionSize": 2,
        },
        f"{gal.name}.admin",
    )
    gal.ids[key] = made["workshop"]["id"]
    return str(gal.ids[key])


async def _join(inst: Installation, gal: Gal, seen: dict[str, Any]) -> None:
    """The GAL's person, and paper participants up to three players."""
    game, home = gal.ids["game"], gal.communes[gal.nis[0]]
    if (await view(inst, gal, f"{gal.name}.person"))["me"] is None:
        values = {"workshop": game, "alias": f"Marie {gal.marker}", "commune": home}
        await act(inst, "joinWorkshopsCardWorkshop", values, f"{gal.name}.person")
    missing = 3 - len((await view(inst, gal))["participants"])
    if missing > 0:
        people = [{"alias": f"Papier {gal.marker} {n}", "commune": home} for n in range(missing)]
        values = {"workshop": game, "participants": people}
        await act(inst, "addWorkshopsParticipants", values, f"{gal.name}.admin")


async def _write(inst: Installation, gal: Gal, seen: dict[str, Any]) -> None:
    """Each player's cards up to two (so that the table holds a card not of A's person)."""
    game, admin = gal.ids["game"], f"{gal.name}.admin"
    written = Counter(card["author"] for card in seen["cards"])
    card = {"colour": "GREEN", "axis": "TERRITORY"}
    me = (await view(inst, gal, f"{gal.name}.person"))["me"]["id"]
    for n in range(written[me], 2):
        values = {"workshop": game, **card, "text": f"Défi {gal.marker} {n}"}
        await act(inst, "writeWorkshopsCard", values, f"{gal.name}.person")
    paper = [
        {"participant": p["id"], **card, "text": f"Papier {gal.marker} {index}.{n}"}
        for index, p in enumerate(seen["participants"])
        if p["fromPaper"]
        for n in range(written[p["id"]], 2)
    ]
    if paper:
        await act(inst, "addWorkshopsPaperCards", {"workshop": game, "cards": paper}, admin)


async def _group(inst: Installation, gal: Gal, seen: dict[str, Any]) -> None:
    values = {"workshop": gal.ids["game"], "count": 1}
    await act(inst, "assignWorkshopsGroups", values, f"{gal.name}.admin")


async def _select(inst: Installation, gal: Gal, seen: dict[str, Any]) -> None:
    values = {"workshop": gal.ids["game"], "cards": held(seen)[:2]}
    await act(inst, "selectWorkshopsChallenges", values, f"{gal.name}.person")


#: What a phase needs done before the workshop moves to it.
BEFORE = {"WRITING": _join, "EXCHANGE": _write, "SELECTION": _group, "CONCLUSION": _select}


def held(seen: dict[str, Any]) -> list[str]:
    """The cards a player holds (the one group's), as a facilitator sees them."""
    return [card["id"] for card in seen["cards"] if card["holder"]]


async def at(inst: Installation, gal: Gal, phase: str) -> dict[str, Any]:
    """The GAL's workshop (made if need be) moved on to ``phase`` if it is not there yet;
    what its facilitator sees of it."""
    if "game" not in gal.ids:
        await create(inst, gal)
    seen = await view(inst, gal)
    while PHASES.index(seen["phase"]) < PHASES.index(phase):
        following = PHASES[PHASES.index(seen["phase"]) + 1]
        if prepare := BEFORE.get(following):
            await prepare(inst, gal, seen)
        values = {"workshop": gal.ids["game"], "to": following}
        await act(inst, "advanceWorkshopsCardWorkshop", values, f"{gal.name}.admin")
        seen = await view(inst, gal)
    return seen
