"""The catalogue through GraphQL."""

from __future__ import annotations

from typing import Any

QUERY = """
query ($theme: String, $search: String) {
  opendataDatasets(theme: $theme, search: $search) {
    identifier title(lang: NL) titleTranslations { fr en } theme licence keywords
    fields { name type } recordsPath issued
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
    # live datasets: issued with their first row, as in their DCAT-AP document
    assert all(by_id[i]["issued"] for i in ("communes", "projects", "stakeholders"))


async def test_filtering_by_theme_and_text(gql: Any) -> None:
    body = await gql(QUERY, {"theme": "REGI"})
    assert [d["identifier"] for d in body["data"]["opendataDatasets"]] == ["communes"]
    body = await gql(QUERY, {"search": "indicateurs"})
    assert [d["identifier"] for d in body["data"]["opendataDatasets"]] == ["indicator-values"]


CATALOG = """
query ($search: String, $filter: OpendataFilter) {
  opendataCatalog(search: $search, filter: $filter) {
    count
    datasets { identifier formats schemaPath qualityPath }
    facets { name values { value count } }
  }
}
"""


async def test_catalogue_search_with_facets(gql: Any) -> None:
    body = await gql(CATALOG)
    assert "errors" not in body, body
    result = body["data"]["opendataCatalog"]
    identifiers = {d["identifier"] for d in result["datasets"]}
    core = {"communes", "projects", "stakeholders", "indicator-values"}
    assert core <= identifiers  # the core's four, plus what enabled plugins publish
    assert result["count"] == len(identifiers)
    facets = {f["name"]: {v["value"]: v["count"] for v in f["values"]} for f in result["facets"]}
    assert sum(facets["theme"].values()) >= result["count"]
    assert facets["theme"]["GOVE"] >= 2 and facets["theme"]["REGI"] >= 1
    assert facets["format"]["parquet"] == result["count"]
    # GeoJSON for datasets with places: projects and organisations (docs/places.md)
    assert 2 <= facets["format"]["geojson"] < result["count"]
    only_gove = await gql(CATALOG, {"filter": {"themes": ["GOVE"], "keywords": ["PST"]}})
    found = only_gove["data"]["opendataCatalog"]
    assert [d["identifier"] for d in found["datasets"]] == ["projects"]
    assert found["datasets"][0]["schemaPath"] == "/api/opendata/datasets/projects/schema.json"
    none = await gql(CATALOG, {"search": "introuvable"})
    assert none["data"]["opendataCatalog"]["count"] == 0


LINKS = """
{ opendataDatasets(search: "projets") {
    identifier iri recordsUrl schemaUrl downloads { format mediaType url } } }
"""


async def test_a_front_end_gets_the_public_urls_of_a_dataset(gql: Any, client: Any) -> None:
    """Absolute, stable URLs (from BOCAGE_OPENDATA_BASE_URL), each answering what it says."""
    body = await gql(LINKS)
    assert "errors" not in body, body
    [projects] = [d for d in body["data"]["opendataDatasets"] if d["identifier"] == "projects"]
    assert projects["iri"] == "http://localhost:8000/api/opendata/datasets/projects"
    assert projects["recordsUrl"] == projects["iri"] + "/records"
    downloads = {d["format"]: d for d in projects["downloads"]}
    assert {"csv", "json", "xlsx", "parquet"} <= set(downloads)
    path = "http://localhost:8000"
    for url, kind in (
        (projects["schemaUrl"], "application/schema+json"),
        (downloads["csv"]["url"], downloads["csv"]["mediaType"]),
    ):
        answer = await client.get(url.removeprefix(path))
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].startswith(kind)
