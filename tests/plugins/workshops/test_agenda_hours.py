"""Regression (issue 15): an agenda item outside the event's hours was accepted. It is now
refused with a typed INVALID error naming the field and the event's hours, and an event's new
times may not leave its agenda outside them. Over HTTP, as a front-end sends them."""

from __future__ import annotations

from typing import Any

import pytest

ADD_ITEM = """
mutation($input: AddWorkshopsAgendaItemInput!) {
  addWorkshopsAgendaItem(input: $input) {
    event { agenda { startsAt endsAt title } } errors { field code message } }
}"""


@pytest.fixture
def gql(bocage_gql: Any) -> Any:
    return bocage_gql


async def _event(gql: Any, ws: Any) -> dict[str, Any]:
    # 2099-03-28 09:00 to 12:00, Europe/Brussels (the conftest's event)
    created = await gql(ws.CREATE, {"input": ws.event_input()}, principal=ws.ORGANISER)
    payload = created["createWorkshopsEvent"]
    assert payload["errors"] == []
    event: dict[str, Any] = payload["event"]
    return event


async def _add(gql: Any, ws: Any, event: dict[str, Any], **times: str) -> dict[str, Any]:
    data = await gql(
        ADD_ITEM,
        {"input": {"event": event["id"], "title": {"fr": "Accueil"}, **times}},
        principal=ws.ORGANISER,
    )
    payload: dict[str, Any] = data["addWorkshopsAgendaItem"]
    return payload


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"startsAt": "2099-03-28T08:59:00"}, "startsAt"),  # just before the start
        ({"startsAt": "2099-03-28T12:00:00"}, "startsAt"),  # at the end
        ({"startsAt": "2099-03-29T10:00:00"}, "startsAt"),  # the next day
        ({"startsAt": "2099-03-28T11:00:00", "endsAt": "2099-03-28T12:01:00"}, "endsAt"),
    ],
)
async def test_an_item_outside_the_events_hours_is_refused(
    gql: Any, ws: Any, times: dict[str, str], field: str
) -> None:
    event = await _event(gql, ws)
    payload = await _add(gql, ws, event, **times)
    assert payload["event"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID", field), error
    assert "2099-03-28 09:00 to 2099-03-28 12:00 (Europe/Brussels)" in error["message"]
    agenda = await gql(
        "query($id: ID!) { workshopsEvent(id: $id) { agenda { title } } }",
        {"id": event["id"]},
        principal=ws.ORGANISER,
    )
    assert agenda["workshopsEvent"]["agenda"] == []  # nothing written


async def test_items_at_the_edges_of_the_hours_are_accepted(gql: Any, ws: Any) -> None:
    event = await _event(gql, ws)
    first = await _add(gql, ws, event, startsAt="2099-03-28T09:00:00")
    last = await _add(gql, ws, event, startsAt="2099-03-28T11:59:00", endsAt="2099-03-28T12:00:00")
    assert first["errors"] == last["errors"] == []
    assert [i["startsAt"] for i in last["event"]["agenda"]] == [
        "2099-03-28T09:00:00+01:00",
        "2099-03-28T11:59:00+01:00",
    ]


async def test_new_times_may_not_leave_the_agenda_outside(gql: Any, ws: Any) -> None:
    event = await _event(gql, ws)
    added = await _add(gql, ws, event, startsAt="2099-03-28T11:00:00")
    assert added["errors"] == []
    current = await gql(
        "query($id: ID!) { workshopsEvent(id: $id) { version } }",
        {"id": event["id"]},
        principal=ws.ORGANISER,
    )
    version = current["workshopsEvent"]["version"]
    shorter = await gql(
        ws.UPDATE,
        {"input": {"id": event["id"], "version": version, "endsAt": "2099-03-28T10:30:00"}},
        principal=ws.ORGANISER,
    )
    [error] = shorter["updateWorkshopsEvent"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "endsAt"), error
    assert "1 agenda item(s) (the first at 2099-03-28 11:00)" in error["message"]
    longer = await gql(
        ws.UPDATE,
        {"input": {"id": event["id"], "version": version, "endsAt": "2099-03-28T13:00:00"}},
        principal=ws.ORGANISER,
    )
    assert longer["updateWorkshopsEvent"]["errors"] == []
