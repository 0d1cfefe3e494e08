"""Links a front-end no longer builds by hand (issue 15): ``icalUrl`` on events (absolute, on
the request's URL or ``BOCAGE_WORKSHOPS_BASE_URL``), the feeds that carry an event, the
``workshopsCalendar`` of a commune, a territory or a series; the per-event route takes the
opaque global ID GraphQL gives (and still the database key); the live subscription's promoted
project is an object."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import icalendar
import pytest

from bocage.core.testing import BASE_URL

EVENT = """query($id: ID!) { workshopsEvent(id: $id) {
  id uid icalUrl calendars { scope icalUrl series commune { nisCode } territory { slug } } } }"""
CALENDAR = """query($commune: String, $territory: String, $series: String) {
  workshopsCalendar(commune: $commune, territory: $territory, series: $series) {
    scope icalUrl series commune { id nisCode } territory { id slug } } }"""


@pytest.fixture
def gql(bocage_gql: Any) -> Any:
    return bocage_gql


async def _hannut(gql: Any) -> str:
    found = await gql('{ commune(nisCode: "64034") { id } }')
    commune: str = found["commune"]["id"]
    return commune


async def test_an_events_ical_url_is_absolute_and_opens_its_file(
    gql: Any, http: Any, ws: Any
) -> None:
    event = await ws.publish(series="Midis 2099", commune=await _hannut(gql))
    seen = (await gql(EVENT, {"id": event["id"]}))["workshopsEvent"]
    expected = f"{BASE_URL}/api/workshops/events/{quote(event['id'], safe='')}.ics"
    assert seen["icalUrl"] == expected
    response = await http.get(seen["icalUrl"])
    assert response.status_code == 200, response.text
    [vevent] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(vevent["UID"]) == event["uid"]

    # The same event by the ID as GraphQL gives it, unencoded, and by its database key.
    key = int(base64.b64decode(event["id"]).decode().split(":")[1])
    for path in (event["id"], str(key)):
        again = await http.get(f"/api/workshops/events/{path}.ics")
        assert again.status_code == 200 and again.content == response.content

    # What the event's calendars point at are feeds that hold it.
    scopes = {c["scope"]: c for c in seen["calendars"]}
    assert set(scopes) == {"COMMUNE", "TERRITORY", "SERIES"}
    assert scopes["COMMUNE"]["commune"] == {"nisCode": "64034"}
    assert scopes["SERIES"]["series"] == "Midis 2099"
    assert scopes["SERIES"]["icalUrl"].endswith("/api/workshops/series/Midis%202099/calendar.ics")
    for calendar in seen["calendars"]:
        assert calendar["icalUrl"].startswith(f"{BASE_URL}/api/workshops/")
        feed = await http.get(calendar["icalUrl"])
        assert feed.status_code == 200, calendar
        uids = {str(v["UID"]) for v in icalendar.Calendar.from_ical(feed.content).walk("VEVENT")}
        assert event["uid"] in uids, calendar["scope"]


async def test_a_draft_has_no_ical_url_and_wrong_ids_are_404s(
    gql: Any, http: Any, run: Any, ws: Any
) -> None:
    created = await run(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER)
    draft = created["data"]["createWorkshopsEvent"]["event"]
    seen = await gql(EVENT, {"id": draft["id"]}, principal=ws.ORGANISER)
    assert seen["workshopsEvent"]["icalUrl"] is None
    assert (
        await http.get(f"/api/workshops/events/{quote(draft['id'], safe='')}.ics")
    ).status_code == 404
    commune = await _hannut(gql)
    for wrong in (commune, "nope", "99999999999", "0"):
        response = await http.get(f"/api/workshops/events/{quote(wrong, safe='')}.ics")
        assert response.status_code == 404, wrong
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"]["code"] == "not_found"


async def test_workshops_calendar_of_a_commune_a_territory_a_series(
    gql: Any, http: Any, ws: Any
) -> None:
    hannut = await _hannut(gql)
    await ws.publish(series="Formations 2099")
    by_id = (await gql(CALENDAR, {"commune": hannut}))["workshopsCalendar"]
    by_nis = (await gql(CALENDAR, {"commune": "64034"}))["workshopsCalendar"]
    assert by_id == by_nis
    assert by_id["scope"] == "COMMUNE" and by_id["commune"] == {"id": hannut, "nisCode": "64034"}
    assert by_id["icalUrl"] == f"{BASE_URL}/api/workshops/communes/64034/calendar.ics"

    territory = (await gql(CALENDAR, {"territory": "gal-hesbaye-meuse"}))["workshopsCalendar"]
    assert territory["icalUrl"] == (
        f"{BASE_URL}/api/workshops/territories/gal-hesbaye-meuse/calendar.ics"
    )
    again = await gql(CALENDAR, {"territory": territory["territory"]["id"]})
    assert again["workshopsCalendar"] == territory

    series = (await gql(CALENDAR, {"series": "Formations 2099"}))["workshopsCalendar"]
    assert series["series"] == "Formations 2099"
    for calendar in (by_id, territory, series):
        assert (await http.get(calendar["icalUrl"])).status_code == 200

    for variables, field in (
        ({}, "commune"),
        ({"commune": "64034", "series": "x"}, "series"),
        ({"commune": "99999"}, "commune"),
        ({"commune": territory["territory"]["id"]}, "commune"),
        ({"territory": "nowhere"}, "territory"),
        ({"series": "never held"}, "series"),
    ):
        [error] = await gql(CALENDAR, variables, errors=True)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (variables, error)
        assert error["extensions"]["field"] == field, (variables, error)


async def test_the_base_url_setting_wins(
    make_settings: Any, databases: Any, small_demo_url: str, monkeypatch: Any
) -> None:
    """Behind a proxy the request's URL is the proxy's: ``BOCAGE_WORKSHOPS_BASE_URL`` gives
    the public one, on both read paths."""
    from bocage.core.testing import World, runner

    monkeypatch.setenv("BOCAGE_WORKSHOPS_BASE_URL", "https://api.gal.example/")
    url = await databases.clone(small_demo_url)
    world = World.open(url, make_settings(url))
    try:
        run = runner(world)
        listed = await run("{ workshopsEvents(first: 1) { nodes { id icalUrl } } }")
        [node] = listed["data"]["workshopsEvents"]["nodes"]
        assert node["icalUrl"] == (
            f"https://api.gal.example/api/workshops/events/{quote(node['id'], safe='')}.ics"
        )
    finally:
        await world.close()


REGISTER = """mutation($input: RegisterForWorkshopsEventInput!) {
  registerForWorkshopsEvent(input: $input) { cancelToken cancelUrl errors { code } } }"""
TICKET = """query($token: String!) { workshopsTicket(token: $token) { cancelUrl
  event { icalUrl } } }"""


async def _cancel_urls(run: Any, ws: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    created = await run(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER)
    event = created["data"]["createWorkshopsEvent"]["event"]
    published = await run(
        ws.PUBLISH,
        {"input": {"id": event["id"], "version": event["version"]}},
        principal=ws.ORGANISER,
    )
    assert published["data"]["publishWorkshopsEvent"]["errors"] == []
    registered = await run(
        REGISTER, {"input": {"event": event["id"], "name": "Ann", "email": "ann@example.org"}}
    )
    payload = registered["data"]["registerForWorkshopsEvent"]
    assert payload["errors"] == []
    ticket = await run(TICKET, {"token": payload["cancelToken"]})
    return payload, ticket["data"]["workshopsTicket"]


async def test_the_cancel_page_is_a_field_when_configured(
    run: Any,
    ws: Any,
    make_settings: Any,
    databases: Any,
    small_demo_url: str,
    monkeypatch: Any,
) -> None:
    payload, ticket = await _cancel_urls(run, ws)
    assert payload["cancelUrl"] is None and ticket["cancelUrl"] is None  # not configured
    assert ticket["event"]["icalUrl"].endswith(".ics")

    from bocage.core.testing import World, runner

    monkeypatch.setenv("BOCAGE_WORKSHOPS_CANCEL_URL", "https://gal.example/annuler?t={token}")
    url = await databases.clone(small_demo_url)
    world = World.open(url, make_settings(url))
    try:
        payload, ticket = await _cancel_urls(runner(world), ws)
    finally:
        await world.close()
    expected = f"https://gal.example/annuler?t={quote(payload['cancelToken'], safe='')}"
    assert payload["cancelUrl"] == ticket["cancelUrl"] == expected
