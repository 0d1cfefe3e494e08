"""iCalendar feeds: they parse with ``icalendar``, hold published (and cancelled) events with
the right times in Europe/Brussels, stable UIDs and a SEQUENCE that grows on change."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

BRUSSELS = ZoneInfo("Europe/Brussels")


def events_of(body: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_the_territory_feed_parses_and_has_the_right_times(http: Any) -> None:
    response = await http.get("/api/workshops/territories/gal-hesbaye-meuse/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]
    events = events_of(response.content)
    talk = events["midi-du-smart-2020-02-06@workshops.bocage"]
    start = talk.decoded("DTSTART")
    assert start == dt.datetime(2020, 2, 6, 12, 0, tzinfo=BRUSSELS)
    assert start.astimezone(dt.UTC) == dt.datetime(2020, 2, 6, 11, 0, tzinfo=dt.UTC)
    assert str(talk["DTSTART"].params["TZID"]) == "Europe/Brussels"
    assert str(talk["STATUS"]) == "CONFIRMED"
    assert "Midi du Smart" in str(talk["SUMMARY"])
    assert "demo-breakfast-1@workshops.bocage" not in events  # a draft
    assert any(u.startswith("demo-training-") for u in events)
    nl = await http.get("/api/workshops/territories/gal-hesbaye-meuse/calendar.ics?lang=nl")
    assert "Smart-middag" in str(events_of(nl.content)[talk["UID"]]["SUMMARY"])
    missing = await http.get("/api/workshops/territories/nowhere/calendar.ics")
    assert missing.status_code == 404


async def test_changes_and_cancellations_reach_subscribers(http: Any, run: Any, ws: Any) -> None:
    event = await ws.publish(startsAt="2099-07-01T18:30:00", endsAt="2099-07-01T21:00:00")
    key = int(base64.b64decode(event["id"]).decode().split(":")[1])
    first = events_of((await http.get(f"/api/workshops/events/{key}.ics")).content)
    vevent = first[event["uid"]]
    assert vevent.decoded("DTSTART") == dt.datetime(2099, 7, 1, 18, 30, tzinfo=BRUSSELS)
    assert vevent.decoded("DTSTART").utcoffset() == dt.timedelta(hours=2)  # summer time
    assert int(vevent["SEQUENCE"]) == 1

    moved = await run(
        ws.UPDATE,
        {
            "input": {
                "id": event["id"],
                "version": event["version"],
                "startsAt": "2099-07-01T19:00:00",
            }
        },
        principal=ws.ORGANISER,
    )
    version = moved["data"]["updateWorkshopsEvent"]["event"]["version"]
    await run(
        ws.CANCEL_EVENT, {"input": {"id": event["id"], "version": version}}, principal=ws.ORGANISER
    )
    after = events_of((await http.get(f"/api/workshops/events/{key}.ics")).content)
    vevent = after[event["uid"]]  # the same UID: clients update the event in place
    assert int(vevent["SEQUENCE"]) == 3
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent.decoded("DTSTART") == dt.datetime(2099, 7, 1, 19, 0, tzinfo=BRUSSELS)
    feed = await http.get("/api/workshops/territories/gal-hesbaye-meuse/calendar.ics")
    assert str(events_of(feed.content)[event["uid"]]["STATUS"]) == "CANCELLED"


async def test_the_commune_feed_and_drafts(http: Any, run: Any, ws: Any) -> None:
    hannut = await http.get("/api/workshops/communes/64034/calendar.ics")
    assert hannut.status_code == 200
    events = events_of(hannut.content)
    assert "midi-du-smart-2020-02-06@workshops.bocage" in events
    andenne = events_of((await http.get("/api/workshops/communes/92003/calendar.ics")).content)
    assert "midi-du-smart-2020-02-06@workshops.bocage" not in andenne
    assert andenne  # trainings in Andenne
    assert (await http.get("/api/workshops/communes/99999/calendar.ics")).status_code == 404
    created = await run(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER)
    draft_id = created["data"]["createWorkshopsEvent"]["event"]["id"]
    key = int(base64.b64decode(draft_id).decode().split(":")[1])
    assert (await http.get(f"/api/workshops/events/{key}.ics")).status_code == 404


async def test_the_series_feed(http: Any, run: Any, ws: Any) -> None:
    await ws.publish(
        series="Formations numériques 2099",
        startsAt="2099-05-02T09:00:00",
        endsAt="2099-05-02T12:00:00",
    )
    await ws.publish(
        series="Formations numériques 2099",
        startsAt="2099-05-09T09:00:00",
        endsAt="2099-05-09T12:00:00",
    )
    other = await ws.publish(
        series="Autre série", startsAt="2099-05-16T09:00:00", endsAt="2099-05-16T12:00:00"
    )
    response = await http.get(
        "/api/workshops/series/Formations%20num%C3%A9riques%202099/calendar.ics"
    )
    assert response.status_code == 200
    events = events_of(response.content)
    starts = sorted(e.decoded("DTSTART") for e in events.values())
    assert starts == [
        dt.datetime(2099, 5, 2, 9, 0, tzinfo=BRUSSELS),
        dt.datetime(2099, 5, 9, 9, 0, tzinfo=BRUSSELS),
    ]
    assert other["uid"] not in events
    demo = await http.get("/api/workshops/series/Midis%20du%20Smart/calendar.ics")
    assert "midi-du-smart-2020-02-06@workshops.bocage" in events_of(demo.content)
    missing = await http.get("/api/workshops/series/nothing/calendar.ics")
    assert missing.status_code == 404 and missing.json()["error"]
