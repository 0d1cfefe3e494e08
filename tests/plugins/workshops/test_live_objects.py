"""The live subscription gives the project a challenge became as an object (issue 15:
objects instead of bare IDs): ``promotedProject { id title }``; the ``project`` ID stays,
deprecated. Over a real WebSocket (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
import time
import warnings
from contextlib import ExitStack
from typing import Any

from sqlalchemy import select
from strawberry import relay

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.core.models import Commune
from bocage.plugins.workshops import live
from bocage.plugins.workshops.models import CardWorkshop, Challenge

SUBSCRIBE = """subscription($w: ID!) { workshopsCardWorkshopLive(workshop: $w) {
  type challenge project promotedProject { id title status } } }"""
PROMOTE = """mutation($i: PromoteWorkshopsChallengeInput!) {
  promoteWorkshopsChallenge(input: $i) { project errors { code message } } }"""


async def _concluded(world: Any) -> tuple[int, int, int]:
    async with world.sessionmaker() as session, session.begin():
        commune = (await session.execute(select(Commune.id).limit(1))).scalar_one()
        workshop = CardWorkshop(title={"fr": "Matrice"}, phase="conclusion", durations={})
        session.add(workshop)
        await session.flush()
        challenge = Challenge(
            workshop_id=workshop.id,
            text="Une application pour le covoiturage",
            colour="blue",
            axis="territory",
            position=1,
            card_ids=[],
            groups=[1],
        )
        session.add(challenge)
        await session.flush()
        return workshop.id, challenge.id, commune


def _promote_live(settings: Any, workshop: int, challenge: int, commune: int) -> dict[str, Any]:
    with ExitStack() as stack:
        client = stack.enter_context(TestClient(create_app(settings)))
        issue = client.app.state.issuer.issue  # type: ignore[attr-defined]
        token = client.portal.call(
            lambda: issue(subject="facilitator", roles=(Role.TERRITORY_ADMIN,))
        ).access_token
        ws = stack.enter_context(
            client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
        )
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        workshop_id = relay.to_base64("WorkshopsCardWorkshop", workshop)
        payload = {"query": SUBSCRIBE, "variables": {"w": workshop_id}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        deadline = time.monotonic() + 10
        while not live.subscribers(workshop):  # registered a moment after `subscribe`
            assert time.monotonic() < deadline, "the subscription never registered"
            time.sleep(0.01)
        promoted = client.post(
            "/graphql",
            json={
                "query": PROMOTE,
                "variables": {
                    "i": {
                        "challenge": relay.to_base64("WorkshopsChallenge", challenge),
                        "communes": [relay.to_base64("Commune", commune)],
                    }
                },
            },
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert promoted["data"]["promoteWorkshopsChallenge"]["errors"] == [], promoted
        message = ws.receive_json()
        assert message["type"] == "next" and "errors" not in message["payload"], message
        event: dict[str, Any] = message["payload"]["data"]["workshopsCardWorkshopLive"]
        # Completing unregisters the subscription (on PostgreSQL, it releases the worker's
        # LISTEN connection before the app stops).
        ws.send_json({"id": "1", "type": "complete"})
        deadline = time.monotonic() + 10
        while live.subscribers(workshop):
            assert time.monotonic() < deadline, "the subscription never ended"
            time.sleep(0.01)
        return {"event": event, "project": promoted["data"]["promoteWorkshopsChallenge"]["project"]}


async def test_the_promoted_project_is_an_object(world: Any) -> None:
    workshop, challenge, commune = await _concluded(world)
    seen = await asyncio.to_thread(_promote_live, world.settings, workshop, challenge, commune)
    event, project = seen["event"], seen["project"]
    assert event["type"] == "CHALLENGE_PROMOTED"
    assert event["project"] == project
    assert event["promotedProject"] == {
        "id": project,
        "title": "Une application pour le covoiturage",
        "status": "IDEA",
    }
