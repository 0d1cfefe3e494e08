"""Run GraphQL documents as a given principal against a fresh demo database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bocage.core import migrate
from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role
from bocage.core.db import create_engine, sessionmaker
from bocage.core.graphql.context import Context
from bocage.core.graphql.schema import build_schema
from bocage.core.host import PluginHost
from bocage.core.seed import seed_all
from bocage.core.settings import load_settings

Run = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
async def small_demo_url(databases: Any) -> str:
    """A migrated database with a small demo GAL, copied for every test that writes."""
    url = await databases.new()
    settings = load_settings(database_url=url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    await migrate.upgrade(engine, host)
    await seed_all(engine, host, scale=0.2)
    await engine.dispose()
    return url


@pytest.fixture
async def world(databases: Any, small_demo_url: str, make_settings: Any) -> AsyncIterator[Any]:
    """A fresh copy of the small demo database (each test may write to it)."""
    settings = make_settings(await databases.clone(small_demo_url))
    host = PluginHost(settings)
    engine = create_engine(settings)

    class World:
        pass

    w = World()
    w.settings, w.host, w.engine = settings, host, engine
    w.schema = build_schema(host)
    w.sessionmaker = sessionmaker(engine)
    yield w
    await engine.dispose()


@pytest.fixture
def run(world: Any) -> Run:
    async def execute(
        query: str, variables: dict[str, Any] | None = None, *, principal: Principal = ANONYMOUS
    ) -> dict[str, Any]:
        context = Context(
            settings=world.settings,
            host=world.host,
            sessionmaker=world.sessionmaker,
            language="fr",
            principal=principal,
        )
        try:
            result = await world.schema.execute(
                query, variable_values=variables, context_value=context
            )
        finally:
            await context.close()
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [
                {"message": e.message, "extensions": e.extensions} for e in result.errors
            ]
        return body

    return execute


def person(
    role: Role, communes: tuple[str, ...] = (), stakeholders: tuple[int, ...] = ()
) -> Principal:
    return Principal(
        kind=PrincipalKind.PERSON,
        subject=f"{role.value}-{'-'.join(communes) or 'all'}",
        roles=frozenset({role}),
        communes=frozenset(communes),
        stakeholders=frozenset(stakeholders),
    )


def client(scopes: tuple[str, ...], communes: tuple[str, ...] = ()) -> Principal:
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject="client-1",
        client_id="client-1",
        roles=frozenset({Role.INTEGRATOR}),
        scopes=frozenset(scopes),
        communes=frozenset(communes),
    )


@pytest.fixture
def principals() -> dict[str, Principal]:
    return {
        "anonymous": ANONYMOUS,
        "admin": person(Role.TERRITORY_ADMIN),
        "hannut_editor": person(Role.COMMUNE_EDITOR, ("64034",)),
        "andenne_editor": person(Role.COMMUNE_EDITOR, ("92003",)),
        "member": person(Role.STAKEHOLDER_MEMBER),
        "integrator_rw": client(("projects:write", "stakeholders:write", "contacts:write")),
        "integrator_ro": client(()),
        "integrator_hannut": client(("projects:write",), ("64034",)),
    }
