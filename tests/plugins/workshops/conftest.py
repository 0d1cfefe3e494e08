"""Fixtures of the workshops tests, on the test kit (``bocage.core.testing``): a fresh copy of a
small demo database per test, GraphQL run as a given principal, an HTTP client on an app over
that copy, and the documents and principals the tests share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from bocage.core.testing import Principals

Run = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def http(bocage_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The kit's client of an app over ``world``'s database."""
    return bocage_client


principals = Principals()
ORGANISER = principals.admin
ORGANISER_CLIENT = principals.integrator("workshops:organise", client_id="client-agenda")
DOOR = principals.integrator("workshops:check_in", client_id="client-door")
EDITOR = principals.editor("64034", subject="editor")
PERSON = principals.person("citizen-1")

CREATE = """
mutation($input: CreateWorkshopsEventInput!) {
  createWorkshopsEvent(input: $input) {
    event { id version sequence status startsAt endsAt capacity uid }
    errors { field code message }
  }
}"""
PUBLISH = """
mutation($input: WorkshopsEventVersionInput!) {
  publishWorkshopsEvent(input: $input) {
    event { id version sequence status } errors { field code message }
  }
}"""
CANCEL_EVENT = """
mutation($input: WorkshopsEventVersionInput!) {
  cancelWorkshopsEvent(input: $input) {
    event { id version sequence status } errors { field code message }
  }
}"""
UPDATE = """
mutation($input: UpdateWorkshopsEventInput!) {
  updateWorkshopsEvent(input: $input) {
    event { id version sequence title startsAt } errors { field code message }
  }
}"""
REGISTER = """
mutation($input: RegisterForWorkshopsEventInput!) {
  registerForWorkshopsEvent(input: $input) {
    registration { id status waitlistPosition }
    cancelToken checkInCode
    errors { field code message }
  }
}"""
CANCEL = """
mutation($input: CancelWorkshopsRegistrationInput!) {
  cancelWorkshopsRegistration(input: $input) {
    registration { id status } errors { field code message }
  }
}"""
REGISTRATIONS = """
query($id: ID!) {
  workshopsEvent(id: $id) {
    confirmedCount waitlistCount seatsLeft
    registrations { id status waitlistPosition checkedIn signedIn }
  }
}"""


def event_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "TRAINING",
        "title": {"fr": "Formation : outils collaboratifs", "nl": "Opleiding"},
        "description": {"fr": "Une matinée."},
        "startsAt": "2099-03-28T09:00:00",
        "endsAt": "2099-03-28T12:00:00",
        "address": "Rue de la Station 1, Hannut",
        "audiences": ["ASSOCIATIONS"],
        "series": "Formations 2099",
        "capacity": 10,
    }
    values.update(overrides)
    return values


async def published_event(run: Run, **overrides: Any) -> dict[str, Any]:
    created = await run(CREATE, {"input": event_input(**overrides)}, principal=ORGANISER)
    payload = created["data"]["createWorkshopsEvent"]
    assert payload["errors"] == [], payload
    event = payload["event"]
    published = await run(
        PUBLISH, {"input": {"id": event["id"], "version": event["version"]}}, principal=ORGANISER
    )
    assert published["data"]["publishWorkshopsEvent"]["errors"] == []
    return {**event, **published["data"]["publishWorkshopsEvent"]["event"]}


@pytest.fixture
def ws(run: Run) -> Any:
    """The helpers above, for test modules (which cannot import a conftest)."""

    async def publish(**overrides: Any) -> dict[str, Any]:
        return await published_event(run, **overrides)

    return SimpleNamespace(
        ORGANISER=ORGANISER,
        ORGANISER_CLIENT=ORGANISER_CLIENT,
        DOOR=DOOR,
        EDITOR=EDITOR,
        PERSON=PERSON,
        CREATE=CREATE,
        PUBLISH=PUBLISH,
        CANCEL_EVENT=CANCEL_EVENT,
        UPDATE=UPDATE,
        REGISTER=REGISTER,
        CANCEL=CANCEL,
        REGISTRATIONS=REGISTRATIONS,
        event_input=event_input,
        publish=publish,
    )
