"""A WebSocket lives longer than the token it was opened with: its subscriptions close when the
token expires (4401, "token expired") or its OAuth client is revoked (4403), checked before
each event is sent and on a timer (``BOCAGE_GRAPHQL_WS_RECHECK_SECONDS``, or the token's
expiry when sooner), whether the token came in the upgrade's header or in connection_init."""

from __future__ import annotations

import asyncio
import base64
import functools
import time
import warnings
from contextlib import ExitStack
from typing import Any

import anyio

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from bocage.core.app import create_app
from bocage.core.auth.clients import create_client, revoke_client
from bocage.core.auth.principal import Role
from bocage.plugins.workshops import live

SUBSCRIBE = "subscription($w: ID!) { workshopsCardWorkshopLive(workshop: $w) { type phase } }"


def receive_within(ws: Any, seconds: float) -> dict[str, Any]:
    """The next message of the TestClient's ``ws``, failing after ``seconds`` (its own
    ``receive`` waits forever)."""

    async def receive() -> dict[str, Any]:
        with anyio.fail_after(seconds):
            message: dict[str, Any] = await ws._send_rx.receive()
            return message

    try:
        result: dict[str, Any] = ws.portal.call(receive)
    except TimeoutError:
        raise AssertionError(f"no message within {seconds} s") from None
    return result


class Live:
    """An app, an administrator who runs a card workshop, and screens subscribed to it."""

    def __init__(self, stack: ExitStack, settings: Any) -> None:
        self.stack = stack
        self.client = stack.enter_context(TestClient(create_app(settings)))
        self.app: Any = self.client.app
        self.boss = self.token(subject="facilitator", roles=(Role.TERRITORY_ADMIN,))
        self.workshop = self.call(
            "createWorkshopsCardWorkshop",
            "CreateWorkshopsCardWorkshopInput",
            {"title": {"fr": "Atelier aux jetons courts"}},
        )["workshop"]["id"]
        for alias in ("Ann", "Bob"):  # writing needs two participants
            self.call(
                "joinWorkshopsCardWorkshop",
                "JoinWorkshopsCardWorkshopInput",
                {"workshop": self.workshop, "alias": alias},
                token=self.token(subject=alias.lower()),
            )

    def token(self, **claims: Any) -> str:
        issue = functools.partial(self.app.state.issuer.issue, **claims)
        return str(self.client.portal.call(issue).access_token)

    def call(
        self, field: str, type_: str, input: dict[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        query = (
            f"mutation($i: {type_}!) {{ {field}(input: $i) {{ workshop {{ id }} "
            "errors { code message } } }"
        )
        response = self.client.post(
            "/graphql",
            json={"query": query, "variables": {"i": input}},
            headers={"Authorization": f"Bearer {token or self.boss}"},
        )
        data: dict[str, Any] = response.json()["data"][field]
        assert data["errors"] == [], data
        return data

    def advance(self, to: str) -> None:
        self.call(
            "advanceWorkshopsCardWorkshop",
            "AdvanceWorkshopsCardWorkshopInput",
            {"workshop": self.workshop, "to": to},
        )

    def screen(self, token: str, *, in_payload: bool) -> Any:
        headers = {} if in_payload else {"Authorization": f"Bearer {token}"}
        ws = self.stack.enter_context(
            self.client.websocket_connect(
                "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
            )
        )
        payload = {"token": token} if in_payload else {}
        ws.send_json({"type": "connection_init", "payload": payload})
        assert receive_within(ws, 5)["text"] == '{"type":"connection_ack"}'
        query = {"query": SUBSCRIBE, "variables": {"w": self.workshop}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": query})
        return ws

    def wait_for_subscribers(self, count: int) -> None:
        deadline = time.monotonic() + 10
        while live.subscribers(_key(self.workshop)) < count:
            assert time.monotonic() < deadline, "the subscriptions never registered"
            time.sleep(0.01)


def _key(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def assert_closed(ws: Any, code: int, reason: str, within: float) -> None:
    message = receive_within(ws, within)
    assert message["type"] == "websocket.close", message
    assert (message["code"], message["reason"]) == (code, reason), message


def expiring(settings: Any) -> None:
    with ExitStack() as stack:
        live_ = Live(stack, settings)
        # Tokens of 2 seconds (no leeway), one in the upgrade's header, one in the payload.
        screens = [
            live_.screen(live_.token(subject=f"ann{i}", ttl=2), in_payload=bool(i))
            for i in range(2)
        ]
        live_.wait_for_subscribers(2)
        # Before expiry, events flow.
        live_.advance("INVENTORY")
        for ws in screens:
            assert '"next"' in receive_within(ws, 5)["text"]
        # Then the timer closes them at the token's expiry, with no event to send.
        for ws in screens:
            assert_closed(ws, 4401, "token expired", within=5)


def revoked(settings: Any, *, before_an_event: bool) -> None:
    with ExitStack() as stack:
        live_ = Live(stack, settings)
        portal = live_.client.portal

        async def new_client() -> str:
            async with live_.app.state.sessionmaker() as session, session.begin():
                made = await create_client(session, name="screen", scopes=[], known_scopes=[])
            return made.client_id

        client_id = portal.call(new_client)
        token = live_.token(subject=client_id, client_id=client_id, roles=(Role.INTEGRATOR,))
        ws = live_.screen(token, in_payload=True)
        live_.wait_for_subscribers(1)
        live_.advance("INVENTORY")
        assert '"next"' in receive_within(ws, 5)["text"]

        async def revoke() -> None:
            async with live_.app.state.sessionmaker() as session, session.begin():
                assert await revoke_client(session, client_id)

        portal.call(revoke)
        if before_an_event:
            # The timer is an hour away: the next event finds the client revoked.
            live_.advance("WRITING")
        assert_closed(ws, 4403, "client revoked", within=5)


async def test_a_subscription_closes_when_its_token_expires(world: Any, make_settings: Any) -> None:
    settings = make_settings(
        world.settings.database_url, auth_leeway=0, graphql_ws_recheck_seconds=3600
    )
    await asyncio.to_thread(expiring, settings)


async def test_a_subscription_closes_on_its_next_event_once_its_client_is_revoked(
    world: Any, make_settings: Any
) -> None:
    settings = make_settings(
        world.settings.database_url, auth_client_cache_ttl=0, graphql_ws_recheck_seconds=3600
    )
    await asyncio.to_thread(revoked, settings, before_an_event=True)


async def test_a_quiet_subscription_closes_within_the_recheck_once_its_client_is_revoked(
    world: Any, make_settings: Any
) -> None:
    settings = make_settings(
        world.settings.database_url, auth_client_cache_ttl=0, graphql_ws_recheck_seconds=1
    )
    await asyncio.to_thread(revoked, settings, before_an_event=False)
