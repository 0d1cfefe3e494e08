"""The live subscription of a card workshop under tenancy (docs/tenancy.md): the cards written
before the exchange reach its own GAL's facilitators' screens, never another GAL's
administrator's, who sees the workshop as the public does."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from typing import Any

from bocage.core.app import create_app

from .test_card_tenancy import made
from .test_live import Screen, TestClient, wait_for_subscribers

WRITE = """mutation($i: WriteWorkshopsCardInput!) {
  writeWorkshopsCard(input: $i) { errors { code message } } }"""
ADVANCE = """mutation($i: AdvanceWorkshopsCardWorkshopInput!) {
  advanceWorkshopsCardWorkshop(input: $i) { errors { code message } } }"""


def watch(settings: Any, workshop: str, tokens: dict[str, str]) -> None:
    with ExitStack() as stack:
        client = stack.enter_context(TestClient(create_app(settings)))

        def call(who: str, document: str, values: dict[str, Any]) -> None:
            response = client.post(
                "/graphql",
                json={"query": document, "variables": {"i": values}},
                headers={"Authorization": f"Bearer {tokens[who]}"},
            )
            [payload] = response.json()["data"].values()
            assert payload["errors"] == [], payload

        own, other = Screen(client, stack, tokens["a"]), Screen(client, stack, tokens["b"])
        for screen in (own, other):
            screen.subscribe(workshop)
        wait_for_subscribers(workshop, 2)
        card = {"workshop": workshop, "colour": "GREEN", "axis": "TERRITORY", "text": "Covoiturer"}
        call("ann", WRITE, card)
        written = own.next()
        assert written["type"] == "CARD_WRITTEN"
        assert written["card"]["text"] == "Covoiturer"
        # B's administrator's next event is the phase change: it never saw the card.
        call("a", ADVANCE, {"workshop": workshop, "to": "EXCHANGE"})
        assert own.next()["type"] == "PHASE_CHANGED"
        assert other.next()["type"] == "PHASE_CHANGED"
        for screen in (own, other):
            screen.ws.send_json({"id": "1", "type": "complete"})
        wait_for_subscribers(workshop, 0, at_most=True)


async def test_another_gal_s_administrator_sees_no_card_before_the_exchange(
    two_gals: Any,
) -> None:
    admin_a, ann = two_gals.admin(two_gals.a), two_gals.person("ann-account")
    workshop = (await made(two_gals, admin_a))["id"]
    join = """mutation($input: JoinWorkshopsCardWorkshopInput!) {
      joinWorkshopsCardWorkshop(input: $input) { errors { code } } }"""
    for person in (ann, two_gals.person("bob-account")):
        values = {"workshop": workshop, "alias": person.subject[:3]}
        body = await two_gals.gql(person, join, {"input": values})
        assert two_gals.errors(body, "joinWorkshopsCardWorkshop") == []
    for to in ("INVENTORY", "WRITING"):
        moved = await two_gals.gql(admin_a, ADVANCE, {"i": {"workshop": workshop, "to": to}})
        assert two_gals.errors(moved, "advanceWorkshopsCardWorkshop") == []
    tokens = {
        name: (await two_gals.headers(caller))["authorization"].removeprefix("Bearer ")
        for name, caller in (("a", admin_a), ("b", two_gals.admin(two_gals.b)), ("ann", ann))
    }
    # TestClient runs the app in its own event loop thread.
    await asyncio.to_thread(watch, two_gals.app.state.settings, workshop, tokens)
