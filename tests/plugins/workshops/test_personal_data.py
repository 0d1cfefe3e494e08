"""A person's workshops data by either identity (hook ``bocage_personal_data``): what they did
signed in (registrations, card workshops: participation, cards, inventory) is found by their
account's subject, what they gave an e-mail address for by that address; both are erased."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select

from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.plugins.workshops.models import Participant, Registration

from .test_card_workshop import FACILITATOR, Game, communes


def key(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


DPO = Principal(kind=PrincipalKind.PERSON, subject="dpo", roles=frozenset({Role.TERRITORY_ADMIN}))
CLAIRE = Principal(kind=PrincipalKind.PERSON, subject="claire-account")
SOMEONE = Principal(kind=PrincipalKind.PERSON, subject="someone-else")
EXPORT = """query($email: String, $subject: String) {
  exportPersonData(email: $email, subject: $subject) { contacts plugins actions } }"""
MINE = "{ myPersonalData { contacts plugins actions } }"
ERASE = """mutation($input: ErasePersonInput!) {
  erasePerson(input: $input) { erasedContacts erasedRecords errors { code field message } } }"""


async def _claires_traces(run: Any, ws: Any) -> dict[str, Any]:
    """Claire registers signed in, once more with her e-mail address (not signed in), and
    plays a card workshop; someone else registers too."""
    event = await ws.publish()
    signed_in = (
        await run(
            ws.REGISTER, {"input": {"event": event["id"], "name": "Claire"}}, principal=CLAIRE
        )
    )["data"]["registerForWorkshopsEvent"]
    assert signed_in["errors"] == [], signed_in
    other_event = await ws.publish(title={"fr": "Midi du Smart"})
    by_email = (
        await run(
            ws.REGISTER,
            {"input": {"event": other_event["id"], "name": "C.", "email": "Claire@Example.org"}},
        )
    )["data"]["registerForWorkshopsEvent"]
    assert by_email["errors"] == []
    await run(ws.REGISTER, {"input": {"event": event["id"], "name": "X"}}, principal=SOMEONE)

    game = Game(run)
    game.id = (await game.ok("create", {"title": {"fr": "Défis"}}, FACILITATOR))["workshop"]["id"]
    [hannut, *_] = await communes(run)
    await game.ok("join", {"workshop": game.id, "alias": "Clairette", "commune": hannut}, CLAIRE)
    await game.ok("join", {"workshop": game.id, "alias": "Autre"}, SOMEONE)
    await game.advance("INVENTORY")
    await game.ok("inventory", {"workshop": game.id, "text": "Wifi à la maison communale"}, CLAIRE)
    await game.advance("WRITING")
    card = {"workshop": game.id, "colour": "GREEN", "axis": "TERRITORY", "text": "Covoiturage"}
    await game.ok("write", card, CLAIRE)
    await game.ok("write", {**card, "text": "Autre défi"}, SOMEONE)
    return {
        "event": event["id"],
        "registration": signed_in["registration"]["id"],
        "by_email": by_email["registration"]["id"],
        "workshop": game.id,
        "game": game,
    }


async def test_export_by_account_by_address_or_both(run: Any, ws: Any) -> None:
    traces = await _claires_traces(run, ws)
    body = await run(EXPORT, {"subject": "claire-account"}, principal=DPO)
    assert "errors" not in body, body
    plugins = body["data"]["exportPersonData"]["plugins"]
    [registration] = plugins["workshops.registrations"]
    assert registration["registration"] == traces["registration"]
    assert registration["event"] == traces["event"] and registration["signedIn"] is True
    [participation] = plugins["workshops.card_workshops"]
    assert participation["workshop"] == traces["workshop"]
    assert participation["alias"] == "Clairette" and participation["role"] == "participant"
    assert [c["text"] for c in participation["cards"]] == ["Covoiturage"]
    assert [e["text"] for e in participation["inventory"]] == ["Wifi à la maison communale"]

    both = await run(
        EXPORT, {"email": "CLAIRE@example.org", "subject": "claire-account"}, principal=DPO
    )
    ids = [
        r["registration"]
        for r in both["data"]["exportPersonData"]["plugins"]["workshops.registrations"]
    ]
    assert ids == [traces["registration"], traces["by_email"]]
    by_email = await run(EXPORT, {"email": "claire@example.org"}, principal=DPO)
    email_plugins = by_email["data"]["exportPersonData"]["plugins"]
    assert [r["registration"] for r in email_plugins["workshops.registrations"]] == [
        traces["by_email"]
    ]
    assert email_plugins["workshops.card_workshops"] == []  # nothing ties them to an address

    neither = await run(EXPORT, {}, principal=DPO)
    assert neither["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "email or subject" in neither["errors"][0]["message"]


async def test_a_signed_in_person_exports_their_own_data(run: Any, ws: Any) -> None:
    traces = await _claires_traces(run, ws)
    mine = (await run(MINE, principal=CLAIRE))["data"]["myPersonalData"]
    assert [r["registration"] for r in mine["plugins"]["workshops.registrations"]] == [
        traces["registration"]
    ]
    assert [p["alias"] for p in mine["plugins"]["workshops.card_workshops"]] == ["Clairette"]
    theirs = (await run(MINE, principal=SOMEONE))["data"]["myPersonalData"]
    assert "Clairette" not in str(theirs) and "Covoiturage" not in str(theirs)
    assert [p["alias"] for p in theirs["plugins"]["workshops.card_workshops"]] == ["Autre"]
    refused = await run(MINE)
    assert refused["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")
    client = await run(MINE, principal=ws.ORGANISER_CLIENT)
    assert client["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Erasure stays with the administrators.
    erased = (await run(ERASE, {"input": {"subject": "claire-account"}}, principal=CLAIRE))["data"][
        "erasePerson"
    ]
    assert erased["errors"][0]["code"] == "FORBIDDEN"


async def test_erase_by_account(run: Any, ws: Any, world: Any) -> None:
    traces = await _claires_traces(run, ws)
    missing = (await run(ERASE, {"input": {}}, principal=DPO))["data"]["erasePerson"]
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("REQUIRED", "email")]
    erased = (await run(ERASE, {"input": {"subject": "claire-account"}}, principal=DPO))["data"][
        "erasePerson"
    ]
    assert erased["errors"] == []
    assert erased["erasedRecords"] == {
        "workshops.registrations": 1,
        "workshops.card_workshops": 1,
    }
    async with world.sessionmaker() as session:
        people = (
            await session.execute(
                select(Participant)
                .where(Participant.workshop_id == key(traces["workshop"]))
                .order_by(Participant.id)
            )
        ).scalars()
        assert [(p.person_subject, p.alias) for p in people] == [
            (None, "[erased]"),
            ("someone-else", "Autre"),
        ]
        subjects = (await session.execute(select(Registration.registrant_subject))).scalars()
        assert "claire-account" not in set(subjects)
    again = (await run(EXPORT, {"subject": "claire-account"}, principal=DPO))["data"]
    assert again["exportPersonData"]["plugins"]["workshops.registrations"] == []
    assert again["exportPersonData"]["plugins"]["workshops.card_workshops"] == []
    # The workshop keeps its cards, no longer tied to anyone.
    view = await traces["game"].view(FACILITATOR)
    assert "Covoiturage" in [c["text"] for c in view["cards"]]
    # The e-mail address's registration was not hers by account: it stays until asked.
    by_email = (await run(EXPORT, {"email": "claire@example.org"}, principal=DPO))["data"]
    assert len(by_email["exportPersonData"]["plugins"]["workshops.registrations"]) == 1
