"""The audit trail names the plugin's objects as GraphQL does: `auditTrail(object:)` with the
global ID a client holds finds an event's and a registration's entries; entries written with
model names before are renamed by the plugin's migration (and back on downgrade)."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import insert, select

from bocage.core import migrate
from bocage.core import models as m
from bocage.core.auth.principal import Principal, PrincipalKind, Role

DPO = Principal(kind=PrincipalKind.PERSON, subject="dpo", roles=frozenset({Role.TERRITORY_ADMIN}))
TRAIL = """query($id: ID) { auditTrail(object: $id, first: 20) { edges { node {
  action objectType objectId } } } }"""
CHECK_IN = """mutation($input: CheckInWorkshopsRegistrationInput!) {
  checkInWorkshopsRegistration(input: $input) { errors { code } } }"""


async def _trail(run: Any, object_id: str) -> list[dict[str, Any]]:
    body = await run(TRAIL, {"id": object_id}, principal=DPO)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["auditTrail"]["edges"]]


async def test_events_and_registrations_are_found_by_their_global_id(run: Any, ws: Any) -> None:
    event = await ws.publish()
    entries = await _trail(run, event["id"])
    assert [e["action"] for e in entries] == ["published", "created"]
    assert {(e["objectType"], e["objectId"]) for e in entries} == {("WorkshopsEvent", event["id"])}

    seat = (
        await run(
            ws.REGISTER,
            {"input": {"event": event["id"], "name": "Luc", "email": "luc@example.org"}},
        )
    )["data"]["registerForWorkshopsEvent"]
    checked = await run(
        CHECK_IN,
        {"input": {"event": event["id"], "code": seat["checkInCode"]}},
        principal=ws.ORGANISER,
    )
    assert checked["data"]["checkInWorkshopsRegistration"]["errors"] == []
    registration = seat["registration"]["id"]
    assert base64.b64decode(registration).decode().startswith("WorkshopsRegistration:")
    [entry] = await _trail(run, registration)
    assert (entry["action"], entry["objectType"], entry["objectId"]) == (
        "checked_in",
        "WorkshopsRegistration",
        registration,
    )


async def test_the_migration_renames_old_entries_and_back(world: Any, run: Any, ws: Any) -> None:
    event = await ws.publish()
    seat = (
        await run(
            ws.REGISTER,
            {"input": {"event": event["id"], "name": "Ann", "email": "ann@example.org"}},
        )
    )["data"]["registerForWorkshopsEvent"]
    event_key = int(base64.b64decode(event["id"]).decode().split(":")[1])
    registration_key = int(base64.b64decode(seat["registration"]["id"]).decode().split(":")[1])
    engine, host = world.engine, world.host
    async with engine.begin() as connection:
        await connection.execute(
            insert(m.AuditEntry),
            [
                _entry("Event", event_key),
                _entry("Registration", registration_key),
                _entry("Event", 999_999),  # no workshops event: another plugin's
                _entry("Project", event_key),
            ],
        )
    old = [
        ("Event", event_key),
        ("Registration", registration_key),
        ("Event", 999_999),
        ("Project", event_key),
    ]
    new = [("WorkshopsEvent", event_key), ("WorkshopsRegistration", registration_key), *old[2:]]
    await migrate.downgrade(engine, host, "workshops_0003")
    assert await _names(engine) == old
    await migrate.upgrade(engine, host)
    assert await _names(engine) == new
    await migrate.downgrade(engine, host, "workshops_0003")
    assert await _names(engine) == old
    await migrate.upgrade(engine, host)
    assert await _names(engine) == new
    assert (await migrate.state(engine, host)).at_head


def _entry(object_type: str, object_id: int) -> dict[str, Any]:
    return {
        "subject": "legacy",
        "action": "updated",
        "object_type": object_type,
        "object_id": object_id,
        "changes": {},
    }


async def _names(engine: Any) -> list[tuple[str, int]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(m.AuditEntry.object_type, m.AuditEntry.object_id)
            .where(m.AuditEntry.subject == "legacy")
            .order_by(m.AuditEntry.id)
        )
        return [(t, i) for t, i in rows.all()]
