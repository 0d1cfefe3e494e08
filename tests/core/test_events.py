"""The event log's visibility rule in SQL (``visible_to``) says what the row rule in Python
(``policy.can`` and ``policy.may_touch_stakeholder``, which guard reading contacts) says, for
every kind of principal and every shape of scope, on both engines."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from sqlalchemy import select

from bocage.core import models as m
from bocage.core.auth import policy
from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role
from bocage.core.events import Reader, core_scopes, record_event, visible_to
from bocage.core.hookspecs import DomainEvent, EventScope

H, A, X = "64034", "92003", "61003"  # Hannut, Andenne, and a commune nobody edits
ORG_1, ORG_2 = 1001, 1002


def _person(role: Role, communes: tuple[str, ...] = (), orgs: tuple[int, ...] = ()) -> Principal:
    return Principal(
        kind=PrincipalKind.PERSON,
        subject=f"{role}-{communes}-{orgs}",
        roles=frozenset({role}),
        communes=frozenset(communes),
        stakeholders=frozenset(orgs),
    )


def _client(scopes: tuple[str, ...], communes: tuple[str, ...] = ()) -> Principal:
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject="c",
        client_id="c",
        roles=frozenset({Role.INTEGRATOR}),
        scopes=frozenset(scopes),
        communes=frozenset(communes),
    )


PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "admin": _person(Role.TERRITORY_ADMIN),
    "editor H": _person(Role.COMMUNE_EDITOR, (H,)),
    "editor A": _person(Role.COMMUNE_EDITOR, (A,)),
    "editor H+A": _person(Role.COMMUNE_EDITOR, (H, A)),
    "editor of none": _person(Role.COMMUNE_EDITOR),
    "member 1": _person(Role.STAKEHOLDER_MEMBER, orgs=(ORG_1,)),
    "member 1+2": _person(Role.STAKEHOLDER_MEMBER, orgs=(ORG_1, ORG_2)),
    "member 1, editor A": Principal(
        kind=PrincipalKind.PERSON,
        subject="both",
        roles=frozenset({Role.STAKEHOLDER_MEMBER, Role.COMMUNE_EDITOR}),
        communes=frozenset({A}),
        stakeholders=frozenset({ORG_1}),
    ),
    "client contacts H": _client(("contacts:read", "personal_data:manage"), (H,)),
    "client contacts": _client(("contacts:read",)),
    "client": _client(("projects:write",)),
}
SCOPES = [None] + [
    EventScope(stakeholder=org, communes=frozenset(communes))
    for org, communes in itertools.product(
        (None, ORG_1, ORG_2), ((), (H,), (A,), (H, A), (X,), (H, X))
    )
]
PERMISSIONS = (None, "contacts:read", "personal_data:manage")


def _may_learn(principal: Principal, permission: str | None, scope: EventScope | None) -> bool:
    """The rule for reading a row, in Python (as the contact guard applies it)."""
    if permission is None:
        return True
    if principal.is_anonymous or not policy.can(principal, permission):
        return False
    return scope is None or policy.may_touch_stakeholder(
        principal, scope.stakeholder, scope.communes
    )


async def test_the_sql_rule_agrees_with_the_row_rule(world: Any) -> None:
    cases: dict[int, tuple[str | None, EventScope | None]] = {}
    async with world.sessionmaker() as session, session.begin():
        for n, (permission, scope) in enumerate(itertools.product(PERMISSIONS, SCOPES)):
            subject = base64.b64encode(f"Probe:{n + 1}".encode()).decode()
            record = await record_event(
                session, DomainEvent("probe.tested", subject), permission=permission, scope=scope
            )
            cases[record.id] = (permission, scope)
    disagreements = []
    allowed = 0
    for name, principal in PRINCIPALS.items():
        async with world.sessionmaker() as session:
            visible = set(
                (
                    await session.execute(
                        select(m.EventRecord.id).where(
                            m.EventRecord.type == "probe.tested",
                            visible_to(Reader.of(world.host, principal)),
                        )
                    )
                ).scalars()
            )
        for record_id, (permission, scope) in cases.items():
            expected = _may_learn(principal, permission, scope)
            allowed += expected
            if (record_id in visible) != expected:
                disagreements.append((name, permission, scope, record_id in visible))
    assert disagreements == []
    assert 0 < allowed < len(PRINCIPALS) * len(cases)  # the grid has both outcomes


async def test_the_core_finds_its_rows_scope(world: Any) -> None:
    """Contacts: their organisation and its communes; organisations: themselves; projects:
    their communes; a contact that does not exist: nobody's (fail closed); other types: none."""
    async with world.sessionmaker() as session:
        contact = (await session.execute(select(m.Contact).limit(1))).scalar_one()
        codes = set(
            (
                await session.execute(
                    select(m.Commune.nis_code)
                    .join(m.stakeholder_commune)
                    .where(m.stakeholder_commune.c.stakeholder_id == contact.stakeholder_id)
                )
            ).scalars()
        )
        assert codes
        found = await core_scopes(session, "Contact", [contact.id, 10**9])
        assert found == {
            contact.id: EventScope(stakeholder=contact.stakeholder_id, communes=frozenset(codes)),
            10**9: EventScope(),
        }
        assert (await core_scopes(session, "Stakeholder", [contact.stakeholder_id])) == {
            contact.stakeholder_id: EventScope(
                stakeholder=contact.stakeholder_id, communes=frozenset(codes)
            )
        }
        project = (await session.execute(select(m.Project.id).limit(1))).scalar_one()
        [project_scope] = (await core_scopes(session, "Project", [project])).values()
        assert project_scope.stakeholder is None and project_scope.communes
        assert await core_scopes(session, "WorkshopsEvent", [1]) == {}
        # A bulk import's many rows are read in chunks (PostgreSQL binds at most 32767 values).
        many = await core_scopes(session, "Contact", list(range(1, 40_001)))
        assert len(many) == 40_000 and many[contact.id].stakeholder == contact.stakeholder_id


async def test_a_mutation_gives_its_events_scope_through_change(world: Any) -> None:
    """``Change(scope=...)`` (what a plugin's mutation returns) is the scope recorded: it
    replaces the one the core would find."""
    import types

    from bocage.core.graphql.context import Context
    from bocage.core.graphql.mutations.kit import Change, mutate
    from bocage.core.graphql.mutations.stakeholders import CONTACTS_WRITE

    admin = _person(Role.TERRITORY_ADMIN)
    context = Context(
        settings=world.settings,
        host=world.host,
        sessionmaker=world.sessionmaker,
        language="fr",
        principal=admin,
    )

    async def change(session: Any, principal: Any) -> Change:
        stakeholder = (await session.execute(select(m.Stakeholder.id).limit(1))).scalar_one()
        contact = m.Contact(stakeholder_id=stakeholder, given_name="A", family_name="B")
        session.add(contact)
        await session.flush()
        scope = EventScope(communes=frozenset({X}))
        return Change(row=contact, action="created", changes={}, scope=scope)

    try:
        outcome = await mutate(
            types.SimpleNamespace(context=context),  # type: ignore[arg-type]  # stands for Info
            permission=CONTACTS_WRITE,
            operation="test",
            change=change,
            model=m.Contact,
        )
    finally:
        await context.close()
    assert outcome.errors is None
    async with world.sessionmaker() as session:
        record = (
            await session.execute(
                select(m.EventRecord).where(
                    m.EventRecord.object_type == "Contact",
                    m.EventRecord.object_id == outcome.row.id,
                )
            )
        ).scalar_one()
        communes = (
            await session.execute(
                select(m.event_scope_commune.c.nis_code).where(
                    m.event_scope_commune.c.event_log_id == record.id
                )
            )
        ).scalars()
        assert (record.scoped, record.scope_stakeholder_id, list(communes)) == (True, None, [X])
