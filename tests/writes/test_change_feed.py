"""The event log and the change feed: recorded in the change's transaction, read back since a
cursor with no gap and no duplicate, deletions included, personal events guarded."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.auth.principal import Principal

CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id version } errors { field code message } } }"""
UPDATE = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id version } errors { field code message } } }"""
ARCHIVE = """mutation($input: ArchiveInput!) { archiveProject(input: $input) {
  project { id } errors { field code message } } }"""
CREATE_CONTACT = """mutation($input: CreateContactInput!) { createContact(input: $input) {
  contact { id } errors { field code message } } }"""
FEED = """query($after: String, $types: [String!], $objectTypes: [String!]) {
  changes(first: 50, after: $after, types: $types, objectTypes: $objectTypes) {
    edges { node { sequence eventId type objectType objectId deleted data
                   node { ... on Project { id version title } } } }
    pageInfo { endCursor hasNextPage } } }"""
PROJECT_IDS = """query($after: String) { projects(first: 100, after: $after) {
  edges { node { id version title } } pageInfo { endCursor hasNextPage } } }"""


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _hannut(world: Any) -> str:
    async with world.sessionmaker() as session:
        key = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == "64034"))
        ).scalar_one()
    return gid("Commune", key)


async def _events(world: Any) -> int:
    async with world.sessionmaker() as session:
        count = select(func.count()).select_from(m.EventRecord)
        return int((await session.execute(count)).scalar_one())


async def _all_projects(run: Any) -> dict[str, dict[str, Any]]:
    projects: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        page = (await run(PROJECT_IDS, {"after": after}))["data"]["projects"]
        for edge in page["edges"]:
            projects[edge["node"]["id"]] = edge["node"]
        if not page["pageInfo"]["hasNextPage"]:
            return projects
        after = page["pageInfo"]["endCursor"]


async def _follow(run: Any, cursor: str | None, principal: Any = None, **filters: Any) -> Any:
    """Every change after ``cursor``, following pages; the cursor to keep."""
    changes: list[dict[str, Any]] = []
    kwargs = {"principal": principal} if principal else {}
    while True:
        page = (await run(FEED, {"after": cursor, **filters}, **kwargs))["data"]["changes"]
        changes += [edge["node"] for edge in page["edges"]]
        cursor = page["pageInfo"]["endCursor"] or cursor
        if not page["pageInfo"]["hasNextPage"]:
            return changes, cursor


async def test_an_offline_client_catches_up_to_exactly_the_servers_state(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    admin = principals["admin"]
    hannut = await _hannut(world)
    # The client's first sync: note the feed's head, then load the collection.
    cursor = (await run("{ changesCursor }"))["data"]["changesCursor"]
    mirror = await _all_projects(run)
    assert mirror

    # While it is offline: creations, updates, an archive, a failed (rolled back) mutation.
    created = []
    for i in range(3):
        payload = (
            await run(
                CREATE,
                {"input": {"title": {"fr": f"Sync {i}"}, "focus": "DIGITAL", "communes": [hannut]}},
                principal=admin,
            )
        )["data"]["createProject"]
        assert payload["errors"] == []
        created.append(payload["project"])
    existing_id, existing = next(iter(mirror.items()))
    updated = (
        await run(
            UPDATE,
            {
                "input": {
                    "id": existing_id,
                    "version": existing["version"],
                    "summary": {"fr": "Neuf"},
                }
            },
            principal=admin,
        )
    )["data"]["updateProject"]
    assert updated["errors"] == []
    for project in (mirror[list(mirror)[1]], created[1]):
        archived = (
            await run(
                ARCHIVE,
                {"input": {"id": project["id"], "version": project["version"]}},
                principal=admin,
            )
        )["data"]["archiveProject"]
        assert archived["errors"] == []
    before_failure = await _events(world)
    failed = (
        await run(
            CREATE,
            {"input": {"title": {"fr": ""}, "focus": "DIGITAL", "communes": [hannut]}},
            principal=admin,
        )
    )["data"]["createProject"]
    assert failed["errors"]
    assert await _events(world) == before_failure  # rolled back: no event

    # Back online: apply the feed (filtered to projects) to the mirror.
    changes, cursor = await _follow(run, cursor, objectTypes=["Project"])
    assert [c["type"] for c in changes] == [
        "project.created",
        "project.created",
        "project.created",
        "project.updated",
        "project.archived",
        "project.archived",
    ]
    assert len({c["eventId"] for c in changes}) == len(changes)
    sequences = [c["sequence"] for c in changes]
    assert sequences == sorted(sequences)
    assert changes[3]["data"]["changed"] == ["summary"]
    for change in changes:
        if change["deleted"]:
            assert change["node"] is None
            mirror.pop(change["objectId"], None)
        else:
            node = change["node"]
            if node is not None:  # created then archived later: its tombstone follows
                mirror[change["objectId"]] = node
    assert mirror == await _all_projects(run)

    # Nothing happened since: the kept cursor yields nothing, and no duplicate.
    again, same = await _follow(run, cursor)
    assert again == [] and same == cursor


async def test_personal_data_events_need_the_permission_to_read_contacts(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    async with world.sessionmaker() as session:
        stakeholder = (
            await session.execute(select(m.Stakeholder.id).order_by(m.Stakeholder.id).limit(1))
        ).scalar_one()
    cursor = (await run("{ changesCursor }"))["data"]["changesCursor"]
    payload = (
        await run(
            CREATE_CONTACT,
            {
                "input": {
                    "stakeholder": gid("Stakeholder", stakeholder),
                    "givenName": "Marie",
                    "familyName": "Dupont",
                    "email": "marie@example.org",
                }
            },
            principal=principals["admin"],
        )
    )["data"]["createContact"]
    assert payload["errors"] == []
    anonymous, _ = await _follow(run, cursor)
    assert anonymous == []
    admin, _ = await _follow(run, cursor, principal=principals["admin"])
    assert [c["type"] for c in admin] == ["contact.created"]
    assert "Marie" not in str(admin[0]["data"])  # field names, never personal values


async def test_a_bad_cursor_is_a_typed_error(run: Any) -> None:
    body = await run(FEED, {"after": "not-a-cursor"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_rest_feed_pages_with_a_cursor(world: Any, run: Any, principals: Any) -> None:
    hannut = await _hannut(world)
    app = create_app(world.settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as client,
    ):
        head = (await client.get("/api/changes", params={"limit": 1000})).json()
        cursor = head["cursor"]
        while head["hasMore"]:
            head = (await client.get("/api/changes", params={"after": cursor})).json()
            cursor = head["cursor"]
        for i in range(3):
            await run(
                CREATE,
                {"input": {"title": {"fr": f"R{i}"}, "focus": "DIGITAL", "communes": [hannut]}},
                principal=principals["admin"],
            )
        first = await client.get("/api/changes", params={"after": cursor, "limit": 2})
        assert first.status_code == 200
        assert [i["type"] for i in first.json()["items"]] == ["project.created"] * 2
        assert first.json()["hasMore"] is True
        rest = await client.get("/api/changes", params={"after": first.json()["cursor"]})
        assert len(rest.json()["items"]) == 1 and rest.json()["hasMore"] is False
        bad = await client.get("/api/changes", params={"limit": "0"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
        bad = await client.get("/api/changes", params={"after": "%%%"})
        assert bad.status_code == 400 and "after" in bad.json()["error"]["message"]


async def test_concurrent_writers_never_let_a_reader_skip_an_event(
    world: Any, run: Any, principals: dict[str, Principal]
) -> None:
    """Writers commit while a reader polls with its cursor: it must see every event. On
    PostgreSQL this is what the event log's transaction lock guarantees."""
    hannut = await _hannut(world)
    cursor = (await run("{ changesCursor }"))["data"]["changesCursor"]
    seen: list[str] = []
    done = asyncio.Event()

    async def write(i: int) -> None:
        payload = (
            await run(
                CREATE,
                {"input": {"title": {"fr": f"C{i}"}, "focus": "DIGITAL", "communes": [hannut]}},
                principal=principals["admin"],
            )
        )["data"]["createProject"]
        assert payload["errors"] == []

    async def poll() -> None:
        nonlocal cursor
        while True:
            finished = done.is_set()
            changes, cursor = await _follow(run, cursor)
            seen.extend(c["eventId"] for c in changes)
            if finished:
                return
            await asyncio.sleep(0)

    reader = asyncio.create_task(poll())
    await asyncio.gather(*(write(i) for i in range(60)))
    done.set()
    await reader
    assert len(seen) == len(set(seen)) == 60


@pytest.mark.parametrize("limit", ["x", "5000"])
async def test_rest_feed_limit_is_checked(client: httpx.AsyncClient, limit: str) -> None:
    response = await client.get("/api/changes", params={"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["message"]
