"""Fixtures of the authentication tests: a migrated app with a controllable clock."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bocage.core import migrate
from bocage.core.api import Permission, RestRoute, hookimpl
from bocage.core.app import create_app
from bocage.core.auth.clients import create_client
from bocage.core.auth.keys import KeyStore
from bocage.core.auth.tokens import Authenticator, TokenIssuer, request_principal
from bocage.core.host import PluginHost

SCOPES = ("tests:read", "tests:write", "tests:admin")


class Clock:
    """A clock the tests move by hand (no sleeps)."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def whoami(request: Request) -> JSONResponse:
    principal = await request_principal(request)
    return JSONResponse(
        {
            "kind": principal.kind.value,
            "subject": principal.subject,
            "scopes": sorted(principal.scopes),
        }
    )


AUTH_TEST_PLUGIN = SimpleNamespace(
    bocage_permissions=hookimpl(lambda: [Permission(code, f"test {code}") for code in SCOPES]),
    bocage_routes=hookimpl(
        lambda: [RestRoute(name="tests_whoami", route=Route("/api/tests/whoami", whoami))]
    ),
)


@dataclass
class AuthApp:
    app: Any
    client: httpx.AsyncClient
    clock: Clock
    keys: KeyStore
    authenticator: Authenticator
    issuer: TokenIssuer
    stack: contextlib.AsyncExitStack

    async def from_address(self, ip: str) -> httpx.AsyncClient:
        """A client whose requests come from ``ip``."""
        transport = httpx.ASGITransport(app=self.app, client=(ip, 50000))
        return await self.stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://bocage.test")
        )

    async def new_client(
        self, scopes: tuple[str, ...] = SCOPES[:2], communes: tuple[str, ...] = ()
    ):
        async with self.app.state.sessionmaker() as session, session.begin():
            return await create_client(
                session, name="test", scopes=scopes, known_scopes=SCOPES, communes=communes
            )

    async def token_for(
        self, client_id: str, secret: str, *, http: httpx.AsyncClient | None = None, **form: str
    ) -> httpx.Response:
        return await (http or self.client).post(
            "/oauth/token",
            data={"grant_type": "client_credentials", **form},
            auth=(client_id, secret),
        )


MakeAuthApp = Callable[..., contextlib.AbstractAsyncContextManager[AuthApp]]


@pytest.fixture
def make_auth_app(empty_database_url: str, make_settings: Any) -> MakeAuthApp:
    """``async with make_auth_app(**settings) as auth_app``: a migrated app on a new database,
    whose keys, authenticator and issuer run on a :class:`Clock` the test moves."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[AuthApp]:
        overrides.setdefault("auth_key_cache_ttl", 30)
        settings = make_settings(empty_database_url, **overrides)
        host = PluginHost(settings, extra=[("authtests", AUTH_TEST_PLUGIN)])
        app = create_app(settings, host=host)
        clock = Clock()
        keys = KeyStore(app.state.sessionmaker, settings, clock=clock)
        app.state.keys = keys
        app.state.authenticator = Authenticator(settings, keys, clock=clock)
        app.state.issuer = TokenIssuer(settings, keys, clock=clock)
        async with app.router.lifespan_context(app), contextlib.AsyncExitStack() as stack:
            assert (await migrate.state(app.state.engine, host)).at_head
            transport = httpx.ASGITransport(app=app)
            c = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://bocage.test")
            )
            yield AuthApp(app, c, clock, keys, app.state.authenticator, app.state.issuer, stack)

    return run


@pytest.fixture
async def auth_app(make_auth_app: MakeAuthApp) -> AsyncIterator[AuthApp]:
    async with make_auth_app() as auth_app:
        yield auth_app
