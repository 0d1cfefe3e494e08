"""Registrations: capacity, the waiting list promoted in order, cancellation by token,
check-in at the door, the last seat under concurrent requests, and personal data."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bocage.core.db import PERSONAL
from bocage.core.graphql.context import Context
from bocage.plugins.workshops.models import Registration


def person(n: int) -> dict[str, str]:
    return {"name": f"Personne {n}", "email": f"personne{n}@example.org"}


async def register(run: Any, ws: Any, event: dict[str, Any], n: int, **kw: Any) -> Any:
    body = await run(ws.REGISTER, {"input": {"event": event["id"], **person(n)}}, **kw)
    return body["data"]["registerForWorkshopsEvent"]


async def test_capacity_waiting_list_and_promotion_in_order(run: Any, ws: Any) -> None:
    event = await ws.publish(capacity=2)
    done = [await register(run, ws, event, n) for n in range(5)]
    assert [d["registration"]["status"] for d in done] == [
        "CONFIRMED",
        "CONFIRMED",
        "WAITLISTED",
        "WAITLISTED",
        "WAITLISTED",
    ]
    assert [d["registration"]["waitlistPosition"] for d in done] == [None, None, 1, 2, 3]
    assert all(d["cancelToken"] and len(d["checkInCode"]) == 8 for d in done)

    cancelled = await run(ws.CANCEL, {"input": {"token": done[0]["cancelToken"]}})
    assert cancelled["data"]["cancelWorkshopsRegistration"]["registration"]["status"] == "CANCELLED"
    seen = await run(ws.REGISTRATIONS, {"id": event["id"]}, principal=ws.ORGANISER)
    event_seen = seen["data"]["workshopsEvent"]
    assert [r["status"] for r in event_seen["registrations"]] == [
        "CANCELLED",
        "CONFIRMED",
        "CONFIRMED",
        "WAITLISTED",
        "WAITLISTED",
    ]  # the first on the waiting list moved up
    assert [r["waitlistPosition"] for r in event_seen["registrations"]][3:] == [1, 2]
    assert (event_seen["confirmedCount"], event_seen["waitlistCount"]) == (2, 2)
    assert event_seen["seatsLeft"] == 0

    # Cancelling a waiting place promotes no one; cancelling twice is refused.
    await run(ws.CANCEL, {"input": {"token": done[4]["cancelToken"]}})
    again = await run(ws.CANCEL, {"input": {"token": done[4]["cancelToken"]}})
    assert again["data"]["cancelWorkshopsRegistration"]["errors"][0]["field"] == "token"
    unknown = await run(ws.CANCEL, {"input": {"token": "nope"}})
    assert unknown["data"]["cancelWorkshopsRegistration"]["errors"][0]["code"] == "NOT_FOUND"
    await run(ws.CANCEL, {"input": {"token": done[1]["cancelToken"]}})
    seen = await run(ws.REGISTRATIONS, {"id": event["id"]}, principal=ws.ORGANISER)
    statuses = [r["status"] for r in seen["data"]["workshopsEvent"]["registrations"]]
    assert statuses == ["CANCELLED", "CANCELLED", "CONFIRMED", "CONFIRMED", "CANCELLED"]


async def test_who_may_register_and_what_is_refused(run: Any, ws: Any) -> None:
    event = await ws.publish()
    missing = await run(ws.REGISTER, {"input": {"event": event["id"], "name": "X"}})
    assert missing["data"]["registerForWorkshopsEvent"]["errors"][0]["field"] == "email"
    invalid = await run(
        ws.REGISTER, {"input": {"event": event["id"], "name": "X", "email": "not-an-address"}}
    )
    assert invalid["data"]["registerForWorkshopsEvent"]["errors"][0]["code"] == "INVALID"
    first = await register(run, ws, event, 1)
    assert first["errors"] == []
    twice = await register(run, ws, event, 1)
    assert twice["errors"][0]["code"] == "DUPLICATE"
    signed_in = await run(ws.REGISTER, {"input": {"event": event["id"]}}, principal=ws.PERSON)
    assert signed_in["data"]["registerForWorkshopsEvent"]["registration"]["status"] == "CONFIRMED"
    seen = await run(ws.REGISTRATIONS, {"id": event["id"]}, principal=ws.ORGANISER)
    assert [r["signedIn"] for r in seen["data"]["workshopsEvent"]["registrations"]] == [False, True]
    created = await run(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER)
    draft = created["data"]["createWorkshopsEvent"]["event"]
    refused = await register(run, ws, draft, 2)
    assert refused["errors"][0]["code"] == "NOT_FOUND"
    past = await ws.publish(startsAt="2001-01-01T10:00:00", endsAt="2001-01-01T11:00:00")
    closed = await register(run, ws, past, 3)
    assert "started" in closed["errors"][0]["message"]


async def test_ticket_and_check_in(run: Any, ws: Any) -> None:
    event = await ws.publish()
    done = await register(run, ws, event, 1)
    ticket = await run(
        "query($t: String!) { workshopsTicket(token: $t) { checkInCode "
        "registration { status } event { id } } }",
        {"t": done["cancelToken"]},
    )
    assert ticket["data"]["workshopsTicket"]["checkInCode"] == done["checkInCode"]
    check_in = """
    mutation($input: CheckInWorkshopsRegistrationInput!) {
      checkInWorkshopsRegistration(input: $input) {
        registration { checkedIn } errors { field code message }
      }
    }"""
    variables = {"input": {"event": event["id"], "code": done["checkInCode"].lower()}}
    anonymous = await run(check_in, variables)
    assert anonymous["data"]["checkInWorkshopsRegistration"]["errors"][0]["code"] == (
        "UNAUTHENTICATED"
    )
    at_door = await run(check_in, variables, principal=ws.DOOR)
    assert at_door["data"]["checkInWorkshopsRegistration"]["registration"]["checkedIn"] is True
    again = await run(check_in, variables, principal=ws.ORGANISER)
    assert again["data"]["checkInWorkshopsRegistration"]["errors"][0]["code"] == "DUPLICATE"
    wrong = await run(
        check_in, {"input": {"event": event["id"], "code": "ZZZZZZZZ"}}, principal=ws.DOOR
    )
    assert wrong["data"]["checkInWorkshopsRegistration"]["errors"][0]["code"] == "NOT_FOUND"


async def test_two_people_never_both_take_the_last_seat(world: Any, run: Any, ws: Any) -> None:
    """Many registrations at the same moment for one seat, each in its own request and
    transaction: exactly one is confirmed, the others wait in line (both engines)."""
    event = await ws.publish(capacity=1)

    async def one(n: int) -> dict[str, Any]:
        context = Context(
            settings=world.settings,
            host=world.host,
            sessionmaker=world.sessionmaker,
            language="fr",
        )
        try:
            result = await world.schema.execute(
                ws.REGISTER,
                variable_values={"input": {"event": event["id"], **person(n)}},
                context_value=context,
            )
        finally:
            await context.close()
        assert result.errors is None, result.errors
        payload: dict[str, Any] = result.data["registerForWorkshopsEvent"]  # type: ignore[index]
        assert payload["errors"] == [], payload
        return payload

    results = await asyncio.gather(*(one(n) for n in range(12)))
    statuses = sorted(r["registration"]["status"] for r in results)
    assert statuses.count("CONFIRMED") == 1
    assert statuses.count("WAITLISTED") == 11
    positions = sorted(r["registration"]["waitlistPosition"] or 0 for r in results)
    assert positions == list(range(12))  # 0 for the confirmed one, then 1..11 without gaps
    async with world.sessionmaker() as session:
        rows = (await session.execute(select(Registration.status))).scalars().all()
    assert rows.count("confirmed") == 1


async def test_attendees_personal_data_is_declared_and_never_public(run: Any, ws: Any) -> None:
    columns = Registration.__table__.columns
    assert all(
        columns[c].info.get(PERSONAL)
        for c in ("attendee_name", "attendee_email", "registrant_subject")
    )
    event = await ws.publish()
    await register(run, ws, event, 7)
    forbidden = await run(ws.REGISTRATIONS, {"id": event["id"]})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    everything = await run(
        "query { workshopsEvents(first: 100) { nodes { id registrations { id } } } }",
        principal=ws.ORGANISER,
    )
    assert "personne7" not in repr(everything).lower()
    assert "Personne 7" not in repr(forbidden)
