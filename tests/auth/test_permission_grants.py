"""A plugin's permission granted to a role, as administrators and editors use it: a token,
then /graphql. The workshops plugin's ``workshops:organise`` is checked against an event's
commune (``per_commune``); ``surveys:manage`` is not."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.core.errors import SettingsError

HANNUT, ANDENNE = "64034", "92003"

GRANT = """mutation($input: PermissionGrantInput!) { grantPermission(input: $input) {
  grant { id role permission communeNisCode commune { nisCode } source grantedBy }
  errors { field code message } } }"""
REVOKE = """mutation($input: PermissionGrantInput!) { revokePermission(input: $input) {
  grant { id role permission communeNisCode source } errors { field code message } } }"""
GRANTS = """query($role: String) { permissionGrants(role: $role) {
  id role permission communeNisCode commune { nisCode } source } }"""
CREATE_EVENT = """mutation($input: CreateWorkshopsEventInput!) {
  createWorkshopsEvent(input: $input) { event { id } errors { field code message } } }"""
CREATE_SURVEY = """mutation($input: CreateSurveyInput!) {
  createSurvey(input: $input) { survey { id } errors { field code message } } }"""


class Api:
    """The app over a fresh copy of the small demo GAL, and tokens for its people."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    async def token(self, role: Role, communes: Sequence[str] = (), subject: str = "") -> str:
        issued = await self.app.state.issuer.issue(
            subject=subject or f"{role.value}-{'-'.join(communes)}",
            roles=[role],
            communes=communes,
        )
        return issued.access_token

    async def gql(self, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def commune(self, nis: str) -> str:
        async with self.app.state.sessionmaker() as session:
            key = await session.scalar(select(m.Commune.id).where(m.Commune.nis_code == nis))
        return base64.b64encode(f"Commune:{key}".encode()).decode()

    async def create_event(self, token: str, nis: str) -> dict[str, Any]:
        event = {
            "kind": "TRAINING",
            "title": {"fr": "Midi du Smart"},
            "startsAt": "2099-03-28T12:00:00",
            "endsAt": "2099-03-28T13:30:00",
            "commune": await self.commune(nis),
        }
        body = await self.gql(token, CREATE_EVENT, input=event)
        return body["data"]["createWorkshopsEvent"]


async def _api(settings: Any) -> AsyncIterator[Api]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
            yield Api(app, c)


@pytest.fixture
async def api(world: Any) -> AsyncIterator[Api]:
    async for value in _api(world.settings):
        yield value


def _code(payload: dict[str, Any]) -> tuple[str | None, str] | None:
    errors = payload["errors"]
    return (errors[0]["field"], errors[0]["code"]) if errors else None


async def test_an_editor_organises_events_once_granted_and_no_longer_once_revoked(
    api: Api,
) -> None:
    admin = await api.token(Role.TERRITORY_ADMIN, subject="gal-admin")
    editor = await api.token(Role.COMMUNE_EDITOR, [HANNUT])
    before = await api.create_event(editor, HANNUT)
    assert _code(before) == (None, "FORBIDDEN")
    assert "workshops:organise" in before["errors"][0]["message"]

    grant = {"role": "commune_editor", "permission": "workshops:organise"}
    granted = (await api.gql(admin, GRANT, input=grant))["data"]["grantPermission"]
    assert granted["errors"] == [], granted
    assert granted["grant"]["source"] == "ADMINISTRATOR"
    assert granted["grant"]["grantedBy"] == "gal-admin"
    assert granted["grant"]["communeNisCode"] is None
    # Granting it again changes nothing: one grant, one audit entry.
    again = (await api.gql(admin, GRANT, input=grant))["data"]["grantPermission"]
    assert again["grant"]["id"] == granted["grant"]["id"]

    # The editor's next token (the next request on this worker) carries the grant, still
    # within its own communes only.
    assert _code(await api.create_event(editor, HANNUT)) is None
    assert _code(await api.create_event(editor, ANDENNE)) == ("commune", "FORBIDDEN")

    listed = (await api.gql(admin, GRANTS, role="commune_editor"))["data"]["permissionGrants"]
    assert [(g["permission"], g["source"]) for g in listed] == [
        ("workshops:organise", "ADMINISTRATOR")
    ]
    audit = await api.gql(
        admin,
        "query($id: ID!) { auditTrail(object: $id) { edges { node { action subject } } } }",
        id=granted["grant"]["id"],
    )
    assert [e["node"] for e in audit["data"]["auditTrail"]["edges"]] == [
        {"action": "granted", "subject": "gal-admin"}
    ]

    revoked = (await api.gql(admin, REVOKE, input=grant))["data"]["revokePermission"]
    assert revoked["errors"] == [], revoked
    assert revoked["grant"]["id"] == granted["grant"]["id"]
    assert _code(await api.create_event(editor, HANNUT)) == (None, "FORBIDDEN")
    assert (await api.gql(admin, GRANTS))["data"]["permissionGrants"] == []
    gone = (await api.gql(admin, REVOKE, input=grant))["data"]["revokePermission"]
    assert _code(gone) == ("permission", "NOT_FOUND")

    # Both changes are domain events for those who read the audit trail.
    async with api.app.state.sessionmaker() as session:
        types = (
            await session.scalars(
                select(m.EventRecord.type)
                .where(m.EventRecord.type.like("permissiongrant.%"))
                .order_by(m.EventRecord.id)
            )
        ).all()
    assert types == ["permissiongrant.granted", "permissiongrant.revoked"]


async def test_a_grant_for_one_commune_does_not_reach_another(api: Api) -> None:
    admin = await api.token(Role.TERRITORY_ADMIN)
    both = await api.token(Role.COMMUNE_EDITOR, [HANNUT, ANDENNE])
    andenne = await api.token(Role.COMMUNE_EDITOR, [ANDENNE])
    grant = {
        "role": "commune_editor",
        "permission": "workshops:organise",
        "commune": await api.commune(HANNUT),
    }
    granted = (await api.gql(admin, GRANT, input=grant))["data"]["grantPermission"]
    assert granted["errors"] == [], granted
    assert granted["grant"]["communeNisCode"] == HANNUT
    assert granted["grant"]["commune"] == {"nisCode": HANNUT}

    # An editor of Hannut and Andenne organises in Hannut, not in Andenne...
    assert _code(await api.create_event(both, HANNUT)) is None
    refused = await api.create_event(both, ANDENNE)
    assert _code(refused) == ("commune", "FORBIDDEN")
    # ... and an editor of Andenne alone holds nothing.
    assert _code(await api.create_event(andenne, ANDENNE)) == (None, "FORBIDDEN")

    # A grant everywhere and one in Hannut are two grants: revoking one leaves the other.
    everywhere = {"role": "commune_editor", "permission": "workshops:organise"}
    assert (await api.gql(admin, REVOKE, input=everywhere))["data"]["revokePermission"]["errors"][
        0
    ]["code"] == "NOT_FOUND"
    assert (await api.gql(admin, REVOKE, input=grant))["data"]["revokePermission"]["errors"] == []
    assert _code(await api.create_event(both, HANNUT)) == (None, "FORBIDDEN")


EDITOR, MEMBER, ORGANISE, SURVEYS = (
    "commune_editor",
    "stakeholder_member",
    "workshops:organise",
    "surveys:manage",
)


@pytest.mark.parametrize(
    ("role", "permission", "commune", "field", "code", "says"),
    [
        (EDITOR, "workshops:manage", None, "permission", "INVALID", "unknown permission"),
        ("mayor", SURVEYS, None, "role", "INVALID", "grant to one of commune_editor"),
        ("integrator", SURVEYS, None, "role", "INVALID", "--scope"),
        ("territory_admin", SURVEYS, None, "role", "INVALID", "every permission"),
        # surveys:manage protects no commune's objects: granted to a role as a whole.
        (EDITOR, SURVEYS, HANNUT, "commune", "INVALID", "grant it without a commune"),
        (MEMBER, ORGANISE, HANNUT, "commune", "INVALID", "not a per-commune role"),
        (EDITOR, ORGANISE, "Q29tbXVuZTo5OTk5OTk=", "commune", "NOT_FOUND", "no Commune"),
    ],
)
async def test_grants_that_cannot_be_made_say_what_to_fix(
    api: Api, role: str, permission: str, commune: str | None, field: str, code: str, says: str
) -> None:
    admin = await api.token(Role.TERRITORY_ADMIN)
    grant = {"role": role, "permission": permission}
    if commune is not None:
        grant["commune"] = await api.commune(HANNUT) if commune == HANNUT else commune
    payload = (await api.gql(admin, GRANT, input=grant))["data"]["grantPermission"]
    assert payload["grant"] is None
    error = payload["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert says in error["message"]


async def test_only_administrators_grant_and_list(api: Api) -> None:
    editor = await api.token(Role.COMMUNE_EDITOR, [HANNUT])
    grant = {"role": "commune_editor", "permission": "workshops:organise"}
    refused = (await api.gql(editor, GRANT, input=grant))["data"]["grantPermission"]
    assert _code(refused) == (None, "FORBIDDEN")
    anonymous = (await api.gql(None, REVOKE, input=grant))["data"]["revokePermission"]
    assert _code(anonymous) == (None, "UNAUTHENTICATED")
    for query in (GRANTS, "{ permissions { code } }"):
        body = await api.gql(editor, query)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_administrators_list_what_they_may_grant(api: Api) -> None:
    admin = await api.token(Role.TERRITORY_ADMIN)
    body = await api.gql(admin, "{ permissions { code description perCommune } }")
    declared = {p["code"]: p["perCommune"] for p in body["data"]["permissions"]}
    assert declared["workshops:organise"] is True
    assert declared["surveys:manage"] is False
    assert "permissions:manage" not in declared  # nobody may be granted the granting


def _survey() -> dict[str, Any]:
    return {
        "title": {"fr": "Besoins numériques"},
        "questions": [{"key": "q1", "type": "FREE_TEXT", "title": {"fr": "Vos besoins ?"}}],
    }


async def test_a_grant_by_configuration(world: Any, make_settings: Any) -> None:
    settings = world.settings.model_copy(
        update={
            "role_permissions": {
                "commune_editor": [
                    "surveys:manage",
                    {"permission": "workshops:organise", "communes": [HANNUT]},
                ]
            }
        }
    )
    async for api in _api(settings):
        admin = await api.token(Role.TERRITORY_ADMIN)
        editor = await api.token(Role.COMMUNE_EDITOR, [HANNUT, ANDENNE])
        member = await api.token(Role.STAKEHOLDER_MEMBER)
        created = (await api.gql(editor, CREATE_SURVEY, input=_survey()))["data"]["createSurvey"]
        assert created["errors"] == [], created
        refused = (await api.gql(member, CREATE_SURVEY, input=_survey()))["data"]["createSurvey"]
        assert _code(refused) == (None, "FORBIDDEN")
        assert _code(await api.create_event(editor, HANNUT)) is None
        assert _code(await api.create_event(editor, ANDENNE)) == ("commune", "FORBIDDEN")

        listed = (await api.gql(admin, GRANTS))["data"]["permissionGrants"]
        assert [(g["permission"], g["communeNisCode"], g["source"], g["id"]) for g in listed] == [
            ("surveys:manage", None, "SETTING", None),
            ("workshops:organise", HANNUT, "SETTING", None),
        ]
        configured = {"role": "commune_editor", "permission": "surveys:manage"}
        kept = (await api.gql(admin, REVOKE, input=configured))["data"]["revokePermission"]
        assert _code(kept) == ("permission", "NOT_FOUND")
        assert "BOCAGE_ROLE_PERMISSIONS" in kept["errors"][0]["message"]


def test_the_setting_is_checked_at_startup(make_settings: Any, tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    with pytest.raises(SettingsError, match="BOCAGE_ROLE_PERMISSIONS.*unknown role 'mayor'"):
        make_settings(url, role_permissions='{"mayor": ["surveys:manage"]}')
    with pytest.raises(SettingsError, match="is not JSON"):
        make_settings(url, role_permissions="commune_editor=surveys:manage")
    unknown = make_settings(url, role_permissions='{"commune_editor": ["surveys:mange"]}')
    with pytest.raises(
        SettingsError, match="BOCAGE_ROLE_PERMISSIONS: commune_editor: .*'surveys:mange'"
    ):
        create_app(unknown)
    not_per_commune = make_settings(
        url,
        role_permissions='{"commune_editor": '
        '[{"permission": "surveys:manage", "communes": ["64034"]}]}',
    )
    with pytest.raises(SettingsError, match="surveys:manage is not checked per commune"):
        create_app(not_per_commune)
