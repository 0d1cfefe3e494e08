"""The decision of :mod:`bocage.core.auth.policy` with the grants of a principal's roles, and
how :class:`bocage.core.auth.grants.RoleGrants` gives a principal those grants."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bocage.core.auth import policy
from bocage.core.auth.grants import (
    Grant,
    GrantRefused,
    RoleGrants,
    check_grant,
    grantable_role,
    parse_setting,
    setting_grants,
)
from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.hookspecs import Permission

ORGANISE = "workshops:organise"
HANNUT, ANDENNE, WANZE = "64034", "92003", "61072"


def editor(*communes: str, grants: frozenset[tuple[str, str | None]] = frozenset()) -> Principal:
    return Principal(
        kind=PrincipalKind.PERSON,
        subject="e",
        roles=frozenset({Role.COMMUNE_EDITOR}),
        communes=frozenset(communes),
        grants=grants,
    )


def test_without_a_grant_an_editor_holds_only_its_role_s_permissions() -> None:
    principal = editor(HANNUT)
    assert policy.can(principal, "projects:write")
    assert not policy.can(principal, ORGANISE)
    assert policy.commune_scope(principal, ORGANISE) == frozenset()
    assert not policy.may_touch_communes(principal, {HANNUT}, ORGANISE)


def test_a_global_grant_applies_wherever_the_role_reaches() -> None:
    principal = editor(HANNUT, ANDENNE, grants=frozenset({(ORGANISE, None)}))
    assert policy.can(principal, ORGANISE)
    assert policy.commune_scope(principal, ORGANISE) == {HANNUT, ANDENNE}
    assert policy.may_touch_communes(principal, {HANNUT, ANDENNE}, ORGANISE)
    assert not policy.may_touch_communes(principal, {WANZE}, ORGANISE)


def test_a_per_commune_grant_applies_to_that_commune_only() -> None:
    principal = editor(HANNUT, ANDENNE, grants=frozenset({(ORGANISE, HANNUT)}))
    assert policy.can(principal, ORGANISE)
    assert policy.commune_scope(principal, ORGANISE) == {HANNUT}
    assert policy.may_touch_communes(principal, {HANNUT}, ORGANISE)
    assert not policy.may_touch_communes(principal, {ANDENNE}, ORGANISE)
    assert not policy.may_touch_communes(principal, {HANNUT, ANDENNE}, ORGANISE)
    # Without naming the permission, the principal's own communes (the core's rules).
    assert policy.commune_scope(principal) == {HANNUT, ANDENNE}
    # Another permission is not granted by it.
    assert not policy.can(principal, "surveys:manage")


def test_a_grant_for_a_commune_that_is_not_the_editor_s_gives_nothing() -> None:
    principal = editor(ANDENNE, grants=frozenset({(ORGANISE, HANNUT)}))
    assert not policy.can(principal, ORGANISE)
    assert not policy.may_touch_communes(principal, {HANNUT}, ORGANISE)


def test_administrators_and_scoped_integrators_are_unchanged() -> None:
    admin = Principal(kind=PrincipalKind.PERSON, roles=frozenset({Role.TERRITORY_ADMIN}))
    assert policy.can(admin, ORGANISE) and policy.commune_scope(admin, ORGANISE) is None
    integrator = Principal(
        kind=PrincipalKind.CLIENT,
        client_id="c",
        roles=frozenset({Role.INTEGRATOR}),
        scopes=frozenset({ORGANISE}),
        communes=frozenset({HANNUT}),
    )
    assert policy.can(integrator, ORGANISE)
    assert policy.commune_scope(integrator, ORGANISE) == {HANNUT}
    assert policy.commune_scope(integrator, "surveys:manage") == frozenset()


DECLARED = {
    ORGANISE: Permission(ORGANISE, "", per_commune=True),
    "surveys:manage": Permission("surveys:manage", ""),
}


@pytest.mark.parametrize(
    ("role", "permission", "commune", "field"),
    [
        (Role.COMMUNE_EDITOR, "workshops:manage", None, "permission"),
        (Role.COMMUNE_EDITOR, "surveys:manage", HANNUT, "commune"),
        (Role.STAKEHOLDER_MEMBER, ORGANISE, HANNUT, "commune"),
    ],
)
def test_grants_refused(role: Role, permission: str, commune: str | None, field: str) -> None:
    with pytest.raises(GrantRefused) as refused:
        check_grant(role, permission, commune, DECLARED)
    assert refused.value.field == field


def test_grants_allowed() -> None:
    check_grant(Role.COMMUNE_EDITOR, ORGANISE, HANNUT, DECLARED)
    check_grant(Role.STAKEHOLDER_MEMBER, "surveys:manage", None, DECLARED)


@pytest.mark.parametrize("name", ["territory_admin", "integrator", "mayor"])
def test_roles_that_take_no_grants(name: str) -> None:
    with pytest.raises(GrantRefused):
        grantable_role(name)


def test_the_setting_s_shapes() -> None:
    parsed = parse_setting(
        '{"commune_editor": ["surveys:manage", '
        '{"permission": "workshops:organise", "communes": ["92003", "64034"]}]}'
    )
    assert setting_grants(parsed) == [
        Grant(Role.COMMUNE_EDITOR, "surveys:manage"),
        Grant(Role.COMMUNE_EDITOR, ORGANISE, HANNUT),  # sorted, once each
        Grant(Role.COMMUNE_EDITOR, ORGANISE, ANDENNE),
    ]
    assert parse_setting("") == {}
    for wrong, says in [
        ('["surveys:manage"]', "JSON object"),
        ('{"commune_editor": "surveys:manage"}', "list"),
        ('{"stakeholder_member": [{"permission": "x", "communes": ["64034"]}]}', "per-commune"),
        ('{"commune_editor": [{"permission": "x", "communes": ["Hannut"]}]}', "NIS"),
        ('{"commune_editor": [3]}', "each item"),
    ]:
        with pytest.raises(ValueError, match=says):
            parse_setting(wrong)


class _Sessions:
    """Counts the reads of the stored grants (none stored)."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> Any:
        sessions = self

        class _Session:
            async def __aenter__(self) -> Any:
                sessions.reads += 1
                return self

            async def __aexit__(self, *exc: object) -> None:
                return None

            async def execute(self, statement: Any) -> list[Any]:
                return []

        return _Session()


async def test_role_grants_are_read_once_per_period_and_after_a_change() -> None:
    now = [1000.0]
    sessions = _Sessions()
    settings: Any = dataclasses.make_dataclass(
        "S", [("role_permissions", dict), ("auth_grants_cache_ttl", int)]
    )({"stakeholder_member": ["surveys:manage"]}, 30)
    grants = RoleGrants(sessions, settings, clock=lambda: now[0])  # type: ignore[arg-type]
    member = Principal(kind=PrincipalKind.PERSON, roles=frozenset({Role.STAKEHOLDER_MEMBER}))
    assert (await grants.apply(member)).grants == {("surveys:manage", None)}
    await grants.apply(member)
    assert sessions.reads == 1
    now[0] += 30
    await grants.apply(member)
    assert sessions.reads == 2
    grants.forget()
    await grants.apply(member)
    assert sessions.reads == 3
    # Roles that take no grants never cost a read, even once the period is over.
    now[0] += 60
    await grants.apply(Principal(roles=frozenset({Role.TERRITORY_ADMIN})))
    assert sessions.reads == 3
    assert (await grants.apply(editor(HANNUT))).grants == frozenset()  # none for editors
    assert sessions.reads == 4
