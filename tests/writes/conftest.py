"""Run GraphQL documents as a given principal against a fresh demo database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role

Run = Callable[..., Awaitable[dict[str, Any]]]


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
