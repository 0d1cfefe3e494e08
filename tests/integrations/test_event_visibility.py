"""Who learns of which event, by the change feed (GraphQL ``changes``, REST ``/api/changes``)
and by webhooks: exactly the events of the rows they may read.

Organisation A and organisation B act in Hannut. A's contact is created, changed, archived and
erased; a project of A in Hannut is created and changed. Each principal must learn of exactly
the events of the rows it may read: contacts only with ``contacts:read`` on their organisation
(its members, the editors of all its communes, integrators in them; their erasure with
``personal_data:manage`` too), projects and organisations by anyone.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role

HANNUT, ANDENNE = "64034", "92003"

CREATE_STAKEHOLDER = """mutation($input: CreateStakeholderInput!) {
  createStakeholder(input: $input) { stakeholder { id } errors { code message } } }"""
CREATE_CONTACT = """mutation($input: CreateContactInput!) { createContact(input: $input) {
  contact { id version } errors { code message } } }"""
UPDATE_CONTACT = """mutation($input: UpdateContactInput!) { updateContact(input: $input) {
  contact { id version } errors { code message } } }"""
ARCHIVE_CONTACT = """mutation($input: ArchiveStakeholderInput!) {
  archiveContact(input: $input) { contact { id } errors { code message } } }"""
ERASE = """mutation($email: String!) { erasePerson(input: {email: $email}) {
  erasedContacts errors { code message } } }"""
CREATE_PROJECT = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id version } errors { code message } } }"""
UPDATE_PROJECT = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id version } errors { code message } } }"""

ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-admin", roles=frozenset({Role.TERRITORY_ADMIN})
)


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def key_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def person(name: str, role: Role, communes: tuple[str, ...] = (), org: int | None = None) -> Any:
    return Principal(
        kind=PrincipalKind.PERSON,
        subject=name,
        roles=frozenset({role}),
        communes=frozenset(communes),
        stakeholders=frozenset({org} if org is not None else ()),
    )


def integrator(name: str, scopes: tuple[str, ...], communes: tuple[str, ...] = ()) -> Principal:
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject=name,
        client_id=name,
        roles=frozenset({Role.INTEGRATOR}),
        scopes=frozenset(scopes),
        communes=frozenset(communes),
    )


PRIVACY = ("contacts:read", "personal_data:manage", "webhooks:manage")


def principals(org_a: int, org_b: int) -> dict[str, Principal]:
    return {
        "anonymous": ANONYMOUS,
        "admin": ADMIN,
        "hannut_editor": person("hannut-editor", Role.COMMUNE_EDITOR, (HANNUT,)),
        "andenne_editor": person("andenne-editor", Role.COMMUNE_EDITOR, (ANDENNE,)),
        "member_a": person("member-a", Role.STAKEHOLDER_MEMBER, org=org_a),
        "member_b": person("member-b", Role.STAKEHOLDER_MEMBER, org=org_b),
        "integrator_hannut": integrator("crm-hannut", PRIVACY, (HANNUT,)),
        "integrator_andenne": integrator("crm-andenne", PRIVACY, (ANDENNE,)),
        "integrator_contacts": integrator("crm-all", ("contacts:read", "webhooks:manage")),
        "integrator_without": integrator("agenda", ("projects:write", "webhooks:manage")),
    }


PUBLIC = ["stakeholder.created", "stakeholder.created", "project.created", "project.updated"]
CONTACT = ["contact.created", "contact.updated", "contact.archived"]
ERASED = ["contact.erased"]
#: The person's erasure: territory-wide, so not for readers restricted to communes.
PERSON = ["person.erased"]

#: What each principal must see of the scenario, in order (written out, not computed).
EXPECTED: dict[str, list[str]] = {
    "anonymous": PUBLIC,
    "admin": PUBLIC + CONTACT + ERASED + PERSON,
    "hannut_editor": PUBLIC + CONTACT,
    "andenne_editor": PUBLIC,
    "member_a": PUBLIC + CONTACT,
    "member_b": PUBLIC,
    "integrator_hannut": PUBLIC + CONTACT + ERASED,
    "integrator_andenne": PUBLIC,
    "integrator_contacts": PUBLIC + CONTACT,
    "integrator_without": PUBLIC,
}


@dataclass
class Scenario:
    org_a: int
    org_b: int
    contact: str
    project: str


async def commune_id(sessionmaker: Any, nis_code: str) -> str:
    async with sessionmaker() as session:
        key = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == nis_code))
        ).scalar_one()
    return gid("Commune", key)


async def ok(run: Any, document: str, variables: dict[str, Any], field: str) -> Any:
    payload = (await run(document, variables, principal=ADMIN))["data"][field]
    assert payload["errors"] == [], payload
    return payload


async def scenario(run: Any, sessionmaker: Any) -> Scenario:
    """The events of the matrix, in the order of ``PUBLIC + CONTACT + ERASED + PERSON``."""
    hannut = await commune_id(sessionmaker, HANNUT)
    orgs = []
    for name in ("Organisation A", "Organisation B"):
        created = await ok(
            run,
            CREATE_STAKEHOLDER,
            {"input": {"kind": "ASSOCIATION", "name": name, "communes": [hannut]}},
            "createStakeholder",
        )
        orgs.append(created["stakeholder"]["id"])
    project = (
        await ok(
            run,
            CREATE_PROJECT,
            {
                "input": {
                    "title": {"fr": "Projet de A"},
                    "focus": "DIGITAL",
                    "communes": [hannut],
                    "stakeholders": [{"stakeholder": orgs[0], "role": "LEAD"}],
                }
            },
            "createProject",
        )
    )["project"]
    await ok(
        run,
        UPDATE_PROJECT,
        {"input": {"id": project["id"], "version": project["version"], "summary": {"fr": "x"}}},
        "updateProject",
    )
    contact = (
        await ok(
            run,
            CREATE_CONTACT,
            {
                "input": {
                    "stakeholder": orgs[0],
                    "givenName": "Anne",
                    "familyName": "Lambert",
                    "email": "anne.lambert@example.be",
                }
            },
            "createContact",
        )
    )["contact"]
    contact = (
        await ok(
            run,
            UPDATE_CONTACT,
            {"input": {"id": contact["id"], "version": contact["version"], "phone": "081000000"}},
            "updateContact",
        )
    )["contact"]
    await ok(
        run,
        ARCHIVE_CONTACT,
        {"input": {"id": contact["id"], "version": contact["version"]}},
        "archiveContact",
    )
    erased = await ok(run, ERASE, {"email": "anne.lambert@example.be"}, "erasePerson")
    assert erased["erasedContacts"] == 1
    return Scenario(
        org_a=key_of(orgs[0]), org_b=key_of(orgs[1]), contact=contact["id"], project=project["id"]
    )


# -- the change feed ------------------------------------------------------------------------

FEED = """query($after: String, $first: Int) {
  changes(first: $first, after: $after) {
    totalCount
    edges { cursor node { sequence eventId type objectType objectId deleted occurredAt data } }
    pageInfo { endCursor hasNextPage } } }"""


async def follow(run: Any, principal: Principal, cursor: str | None, first: int = 50) -> Any:
    """Every change after ``cursor`` as ``principal``; the pages as they came."""
    pages = []
    while True:
        body = await run(FEED, {"after": cursor, "first": first}, principal=principal)
        assert "errors" not in body, body
        page = body["data"]["changes"]
        pages.append(page)
        cursor = page["pageInfo"]["endCursor"] or cursor
        if not page["pageInfo"]["hasNextPage"]:
            return pages


def types_of(pages: list[dict[str, Any]]) -> list[str]:
    return [edge["node"]["type"] for page in pages for edge in page["edges"]]


async def test_graphql_changes_follow_the_rules_of_reading_the_rows(run: Any, world: Any) -> None:
    start = (await run("{ changesCursor }", principal=ADMIN))["data"]["changesCursor"]
    done = await scenario(run, world.sessionmaker)
    wrong: dict[str, list[str]] = {}
    for name, principal in principals(done.org_a, done.org_b).items():
        pages = await follow(run, principal, start)
        seen = types_of(pages)
        if seen != EXPECTED[name]:
            wrong[name] = seen
            continue
        # ``totalCount`` counts the whole feed as this reader sees it, from the beginning.
        everything = await follow(run, principal, None, first=100)
        assert pages[0]["totalCount"] == len(types_of(everything)), name
        if "contact.created" not in EXPECTED[name]:
            # Not a trace of the contact: no ID, no event ID, no time, no field name.
            assert done.contact not in str(pages), name
            assert "phone" not in str(pages), name
    assert wrong == {}, "principals that see other events than the rows they may read"


async def _register_client(sessionmaker: Any, principal: Any) -> None:
    from bocage.core.auth.models import OAuthClient

    async with sessionmaker() as session, session.begin():
        session.add(
            OAuthClient(
                client_id=principal.client_id,
                name=principal.client_id,
                secret_hash="unused",
                scopes=sorted(principal.scopes),
                communes=sorted(principal.communes),
            )
        )


async def test_rest_changes_follow_the_rules_of_reading_the_rows(run: Any, world: Any) -> None:
    start = (await run("{ changesCursor }", principal=ADMIN))["data"]["changesCursor"]
    done = await scenario(run, world.sessionmaker)
    app = create_app(world.settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bocage.test"
        ) as client,
    ):
        wrong: dict[str, list[str]] = {}
        for name, principal in principals(done.org_a, done.org_b).items():
            headers = {}
            if principal.client_id:
                # Tokens of clients the server does not know (or revoked) are refused.
                await _register_client(world.sessionmaker, principal)
            if not principal.is_anonymous:
                issued = await app.state.issuer.issue(
                    subject=principal.subject,
                    roles=principal.roles,
                    communes=principal.communes,
                    stakeholders=principal.stakeholders,
                    scopes=principal.scopes,
                    client_id=principal.client_id,
                )
                headers = {"Authorization": f"Bearer {issued.access_token}"}
            response = await client.get(
                "/api/changes", params={"after": start, "limit": 100}, headers=headers
            )
            assert response.status_code == 200, response.text
            seen = [item["type"] for item in response.json()["items"]]
            if seen != EXPECTED[name]:
                wrong[name] = seen
            elif "contact.created" not in EXPECTED[name]:
                assert done.contact not in response.text, name
        assert wrong == {}, "principals that see other events than the rows they may read"


@pytest.fixture
async def hidden_between(run: Any, world: Any) -> AsyncIterator[tuple[str, Scenario]]:
    start = (await run("{ changesCursor }", principal=ADMIN))["data"]["changesCursor"]
    yield start, await scenario(run, world.sessionmaker)


async def test_pages_are_full_whatever_is_hidden_between(
    run: Any, hidden_between: tuple[str, Scenario]
) -> None:
    """The feed is filtered in SQL: a page of one holds one event the reader may see, the
    hidden ones between do not make empty pages or a wrong ``hasNextPage``."""
    start, done = hidden_between
    member_b = principals(done.org_a, done.org_b)["member_b"]
    pages = await follow(run, member_b, start, first=1)
    assert [len(page["edges"]) for page in pages] == [1, 1, 1, 1]
    assert types_of(pages) == PUBLIC
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, True, False]


async def test_the_cursor_does_not_move_for_events_the_reader_cannot_see(
    run: Any, world: Any
) -> None:
    """Polling ``changesCursor`` (or an empty REST page's ``cursor``) must not tell a reader
    that something it cannot see happened meanwhile."""
    done = await scenario(run, world.sessionmaker)
    member_b = principals(done.org_a, done.org_b)["member_b"]
    before = (await run("{ changesCursor }", principal=member_b))["data"]["changesCursor"]
    assert (await follow(run, member_b, before))[0]["edges"] == []
    contact = await ok(
        run,
        CREATE_CONTACT,
        {
            "input": {
                "stakeholder": gid("Stakeholder", done.org_a),
                "givenName": "Paul",
                "familyName": "Martin",
            }
        },
        "createContact",
    )
    assert contact["contact"]["id"]
    after = (await run("{ changesCursor }", principal=member_b))["data"]["changesCursor"]
    assert after == before
    page = (await follow(run, member_b, before))[0]
    assert page["edges"] == [] and page["pageInfo"]["endCursor"] is None
    # Those who may read it see the cursor move, and the event.
    member_a = principals(done.org_a, done.org_b)["member_a"]
    moved = (await run("{ changesCursor }", principal=member_a))["data"]["changesCursor"]
    assert moved != before
    # (member B's cursor stands before the scenario's contact events too, hidden from it)
    assert types_of(await follow(run, member_a, before)) == [*CONTACT, "contact.created"]


# -- webhooks ----------------------------------------------------------------------------------

TYPES = [
    "stakeholder.created",
    "project.created",
    "project.updated",
    "contact.created",
    "contact.updated",
    "contact.archived",
    "contact.erased",
    "person.erased",
]
SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    subscription { id } errors { field code message } } }"""


def _needs(event_type: str) -> str | None:
    if event_type in ("contact.erased", "person.erased"):
        return "personal_data:manage"
    return "contacts:read" if event_type.startswith("contact.") else None


async def _relayed(world: Any) -> None:
    """Wait until the relay has read every event and the deliveries it queued have run."""
    for _ in range(400):
        async with world.sessionmaker() as session:
            head = (await session.execute(select(func.max(m.EventRecord.id)))).scalar_one()
            position = (await session.execute(select(m.JobCursor.position))).scalar_one()
            pending = (
                await session.execute(
                    select(func.count())
                    .select_from(m.WebhookDelivery)
                    .where(m.WebhookDelivery.status == "pending")
                )
            ).scalar_one()
        if position == head and pending == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the relay did not catch up")


async def test_subscribers_receive_the_events_of_the_rows_they_may_read(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any
) -> None:
    # Members of organisations are known once they exist: subscribe with ids to come, the
    # principals that may subscribe do not depend on them.
    everyone = principals(org_a=-1, org_b=-2)
    subscribed = []
    for name, principal in everyone.items():
        may_manage = principal.is_admin or principal.has_scope("webhooks:manage")
        types = [
            t
            for t in TYPES
            if principal.is_admin or _needs(t) is None or principal.has_scope(_needs(t) or "")
        ]
        payload = (
            await gql_as(
                SUBSCRIBE,
                {"input": {"url": f"{receiver.url}?who={name}", "eventTypes": types}},
                principal=principal,
            )
        )["data"]["createWebhookSubscription"]
        if not may_manage:
            expected = "UNAUTHENTICATED" if principal.is_anonymous else "FORBIDDEN"
            assert [e["code"] for e in payload["errors"]] == [expected], name
            continue
        assert payload["errors"] == [], (name, payload)
        subscribed.append(name)
        if types != TYPES:  # what it may not read, it may not subscribe to either
            refused = (
                await gql_as(
                    SUBSCRIBE,
                    {"input": {"url": f"{receiver.url}?who=x", "eventTypes": TYPES}},
                    principal=principal,
                )
            )["data"]["createWebhookSubscription"]
            assert refused["errors"][0]["code"] == "FORBIDDEN", name
    assert subscribed == [
        "admin",
        "integrator_hannut",
        "integrator_andenne",
        "integrator_contacts",
        "integrator_without",
    ]

    await scenario(gql_as, hooks.sessionmaker)
    await _relayed(hooks)

    received: dict[str, list[tuple[int, str]]] = {name: [] for name in subscribed}
    for request in receiver.requests:
        body = json.loads(request.body)
        received[request.query.removeprefix("who=")].append(
            (body["data"]["sequence"], body["type"])
        )
    wrong = {
        name: [t for _, t in sorted(set(got))]
        for name, got in received.items()
        if [t for _, t in sorted(set(got))] != EXPECTED[name]
    }
    assert wrong == {}, "subscribers that received other events than the rows they may read"


async def test_a_subscription_saved_before_reach_was_kept_gets_no_scoped_event_until_saved(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    """Subscriptions made before the subscriber's reach was kept (the migration leaves it
    empty) fail closed: no event about a contact until their owner saves them again."""
    from sqlalchemy import update

    sub = await kit.subscribe(gql_as, receiver.url, ["contact.created"])
    async with hooks.sessionmaker() as session, session.begin():
        await session.execute(update(m.WebhookSubscription).values(reach=None))
        stakeholder = (await session.execute(select(func.min(m.Stakeholder.id)))).scalar_one()
    contact = """mutation($input: CreateContactInput!) {
      createContact(input: $input) { errors { code } } }"""

    async def create(name: str) -> None:
        created = await gql_as(
            contact,
            {
                "input": {
                    "stakeholder": kit.gid("Stakeholder", stakeholder),
                    "givenName": name,
                    "familyName": "Dupont",
                }
            },
            principal=kit.admin(),
        )
        assert created["data"]["createContact"]["errors"] == []

    await create("Before")
    await _relayed(hooks)
    assert receiver.requests == []
    saved = (
        await gql_as(
            kit.UPDATE_SUBSCRIPTION,
            {"input": {"id": sub["subscription"]["id"], "description": "saved again"}},
            principal=kit.admin(),
        )
    )["data"]["updateWebhookSubscription"]
    assert saved["errors"] == []
    await create("After")
    await _relayed(hooks)
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["contact.created"]
