"""What one mutation records: every field it changed (whatever else the input carries, however
many times the unit of work flushed), one version step, and nothing at all for a no-op."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.auth.principal import Principal

CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id version updatedAt } errors { field code message } } }"""
UPDATE = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id version updatedAt status title sdgs externalReference { source id }
            communes { nisCode } stakeholders { role stakeholder { id } } pstActions { id } }
  errors { field code message } } }"""
CREATE_STAKEHOLDER = """mutation($input: CreateStakeholderInput!) {
  createStakeholder(input: $input) { stakeholder { id version } errors { field code message } } }"""
UPDATE_STAKEHOLDER = """mutation($input: UpdateStakeholderInput!) {
  updateStakeholder(input: $input) {
    stakeholder { id version updatedAt name kind needs externalReference { source id } }
    errors { field code message } } }"""
UPDATE_CONTACT = """mutation($input: UpdateContactInput!) { updateContact(input: $input) {
  contact { id version } errors { field code message } } }"""
TRAIL = """query($id: ID) { auditTrail(object: $id, first: 50) { edges { node {
  action objectType objectId changes } } } }"""
FEED = """query($after: String) { changes(first: 50, after: $after) {
  edges { node { type objectId data } } } }"""


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def key(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


async def _commune(world: Any, nis: str) -> str:
    async with world.sessionmaker() as session:
        found = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == nis))
        ).scalar_one()
    return gid("Commune", found)


async def _hannut_action_and_stakeholders(world: Any) -> tuple[str, list[str]]:
    """A live PST action of Hannut's plan and two live organisations."""
    async with world.sessionmaker() as session:
        action = (
            await session.execute(
                select(m.PstAction.id)
                .join(
                    m.OperationalObjective,
                    m.OperationalObjective.id == m.PstAction.operational_objective_id,
                )
                .join(
                    m.StrategicObjective,
                    m.StrategicObjective.id == m.OperationalObjective.strategic_objective_id,
                )
                .join(m.StrategicPlan, m.StrategicPlan.id == m.StrategicObjective.plan_id)
                .join(m.Commune, m.Commune.id == m.StrategicPlan.commune_id)
                .where(m.Commune.nis_code == "64034", m.PstAction.deleted_at.is_(None))
                .order_by(m.PstAction.id)
                .limit(1)
            )
        ).scalar_one()
        stakeholders = (
            (
                await session.execute(
                    select(m.Stakeholder.id)
                    .where(m.Stakeholder.deleted_at.is_(None))
                    .order_by(m.Stakeholder.id)
                    .limit(2)
                )
            )
            .scalars()
            .all()
        )
    return gid("PstAction", action), [gid("Stakeholder", s) for s in stakeholders]


async def _count(world: Any, model: Any) -> int:
    async with world.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _trail(run: Any, admin: Principal, object_id: str) -> list[dict[str, Any]]:
    body = await run(TRAIL, {"id": object_id}, principal=admin)
    assert "errors" not in body, body
    return [e["node"] for e in body["data"]["auditTrail"]["edges"]]


async def _feed_since(run: Any, cursor: str, admin: Principal) -> list[dict[str, Any]]:
    body = await run(FEED, {"after": cursor}, principal=admin)
    assert "errors" not in body, body
    return [e["node"] for e in body["data"]["changes"]["edges"]]


async def _new_project(world: Any, run: Any, admin: Principal) -> dict[str, Any]:
    payload = (
        await run(
            CREATE,
            {
                "input": {
                    "title": {"fr": "Tiers-lieu"},
                    "focus": "COLLABORATION",
                    "status": "IDEA",
                    "sdgs": [3],
                    "communes": [await _commune(world, "64034")],
                }
            },
            principal=admin,
        )
    )["data"]["createProject"]
    assert payload["errors"] == [], payload
    project: dict[str, Any] = payload["project"]
    return project


async def test_an_update_with_an_external_reference_records_every_changed_field(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    """What a city system sends on every update: the real changes and its own key. The audit
    entry, the change feed (and so the webhooks) name every changed field, links included,
    each with its before and after; the version moves one step."""
    admin = principals["admin"]
    project = await _new_project(world, run, admin)
    hannut, andenne = await _commune(world, "64034"), await _commune(world, "92003")
    action, (lead, partner) = await _hannut_action_and_stakeholders(world)
    cursor = (await run("{ changesCursor }"))["data"]["changesCursor"]
    payload = (
        await run(
            UPDATE,
            {
                "input": {
                    "id": project["id"],
                    "version": 1,
                    "status": "IN_PROGRESS",
                    "title": {"fr": "Tiers-lieu de Hannut"},
                    "sdgs": [11, 3],
                    "communes": [hannut, andenne],
                    "stakeholders": [
                        {"stakeholder": lead, "role": "LEAD"},
                        {"stakeholder": partner, "role": "PARTNER"},
                    ],
                    "pstActions": [action],
                    "externalReference": {"source": "pst-hannut", "id": "TL-1"},
                }
            },
            principal=principals["integrator_rw"],
        )
    )["data"]["updateProject"]
    assert payload["errors"] == [], payload
    assert payload["project"]["version"] == 2

    expected = {
        "status",
        "title",
        "sdgs",
        "communes",
        "stakeholders",
        "pst_actions",
        "external_source",
        "external_id",
    }
    [updated, _created] = await _trail(run, admin, project["id"])
    assert updated["action"] == "updated"
    changes = updated["changes"]
    assert set(changes) == expected
    assert changes["status"] == {"before": "idea", "after": "in_progress"}
    assert changes["title"] == {
        "before": {"fr": "Tiers-lieu"},
        "after": {"fr": "Tiers-lieu de Hannut"},
    }
    assert changes["sdgs"] == {"before": [3], "after": [3, 11]}
    assert changes["external_id"] == {"before": None, "after": "TL-1"}
    assert changes["communes"] == {
        "before": [key(hannut)],
        "after": sorted([key(hannut), key(andenne)]),
    }
    assert changes["stakeholders"] == {
        "before": [],
        "after": sorted([[key(lead), "lead"], [key(partner), "partner"]]),
    }
    assert changes["pst_actions"] == {"before": [], "after": [key(action)]}

    [event] = await _feed_since(run, cursor, admin)
    assert event["type"] == "project.updated"
    assert event["data"]["changed"] == sorted(expected)


async def test_a_stakeholder_update_with_an_external_reference_records_every_changed_field(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    admin = principals["admin"]
    hannut, andenne = await _commune(world, "64034"), await _commune(world, "92003")
    created = (
        await run(
            CREATE_STAKEHOLDER,
            {"input": {"kind": "ASSOCIATION", "name": "Repair café", "communes": [hannut]}},
            principal=admin,
        )
    )["data"]["createStakeholder"]
    assert created["errors"] == []
    stakeholder = created["stakeholder"]
    cursor = (await run("{ changesCursor }"))["data"]["changesCursor"]
    payload = (
        await run(
            UPDATE_STAKEHOLDER,
            {
                "input": {
                    "id": stakeholder["id"],
                    "version": 1,
                    "name": "Repair café de Hannut",
                    "kind": "CITIZEN_INITIATIVE",
                    "needs": ["VOLUNTEERS"],
                    "communes": [hannut, andenne],
                    "externalReference": {"source": "crm-hannut", "id": "RC-7"},
                }
            },
            principal=principals["integrator_rw"],
        )
    )["data"]["updateStakeholder"]
    assert payload["errors"] == [], payload
    assert payload["stakeholder"]["version"] == 2
    expected = {"name", "kind", "needs", "communes", "external_source", "external_id"}
    [updated, _created] = await _trail(run, admin, stakeholder["id"])
    assert set(updated["changes"]) == expected
    assert updated["changes"]["name"] == {
        "before": "Repair café",
        "after": "Repair café de Hannut",
    }
    assert updated["changes"]["kind"] == {"before": "association", "after": "citizen_initiative"}
    assert updated["changes"]["communes"] == {
        "before": [key(hannut)],
        "after": sorted([key(hannut), key(andenne)]),
    }
    [event] = await _feed_since(run, cursor, admin)
    assert event["data"]["changed"] == sorted(expected)


async def test_resending_identical_values_changes_nothing_and_emits_nothing(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    """A city system re-sends its whole record, unchanged: same version, same updatedAt, no
    audit entry, no event (so no webhook); the payload shows the object as it is."""
    admin = principals["admin"]
    client = principals["integrator_rw"]
    project = await _new_project(world, run, admin)
    hannut = await _commune(world, "64034")
    action, (lead, partner) = await _hannut_action_and_stakeholders(world)
    full = {
        "status": "PLANNED",
        "title": {"fr": "Tiers-lieu"},
        "sdgs": [11, 3],
        "communes": [hannut],
        "stakeholders": [
            {"stakeholder": lead, "role": "LEAD"},
            {"stakeholder": partner, "role": "PARTNER"},
        ],
        "pstActions": [action],
        "externalReference": {"source": "pst-hannut", "id": "TL-2"},
    }
    first = (
        await run(UPDATE, {"input": {"id": project["id"], "version": 1, **full}}, principal=client)
    )["data"]["updateProject"]
    assert first["errors"] == [] and first["project"]["version"] == 2
    audits, events = await _count(world, m.AuditEntry), await _count(world, m.EventRecord)

    # The same record again, lists in another order, texts and keys with their blanks.
    again = {
        **full,
        "sdgs": [3, 11],
        "communes": [hannut, hannut],
        "stakeholders": list(reversed(full["stakeholders"])),
        "externalReference": {"source": "pst-hannut", "id": " TL-2 "},
    }
    same = (
        await run(UPDATE, {"input": {"id": project["id"], "version": 2, **again}}, principal=client)
    )["data"]["updateProject"]
    assert same["errors"] == [], same
    assert same["project"] == first["project"]
    assert (await _count(world, m.AuditEntry), await _count(world, m.EventRecord)) == (
        audits,
        events,
    )

    # The same for an organisation and for a contact.
    stakeholder_id = lead
    before = (
        await run(
            "query($id: ID!) { node(id: $id) { ... on Stakeholder { version name kind needs } } }",
            {"id": stakeholder_id},
        )
    )["data"]["node"]
    unchanged = (
        await run(
            UPDATE_STAKEHOLDER,
            {
                "input": {
                    "id": stakeholder_id,
                    "version": before["version"],
                    "name": before["name"],
                    "kind": before["kind"],
                    "needs": before["needs"],
                }
            },
            principal=client,
        )
    )["data"]["updateStakeholder"]
    assert unchanged["errors"] == []
    assert unchanged["stakeholder"]["version"] == before["version"]
    async with world.sessionmaker() as session:
        contact = (await session.execute(select(m.Contact).limit(1))).scalar_one()
    same_contact = (
        await run(
            UPDATE_CONTACT,
            {
                "input": {
                    "id": gid("Contact", contact.id),
                    "version": contact.version,
                    "givenName": contact.given_name,
                    "email": contact.email,
                }
            },
            principal=client,
        )
    )["data"]["updateContact"]
    assert same_contact["errors"] == []
    assert same_contact["contact"]["version"] == contact.version
    assert (await _count(world, m.AuditEntry), await _count(world, m.EventRecord)) == (
        audits,
        events,
    )


async def test_one_mutation_is_one_version_step(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    """However many times the unit of work flushes (look-ups autoflush, links are written
    apart), the row moves one version, and the version it returns is the one to send back."""
    admin = principals["admin"]
    project = await _new_project(world, run, admin)
    action, (lead, _partner) = await _hannut_action_and_stakeholders(world)
    version = 1
    for step in range(3):
        payload = (
            await run(
                UPDATE,
                {
                    "input": {
                        "id": project["id"],
                        "version": version,
                        "summary": {"fr": f"Étape {step}"},
                        "stakeholders": [{"stakeholder": lead, "role": "LEAD"}]
                        if step % 2 == 0
                        else [],
                        "pstActions": [action] if step % 2 == 0 else [],
                        "externalReference": {"source": "pst-hannut", "id": f"S-{step}"},
                    }
                },
                principal=admin,
            )
        )["data"]["updateProject"]
        assert payload["errors"] == [], payload
        assert payload["project"]["version"] == version + 1
        version += 1
    # Only a link changed: still exactly one step, and updatedAt moves for syncing clients.
    before = payload["project"]
    links_only = (
        await run(
            UPDATE,
            {
                "input": {
                    "id": project["id"],
                    "version": version,
                    "stakeholders": [{"stakeholder": lead, "role": "FUNDER"}],
                }
            },
            principal=admin,
        )
    )["data"]["updateProject"]
    assert links_only["errors"] == []
    assert links_only["project"]["version"] == version + 1
    assert links_only["project"]["updatedAt"] > before["updatedAt"]
    [entry, *_] = await _trail(run, admin, project["id"])
    assert set(entry["changes"]) == {"stakeholders"}
    assert entry["changes"]["stakeholders"] == {
        "before": [[key(lead), "lead"]],
        "after": [[key(lead), "funder"]],
    }
