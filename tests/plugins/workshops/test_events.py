"""Events, agendas and speakers: what the public sees, what organisers may do."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bocage.plugins.workshops.models import Event

LIST = """
query($first: Int, $kind: WorkshopsEventKind, $commune: String) {
  workshopsEvents(first: $first, kind: $kind, commune: $commune) {
    totalCount
    nodes {
      id kind status title(lang: NL) titleTranslations { fr nl } startsAt endsAt timeZone
      audiences series capacity seatsLeft sequence uid
      agenda { startsAt title speaker { name } }
      speakers { name role organisation public }
    }
  }
}"""


async def test_the_public_sees_published_events_agendas_and_public_speakers(run: Any) -> None:
    body = await run(LIST, {"first": 50})
    assert "errors" not in body, body
    events = body["data"]["workshopsEvents"]["nodes"]
    assert events and all(e["status"] == "PUBLISHED" for e in events)
    assert not any(e["kind"] == "BUSINESS_BREAKFAST" for e in events)  # the demo draft
    talk = next(e for e in events if e["kind"] == "LUNCH_TALK")
    assert talk["title"] == "Smart-middag: wat is een slimme gemeente?"
    assert talk["startsAt"] == "2020-02-06T12:00:00+01:00"
    assert talk["timeZone"] == "Europe/Brussels"
    # Three speakers, one without a public profile: the public sees two.
    assert [s["organisation"] for s in talk["speakers"]] == ["Futurocité", "Une ville wallonne"]
    assert [a["speaker"] and a["speaker"]["name"] for a in talk["agenda"]][1:4] == [
        "Intervenant·e de Futurocité",
        "Directeur·rice général·e d'une ville",
        None,
    ]
    trainings = await run(LIST, {"first": 50, "kind": "TRAINING"})
    assert len(trainings["data"]["workshopsEvents"]["nodes"]) >= 3
    in_hannut = await run(LIST, {"first": 50, "commune": "64034"})
    assert in_hannut["data"]["workshopsEvents"]["nodes"]
    organiser = await run(LIST, {"first": 50}, principal=_admin())
    seen = organiser["data"]["workshopsEvents"]["nodes"]
    assert any(e["kind"] == "BUSINESS_BREAKFAST" for e in seen)
    talk = next(e for e in seen if e["kind"] == "LUNCH_TALK")
    assert len(talk["speakers"]) == 3


def _admin() -> Any:
    from bocage.core.auth.principal import Principal, PrincipalKind, Role

    return Principal(
        kind=PrincipalKind.PERSON, subject="a", roles=frozenset({Role.TERRITORY_ADMIN})
    )


async def test_drafts_are_hidden_from_the_public_by_every_path(run: Any, ws: Any) -> None:
    created = await run(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER)
    event = created["data"]["createWorkshopsEvent"]["event"]
    assert event["status"] == "DRAFT"
    one = "query($id: ID!) { workshopsEvent(id: $id) { id } node(id: $id) { id } }"
    hidden = await run(one, {"id": event["id"]})
    assert hidden["data"] == {"workshopsEvent": None, "node": None}
    shown = await run(one, {"id": event["id"]}, principal=ws.ORGANISER)
    assert shown["data"]["workshopsEvent"]["id"] == event["id"]
    assert shown["data"]["node"]["id"] == event["id"]


async def test_organisers_create_publish_change_and_cancel(run: Any, ws: Any, world: Any) -> None:
    anonymous = await run(ws.CREATE, {"input": ws.event_input()})
    assert anonymous["data"]["createWorkshopsEvent"]["errors"][0]["code"] == "UNAUTHENTICATED"
    editor = await run(ws.CREATE, {"input": ws.event_input()}, principal=ws.EDITOR)
    assert editor["data"]["createWorkshopsEvent"]["errors"][0]["code"] == "FORBIDDEN"
    bad = await run(
        ws.CREATE,
        {"input": ws.event_input(endsAt="2099-03-28T08:00:00")},
        principal=ws.ORGANISER,
    )
    assert bad["data"]["createWorkshopsEvent"]["errors"][0]["field"] == "endsAt"

    # 29 March 2099 is a DST change day: a wall-clock time is read in Europe/Brussels.
    event = await ws.publish(startsAt="2099-03-29T10:00:00", endsAt="2099-03-29T12:00:00+02:00")
    assert event["status"] == "PUBLISHED" and event["sequence"] == 1
    assert event["startsAt"] == "2099-03-29T10:00:00+02:00"
    async with world.sessionmaker() as session:
        row = (await session.execute(select(Event).where(Event.uid == event["uid"]))).scalar_one()
        assert row.starts_at == dt.datetime(2099, 3, 29, 8, 0, tzinfo=dt.UTC)
        assert row.starts_at.astimezone(ZoneInfo("Europe/Brussels")).hour == 10

    changed = await run(
        ws.UPDATE,
        {"input": {"id": event["id"], "version": event["version"], "title": {"fr": "Nouveau"}}},
        principal=ws.ORGANISER_CLIENT,
    )
    payload = changed["data"]["updateWorkshopsEvent"]
    assert payload["errors"] == [] and payload["event"]["title"] == "Nouveau"
    assert payload["event"]["sequence"] == 2
    stale = await run(
        ws.UPDATE,
        {"input": {"id": event["id"], "version": event["version"], "title": {"fr": "X"}}},
        principal=ws.ORGANISER,
    )
    assert stale["data"]["updateWorkshopsEvent"]["errors"][0]["code"] == "CONFLICT"
    cancelled = await run(
        ws.CANCEL_EVENT,
        {"input": {"id": event["id"], "version": payload["event"]["version"]}},
        principal=ws.ORGANISER,
    )
    result = cancelled["data"]["cancelWorkshopsEvent"]
    assert result["event"]["status"] == "CANCELLED" and result["event"]["sequence"] == 3


async def test_agenda_items_and_speakers(run: Any, ws: Any) -> None:
    event = await ws.publish()
    add_speaker = """
    mutation($input: AddWorkshopsSpeakerInput!) {
      addWorkshopsSpeaker(input: $input) {
        event { sequence speakers { id name public } } errors { field code message }
      }
    }"""
    public = await run(
        add_speaker,
        {
            "input": {
                "event": event["id"],
                "name": "Ann",
                "role": {"fr": "Formatrice"},
                "public": True,
            }
        },
        principal=ws.ORGANISER,
    )
    speakers = public["data"]["addWorkshopsSpeaker"]["event"]["speakers"]
    private = await run(
        add_speaker,
        {"input": {"event": event["id"], "name": "Bob"}},
        principal=ws.ORGANISER,
    )
    assert private["data"]["addWorkshopsSpeaker"]["event"]["sequence"] == 3
    add_item = """
    mutation($input: AddWorkshopsAgendaItemInput!) {
      addWorkshopsAgendaItem(input: $input) { errors { field code message } }
    }"""
    item = await run(
        add_item,
        {
            "input": {
                "event": event["id"],
                "startsAt": "2099-03-28T09:30:00",
                "title": {"fr": "Atelier"},
                "speaker": speakers[0]["id"],
            }
        },
        principal=ws.ORGANISER,
    )
    assert item["data"]["addWorkshopsAgendaItem"]["errors"] == []
    seen = await run(
        "query($id: ID!) { workshopsEvent(id: $id) { speakers { name } "
        "agenda { startsAt title speaker { name role } } } }",
        {"id": event["id"]},
    )
    assert seen["data"]["workshopsEvent"]["speakers"] == [{"name": "Ann"}]
    assert seen["data"]["workshopsEvent"]["agenda"] == [
        {
            "startsAt": "2099-03-28T09:30:00+01:00",
            "title": "Atelier",
            "speaker": {"name": "Ann", "role": "Formatrice"},
        }
    ]
