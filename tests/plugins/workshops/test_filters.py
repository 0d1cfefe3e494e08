"""Every filter takes what the schema hands out, and refuses anything else with a typed
BAD_USER_INPUT naming the argument, never with a silent empty list (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

WORKSHOPS = "query($e: ID) { workshopsCardWorkshops(event: $e) { id } }"
ORIGIN = "query($p: ID!) { workshopsChallengesOfProject(project: $p) { id } }"


async def test_card_workshops_of_an_event(run: Any, ws: Any) -> None:
    event = await ws.publish()
    body = await run(WORKSHOPS, {"e": event["id"]})
    assert body["data"]["workshopsCardWorkshops"] == []  # a real event without workshops


@pytest.mark.parametrize(
    ("query", "variables", "field", "hint"),
    [
        (WORKSHOPS, {"e": "nope"}, "event", "is not the ID of a"),
        (
            WORKSHOPS,
            {"e": relay.to_base64("Commune", 1)},
            "event",
            "is not the ID of a WorkshopsEvent",
        ),
        (WORKSHOPS, {"e": relay.to_base64("WorkshopsEvent", 999999)}, "event", "no WorkshopsEvent"),
        (ORIGIN, {"p": "nope"}, "project", "is not the ID of a"),
        (ORIGIN, {"p": relay.to_base64("Project", 999999)}, "project", "no Project"),
    ],
)
async def test_wrong_ids_are_refused(
    run: Any, query: str, variables: dict[str, Any], field: str, hint: str
) -> None:
    body = await run(query, variables)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert hint in error["message"], error
