"""The catalogue through GraphQL."""

from __future__ import annotations

from typing import Any

QUERY = """
query ($theme: String, $search: String) {
  opendataDatasets(theme: $theme, search: $search) {
    identifier title(lang: NL) titleTranslations { fr en } theme licence keywords
    fields { name type } recordsPath
  }
}
"""


async def test_datasets_through_graphql(gql: Any) -> None:
    body = await gql(QUERY)
    assert "errors" not in body, body
    by_id = {d["identifier"]: d for d in body["data"]["opendataDatasets"]}
    assert {"communes", "projects", "stakeholders", "indicator-values"} <= set(by_id)
    projects = by_id["projects"]
    assert projects["title"] == "Projecten van het grondgebied"
    assert projects["titleTranslations"]["en"] == "Projects of the territory"
    assert projects["licence"] == "CC_BY_4_0"
    assert {"name": "pst_actions", "type": "string"} in projects["fields"]
    assert projects["recordsPath"] == "/api/opendata/datasets/projects/records"


async def test_filtering_by_theme_and_text(gql: Any) -> None:
    body = await gql(QUERY, {"theme": "REGI"})
    assert [d["identifier"] for d in body["data"]["opendataDatasets"]] == ["communes"]
    body = await gql(QUERY, {"search": "indicateurs"})
    assert [d["identifier"] for d in body["data"]["opendataDatasets"]] == ["indicator-values"]
