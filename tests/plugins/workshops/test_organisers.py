"""What organisers see: partner organisations of events, attendance counts by commune and by
audience; and registrations in the core's GDPR export and erasure (hook
``bocage_personal_data``)."""

from __future__ import annotations

from typing import Any

from bocage.core.auth.principal import Principal, PrincipalKind, Role

DPO = Principal(kind=PrincipalKind.PERSON, subject="dpo", roles=frozenset({Role.TERRITORY_ADMIN}))


async def ids(run: Any, field: str, n: int) -> list[str]:
    body = await run(f"{{ {field}(first: {n}) {{ edges {{ node {{ id }} }} }} }}")
    return [edge["node"]["id"] for edge in body["data"][field]["edges"]]


async def test_partners_of_an_event(run: Any, ws: Any) -> None:
    partners = await ids(run, "stakeholders", 2)
    event = await ws.publish(partners=partners)
    body = await run(
        "query($id: ID!) { workshopsEvent(id: $id) { partners } }", {"id": event["id"]}
    )
    assert sorted(body["data"]["workshopsEvent"]["partners"]) == sorted(partners)
    wrong = await run(
        ws.CREATE,
        {"input": ws.event_input(partners=["U3Rha2Vob2xkZXI6OTk5OTk5"])},  # Stakeholder:999999
        principal=ws.ORGANISER,
    )
    error = wrong["data"]["createWorkshopsEvent"]["errors"][0]
    assert (error["field"], error["code"]) == ("partners", "NOT_FOUND")


ATTENDANCE = """
query($id: ID!) {
  workshopsEvent(id: $id) {
    attendance {
      events registered checkedIn
      byCommune { commune homeCommune { id } registered checkedIn }
      byAudience { audience registered checkedIn }
    }
  }
}"""


async def test_attendance_by_commune_and_audience(run: Any, ws: Any) -> None:
    hannut, andenne = await ids(run, "communes", 2)
    event = await ws.publish(capacity=4, series="Série présence")
    register = []
    for n, (commune, audience) in enumerate(
        [
            (hannut, "ASSOCIATIONS"),
            (hannut, "ENTERPRISES"),
            (andenne, "ASSOCIATIONS"),
            (None, None),
            (andenne, "COMMUNES"),  # beyond capacity: waiting list, not counted
        ]
    ):
        input = {"event": event["id"], "name": f"P{n}", "email": f"p{n}@example.org"}
        if commune:
            input.update(commune=commune, audience=audience)
        body = await run(ws.REGISTER, {"input": input})
        register.append(body["data"]["registerForWorkshopsEvent"])
    check_in = """mutation($input: CheckInWorkshopsRegistrationInput!) {
      checkInWorkshopsRegistration(input: $input) { errors { code } } }"""
    for done in register[:2]:
        await run(
            check_in,
            {"input": {"event": event["id"], "code": done["checkInCode"]}},
            principal=ws.DOOR,
        )
    people = await run(
        "query($id: ID!) { workshopsEvent(id: $id) { registrations { commune "
        "homeCommune { id } } } }",
        {"id": event["id"]},
        principal=ws.ORGANISER,
    )
    seen_people = people["data"]["workshopsEvent"]["registrations"]
    assert [r["commune"] for r in seen_people] == [hannut, hannut, andenne, None, andenne]
    assert [r["homeCommune"] for r in seen_people] == [
        {"id": r["commune"]} if r["commune"] else None for r in seen_people
    ]
    body = await run(ATTENDANCE, {"id": event["id"]}, principal=ws.ORGANISER)
    seen = body["data"]["workshopsEvent"]["attendance"]
    assert (seen["events"], seen["registered"], seen["checkedIn"]) == (1, 4, 2)
    for count in seen["byCommune"]:  # the object whose ID the deprecated field gives
        assert (count["homeCommune"] or {}).get("id") == count["commune"]
    assert {(c["commune"], c["registered"], c["checkedIn"]) for c in seen["byCommune"]} == {
        (hannut, 2, 2),
        (andenne, 1, 0),
        (None, 1, 0),
    }
    assert {(a["audience"], a["registered"], a["checkedIn"]) for a in seen["byAudience"]} == {
        ("ASSOCIATIONS", 2, 1),
        ("ENTERPRISES", 1, 1),
        (None, 1, 0),
    }
    overall = await run(
        'query { workshopsAttendance(series: "Série présence") { events registered } }',
        principal=ws.ORGANISER,
    )
    assert overall["data"]["workshopsAttendance"] == {"events": 1, "registered": 4}
    for who in (None, ws.PERSON, ws.DOOR):
        kwargs = {"principal": who} if who else {}
        refused = await run(ATTENDANCE, {"id": event["id"]}, **kwargs)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        refused = await run("query { workshopsAttendance { registered } }", **kwargs)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


EXPORT = """
query($email: String!) { exportPersonData(email: $email) { contacts plugins } }"""
ERASE = """
mutation($input: ErasePersonInput!) {
  erasePerson(input: $input) { erasedContacts erasedRecords errors { code field message } }
}"""


async def test_registrations_in_the_gdpr_export_and_erasure(run: Any, ws: Any) -> None:
    """The workshops plugin implements bocage_personal_data: exportPersonData lists the
    registrations made with an e-mail address; erasePerson removes the name and e-mail and
    gives up a seat still to come, moving the waiting list up."""
    event = await ws.publish(capacity=1)
    mine = await run(
        ws.REGISTER,
        {"input": {"event": event["id"], "name": "Anne Dupont", "email": "Anne@Example.org"}},
    )
    waiting = await run(
        ws.REGISTER, {"input": {"event": event["id"], "name": "B", "email": "b@example.org"}}
    )
    assert waiting["data"]["registerForWorkshopsEvent"]["registration"]["status"] == "WAITLISTED"

    refused = await run(EXPORT, {"email": "anne@example.org"}, principal=ws.ORGANISER_CLIENT)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    exported = await run(EXPORT, {"email": "ANNE@example.org"}, principal=DPO)
    records = exported["data"]["exportPersonData"]["plugins"]["workshops.registrations"]
    assert len(records) == 1
    assert records[0]["name"] == "Anne Dupont" and records[0]["email"] == "anne@example.org"
    assert records[0]["event"] == event["id"] and records[0]["status"] == "confirmed"

    erased = await run(ERASE, {"input": {"email": "anne@example.org"}}, principal=DPO)
    payload = erased["data"]["erasePerson"]
    assert payload["errors"] == []
    assert payload["erasedRecords"] == {"workshops.registrations": 1}
    again = await run(EXPORT, {"email": "anne@example.org"}, principal=DPO)
    assert again["data"]["exportPersonData"]["plugins"]["workshops.registrations"] == []
    seen = await run(ws.REGISTRATIONS, {"id": event["id"]}, principal=ws.ORGANISER)
    assert [r["status"] for r in seen["data"]["workshopsEvent"]["registrations"]] == [
        "CANCELLED",
        "CONFIRMED",  # the waiting list moved up
    ]
    ticket = await run(
        "query($t: String!) { workshopsTicket(token: $t) { registration { status } } }",
        {"t": mine["data"]["registerForWorkshopsEvent"]["cancelToken"]},
    )
    assert ticket["data"]["workshopsTicket"]["registration"]["status"] == "CANCELLED"
    nobody = await run(ERASE, {"input": {"email": "nobody@example.org"}}, principal=DPO)
    assert nobody["data"]["erasePerson"]["errors"][0]["code"] == "NOT_FOUND"


async def test_an_organiser_of_some_communes_sees_only_their_events_registrations(
    run: Any, ws: Any
) -> None:
    """Registrations and attendance are personal data: a client holding workshops:organise
    for one commune reads them for that commune's events only (before: every event's)."""
    from bocage.core.testing import Principals

    listed = await run("{ communes(first: 2) { edges { node { id nisCode } } } }")
    (here_id, here), (_, elsewhere) = [
        (e["node"]["id"], e["node"]["nisCode"]) for e in listed["data"]["communes"]["edges"]
    ]
    principals = Principals()
    local = principals.integrator("workshops:organise", communes=[here], client_id="local")
    other = principals.integrator("workshops:organise", communes=[elsewhere], client_id="other")
    event = await ws.publish(capacity=4, series="Série locale", commune=here_id)
    done = await run(
        ws.REGISTER, {"input": {"event": event["id"], "name": "P", "email": "p@example.org"}}
    )
    assert done["data"]["registerForWorkshopsEvent"]["errors"] == []
    seen = await run(ws.REGISTRATIONS, {"id": event["id"]}, principal=local)
    assert len(seen["data"]["workshopsEvent"]["registrations"]) == 1
    refused = await run(ws.REGISTRATIONS, {"id": event["id"]}, principal=other)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "the event's commune" in refused["errors"][0]["message"]
    refused = await run(ATTENDANCE, {"id": event["id"]}, principal=other)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    series = 'query { workshopsAttendance(series: "Série locale") { events registered } }'
    mine = await run(series, principal=local)
    assert mine["data"]["workshopsAttendance"] == {"events": 1, "registered": 1}
    theirs = await run(series, principal=other)
    assert theirs["data"]["workshopsAttendance"] == {"events": 0, "registered": 0}
