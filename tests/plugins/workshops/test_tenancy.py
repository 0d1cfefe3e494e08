"""Events under tenancy (docs/tenancy.md): two GALs on one installation, each GAL's organisers
reach its communes' events and its own of no commune, never the other GAL's; an operator
reaches both."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.api import node_key
from bocage.plugins.workshops.models import Event, Registration

CREATE = """
mutation($input: CreateWorkshopsEventInput!) {
  createWorkshopsEvent(input: $input) {
    event { id version status } errors { field code message }
  }
}"""
UPDATE = """
mutation($input: UpdateWorkshopsEventInput!) {
  updateWorkshopsEvent(input: $input) {
    event { id version series } errors { field code message }
  }
}"""
PUBLISH = """
mutation($input: WorkshopsEventVersionInput!) {
  publishWorkshopsEvent(input: $input) { event { id version } errors { field code message } }
}"""
EVENT = "query($id: ID!) { workshopsEvent(id: $id) { id status } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
LIST = "{ workshopsEvents(first: 100) { edges { node { id } } } }"
REGISTRATIONS = "query($id: ID!) { workshopsEvent(id: $id) { registrations { id } } }"
REGISTER = """
mutation($input: RegisterForWorkshopsEventInput!) {
  registerForWorkshopsEvent(input: $input) { checkInCode errors { field code message } }
}"""
CHECK_IN = """
mutation($input: CheckInWorkshopsRegistrationInput!) {
  checkInWorkshopsRegistration(input: $input) { registration { id } errors { field code } }
}"""


def event_input(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "TRAINING",
        "title": {"fr": "Formation"},
        "startsAt": "2099-03-28T09:00:00",
        "endsAt": "2099-03-28T12:00:00",
        **overrides,
    }


async def created(gals: Any, caller: Any, **overrides: Any) -> dict[str, Any]:
    body = await gals.gql(caller, CREATE, {"input": event_input(**overrides)})
    assert gals.errors(body, "createWorkshopsEvent") == []
    event: dict[str, Any] = body["data"]["createWorkshopsEvent"]["event"]
    return event


async def row(gals: Any, event_id: str) -> Event:
    async with gals.app.state.sessionmaker() as session:
        return await session.get_one(Event, node_key(event_id, "WorkshopsEvent", "id"))


async def listed(gals: Any, caller: Any) -> set[str]:
    body = await gals.gql(caller, LIST)
    return {edge["node"]["id"] for edge in body["data"]["workshopsEvents"]["edges"]}


async def test_a_gal_s_events_are_out_of_the_other_gal_s_reach(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    admin_a, admin_b = two_gals.admin(a), two_gals.admin(b)
    in_commune = await created(two_gals, admin_a, commune=a.commune_id, address="Place 1")
    online = await created(two_gals, admin_a, onlineUrl="https://visio.example/a")
    assert (await row(two_gals, online["id"])).territory_id == a.key  # its admin's territory

    for event in (in_commune, online):
        # B's administrator neither sees A's drafts nor changes them.
        assert event["id"] in await listed(two_gals, admin_a)
        assert event["id"] not in await listed(two_gals, admin_b)
        assert (await two_gals.gql(admin_b, EVENT, {"id": event["id"]}))["data"] == {
            "workshopsEvent": None
        }
        assert (await two_gals.gql(admin_b, NODE, {"id": event["id"]}))["data"] == {"node": None}
        change = {"id": event["id"], "version": event["version"], "series": "B was here"}
        refused = await two_gals.gql(admin_b, UPDATE, {"input": change})
        assert [e["code"] for e in two_gals.errors(refused, "updateWorkshopsEvent")] == [
            "FORBIDDEN"
        ]
        assert (await row(two_gals, event["id"])).series is None  # nothing written
        # A's administrator does, and so does an operator.
        done = await two_gals.gql(admin_a, UPDATE, {"input": change | {"series": "A"}})
        assert two_gals.errors(done, "updateWorkshopsEvent") == []
        version = done["data"]["updateWorkshopsEvent"]["event"]["version"]
        by_operator = {"id": event["id"], "version": version, "series": "operator"}
        done = await two_gals.gql(two_gals.operator, UPDATE, {"input": by_operator})
        assert two_gals.errors(done, "updateWorkshopsEvent") == []
        assert event["id"] in await listed(two_gals, two_gals.operator)

    # The drafts' events reach A's administrators and the operator, not B's.
    types = ["event.created", "event.updated"]
    assert {in_commune["id"], online["id"]} <= await two_gals.changes(admin_a, types)
    assert {in_commune["id"], online["id"]} <= await two_gals.changes(two_gals.operator, types)
    assert not {in_commune["id"], online["id"]} & await two_gals.changes(admin_b, types)


async def test_registrations_and_check_in_stay_within_the_gal(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    admin_a, admin_b = two_gals.admin(a), two_gals.admin(b)
    event = await created(two_gals, admin_a, onlineUrl="https://visio.example/a", capacity=5)
    published = await two_gals.gql(
        admin_a, PUBLISH, {"input": {"id": event["id"], "version": event["version"]}}
    )
    assert two_gals.errors(published, "publishWorkshopsEvent") == []
    registered = await two_gals.gql(
        None,
        REGISTER,
        {"input": {"event": event["id"], "name": "Ann", "email": "ann@example.org"}},
    )
    assert two_gals.errors(registered, "registerForWorkshopsEvent") == []
    code = registered["data"]["registerForWorkshopsEvent"]["checkInCode"]

    # A published event is public; its registrations are A's organisers' only.
    seen_by_b = await two_gals.gql(admin_b, REGISTRATIONS, {"id": event["id"]})
    assert seen_by_b["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    seen_by_a = await two_gals.gql(admin_a, REGISTRATIONS, {"id": event["id"]})
    assert len(seen_by_a["data"]["workshopsEvent"]["registrations"]) == 1
    seen = await two_gals.gql(two_gals.operator, REGISTRATIONS, {"id": event["id"]})
    assert len(seen["data"]["workshopsEvent"]["registrations"]) == 1
    sheet = await two_gals.get(admin_b, f"/api/workshops/events/{event['id']}/attendance.csv")
    assert sheet.status_code == 403, sheet.text
    sheet = await two_gals.get(admin_a, f"/api/workshops/events/{event['id']}/attendance.csv")
    assert sheet.status_code == 200, sheet.text

    # B's staff cannot check A's attendees in, even with their code.
    check_in = {"input": {"event": event["id"], "code": code}}
    refused = await two_gals.gql(admin_b, CHECK_IN, check_in)
    assert [e["code"] for e in two_gals.errors(refused, "checkInWorkshopsRegistration")] == [
        "NOT_FOUND"
    ]
    async with two_gals.app.state.sessionmaker() as session:
        checked = await session.scalar(select(Registration.checked_in_at))
    assert checked is None
    done = await two_gals.gql(admin_a, CHECK_IN, check_in)
    assert two_gals.errors(done, "checkInWorkshopsRegistration") == []


async def test_an_event_of_no_commune_takes_one_of_its_organiser_s_territories(
    two_gals: Any,
) -> None:
    a, b = two_gals.a, two_gals.b
    online = {"onlineUrl": "https://visio.example/x"}
    of_both = two_gals.admin(a, b, subject="admin-both")
    refused = await two_gals.gql(of_both, CREATE, {"input": event_input(**online)})
    assert [(e["field"], e["code"]) for e in two_gals.errors(refused, "createWorkshopsEvent")] == [
        ("territory", "REQUIRED")
    ]
    made = await created(two_gals, of_both, territory=b.id, **online)
    assert (await row(two_gals, made["id"])).territory_id == b.key
    # An administrator of A cannot put an event in B.
    refused = await two_gals.gql(
        two_gals.admin(a), CREATE, {"input": event_input(territory=b.id, **online)}
    )
    assert [(e["field"], e["code"]) for e in two_gals.errors(refused, "createWorkshopsEvent")] == [
        ("territory", "FORBIDDEN")
    ]
    # Nor in one of B's communes.
    refused = await two_gals.gql(
        two_gals.admin(a), CREATE, {"input": event_input(commune=b.commune_id, address="x")}
    )
    assert [e["code"] for e in two_gals.errors(refused, "createWorkshopsEvent")] == ["FORBIDDEN"]
    async with two_gals.app.state.sessionmaker() as session:
        count = len((await session.execute(select(Event.id))).all())
    made_by_operator = await created(two_gals, two_gals.operator, territory=a.id, **online)
    assert (await row(two_gals, made_by_operator["id"])).territory_id == a.key
    async with two_gals.app.state.sessionmaker() as session:
        assert len((await session.execute(select(Event.id))).all()) == count + 1


CREATE_CARDS = """
mutation($input: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $input) {
    workshop { id version } errors { field code message }
  }
}"""
UPDATE_CARDS = """
mutation($input: UpdateWorkshopsCardWorkshopInput!) {
  updateWorkshopsCardWorkshop(input: $input) {
    workshop { id version maxCards } errors { field code message }
  }
}"""


async def test_a_challenge_card_workshop_at_a_gal_s_event_is_its_facilitators(
    two_gals: Any,
) -> None:
    a, b = two_gals.a, two_gals.b
    admin_a, admin_b = two_gals.admin(a), two_gals.admin(b)
    event = await created(two_gals, admin_a, commune=a.commune_id, address="Salle 1")
    at_a = {"title": {"fr": "Défis"}, "event": event["id"]}
    refused = await two_gals.gql(admin_b, CREATE_CARDS, {"input": at_a})
    assert [
        (e["field"], e["code"]) for e in two_gals.errors(refused, "createWorkshopsCardWorkshop")
    ] == [("event", "FORBIDDEN")]
    made = await two_gals.gql(admin_a, CREATE_CARDS, {"input": at_a})
    assert two_gals.errors(made, "createWorkshopsCardWorkshop") == []
    workshop = made["data"]["createWorkshopsCardWorkshop"]["workshop"]

    change = {"workshop": workshop["id"], "version": workshop["version"], "maxCards": 2}
    refused = await two_gals.gql(admin_b, UPDATE_CARDS, {"input": change})
    assert [e["code"] for e in two_gals.errors(refused, "updateWorkshopsCardWorkshop")] == [
        "FORBIDDEN"
    ]
    done = await two_gals.gql(admin_a, UPDATE_CARDS, {"input": change})
    assert two_gals.errors(done, "updateWorkshopsCardWorkshop") == []
    assert done["data"]["updateWorkshopsCardWorkshop"]["workshop"]["maxCards"] == 2
    version = done["data"]["updateWorkshopsCardWorkshop"]["workshop"]["version"]
    change = {"workshop": workshop["id"], "version": version, "maxCards": 3}
    done = await two_gals.gql(two_gals.operator, UPDATE_CARDS, {"input": change})
    assert two_gals.errors(done, "updateWorkshopsCardWorkshop") == []
