"""Webhooks end to end: a real receiver on loopback, subscribed through GraphQL, receives the
changes made through GraphQL, signed with Standard Webhooks; retries, rollbacks, rotation,
pausing, permissions and the delivery log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bocage.core.events import record_event
from bocage.core.hookspecs import DomainEvent


async def test_changes_reach_the_endpoint_signed_once_each(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    sub = await kit.subscribe(gql_as, receiver.url, ["project.created", "project.updated"])
    assert sub["secret"].startswith("whsec_")
    project = await kit.create_project(gql_as, hooks, "Vélo partagé")
    updated = (
        await gql_as(
            kit.UPDATE_PROJECT,
            {"input": {"id": project["id"], "version": 1, "summary": {"fr": "Neuf"}}},
            principal=kit.admin(),
        )
    )["data"]["updateProject"]
    assert updated["errors"] == []

    await kit.wait_for(lambda: len(set(receiver.ids())) >= 2)
    expected = await kit.event_ids(hooks, "project.created") + await kit.event_ids(
        hooks, "project.updated"
    )
    assert sorted(set(receiver.ids())) == sorted(expected)
    verifier = Webhook(sub["secret"])
    bodies = []
    for request in receiver.requests:
        # The reference implementation of Standard Webhooks accepts every delivery...
        body = verifier.verify(request.body, request.headers)
        assert body["data"]["eventId"] == request.headers["webhook-id"]
        bodies.append(body)
        assert request.headers["content-type"] == "application/json"
        # ... and refuses it when the body was tampered with.
        with pytest.raises(WebhookVerificationError):
            verifier.verify(request.body.replace(b"project", b"Project"), request.headers)
    # Deliveries run concurrently (documented): the receiver orders them by ``sequence``.
    bodies.sort(key=lambda b: b["data"]["sequence"])
    assert [b["type"] for b in bodies] == ["project.created", "project.updated"]
    assert bodies[0]["data"]["id"] == project["id"]
    assert bodies[1]["data"]["changed"] == ["summary"]

    # The subscriber reads the delivery log through the API.
    await kit.wait_for(lambda: _all_status(hooks, "succeeded", 2))
    deliveries = (
        await gql_as(kit.DELIVERIES, {"id": sub["subscription"]["id"]}, principal=kit.admin())
    )["data"]["webhookSubscription"]["deliveries"]["edges"]
    assert [d["node"]["eventType"] for d in deliveries] == ["project.updated", "project.created"]
    for edge in deliveries:
        node = edge["node"]
        assert node["status"] == "SUCCEEDED"
        assert node["attempts"] == 1
        assert node["lastStatusCode"] == 200
        assert node["lastLatencyMs"] >= 0
        assert node["lastResponseExcerpt"] == "answered 200"
        assert node["log"] == [
            {
                "statusCode": 200,
                "latencyMs": node["lastLatencyMs"],
                "responseExcerpt": "answered 200",
                "error": None,
            }
        ]


async def _all_status(world: Any, status: str, count: int) -> bool:
    deliveries = await world.deliveries()
    return len(deliveries) == count and all(d.status == status for d in deliveries)


async def test_two_500s_then_success_is_retried_with_the_same_id(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    seen: dict[str, int] = {}

    def answer(request: Any) -> int:
        key = request.headers["webhook-id"]
        seen[key] = seen.get(key, 0) + 1
        return 500 if seen[key] <= 2 else 200

    receiver.answer = answer
    sub = await kit.subscribe(gql_as, receiver.url, ["project.created"])
    await kit.create_project(gql_as, hooks, "Retried")
    await kit.wait_for(lambda: _all_status(hooks, "succeeded", 1))

    [event_id] = await kit.event_ids(hooks, "project.created")
    # At least once: three requests, one event ID the receiver de-duplicates on.
    assert receiver.ids() == [event_id] * 3
    timestamps = [int(r.headers["webhook-timestamp"]) for r in receiver.requests]
    assert timestamps == sorted(timestamps)
    for request in receiver.requests:
        Webhook(sub["secret"]).verify(request.body, request.headers)
    [node] = [
        e["node"]
        for e in (
            await gql_as(kit.DELIVERIES, {"id": sub["subscription"]["id"]}, principal=kit.admin())
        )["data"]["webhookSubscription"]["deliveries"]["edges"]
    ]
    assert node["status"] == "SUCCEEDED"
    assert node["attempts"] == 3
    assert [a["statusCode"] for a in node["log"]] == [500, 500, 200]
    assert [a["error"] for a in node["log"]] == ["HTTP 500", "HTTP 500", None]
    [job] = await hooks.jobs(kind="webhook.deliver")
    assert job.status == "succeeded" and job.attempts == 3


async def test_a_rolled_back_change_emits_nothing(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    await kit.subscribe(gql_as, receiver.url, ["project.created", "project.updated"])
    # A mutation refused halfway (empty title) writes nothing, event included.
    failed = (
        await gql_as(
            kit.CREATE_PROJECT,
            {
                "input": {
                    "title": {"fr": ""},
                    "focus": "DIGITAL",
                    "communes": [await kit.hannut(hooks)],
                }
            },
            principal=kit.admin(),
        )
    )["data"]["createProject"]
    assert failed["errors"]
    # An event recorded in a transaction that then fails is rolled back with it.
    with pytest.raises(RuntimeError):
        async with hooks.sessionmaker() as session, session.begin():
            await record_event(
                session, DomainEvent(type="project.updated", subject=kit.gid("Project", 1))
            )
            raise RuntimeError("the change failed after its event was recorded")
    # A change that commits afterwards is delivered: the worker was running all along.
    await kit.create_project(gql_as, hooks, "Committed")
    await kit.wait_for(lambda: _all_status(hooks, "succeeded", 1))
    await _settle(hooks)
    assert receiver.ids() == await kit.event_ids(hooks, "project.created")
    assert len(await hooks.deliveries()) == 1


async def test_a_city_systems_update_names_every_changed_field_and_a_resend_nothing(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    """An update that also carries the city's externalReference: the webhook names the real
    changes too, for a project and for an organisation; the same record sent again is
    delivered to nobody."""
    await kit.subscribe(gql_as, receiver.url, ["project.updated", "stakeholder.updated"])
    project = await kit.create_project(gql_as, hooks, "Cantine locale")
    client = kit.integrator("projects:write", "stakeholders:write")
    update = {
        "id": project["id"],
        "version": 1,
        "status": "IN_PROGRESS",
        "title": {"fr": "Cantine locale et durable"},
        "sdgs": [2, 12],
        "externalReference": {"source": "pst-hannut", "id": "CL-1"},
    }
    for version in (1, 2):  # the second time, nothing changes
        sent = (
            await gql_as(
                kit.UPDATE_PROJECT, {"input": {**update, "version": version}}, principal=client
            )
        )["data"]["updateProject"]
        assert sent["errors"] == [] and sent["project"]["version"] == 2
    created = (
        await gql_as(
            """mutation($input: CreateStakeholderInput!) { createStakeholder(input: $input) {
              stakeholder { id } errors { message } } }""",
            {
                "input": {
                    "kind": "ENTERPRISE",
                    "name": "Ferme",
                    "communes": [await kit.hannut(hooks)],
                }
            },
            principal=client,
        )
    )["data"]["createStakeholder"]
    organisation = {
        "id": created["stakeholder"]["id"],
        "name": "Ferme du Chêne",
        "needs": ["FUNDING"],
        "externalReference": {"source": "crm-hannut", "id": "F-9"},
    }
    for version in (1, 2):
        changed = (
            await gql_as(
                """mutation($input: UpdateStakeholderInput!) { updateStakeholder(input: $input) {
                  stakeholder { version } errors { message } } }""",
                {"input": {**organisation, "version": version}},
                principal=client,
            )
        )["data"]["updateStakeholder"]
        assert changed["errors"] == [] and changed["stakeholder"]["version"] == 2
    await kit.wait_for(lambda: _all_status(hooks, "succeeded", 2))
    await _settle(hooks)
    bodies = sorted(
        (json.loads(request.body) for request in receiver.requests),
        key=lambda body: body["data"]["sequence"],
    )
    assert [(b["type"], b["data"]["changed"]) for b in bodies] == [
        ("project.updated", ["external_id", "external_source", "sdgs", "status", "title"]),
        ("stakeholder.updated", ["external_id", "external_source", "name", "needs"]),
    ]
    assert len(await hooks.deliveries()) == 2


async def _settle(world: Any) -> None:
    """Let the worker relay once more (nothing else should come)."""
    import asyncio

    await asyncio.sleep(0.3)


async def test_a_dead_delivery_is_listed_then_replayed(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    receiver.answer = lambda request: 503
    sub = await kit.subscribe(gql_as, receiver.url, ["project.created"])
    await kit.create_project(gql_as, hooks, "Unlucky")
    await kit.wait_for(lambda: _all_status(hooks, "failed", 1))
    assert len(receiver.requests) == hooks.settings.webhooks_max_attempts

    dead = """{ jobs(status: DEAD) { edges { node { id kind status attempts lastError } } } }"""
    [job] = [
        e["node"] for e in (await gql_as(dead, principal=kit.admin()))["data"]["jobs"]["edges"]
    ]
    assert job["kind"] == "webhook.deliver" and job["status"] == "DEAD"
    assert job["attempts"] == 4 and "HTTP 503" in job["lastError"]
    # The job queue is the administrators' alone.
    refused = await gql_as(dead, principal=kit.integrator("webhooks:manage"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # The receiver is fixed; its owner replays the delivery: same webhook-id, new attempts.
    receiver.answer = lambda request: 200
    [delivery] = [
        e["node"]
        for e in (
            await gql_as(kit.DELIVERIES, {"id": sub["subscription"]["id"]}, principal=kit.admin())
        )["data"]["webhookSubscription"]["deliveries"]["edges"]
    ]
    assert delivery["status"] == "FAILED" and delivery["nextAttemptAt"] is None
    replay = """mutation($id: ID!) { replayWebhookDelivery(id: $id) {
      delivery { status } errors { code message } } }"""
    replayed = (await gql_as(replay, {"id": delivery["id"]}, principal=kit.admin()))["data"]
    assert replayed["replayWebhookDelivery"] == {"delivery": {"status": "PENDING"}, "errors": []}
    await kit.wait_for(lambda: _all_status(hooks, "succeeded", 1))
    assert len(set(receiver.ids())) == 1
    # Someone else's delivery cannot be replayed.
    other = (
        await gql_as(replay, {"id": delivery["id"]}, principal=kit.integrator("webhooks:manage"))
    )["data"]["replayWebhookDelivery"]
    assert other["errors"][0]["code"] == "NOT_FOUND"


async def test_replaying_a_dead_job_through_graphql(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    receiver.answer = lambda request: 500
    await kit.subscribe(gql_as, receiver.url, ["project.created"])
    await kit.create_project(gql_as, hooks, "Replayed job")
    await kit.wait_for(lambda: _all_status(hooks, "failed", 1))
    [job] = await hooks.jobs(status="dead")
    receiver.answer = lambda request: 200
    replay = (
        """mutation($id: ID!) { replayJob(id: $id) { job { status attempts } errors { code } } }"""
    )
    forbidden = await gql_as(replay, {"id": kit.gid("Job", job.id)}, principal=kit.integrator())
    assert forbidden["data"]["replayJob"]["errors"] == [{"code": "FORBIDDEN"}]
    result = (await gql_as(replay, {"id": kit.gid("Job", job.id)}, principal=kit.admin()))["data"]
    assert result["replayJob"] == {"job": {"status": "QUEUED", "attempts": 0}, "errors": []}
    await kit.wait_for(lambda: _all_status(hooks, "succeeded", 1))
    again = (await gql_as(replay, {"id": kit.gid("Job", job.id)}, principal=kit.admin()))["data"]
    assert again["replayJob"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_secret_rotation_signs_with_both_secrets_during_the_grace_period(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    sub = await kit.subscribe(gql_as, receiver.url, ["project.created"])
    rotate = """mutation($id: ID!, $grace: Int) {
      rotateWebhookSecret(id: $id, graceSeconds: $grace) {
      secret subscription { previousSecretExpiresAt } errors { code } } }"""
    rotated = (
        await gql_as(
            rotate, {"id": sub["subscription"]["id"], "grace": 3600}, principal=kit.admin()
        )
    )["data"]["rotateWebhookSecret"]
    assert rotated["errors"] == [] and rotated["secret"] != sub["secret"]
    assert rotated["subscription"]["previousSecretExpiresAt"] is not None
    await kit.create_project(gql_as, hooks, "Rotated")
    await kit.wait_for(lambda: len(receiver.requests) == 1)
    request = receiver.requests[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(sub["secret"]).verify(request.body, request.headers)  # receivers not yet switched
    Webhook(rotated["secret"]).verify(request.body, request.headers)  # and those that did

    # Without grace, the old secret stops signing at once.
    rotated_again = (
        await gql_as(rotate, {"id": sub["subscription"]["id"], "grace": 0}, principal=kit.admin())
    )["data"]["rotateWebhookSecret"]
    await kit.create_project(gql_as, hooks, "Rotated again")
    await kit.wait_for(lambda: len(receiver.requests) == 2)
    request = receiver.requests[1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated_again["secret"]).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(rotated["secret"]).verify(request.body, request.headers)


async def test_paused_then_deleted_subscription_receives_nothing(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    sub = await kit.subscribe(gql_as, receiver.url, ["project.created"])
    sub_id = sub["subscription"]["id"]
    paused = (
        await gql_as(
            kit.UPDATE_SUBSCRIPTION,
            {"input": {"id": sub_id, "active": False}},
            principal=kit.admin(),
        )
    )["data"]["updateWebhookSubscription"]
    assert paused["subscription"]["active"] is False
    await kit.create_project(gql_as, hooks, "While paused")
    await _relayed(hooks)
    assert receiver.requests == [] and await hooks.deliveries() == []

    resumed = (
        await gql_as(
            kit.UPDATE_SUBSCRIPTION,
            {
                "input": {
                    "id": sub_id,
                    "active": True,
                    "eventTypes": ["project.created", "project.archived"],
                }
            },
            principal=kit.admin(),
        )
    )["data"]["updateWebhookSubscription"]
    assert resumed["subscription"]["eventTypes"] == ["project.archived", "project.created"]
    await kit.create_project(gql_as, hooks, "Resumed")
    await kit.wait_for(lambda: len(receiver.requests) == 1)

    delete = """mutation($id: ID!) {
      deleteWebhookSubscription(id: $id) { deletedId errors { code } } }"""
    deleted = (await gql_as(delete, {"id": sub_id}, principal=kit.admin()))["data"]
    assert deleted["deleteWebhookSubscription"] == {"deletedId": sub_id, "errors": []}
    await kit.create_project(gql_as, hooks, "After deletion")
    await _relayed(hooks)
    assert len(receiver.requests) == 1
    assert await hooks.deliveries() == []  # the log went with the subscription
    gone = (await gql_as(delete, {"id": sub_id}, principal=kit.admin()))["data"]
    assert gone["deleteWebhookSubscription"]["errors"] == [{"code": "NOT_FOUND"}]


async def _relayed(world: Any) -> None:
    """Wait until the relay has read every event."""
    from sqlalchemy import func, select

    from bocage.core import models as m

    async def caught_up() -> bool:
        async with world.sessionmaker() as session:
            head = (await session.execute(select(func.max(m.EventRecord.id)))).scalar_one()
            position = (await session.execute(select(m.JobCursor.position))).scalar_one()
        return bool(position == head)

    from asyncio import sleep

    for _ in range(400):
        if await caught_up():
            await sleep(0.2)  # and let any delivery it queued run
            return
        await sleep(0.05)
    raise AssertionError("the relay did not catch up")


async def test_subscribers_get_only_the_events_they_may_read(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    crm = kit.integrator("webhooks:manage", "projects:write")
    refused = (
        await gql_as(
            kit.SUBSCRIBE,
            {"input": {"url": receiver.url, "eventTypes": ["contact.created"]}},
            principal=crm,
        )
    )["data"]["createWebhookSubscription"]
    assert refused["subscription"] is None
    assert refused["errors"] == [
        {
            "field": "eventTypes",
            "code": "FORBIDDEN",
            "message": "receiving contact.created needs the contacts:read permission",
        }
    ]
    unknown = (
        await gql_as(
            kit.SUBSCRIBE,
            {"input": {"url": receiver.url, "eventTypes": ["project.exploded"]}},
            principal=crm,
        )
    )["data"]["createWebhookSubscription"]
    assert unknown["errors"][0]["code"] == "INVALID"
    assert "webhookEventTypes" in unknown["errors"][0]["message"]
    nobody = (
        await gql_as(
            kit.SUBSCRIBE,
            {"input": {"url": receiver.url, "eventTypes": ["project.created"]}},
            principal=kit.integrator("projects:write"),
        )
    )["data"]["createWebhookSubscription"]
    assert nobody["errors"][0]["code"] == "FORBIDDEN"
    anonymous = (
        await gql_as(
            kit.SUBSCRIBE, {"input": {"url": receiver.url, "eventTypes": ["project.created"]}}
        )
    )["data"]["createWebhookSubscription"]
    assert anonymous["errors"][0]["code"] == "UNAUTHENTICATED"

    # The CRM's subscription and the administrator's: each sees its own, the admin both.
    await kit.subscribe(gql_as, receiver.url + "?who=crm", ["project.created"], principal=crm)
    await kit.subscribe(gql_as, receiver.url + "?who=admin", ["contact.created", "project.created"])
    listing = "{ webhookSubscriptions { edges { node { url } } } }"
    mine = (await gql_as(listing, principal=crm))["data"]["webhookSubscriptions"]["edges"]
    assert [e["node"]["url"] for e in mine] == [receiver.url + "?who=crm"]
    every = (await gql_as(listing, principal=kit.admin()))["data"]["webhookSubscriptions"]["edges"]
    assert len(every) == 2
    assert (await gql_as(listing))["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # A contact (personal data) reaches only the subscriber allowed to read contacts.
    async with hooks.sessionmaker() as session:
        stakeholder = (await session.execute(text("SELECT min(id) FROM stakeholder"))).scalar_one()
    contact = """mutation($input: CreateContactInput!) {
      createContact(input: $input) { errors { code } } }"""
    created = await gql_as(
        contact,
        {
            "input": {
                "stakeholder": kit.gid("Stakeholder", stakeholder),
                "givenName": "Ann",
                "familyName": "Dupont",
                "email": "ann@example.be",
            }
        },
        principal=kit.admin(),
    )
    assert created["data"]["createContact"]["errors"] == []
    await kit.create_project(gql_as, hooks, "For both")
    await kit.wait_for(lambda: len(receiver.requests) == 3)
    await _relayed(hooks)
    received = sorted((r.query, json.loads(r.body)["type"]) for r in receiver.requests)
    assert received == [
        ("who=admin", "contact.created"),
        ("who=admin", "project.created"),
        ("who=crm", "project.created"),
    ]


async def test_event_types_are_listed_with_their_permission(gql_as: Any) -> None:
    types = (await gql_as("{ webhookEventTypes { type permission description } }"))["data"][
        "webhookEventTypes"
    ]
    by_type = {t["type"]: t for t in types}
    assert by_type["project.created"]["permission"] is None
    assert by_type["contact.updated"]["permission"] == "contacts:read"
    assert by_type["contact.erased"]["permission"] == "personal_data:manage"
    assert {"commune.archived", "stakeholder.updated", "pstaction.created"} <= set(by_type)


async def test_subscriptions_are_private_to_their_owner_and_secrets_never_logged(
    hooks: Any, gql_as: Any, receiver: Any, kit: Any
) -> None:
    from sqlalchemy import select

    from bocage.core import models as m

    crm = kit.integrator("webhooks:manage", client_id="crm")
    agenda = kit.integrator("webhooks:manage", client_id="agenda")
    sub = await kit.subscribe(gql_as, receiver.url, ["project.created"], principal=crm)
    sub_id = sub["subscription"]["id"]

    one = "query($id: ID!) { webhookSubscription(id: $id) { url } }"
    assert (await gql_as(one, {"id": sub_id}, principal=agenda))["data"] == {
        "webhookSubscription": None
    }
    assert (await gql_as(one, {"id": sub_id}, principal=crm))["data"]["webhookSubscription"]
    hijack = (
        await gql_as(
            kit.UPDATE_SUBSCRIPTION,
            {"input": {"id": sub_id, "url": "https://93.184.216.34/steal"}},
            principal=agenda,
        )
    )["data"]["updateWebhookSubscription"]
    assert hijack["errors"][0]["code"] == "NOT_FOUND"
    bad = (
        await gql_as(
            kit.UPDATE_SUBSCRIPTION,
            {"input": {"id": sub_id, "eventTypes": [], "description": "x" * 501}},
            principal=crm,
        )
    )["data"]["updateWebhookSubscription"]
    assert (bad["errors"][0]["field"], bad["errors"][0]["code"]) == ("eventTypes", "REQUIRED")
    not_an_id = (
        await gql_as(
            kit.UPDATE_SUBSCRIPTION, {"input": {"id": "nonsense", "active": False}}, principal=crm
        )
    )["data"]["updateWebhookSubscription"]
    assert not_an_id["errors"][0]["code"] == "INVALID"

    # The change feed shows subscription changes to webhook managers only, without secrets.
    feed = """{ changes(first: 50, types: ["webhooksubscription.created"]) {
      edges { node { type data } } } }"""
    assert (await gql_as(feed))["data"]["changes"]["edges"] == []
    [edge] = (await gql_as(feed, principal=kit.admin()))["data"]["changes"]["edges"]
    assert "whsec_" not in str(edge)
    async with hooks.sessionmaker() as session:
        audit = (
            await session.execute(
                select(m.AuditEntry.changes).where(
                    m.AuditEntry.object_type == "WebhookSubscription"
                )
            )
        ).scalars()
        logged = [str(changes) for changes in audit]
    assert logged and all("whsec_" not in line for line in logged)
    assert sub["secret"] not in str(logged)


async def _lifecycle(gql_as: Any, kit: Any, url: str) -> tuple[str, str]:
    """The CRM subscribes; the agenda's system subscribes, rotates its secret and leaves; an
    administrator pauses the CRM's subscription: the IDs of the agenda's and the CRM's."""
    agenda = kit.integrator("webhooks:manage", client_id="agenda")
    crm = kit.integrator("webhooks:manage", client_id="crm")
    # (made first: SQLite gives a deleted row's key to the next one)
    mine = await kit.subscribe(gql_as, url + "?x=2", ["project.created"], crm)
    theirs = await kit.subscribe(gql_as, url + "?x=1", ["project.created"], agenda)
    their_id = theirs["subscription"]["id"]
    rotate = "mutation($id: ID!) { rotateWebhookSecret(id: $id) { errors { code } } }"
    rotated = await gql_as(rotate, {"id": their_id}, principal=agenda)
    assert rotated["data"]["rotateWebhookSecret"]["errors"] == []
    delete = "mutation($id: ID!) { deleteWebhookSubscription(id: $id) { errors { code } } }"
    deleted = await gql_as(delete, {"id": their_id}, principal=agenda)
    assert deleted["data"]["deleteWebhookSubscription"]["errors"] == []
    paused = await gql_as(
        kit.UPDATE_SUBSCRIPTION,
        {"input": {"id": mine["subscription"]["id"], "active": False}},
        principal=kit.admin(),
    )
    assert paused["data"]["updateWebhookSubscription"]["errors"] == []
    return their_id, mine["subscription"]["id"]


async def test_subscription_changes_are_in_the_change_feed_of_their_owner_only(
    gql_as: Any, kit: Any
) -> None:
    """Which endpoints a client has is its business: the change feed shows a subscription's
    lifecycle to its owner and administrators, not to another client, nor to the public."""
    their_id, my_id = await _lifecycle(gql_as, kit, "https://93.184.216.34/hook")
    feed = """{ changes(first: 50, types: [
        "webhooksubscription.created", "webhooksubscription.updated",
        "webhooksubscription.secret_rotated", "webhooksubscription.deleted"]) {
      edges { node { type data } } } }"""

    async def seen(principal: Any = None) -> list[tuple[str, str]]:
        result = await gql_as(feed, principal=principal) if principal else await gql_as(feed)
        return sorted(
            (e["node"]["type"], e["node"]["data"]["id"]) for e in result["data"]["changes"]["edges"]
        )

    assert await seen() == []
    agenda = kit.integrator("webhooks:manage", client_id="agenda")
    crm = kit.integrator("webhooks:manage", client_id="crm")
    assert [t for t, i in await seen(agenda) if i == their_id] == [
        "webhooksubscription.created",
        "webhooksubscription.deleted",
        "webhooksubscription.secret_rotated",
    ]
    assert {i for _, i in await seen(agenda)} == {their_id}
    assert await seen(crm) == [
        ("webhooksubscription.created", my_id),
        ("webhooksubscription.updated", my_id),
    ]
    assert len(await seen(kit.admin())) == 5


async def test_subscription_changes_reach_only_their_owners_and_administrators_webhooks(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    """Subscribers may listen to subscriptions' lifecycle (an administrator paused my
    endpoint): they hear of their own, administrators of every one."""
    lifecycle = [
        "webhooksubscription.created",
        "webhooksubscription.deleted",
        "webhooksubscription.secret_rotated",
        "webhooksubscription.updated",
    ]
    crm = kit.integrator("webhooks:manage", client_id="crm")
    listening = await kit.subscribe(gql_as, receiver.url + "?who=crm", lifecycle, principal=crm)
    await kit.subscribe(gql_as, receiver.url + "?who=admin", lifecycle)
    their_id, my_id = await _lifecycle(gql_as, kit, receiver.url)
    await kit.wait_for(lambda: len(receiver.requests) >= 6)
    await _relayed(hooks)
    received = sorted(
        (r.query, json.loads(r.body)["type"], json.loads(r.body)["data"]["id"])
        for r in receiver.requests
    )
    crm_listening = listening["subscription"]["id"]
    crm_heard = {(t, i) for q, t, i in received if q == "who=crm"}
    # (a subscription may hear of its own creation: it is made in the same instant)
    assert crm_heard - {("webhooksubscription.created", crm_listening)} == {
        ("webhooksubscription.created", my_id),
        ("webhooksubscription.updated", my_id),
    }, received
    admin_heard = {(t, i) for q, t, i in received if q == "who=admin"}
    assert {
        ("webhooksubscription.created", their_id),
        ("webhooksubscription.secret_rotated", their_id),
        ("webhooksubscription.deleted", their_id),
        ("webhooksubscription.created", my_id),
        ("webhooksubscription.updated", my_id),
    } <= admin_heard, received
    assert ("webhooksubscription.created", crm_listening) not in admin_heard  # made before
