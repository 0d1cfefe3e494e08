"""Regression (issue 15): a workshop's settings had no optimistic locking, so two facilitators
overwrote each other's changes. ``updateWorkshopsCardWorkshop`` takes the ``version`` read, as
the core's mutations do, and refuses a stale one with CONFLICT (nothing written)."""

from __future__ import annotations

from typing import Any

from bocage.core.testing import Principals

FACILITATOR = Principals().integrator("workshops:facilitate", client_id="client-facilitator")

CREATE = """mutation($input: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $input) { workshop { id version } errors { code } } }"""
UPDATE = """mutation($input: UpdateWorkshopsCardWorkshopInput!) {
  updateWorkshopsCardWorkshop(input: $input) {
    workshop { version maxCards durations { writing } } errors { field code message } } }"""
READ = """query($id: ID!) { workshopsCardWorkshop(id: $id) {
  version maxCards durations { writing } } }"""


async def test_a_stale_version_is_refused_with_conflict(bocage_gql: Any) -> None:
    gql = bocage_gql
    created = await gql(CREATE, {"input": {"title": {"fr": "Défis"}}}, principal=FACILITATOR)
    workshop = created["createWorkshopsCardWorkshop"]["workshop"]
    read = workshop["version"]

    first = await gql(
        UPDATE,
        {"input": {"workshop": workshop["id"], "version": read, "maxCards": 4}},
        principal=FACILITATOR,
    )
    payload = first["updateWorkshopsCardWorkshop"]
    assert payload["errors"] == []
    assert payload["workshop"]["version"] == read + 1

    # A second facilitator, who read the same version, changes the writing's time box.
    second = await gql(
        UPDATE,
        {"input": {"workshop": workshop["id"], "version": read, "durations": {"writing": 20}}},
        principal=FACILITATOR,
    )
    payload = second["updateWorkshopsCardWorkshop"]
    assert payload["workshop"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", "version"), error
    assert f"at version {read + 1}" in error["message"] and "read it again" in error["message"]
    seen = (await gql(READ, {"id": workshop["id"]}))["workshopsCardWorkshop"]
    assert seen == {"version": read + 1, "maxCards": 4, "durations": {"writing": 10}}

    # Read again, send the new version: accepted.
    again = await gql(
        UPDATE,
        {
            "input": {
                "workshop": workshop["id"],
                "version": seen["version"],
                "durations": {"writing": 20},
            }
        },
        principal=FACILITATOR,
    )
    assert again["updateWorkshopsCardWorkshop"]["errors"] == []
    assert again["updateWorkshopsCardWorkshop"]["workshop"]["durations"] == {"writing": 20}


async def test_the_version_is_required(bocage_gql: Any) -> None:
    created = await bocage_gql(CREATE, {"input": {"title": {"fr": "x"}}}, principal=FACILITATOR)
    workshop = created["createWorkshopsCardWorkshop"]["workshop"]
    errors = await bocage_gql(
        UPDATE, {"input": {"workshop": workshop["id"], "maxCards": 4}}, errors=True
    )
    assert errors and "version" in errors[0]["message"]
