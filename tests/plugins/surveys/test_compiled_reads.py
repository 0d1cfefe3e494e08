"""The public surveys list through the read compiler (issue 12): the compiled answer is the
resolvers' answer, byte for byte, for the public and for survey managers, with one statement
per root field; nothing about responses or the managers' fields is compiled."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest
from graphql import OperationDefinitionNode, parse

from bocage.core.auth.principal import Role

MANAGE = {"roles": [Role.TERRITORY_ADMIN]}
CALLERS = {"anonymous": {}, "manager": MANAGE}

QUESTION = """key position type required allowOther minSelected maxSelected maxLength segment
  title(lang: NL) titleTranslations { fr nl } help helpTranslations { fr }
  options { value label labelTranslations { fr nl de en } }
  rows { __typename value label(lang: DE) }
  showIf { __typename question operator values }"""

DOCUMENTS = {
    "list": """{ surveys(first: 20) { totalCount edges { node {
        id title intro status opensOn closesOn audienceKinds } } } }""",
    "every field": """{ surveys(first: 8) { totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { __typename id version status anonymous public allowEdit
          audienceKinds audienceCommunes opensOn closesOn title(lang: EN)
          titleTranslations { fr nl de en } intro introTranslations { fr nl }
          questionsVersion questions { """
    + QUESTION
    + """ } } } } }""",
    "versions": """{ surveys(first: 10) { nodes { questionsVersion
        first: questions(version: 1) { key } current: questions { key }
        none: questions(version: 99) { key } } } }""",
    "filters": """query($status: SurveyStatus) {
        a: surveys(status: $status) { totalCount nodes { id status } }
        b: surveys(audienceKind: "association", first: 3) { totalCount nodes { id } }
        c: surveys(commune: "64034") { totalCount nodes { id audienceCommunes } }
        d: surveys(first: 0) { totalCount pageInfo { hasNextPage endCursor } } }""",
}


def _roots(document: str) -> int:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    return len(operation.selection_set.selections)


UPDATE = """mutation($input: UpdateSurveyInput!) {
  updateSurvey(input: $input) { survey { version questionsVersion } errors { code message } } }"""


async def _made(run: Any, sv: Any) -> dict[str, Any]:
    """Surveys that the demo lacks: every question type with skip rules, a second version of
    the questions, a draft, a closed survey, an audience of communes."""
    versioned = await sv.create(anonymous=False)
    submitted = await run(
        sv.SUBMIT, {"input": {"publicKey": versioned["publicKey"], "answers": sv.VALID}}
    )
    assert submitted["data"]["submitSurveyResponse"]["submitted"]
    edited = await run(
        UPDATE,
        {
            "input": {
                "id": versioned["id"],
                "version": versioned["version"],
                "questions": sv.QUESTIONS[:2],
                "audienceCommunes": ["64034", "92003"],
                "intro": {"fr": "Cinq minutes.", "nl": "Vijf minuten."},
            }
        },
        principal=sv.ADMIN,
    )
    assert edited["data"]["updateSurvey"]["survey"]["questionsVersion"] == 2, edited
    closed = await sv.create()
    done = await run(
        sv.CLOSE, {"input": {"id": closed["id"], "version": closed["version"]}}, principal=sv.ADMIN
    )
    assert done["data"]["closeSurvey"]["errors"] == []
    draft = await run(
        sv.CREATE,
        {"input": {"title": {"fr": "Brouillon"}, "questions": sv.QUESTIONS[:1]}},
        principal=sv.ADMIN,
    )
    assert draft["data"]["createSurvey"]["errors"] == []
    return {"draft": draft["data"]["createSurvey"]["survey"]["id"], "versioned": versioned["id"]}


@pytest.fixture
async def surveys(run: Any, sv: Any) -> dict[str, Any]:
    return await _made(run, sv)


async def test_both_paths_give_the_same_bytes_with_one_statement_per_root_field(
    world: Any, read_paths: Any, surveys: dict[str, Any]
) -> None:
    async with read_paths(world.settings.database_url) as paths:
        for name, document in DOCUMENTS.items():
            for caller, credentials in CALLERS.items():
                for language in ("fr", "de"):
                    compiled, resolved, statements = await paths.post(
                        document, {"status": "OPEN"}, accept_language=language, **credentials
                    )
                    assert b'"errors"' not in resolved, (name, caller, resolved[:300])
                    assert compiled == resolved, (name, caller, language)
                    assert statements == _roots(document), (name, caller, statements)


async def test_managers_and_the_public_see_what_the_resolvers_show_them(
    world: Any, read_paths: Any, surveys: dict[str, Any]
) -> None:
    """Drafts are for survey managers only, on both paths (statements are kept per caller)."""
    query = "{ surveys(first: 50) { totalCount nodes { id status } } }"
    async with read_paths(world.settings.database_url) as paths:
        seen = {}
        for caller in ("manager", "anonymous", "manager"):
            compiled, resolved, statements = await paths.post(query, **CALLERS[caller])
            assert compiled == resolved and statements == 1
            seen[caller] = orjson.loads(compiled)["data"]["surveys"]
    public, manager = seen["anonymous"], seen["manager"]
    assert manager["totalCount"] == public["totalCount"] + 1
    assert surveys["draft"] in {s["id"] for s in manager["nodes"]}
    assert surveys["draft"] not in {s["id"] for s in public["nodes"]}
    assert {s["status"] for s in public["nodes"]} == {"OPEN", "CLOSED"}


async def test_a_surveys_definition_as_compiled(
    world: Any, read_paths: Any, surveys: dict[str, Any]
) -> None:
    query = """{ surveys(first: 50) { nodes { id audienceCommunes intro(lang: NL)
        questionsVersion questions { key options { value label } showIf { operator values } }
        first: questions(version: 1) { key } } } }"""
    async with read_paths(world.settings.database_url) as paths:
        compiled, resolved, _ = await paths.post(query)
    assert compiled == resolved
    nodes = orjson.loads(compiled)["data"]["surveys"]["nodes"]
    versioned = next(s for s in nodes if s["id"] == surveys["versioned"])
    assert versioned["audienceCommunes"] == ["64034", "92003"]
    assert versioned["intro"] == "Vijf minuten." and versioned["questionsVersion"] == 2
    assert [q["key"] for q in versioned["questions"]] == ["kind", "channels"]
    assert len(versioned["first"]) == 8
    assert versioned["questions"][0]["options"][0] == {
        "value": "association",
        "label": "Association",
    }
    full = next(s for s in nodes if len(s["questions"]) == 8)
    rules = [q["showIf"] for q in full["questions"] if q["showIf"]]
    assert rules == [
        {"operator": "NOT_EQUALS", "values": ["web"]},
        {"operator": "EQUALS", "values": ["association"]},
    ]


async def test_responses_and_the_managers_fields_stay_with_the_resolvers(
    world: Any, read_paths: Any, surveys: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bocage.graphql.compiler")
    undeclared = {
        "publicKey": "Survey.publicKey",
        "responseCount": "Survey.responseCount",
        "quotas { full }": "Survey.quotas",
        "questions { minValue }": "SurveyQuestion.minValue",
    }
    async with read_paths(world.settings.database_url) as paths:
        for field, name in undeclared.items():
            query = f"{{ surveys(first: 50) {{ nodes {{ id {field} }} }} }}"
            for credentials in CALLERS.values():
                compiled, resolved, _ = await paths.post(query, **credentials)
                assert compiled == resolved and b'"errors"' not in compiled
            assert f"surveys answered by resolvers: {name}" in caplog.text


async def test_refused_arguments_get_the_resolvers_errors(world: Any, read_paths: Any) -> None:
    async with read_paths(world.settings.database_url) as paths:
        for query in (
            '{ surveys(audienceKind: "martians") { totalCount } }',
            '{ surveys(commune: "Hannut") { totalCount } }',
            '{ surveys(after: "bm9wZQ") { totalCount } }',
            "{ surveys(first: -1) { totalCount } }",
        ):
            compiled, resolved, _ = await paths.post(query)
            assert compiled == resolved, query
            assert b'"BAD_USER_INPUT"' in compiled, query


async def test_generated_selections_agree(
    world: Any, read_paths: Any, surveys: dict[str, Any], generated_documents: Any
) -> None:
    """Selections generated from the public schema (hypothesis-graphql) give the same bytes
    on both paths, for the public and for survey managers."""
    documents = generated_documents(["surveys"], 60)
    compiled_roots = 0
    async with read_paths(world.settings.database_url) as paths:
        for number, document in enumerate(documents):
            compiled, resolved, statements = await paths.post(
                document, **CALLERS[("anonymous", "manager")[number % 2]]
            )
            assert compiled == resolved, document
            compiled_roots += statements == 1
    # Most generated documents send arguments the resolver refuses (audienceKind: "") or
    # select the managers' fields: they are answered by the resolvers, and compared too.
    assert compiled_roots >= 3, "too few generated documents compiled"
