"""The workshops plugin's webhook event types: listed with the permission a subscriber needs,
refused to subscribers without it, and recorded with that same permission (never with an
e-mail address in their data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.models import EventRecord

TYPES = "{ webhookEventTypes { type description permission } }"
SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    subscription { eventTypes } errors { field code message } } }"""
CHECK_IN = """mutation($input: CheckInWorkshopsRegistrationInput!) {
  checkInWorkshopsRegistration(input: $input) { errors { code message } } }"""
ADVANCE = """mutation($input: AdvanceWorkshopsCardWorkshopInput!) {
  advanceWorkshopsCardWorkshop(input: $input) { errors { code message } } }"""
CREATE_WORKSHOP = """mutation($input: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $input) { workshop { id } errors { code message } } }"""

ORGANISE = "workshops:organise"
FACILITATE = "workshops:facilitate"


def integrator(*scopes: str) -> Principal:
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject="crm",
        client_id="crm",
        roles=frozenset({Role.INTEGRATOR}),
        scopes=frozenset(scopes),
    )


async def test_event_types_are_listed_with_the_permission_they_need(run: Any, ws: Any) -> None:
    listed = await run(TYPES, principal=ws.ORGANISER)
    types = {t["type"]: t["permission"] for t in listed["data"]["webhookEventTypes"]}
    for name in ("confirmed", "waitlisted", "promoted", "cancelled", "checked_in"):
        assert types[f"registration.{name}"] == ORGANISE
    assert types["event.created"] == ORGANISE  # a draft
    assert types["event.published"] is None
    assert types["event.updated"] is None
    assert types["event.cancelled"] is None
    assert types["workshop.phase_changed"] == FACILITATE
    assert types["workshop.challenge_promoted"] == FACILITATE


async def test_registration_types_need_the_organisers_permission(
    run: Any, ws: Any, world: Any
) -> None:
    world.settings = world.settings.model_copy(update={"webhooks_allow_private_targets": True})

    async def subscribe(principal: Principal, types: list[str]) -> Any:
        body = await run(
            SUBSCRIBE,
            {"input": {"url": "http://127.0.0.1:9/hooks", "eventTypes": types}},
            principal=principal,
        )
        return body["data"]["createWebhookSubscription"]

    refused = await subscribe(integrator("webhooks:manage"), ["registration.confirmed"])
    assert refused["subscription"] is None
    assert refused["errors"] == [
        {
            "field": "eventTypes",
            "code": "FORBIDDEN",
            "message": "receiving registration.confirmed needs the workshops:organise permission",
        }
    ]
    public = await subscribe(integrator("webhooks:manage"), ["event.published"])
    assert public["errors"] == []
    allowed = await subscribe(
        integrator("webhooks:manage", ORGANISE),
        ["registration.confirmed", "registration.promoted"],
    )
    assert allowed["errors"] == []
    assert allowed["subscription"]["eventTypes"] == [
        "registration.confirmed",
        "registration.promoted",
    ]


async def test_each_event_is_recorded_with_its_types_permission(
    run: Any, ws: Any, world: Any
) -> None:
    event = await ws.publish(capacity=1)
    done = []
    for n in range(2):
        body = await run(
            ws.REGISTER,
            {"input": {"event": event["id"], "name": f"P{n}", "email": f"p{n}@example.org"}},
        )
        done.append(body["data"]["registerForWorkshopsEvent"])
    await run(ws.CANCEL, {"input": {"token": done[0]["cancelToken"]}})
    checked = await run(
        CHECK_IN,
        {"input": {"event": event["id"], "code": done[1]["checkInCode"]}},
        principal=ws.DOOR,
    )
    assert checked["data"]["checkInWorkshopsRegistration"]["errors"] == []
    draft = (await run(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER))["data"]
    draft_event = draft["createWorkshopsEvent"]["event"]
    await run(
        ws.UPDATE,
        {"input": {"id": draft_event["id"], "version": draft_event["version"], "capacity": 5}},
        principal=ws.ORGANISER,
    )
    facilitator = Principal(
        kind=PrincipalKind.PERSON, subject="boss", roles=frozenset({Role.TERRITORY_ADMIN})
    )
    created = await run(
        CREATE_WORKSHOP, {"input": {"title": {"fr": "Atelier"}}}, principal=facilitator
    )
    workshop = created["data"]["createWorkshopsCardWorkshop"]["workshop"]["id"]
    for alias in ("Ann", "Bob"):
        person = Principal(kind=PrincipalKind.PERSON, subject=alias)
        await run(
            "mutation($i: JoinWorkshopsCardWorkshopInput!) { joinWorkshopsCardWorkshop(input: $i)"
            " { errors { code } } }",
            {"i": {"workshop": workshop, "alias": alias}},
            principal=person,
        )
    moved = await run(
        ADVANCE, {"input": {"workshop": workshop, "to": "INVENTORY"}}, principal=facilitator
    )
    assert moved["data"]["advanceWorkshopsCardWorkshop"]["errors"] == []

    declared = {
        t["type"]: t["permission"]
        for t in (await run(TYPES, principal=ws.ORGANISER))["data"]["webhookEventTypes"]
    }
    async with world.sessionmaker() as session:
        records = list(
            (await session.execute(select(EventRecord).order_by(EventRecord.id))).scalars()
        )
    ours = [r for r in records if r.type.split(".")[0] in {"event", "registration", "workshop"}]
    seen = {r.type for r in ours}
    assert {
        "event.created",
        "event.published",
        "event.updated",
        "registration.confirmed",
        "registration.waitlisted",
        "registration.cancelled",
        "registration.promoted",
        "registration.checked_in",
        "workshop.created",
        "workshop.joined",
        "workshop.phase_changed",
    } <= seen
    for record in ours:
        assert record.type in declared, record.type
        if record.type in ("event.updated", "event.cancelled") and record.permission:
            assert record.permission == ORGANISE  # a draft's change
        else:
            assert record.permission == declared[record.type], record.type
        assert "@" not in str(record.data)
    draft_updates = [r for r in ours if r.type == "event.updated"]
    assert [r.permission for r in draft_updates] == [ORGANISE]
    phase = next(r for r in ours if r.type == "workshop.phase_changed")
    assert phase.data == {"from": "setup", "to": "inventory"}


CHANGES = """query($types: [String!]) { changes(first: 50, objectTypes: $types) {
  edges { node { type objectId node { ... on WorkshopsEvent { id } } } } } }"""


async def test_an_events_subject_is_the_id_graphql_knows(run: Any, ws: Any) -> None:
    """A subscriber or a feed reader fetches the object an event is about with its ``objectId``."""
    event = await ws.publish(capacity=3)
    feed = await run(CHANGES, {"types": ["WorkshopsEvent"]}, principal=ws.ORGANISER)
    nodes = [e["node"] for e in feed["data"]["changes"]["edges"]]
    mine = [n for n in nodes if n["objectId"] == event["id"]]
    assert {n["type"] for n in mine} >= {"event.created", "event.published"}
    assert all(n["node"] == {"id": event["id"]} for n in mine)
