"""A number too large for any row, in a global ID or a REST path, is "not found" or a typed
error, never a 500: on PostgreSQL it would otherwise overflow the query's integer parameter."""

from __future__ import annotations

import base64
from typing import Any

import pytest

HUGE = 99_999_999_999


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@pytest.mark.parametrize("type_name", ["Project", "Stakeholder", "Contact", "WorkshopsEvent"])
async def test_node_with_a_huge_key_is_null(gql: Any, type_name: str) -> None:
    body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid(type_name, HUGE)})
    assert body == {"data": {"node": None}}


@pytest.mark.parametrize("type_name", ["Survey", "NoSuchType"])
async def test_node_with_the_id_of_a_non_node_type_is_a_typed_error(
    gql: Any, type_name: str
) -> None:
    body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid(type_name, 1)})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert type_name in error["message"]


async def test_a_huge_key_in_a_filter_or_an_argument_is_a_typed_error(gql: Any) -> None:
    body = await gql(
        "query($id: ID!) { projects(filter: {stakeholder: $id}) { totalCount } }",
        {"id": gid("Stakeholder", HUGE)},
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is not a valid ID" in error["message"]
    survey = await gql(
        "query($id: ID!) { surveyResults(id: $id, public: true) { respondents } }",
        {"id": gid("Survey", HUGE)},
    )
    assert survey["errors"] and "Unexpected" not in str(survey)
    audit = await gql(
        "query($id: ID!) { auditLog(object: $id) { totalCount } }", {"id": gid("Project", HUGE)}
    )
    assert "Unexpected" not in str(audit)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/workshops/events/{HUGE}.ics",
        f"/api/opendata/datasets/projects/versions/{HUGE}/projects.csv",
        f"/api/surveys/{HUGE}/results.csv",
    ],
)
async def test_a_huge_key_in_a_rest_path_is_a_json_404(client: Any, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
