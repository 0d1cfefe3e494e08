"""The UN Sustainable Development Goals in full (issue 16, part 5): the reference list of the
17 goals and 169 targets with localised titles, the projects' goals and targets, and the
filters by goal and by target, as a front-end queries them over HTTP."""

from __future__ import annotations

from typing import Any

from bocage.core.domain import sdgs

PROJECT_SDGS = """query($filter: ProjectFilter, $after: String) {
  projects(first: 100, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id sdgs sdgTargetCodes } } }"""


async def _all(gql: Any, filter: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every project the filter gives, by ID, following the pages."""
    found: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        body = await gql(PROJECT_SDGS, {"filter": filter, "after": after})
        assert "errors" not in body, body
        page = body["data"]["projects"]
        found.update({node["id"]: node for node in page["nodes"]})
        if not page["pageInfo"]["hasNextPage"]:
            assert len(found) == page["totalCount"]
            return found
        after = page["pageInfo"]["endCursor"]


async def test_the_reference_list_of_goals_and_targets(gql: Any) -> None:
    body = await gql("""{ sdgGoals { number title shortTitle
        titleTranslations { fr nl de en } targets { code goalNumber title goal { number } } } }""")
    assert "errors" not in body, body
    goals = body["data"]["sdgGoals"]
    assert [g["number"] for g in goals] == list(range(1, 18))
    targets = [t for g in goals for t in g["targets"]]
    assert len(targets) == 169 == len({t["code"] for t in targets})
    for goal in goals:
        reference = sdgs.goal(goal["number"])
        assert reference is not None
        # French by default (BOCAGE_DEFAULT_LANGUAGE), every language in the translations.
        assert goal["title"] == reference.title["fr"]
        assert goal["shortTitle"] == reference.short_title["fr"]
        assert goal["titleTranslations"] == {**reference.title, "nl": None}
        for target in goal["targets"]:
            assert target["goalNumber"] == target["goal"]["number"] == goal["number"]
            assert target["code"].split(".")[0] == str(goal["number"])
    assert targets[0]["code"] == "1.1" and targets[-1]["code"] == "17.19"


async def test_titles_follow_the_language_rules(gql: Any) -> None:
    query = """query($lang: Language) { sdgTarget(code: "11.3", lang: $lang) {
        code title goal { shortTitle } } }"""
    target, goal = sdgs.target("11.3"), sdgs.goal(11)
    assert target is not None and goal is not None
    german = (await gql(query, {"lang": "DE"}))["data"]["sdgTarget"]
    assert german == {
        "code": "11.3",
        "title": target.title["de"],
        "goal": {"shortTitle": goal.short_title["de"]},
    }
    by_header = (await gql(query, accept_language="en"))["data"]["sdgTarget"]
    assert by_header["title"] == target.title["en"]
    # No Dutch in the UN's texts we ship: the first available language (fr) answers.
    dutch = (await gql(query, {"lang": "NL"}))["data"]["sdgTarget"]
    assert dutch["title"] == target.title["fr"]
    own = await gql('{ sdgTarget(code: "7.2", lang: EN) { title(lang: DE) } }')
    assert own["data"]["sdgTarget"]["title"] == sdgs.target("7.2").title["de"]  # type: ignore[union-attr]
    missing = await gql('{ sdgTarget(code: "11.12") { code } }')
    assert missing == {"data": {"sdgTarget": None}}


async def test_projects_show_their_goals_and_targets(gql: Any) -> None:
    projects = await _all(gql)
    with_targets = [p for p in projects.values() if p["sdgTargetCodes"]]
    assert with_targets and len(with_targets) < len(projects)
    for project in projects.values():
        # A target's goal is among the project's goals, and codes are in the official order.
        for code in project["sdgTargetCodes"]:
            assert int(code.split(".")[0]) in project["sdgs"]
        assert project["sdgTargetCodes"] == sdgs.project_targets(project["sdgTargetCodes"])
    sample = with_targets[0]
    body = await gql(
        """query($id: ID!) { node(id: $id) { ... on Project {
          sdgGoals { number shortTitle(lang: EN) }
          sdgTargets { code title(lang: DE) goal { number } } } } }""",
        {"id": sample["id"]},
    )
    node = body["data"]["node"]
    assert [g["number"] for g in node["sdgGoals"]] == sample["sdgs"]
    assert [g["shortTitle"] for g in node["sdgGoals"]] == [
        sdgs.goal(n).short_title["en"]  # type: ignore[union-attr]
        for n in sample["sdgs"]
    ]
    assert [t["code"] for t in node["sdgTargets"]] == sample["sdgTargetCodes"]
    assert [t["title"] for t in node["sdgTargets"]] == [
        sdgs.target(c).title["de"]  # type: ignore[union-attr]
        for c in sample["sdgTargetCodes"]
    ]


async def test_filters_by_goals_and_by_targets(gql: Any) -> None:
    projects = await _all(gql)
    codes = sorted({c for p in projects.values() for c in p["sdgTargetCodes"]})
    assert len(codes) > 2
    for wanted in ([codes[0]], codes[:2]):
        found = await _all(gql, {"sdgTargets": wanted})
        expected = {k for k, p in projects.items() if set(p["sdgTargetCodes"]) & set(wanted)}
        assert set(found) == expected and expected
    for goals in ([7], [7, 16]):
        found = await _all(gql, {"sdgGoals": goals})
        expected = {k for k, p in projects.items() if set(p["sdgs"]) & set(goals)}
        assert set(found) == expected and expected
    # A goal's filter finds the projects of its targets: their goal is among theirs.
    goal = int(codes[0].split(".")[0])
    assert set(await _all(gql, {"sdgTargets": [codes[0]]})) <= set(
        await _all(gql, {"sdgGoals": [goal]})
    )
    # Conditions add up; a code is read as the reference writes it (case, spaces).
    both = await _all(gql, {"sdgTargets": [f" {codes[0].upper()} "], "focus": "DIGITAL"})
    assert set(both) == {
        k
        for k in await _all(gql, {"sdgTargets": [codes[0]]})
        if k in await _all(gql, {"focus": "DIGITAL"})
    }
    assert await _all(gql, {"sdgTargets": []}) == {}


async def test_unknown_goals_and_targets_are_refused_with_what_to_write(gql: Any) -> None:
    body = await gql('{ projects(filter: {sdgTargets: ["11.3", "11.12"]}) { totalCount } }')
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "sdgTargets"}
    assert "'11.12' is not an SDG target" in error["message"] and "'1.a'" in error["message"]
    body = await gql("{ projects(filter: {sdgGoals: [3, 18]}) { totalCount } }")
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "sdgGoals"}
    assert "SDG 18 does not exist: use 1 to 17" in error["message"]
