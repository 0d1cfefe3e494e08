"""A project's SDG goals and targets (``sdgGoals``, ``sdgTargets``) are compiled: a list
selecting them stays one statement, and answers the resolvers' very bytes, in every language
and shape of selection (aliases, fragments, nested goals and targets, translations)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest

from bocage.core.app import create_app
from bocage.core.settings import Settings
from bocage.core.testing import StatementCounter

DOCUMENTS = {
    "goals and targets": """{ projects(first: 50) { nodes { id sdgs sdgTargetCodes
        sdgGoals { number title shortTitle }
        sdgTargets { code goalNumber title } } } }""",
    "every field, nested": """{ projects(first: 30, filter: {sdgGoals: [11, 16, 4]}) {
        totalCount edges { cursor node { title
          sdgGoals { __typename number title(lang: DE) shortTitle(lang: EN)
            titleTranslations { __typename fr nl de en } shortTitleTranslations { fr nl }
            targets { code title(lang: FR) } }
          sdgTargets { __typename code goalNumber title titleTranslations { fr nl de en }
            goal { number shortTitle targets { code } } } } } } }""",
    "aliases and fragments": """query($with: Boolean!) {
      list: projects(first: 20, lang: NL) { nodes { ...Sdg } }
      communes(first: 3) { nodes { nisCode projects(first: 5, lang: DE) { nodes { ...Sdg } } } }
    }
    fragment Sdg on Project {
      odd: sdgGoals { n: number t: title @include(if: $with) ...Goal }
      cibles: sdgTargets { c: code t: title titre: title(lang: FR) } }
    fragment Goal on Sdg { shortTitle }""",
    "one project": """query($nis: String!) { commune(nisCode: $nis) { name
        projects(first: 10) { nodes { sdgTargets { code goal { title } } } } } }""",
}
VARIABLES: dict[str, dict[str, Any]] = {
    "aliases and fragments": {"with": True},
    "one project": {"nis": "64034"},
}
LANGUAGES = ("fr", "nl", "de;q=0.5, en", "en")


@contextlib.asynccontextmanager
async def _app(
    url: str, make_settings: Callable[..., Settings], *, compiled: bool
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(make_settings(url, graphql_compile=compiled, graphql_compile_check=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
            yield c, app


async def _post(
    client: httpx.AsyncClient, app: Any, body: dict[str, Any], language: str
) -> tuple[bytes, int]:
    with StatementCounter.of(app) as counter:
        response = await client.post("/graphql", json=body, headers={"accept-language": language})
    assert response.status_code == 200, response.text
    return response.content, counter.count


async def test_compiled_sdg_fields_give_the_resolvers_bytes(
    demo_database_url: str, make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bocage.graphql.compiler")
    answers = {}
    async with (
        _app(demo_database_url, make_settings, compiled=True) as (compiled, capp),
        _app(demo_database_url, make_settings, compiled=False) as (resolvers, rapp),
    ):
        for name, document in DOCUMENTS.items():
            body = {"query": document, "variables": VARIABLES.get(name, {})}
            for language in LANGUAGES:
                one, statements = await _post(compiled, capp, body, language)
                other, _ = await _post(resolvers, rapp, body, language)
                assert b'"errors"' not in other, other[:300]
                assert one == other, (name, language)
                answers[name] = one
                # one statement per root field: nothing answered by the resolvers
                roots = len(orjson.loads(one)["data"])
                assert statements == roots, (name, language, statements)
    assert "answered by resolvers" not in caplog.text
    # the demo's projects do name goals and several targets: the lists are not all empty
    data = orjson.loads(answers["goals and targets"])["data"]["projects"]["nodes"]
    assert any(len(p["sdgTargets"]) > 1 for p in data)
    assert any(len(p["sdgGoals"]) > 1 for p in data)


async def test_a_page_selecting_the_sdgs_is_one_statement(
    demo_database_url: str, make_settings: Any
) -> None:
    """Fifty projects, their goals with every target, their targets with their goal: one
    statement, where the resolvers take one per relation and page."""
    document = """{ projects(first: 50) { nodes { title communes { name }
        sdgGoals { number title targets { code title } }
        sdgTargets { code title goal { number shortTitle } } } } }"""
    counts = {}
    for compiled in (True, False):
        async with _app(demo_database_url, make_settings, compiled=compiled) as (client, app):
            answer, counts[compiled] = await _post(client, app, {"query": document}, "fr")
        nodes = orjson.loads(answer)["data"]["projects"]["nodes"]
        assert len(nodes) == 50 and sum(len(n["sdgTargets"]) for n in nodes) > 10
    assert counts[True] == 1
    assert counts[False] > 1, counts


async def test_unknown_stored_codes_are_left_out_as_by_the_resolvers(
    world: Any, make_settings: Any
) -> None:
    """A code the reference does not know (stored before it, or by hand) is skipped by both
    paths, in the stored order."""
    from sqlalchemy import update

    from bocage.core import models as m

    async with world.sessionmaker() as session:
        key = (await session.execute(m.Project.__table__.select().limit(1))).first().id
        await session.execute(
            update(m.Project)
            .where(m.Project.id == key)
            .values(sdgs=[16, 99, 4], sdg_targets=["16.7", "99.1", "4.4", "1.a"])
        )
        await session.commit()
    document = """query($id: ID!) { node(id: $id) { ... on Project {
        sdgGoals { number } sdgTargets { code } } }
      projects(first: 100) { nodes { id sdgGoals { number } sdgTargets { code } } } }"""
    import base64

    body = {
        "query": document,
        "variables": {"id": base64.b64encode(f"Project:{key}".encode()).decode()},
    }
    answers = []
    for compiled in (True, False):
        async with _app(world.url, make_settings, compiled=compiled) as (client, app):
            answers.append((await _post(client, app, body, "fr"))[0])
    assert answers[0] == answers[1]
    assert b'"errors"' not in answers[0], answers[0][:400]
    node = orjson.loads(answers[0])["data"]["node"]
    assert node == {
        "sdgGoals": [{"number": 16}, {"number": 4}],
        "sdgTargets": [{"code": "16.7"}, {"code": "4.4"}, {"code": "1.a"}],
    }
