"""Organisations and contacts through the domain (``bocage.core.domain.stakeholders``) and
the unit of work, as a job or a script writes them: no GraphQL. The same rules, permission
checks, audit and events as ``createStakeholder``... (their GraphQL tests: tests/writes)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.domain import stakeholders
from bocage.core.domain.permissions import CONTACTS_WRITE, STAKEHOLDERS_WRITE
from bocage.core.domain.work import UnitOfWork
from bocage.core.testing import World


def _person(role: Role, communes: tuple[str, ...] = ()) -> Principal:
    return Principal(
        kind=PrincipalKind.PERSON,
        subject=f"{role.value}-{'-'.join(communes) or 'all'}",
        roles=frozenset({role}),
        communes=frozenset(communes),
    )


ADMIN = _person(Role.TERRITORY_ADMIN)
HANNUT_EDITOR = _person(Role.COMMUNE_EDITOR, ("64034",))


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _commune(world: World, nis: str) -> str:
    async with world.sessionmaker() as session:
        key = await session.scalar(select(m.Commune.id).where(m.Commune.nis_code == nis))
    return gid("Commune", key)


async def _events(world: World, kind: str) -> list[Any]:
    async with world.sessionmaker() as session:
        rows = await session.execute(
            select(m.EventRecord.permission).where(m.EventRecord.type == kind)
        )
        return list(rows.scalars())


async def _audited(world: World, type_name: str, key: int) -> int:
    async with world.sessionmaker() as session:
        return await session.scalar(  # type: ignore[no-any-return]
            select(func.count())
            .select_from(m.AuditEntry)
            .where(m.AuditEntry.object_type == type_name, m.AuditEntry.object_id == key)
        )


async def test_an_organisation_and_its_contact_through_the_domain(world: World) -> None:
    hannut = await _commune(world, "64034")
    work = UnitOfWork(world.sessionmaker, HANNUT_EDITOR)

    async def create(session: Any, principal: Any) -> Any:
        return await stakeholders.create_stakeholder(
            session,
            principal,
            stakeholders.NewStakeholder(
                kind="association",
                name="  Les Amis du Bocage ",
                communes=[hannut],
                needs=["visibility", "training", "visibility"],
                external_reference=("crm", "A-1"),
            ),
        )

    outcome = await work.run(
        permission=STAKEHOLDERS_WRITE,
        operation="createStakeholder",
        change=create,
        model=m.Stakeholder,
    )
    assert outcome.errors is None, outcome.errors
    organisation = outcome.row
    assert organisation.name == "Les Amis du Bocage"
    assert organisation.needs == ["training", "visibility"]
    assert (organisation.external_source, organisation.external_id) == ("crm", "A-1")
    assert await _audited(world, "Stakeholder", organisation.id) == 1
    assert await _events(world, "stakeholder.created") == [None]  # public

    async def rename(session: Any, principal: Any) -> Any:
        return await stakeholders.update_stakeholder(
            session, principal, gid("Stakeholder", organisation.id), 1, name="Bocage vivant"
        )

    outcome = await work.run(
        permission=STAKEHOLDERS_WRITE,
        operation="updateStakeholder",
        change=rename,
        model=m.Stakeholder,
    )
    assert outcome.errors is None and outcome.row.name == "Bocage vivant"
    assert outcome.row.needs == ["training", "visibility"]  # left out: unchanged

    async def contact(session: Any, principal: Any) -> Any:
        return await stakeholders.create_contact(
            session,
            principal,
            gid("Stakeholder", organisation.id),
            given_name="Anne",
            family_name="Lambert",
            email="anne@example.org",
        )

    outcome = await work.run(
        permission=CONTACTS_WRITE, operation="createContact", change=contact, model=m.Contact
    )
    assert outcome.errors is None, outcome.errors
    assert await _events(world, "contact.created") == ["contacts:read"]  # personal data


async def test_the_domain_refuses_what_the_mutations_refuse(world: World) -> None:
    andenne = await _commune(world, "92003")

    async def elsewhere(session: Any, principal: Any) -> Any:
        new = stakeholders.NewStakeholder(kind="enterprise", name="Ailleurs", communes=[andenne])
        return await stakeholders.create_stakeholder(session, principal, new)

    async def nowhere(session: Any, principal: Any) -> Any:
        new = stakeholders.NewStakeholder(kind="enterprise", name="Nulle part", communes=[])
        return await stakeholders.create_stakeholder(session, principal, new)

    async with world.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(m.Stakeholder))
    for change, principal, expected in [
        (elsewhere, HANNUT_EDITOR, ("communes", "FORBIDDEN")),
        (nowhere, ADMIN, ("communes", "REQUIRED")),
    ]:
        outcome = await UnitOfWork(world.sessionmaker, principal).run(
            permission=STAKEHOLDERS_WRITE,
            operation="createStakeholder",
            change=change,
            model=m.Stakeholder,
        )
        assert [(e.field, e.code.name) for e in outcome.errors or []] == [expected]
    async with world.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(m.Stakeholder)) == before

    async with world.sessionmaker() as session:
        with pytest.raises(TypeError, match="colour"):
            await stakeholders.update_stakeholder(session, ADMIN, "x", 1, colour="green")
        with pytest.raises(TypeError, match="salary"):
            await stakeholders.update_contact(session, ADMIN, "x", 1, salary=1)
