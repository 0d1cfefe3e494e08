"""Live workshops over a real WebSocket (graphql-transport-ws on /graphql): the facilitator's
screen sees the phase change and a new card; a participant sees others' cards only from the
exchange on; a second app on the same database (another worker) sees the same events."""

from __future__ import annotations

import asyncio
import base64
import functools
import time
import warnings
from contextlib import ExitStack
from typing import Any

with warnings.catch_warnings():
    # Starlette 1.x nudges towards httpx2 for its TestClient; the project is on httpx, which
    # the TestClient still supports fully.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.plugins.workshops import live

SUBSCRIBE = """
subscription($w: ID!) {
  workshopsCardWorkshopLive(workshop: $w) {
    type workshop phase phaseStartedAt phaseEndsAt phaseMinutes participant
    card { text colour axis mine }
  }
}"""


class Screen:
    """A graphql-transport-ws client on a TestClient's WebSocket."""

    def __init__(self, client: TestClient, stack: ExitStack, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.ws = stack.enter_context(
            client.websocket_connect(
                "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
            )
        )
        self.ws.send_json({"type": "connection_init", "payload": {}})
        assert self.ws.receive_json() == {"type": "connection_ack"}

    def subscribe(self, workshop: str) -> None:
        payload = {"query": SUBSCRIBE, "variables": {"w": workshop}}
        self.ws.send_json({"id": "1", "type": "subscribe", "payload": payload})

    def next(self) -> dict[str, Any]:
        message = self.ws.receive_json()
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        event: dict[str, Any] = message["payload"]["data"]["workshopsCardWorkshopLive"]
        return event


def _key(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def wait_for_subscribers(workshop: str, count: int, at_most: bool = False) -> None:
    """The server registers a subscription a moment after `subscribe`: wait for it."""
    deadline = time.monotonic() + 10
    while (
        (live.subscribers(_key(workshop)) > count)
        if at_most
        else (live.subscribers(_key(workshop)) < count)
    ):
        assert time.monotonic() < deadline, "the subscriptions never registered"
        time.sleep(0.01)


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.app: Any = client.app

    def token(self, subject: str, roles: tuple[Role, ...] = ()) -> str:
        issue = functools.partial(self.app.state.issuer.issue, subject=subject, roles=roles)
        return str(self.client.portal.call(issue).access_token)

    def call(self, token: str, field: str, type_: str, input: dict[str, Any]) -> dict[str, Any]:
        query = (
            f"mutation($i: {type_}!) {{ {field}(input: $i) {{ workshop {{ id }} "
            "errors { code message } } }"
        )
        response = self.client.post(
            "/graphql",
            json={"query": query, "variables": {"i": input}},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        assert body["data"][field]["errors"] == [], body
        result: dict[str, Any] = body["data"][field]
        return result


def play(settings: Any) -> None:
    with ExitStack() as stack:
        client = stack.enter_context(TestClient(create_app(settings)))
        other = stack.enter_context(TestClient(create_app(settings)))  # a second worker
        api, api2 = Api(client), Api(other)
        boss = api.token("facilitator", (Role.TERRITORY_ADMIN,))
        ann, bob = api.token("ann"), api.token("bob")
        created = api.call(
            boss,
            "createWorkshopsCardWorkshop",
            "CreateWorkshopsCardWorkshopInput",
            {"title": {"fr": "Atelier en direct"}},
        )
        workshop = created["workshop"]["id"]
        for token, alias in ((ann, "Ann"), (bob, "Bob")):
            api.call(
                token,
                "joinWorkshopsCardWorkshop",
                "JoinWorkshopsCardWorkshopInput",
                {"workshop": workshop, "alias": alias},
            )

        screen = Screen(client, stack, boss)  # the facilitator's screen
        bobs = Screen(client, stack, bob)  # a participant's phone
        public = Screen(other, stack, None)  # an anonymous screen, on the other worker
        for s in (screen, bobs, public):
            s.subscribe(workshop)
        wait_for_subscribers(workshop, 3)

        def advance(to: str, via: Api = api) -> None:
            via.call(
                boss,
                "advanceWorkshopsCardWorkshop",
                "AdvanceWorkshopsCardWorkshopInput",
                {"workshop": workshop, "to": to},
            )

        advance("INVENTORY", via=api2)  # done on the second worker, seen on both
        for s in (screen, bobs, public):
            event = s.next()
            assert (event["type"], event["phase"], event["workshop"]) == (
                "PHASE_CHANGED",
                "INVENTORY",
                workshop,
            )
            assert event["phaseEndsAt"] and event["phaseStartedAt"]
            assert event["phaseMinutes"] == 5  # the inventory, nobody gave a commune
        advance("WRITING")
        for s in (screen, bobs, public):
            assert s.next()["phase"] == "WRITING"

        api.call(
            ann,
            "writeWorkshopsCard",
            "WriteWorkshopsCardInput",
            {"workshop": workshop, "colour": "BLUE", "axis": "TERRITORY", "text": "Wifi partout"},
        )
        card = screen.next()
        assert card["type"] == "CARD_WRITTEN"
        assert card["card"] == {
            "text": "Wifi partout",
            "colour": "BLUE",
            "axis": "TERRITORY",
            "mine": False,
        }
        # Bob and the public never see Ann's card before the exchange: their next event is
        # the phase change.
        advance("EXCHANGE")
        assert screen.next()["phase"] == "EXCHANGE"
        assert bobs.next()["type"] == "PHASE_CHANGED"
        assert public.next()["type"] == "PHASE_CHANGED"

        # A bad workshop ID is a typed error on the subscription.
        screen.ws.send_json(
            {
                "id": "2",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"w": "bad"}},
            }
        )
        while True:
            message = screen.ws.receive_json()
            if message.get("id") == "2":
                break
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"

        # Completing a subscription unregisters it (and, on PostgreSQL, the last one of a
        # worker releases its LISTEN connection).
        for s in (screen, bobs, public):
            s.ws.send_json({"id": "1", "type": "complete"})
        wait_for_subscribers(workshop, 0, at_most=True)


async def test_subscriptions_over_a_real_websocket(world: Any) -> None:
    # TestClient runs the apps in their own event loop thread.
    await asyncio.to_thread(play, world.settings)


def browser_screens(settings: Any) -> None:
    """Browsers cannot set headers on a WebSocket: the token rides in connection_init."""
    with ExitStack() as stack:
        client = stack.enter_context(TestClient(create_app(settings)))
        api = Api(client)
        boss = api.token("facilitator", (Role.TERRITORY_ADMIN,))
        ann, bob = api.token("ann"), api.token("bob")
        workshop = api.call(
            boss,
            "createWorkshopsCardWorkshop",
            "CreateWorkshopsCardWorkshopInput",
            {"title": {"fr": "Atelier du navigateur"}},
        )["workshop"]["id"]
        for token, alias in ((ann, "Ann"), (bob, "Bob")):
            api.call(
                token,
                "joinWorkshopsCardWorkshop",
                "JoinWorkshopsCardWorkshopInput",
                {"workshop": workshop, "alias": alias},
            )
        for to in ("INVENTORY", "WRITING"):
            api.call(
                boss,
                "advanceWorkshopsCardWorkshop",
                "AdvanceWorkshopsCardWorkshopInput",
                {"workshop": workshop, "to": to},
            )

        def connect(payload: dict[str, Any]) -> Any:
            ws = stack.enter_context(
                client.websocket_connect(
                    "/graphql",
                    subprotocols=["graphql-transport-ws"],
                    # A page of the GAL's site (BOCAGE_CORS_ORIGINS allows it: '*').
                    headers={"origin": "https://www.gal-condroz.be"},
                )
            )
            ws.send_json({"type": "connection_init", "payload": payload})
            return ws

        screens = []
        for payload in ({"authorization": f"Bearer {boss}"}, {"token": boss}, {}):
            ws = connect(payload)
            assert ws.receive_json() == {"type": "connection_ack"}
            query = {"query": SUBSCRIBE, "variables": {"w": workshop}}
            ws.send_json({"id": "1", "type": "subscribe", "payload": query})
            screens.append(ws)
        wait_for_subscribers(workshop, 3)

        # A card written in round 1 reaches the facilitator's screens only (authenticated by
        # the payload): their next event is the card, the anonymous screen's the phase change.
        api.call(
            ann,
            "writeWorkshopsCard",
            "WriteWorkshopsCardInput",
            {"workshop": workshop, "colour": "GREEN", "axis": "TERRITORY", "text": "Covoiturage"},
        )
        api.call(
            boss,
            "advanceWorkshopsCardWorkshop",
            "AdvanceWorkshopsCardWorkshopInput",
            {"workshop": workshop, "to": "EXCHANGE"},
        )
        firsts = [
            ws.receive_json()["payload"]["data"]["workshopsCardWorkshopLive"] for ws in screens
        ]
        assert [(e["type"], (e["card"] or {}).get("text")) for e in firsts] == [
            ("CARD_WRITTEN", "Covoiturage"),
            ("CARD_WRITTEN", "Covoiturage"),
            ("PHASE_CHANGED", None),
        ]
        for ws in screens:
            ws.send_json({"id": "1", "type": "complete"})
        wait_for_subscribers(workshop, 0, at_most=True)

        # An invalid token in the payload closes the connection: 4403 Forbidden.
        for payload in (
            {"authorization": "Bearer not-a-token"},
            {"token": boss[:-4] + "AAAA"},
            {"authorization": f"Basic {boss}"},
            {"token": 42},
        ):
            ws = connect(payload)
            closed = ws.receive()
            assert closed["type"] == "websocket.close", (payload, closed)
            assert closed["code"] == 4403, payload


async def test_browsers_send_the_token_in_connection_init(world: Any) -> None:
    await asyncio.to_thread(browser_screens, world.settings)
