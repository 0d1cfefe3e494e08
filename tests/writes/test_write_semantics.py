"""Idempotency keys, optimistic concurrency, validation messages, one transaction, the audit
trail and the domain events of the write API."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.auth.principal import Principal


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id version title communes { nisCode } stakeholders { role stakeholder { id } } }
  errors { field code message } } }"""
UPDATE = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id version title summary } errors { field code message } } }"""


async def _count(world: Any, model: Any) -> int:
    async with world.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _hannut(world: Any) -> str:
    async with world.sessionmaker() as session:
        key = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == "64034"))
        ).scalar_one()
    return gid("Commune", key)


async def test_retry_with_the_same_idempotency_key_returns_the_same_project(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    editor = principals["hannut_editor"]
    new = {
        "title": {"fr": "Fibre pour tous"},
        "focus": "DIGITAL",
        "communes": [await _hannut(world)],
        "idempotencyKey": "import-2026-001",
    }
    before = await _count(world, m.Project)
    first = (await run(CREATE, {"input": new}, principal=editor))["data"]["createProject"]
    again = (await run(CREATE, {"input": new}, principal=editor))["data"]["createProject"]
    assert first["errors"] == [] and again["errors"] == []
    assert again["project"]["id"] == first["project"]["id"]
    assert await _count(world, m.Project) == before + 1
    changed = {**new, "title": {"fr": "Autre chose"}}
    reused = (await run(CREATE, {"input": changed}, principal=editor))["data"]["createProject"]
    assert reused["project"] is None
    assert reused["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "new key" in reused["errors"][0]["message"]
    assert await _count(world, m.Project) == before + 1
    other_caller = principals["admin"]  # keys belong to their caller
    theirs = (await run(CREATE, {"input": new}, principal=other_caller))["data"]["createProject"]
    assert theirs["project"]["id"] != first["project"]["id"]


async def test_stale_update_is_a_conflict_and_changes_nothing(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    admin = principals["admin"]
    created = (
        await run(
            CREATE,
            {
                "input": {
                    "title": {"fr": "V1"},
                    "focus": "DIGITAL",
                    "communes": [await _hannut(world)],
                }
            },
            principal=admin,
        )
    )["data"]["createProject"]["project"]
    assert created["version"] == 1
    ok = await run(
        UPDATE,
        {"input": {"id": created["id"], "version": 1, "title": {"fr": "V2"}}},
        principal=admin,
    )
    assert ok["data"]["updateProject"]["project"]["version"] == 2
    stale = await run(
        UPDATE,
        {"input": {"id": created["id"], "version": 1, "summary": {"fr": "écrasé ?"}}},
        principal=admin,
    )
    error = stale["data"]["updateProject"]["errors"][0]
    assert error["code"] == "CONFLICT" and error["field"] == "version"
    assert "version 2" in error["message"]
    node = await run(
        "query($id: ID!) { node(id: $id) { ... on Project { title summary version } } }",
        {"id": created["id"]},
    )
    assert node["data"]["node"] == {"title": "V2", "summary": None, "version": 2}


async def test_validation_errors_say_what_to_fix_and_write_nothing(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    admin = principals["admin"]
    before = await _count(world, m.Project)
    cases = [
        ({"title": {"fr": "  "}}, "title", "REQUIRED"),
        ({"sdgs": [18]}, "sdgs", "INVALID"),
        ({"startDate": "2026-05-01", "endDate": "2026-01-01"}, "endDate", "INVALID"),
        ({"communes": []}, "communes", "REQUIRED"),
        ({"budget": "-5"}, "budget", "INVALID"),
        (
            {"stakeholders": [{"stakeholder": gid("Stakeholder", 999999), "role": "LEAD"}]},
            "stakeholders",
            "NOT_FOUND",
        ),
        ({"communes": [gid("Project", 1)]}, "communes", "INVALID"),
    ]
    for override, field, code in cases:
        data = {
            "title": {"fr": "Projet"},
            "focus": "DIGITAL",
            "communes": [await _hannut(world)],
            **override,
        }
        payload = (await run(CREATE, {"input": data}, principal=admin))["data"]["createProject"]
        assert payload["project"] is None, override
        assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (field, code)
        assert payload["errors"][0]["message"]
    assert await _count(world, m.Project) == before


async def test_one_transaction_per_mutation(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    """A failure after the project row was written (a missing stakeholder) leaves no project."""
    admin = principals["admin"]
    before = (await _count(world, m.Project), await _count(world, m.AuditEntry))
    data = {
        "title": {"fr": "À moitié"},
        "focus": "DIGITAL",
        "communes": [await _hannut(world)],
        "stakeholders": [{"stakeholder": gid("Stakeholder", 424242), "role": "PARTNER"}],
    }
    payload = (await run(CREATE, {"input": data}, principal=admin))["data"]["createProject"]
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert (await _count(world, m.Project), await _count(world, m.AuditEntry)) == before


async def test_audit_trail_records_who_what_and_when(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    editor = principals["hannut_editor"]
    created = (
        await run(
            CREATE,
            {
                "input": {
                    "title": {"fr": "Audité"},
                    "focus": "DIGITAL",
                    "communes": [await _hannut(world)],
                }
            },
            principal=editor,
        )
    )["data"]["createProject"]["project"]
    await run(
        UPDATE,
        {"input": {"id": created["id"], "version": 1, "title": {"fr": "Audité 2"}}},
        principal=editor,
    )
    query = """query($id: ID) { auditTrail(object: $id) { edges { node {
      subject action objectType objectId changes } } } }"""
    denied = await run(query, {"id": created["id"]}, principal=editor)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    trail = (await run(query, {"id": created["id"]}, principal=principals["admin"]))["data"]
    entries = [e["node"] for e in trail["auditTrail"]["edges"]]
    assert [e["action"] for e in entries] == ["updated", "created"]
    assert all(e["subject"] == editor.subject and e["objectId"] == created["id"] for e in entries)
    assert entries[0]["changes"]["title"] == {
        "before": {"fr": "Audité"},
        "after": {"fr": "Audité 2"},
    }


async def test_events_reach_plugins_after_commit_only(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    seen: list[str] = []
    world.host.emit = lambda event: seen.append(event.type) or []  # type: ignore[method-assign]
    await run(
        CREATE,
        {"input": {"title": {"fr": ""}, "focus": "DIGITAL", "communes": [await _hannut(world)]}},
        principal=principals["admin"],
    )
    assert seen == []
    await run(
        CREATE,
        {"input": {"title": {"fr": "Ok"}, "focus": "DIGITAL", "communes": [await _hannut(world)]}},
        principal=principals["admin"],
    )
    assert seen == ["project.created"]
