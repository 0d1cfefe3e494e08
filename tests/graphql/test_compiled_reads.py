"""The read compiler answers exactly what the resolvers answer (issue 12).

Each document runs through both paths, on the engine under test, and the two answers must be
the same bytes; a compiled root field costs one SQL statement. The rest of the suite checks
every query it sends the same way (``BOCAGE_GRAPHQL_COMPILE_CHECK`` is on in its settings).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bocage.core.app import create_app
from bocage.core.settings import Settings
from bocage.core.testing import StatementCounter

DOCUMENTS = {
    "readme": """{
      communes(first: 5) { edges { node { name nisCode
        projects(first: 3) { totalCount edges { node { title status focus } } } } } }
      projects(first: 10, filter: { focus: DIGITAL, search: "ecole" }) {
        pageInfo { hasNextPage endCursor }
        edges { node { id title(lang: NL) titleTranslations { fr nl }
          communes { name } stakeholders { role stakeholder { name kind } }
          pstActions { code title } indicators { name latestValue { measuredOn value } } } } }
    }""",
    "bench": """{ projects(first: 50) { edges { node { id title status
        communes { name } stakeholders { stakeholder { name } } } } } }""",
    "every project field": """{ projects(first: 20, filter: {search: "air"}) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { __typename id version createdAt updatedAt status focus themes
          sdgs startDate endDate budget title summary(lang: NL) description(lang: DE)
          summaryTranslations { fr nl de en } externalReference { source id }
          territory { slug } indicators { id version name unit baseline target
            values { measuredOn value note } latestValue { value } } } } } }""",
    "commune page": """query($nis: String!) { commune(nisCode: $nis) {
        id name(lang: NL) province region areaKm2 population provinceNisCode
        territory { slug name communes { nisCode } }
        strategicPlan { title startYear endYear adoptedOn
          strategicObjectives { code title plan { startYear }
            operationalObjectives { code title strategicObjective { code }
              actions { code title budget operationalObjective { code }
                projects(first: 2) { totalCount edges { node { title } } } } } } }
        strategicPlans { startYear }
        projects(first: 5) { totalCount pageInfo { hasNextPage endCursor }
          edges { cursor node { title(lang: NL) indicators { name values { value } } } } }
        stakeholders(first: 3) { edges { node { name communes { nisCode } } } } } }""",
    "stakeholders": """{ stakeholders(first: 30, filter: {kind: [ENTERPRISE, ASSOCIATION]}) {
        totalCount edges { cursor node { __typename id name kind needs website
          enterpriseNumber description descriptionTranslations { fr }
          externalReference { id } communes { nisCode }
          projects(first: 2) { pageInfo { hasNextPage startCursor } nodes { id } } } } } }""",
    "fragments and directives": """query($withCommunes: Boolean!, $skipTitle: Boolean!) {
        list: projects(first: 7, orderBy: {field: TITLE, direction: ASC}, lang: NL) {
          ...Page
        }
      }
      fragment Page on ProjectConnection { edges { ... on ProjectEdge { cursor node {
        ...Project t2: title @skip(if: $skipTitle) } } } __typename }
      fragment Project on Project { id name: title
        communes @include(if: $withCommunes) { ... on Commune { nisCode } } }""",
    "orderings": """{
      a: projects(first: 4, orderBy: {field: START_DATE}) { edges { cursor node { startDate } } }
      b: projects(first: 4, orderBy: {field: UPDATED_AT, direction: ASC}) { edges { cursor } }
      c: projects(first: 4, orderBy: {field: CREATED_AT, direction: ASC}) { pageInfo { endCursor } }
      d: projects(first: 0) { totalCount pageInfo { hasNextPage startCursor endCursor }
        edges { cursor } }
    }""",
    "territories": """{ territories { edges { node { slug website name(lang: EN)
        nameTranslations { fr nl de en } descriptionTranslations { fr }
        communes { nisCode name } } } }
      territory(slug: "gal-hesbaye-meuse") { slug communes { nisCode } }
      nope: territory(slug: "nope") { slug } }""",
    "filters": """query($sdg: Int, $since: DateTime) {
      a: projects(filter: {status: [IDEA, PLANNED], theme: "numerique"}) { totalCount }
      b: projects(filter: {sdg: $sdg, updatedSince: $since}) { totalCount edges { node { id } } }
      c: communes(filter: {nisCodes: ["64034", "92003"]}) { edges { node { nisCode } } }
      d: stakeholders(filter: {communeNisCode: "64034", need: TRAINING}) { totalCount }
    }""",
    "sdg filters": """query($goals: [Int!], $targets: [String!]) {
      a: projects(first: 30, filter: {sdgGoals: $goals}) { totalCount
        nodes { id sdgs sdgTargetCodes } }
      b: projects(first: 30, filter: {sdgTargets: $targets, sdg: 16}) { totalCount
        edges { cursor node { sdgTargetCodes communes { nisCode } } } }
    }""",
}

VARIABLES: dict[str, dict[str, Any]] = {
    "commune page": {"nis": "64034"},
    "fragments and directives": {"withCommunes": True, "skipTitle": False},
    "filters": {"sdg": 11, "since": "2020-01-01T00:00:00Z"},
    "sdg filters": {"goals": [7, 16], "targets": ["16.7", "16.10", "4.4"]},
}

Serve = Callable[..., contextlib.AbstractAsyncContextManager[tuple[httpx.AsyncClient, Any]]]


@pytest.fixture(scope="module")
def paths() -> dict[str, dict[str, Any]]:
    return {
        "compiled": {"graphql_compile": True, "graphql_compile_check": False},
        "resolvers": {"graphql_compile": False, "graphql_compile_check": False},
    }


@contextlib.asynccontextmanager
async def _app(
    url: str, make_settings: Callable[..., Settings], **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(make_settings(url, **overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
            yield c, app


async def _post(
    client: httpx.AsyncClient, app: Any, body: dict[str, Any], **headers: str
) -> tuple[bytes, int]:
    # Every statement, the fast path's on asyncpg directly (PostgreSQL) included.
    with StatementCounter.of(app) as counter:
        response = await client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.content, counter.count


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
async def test_both_paths_give_the_same_bytes(
    name: str, demo_database_url: str, make_settings: Any, paths: dict[str, dict[str, Any]]
) -> None:
    body = {"query": DOCUMENTS[name], "variables": VARIABLES.get(name, {})}
    answers = {}
    for path, overrides in paths.items():
        async with _app(demo_database_url, make_settings, **overrides) as (client, app):
            answers[path] = await _post(client, app, body)
    (compiled, statements), (resolved, _) = answers["compiled"], answers["resolvers"]
    assert b'"errors"' not in resolved, resolved[:500]
    assert compiled == resolved
    # Every root field of these documents is compiled: one statement each.
    assert statements == len(_root_fields(name)), (name, statements)


async def test_an_sqlite_that_drops_json_through_scalar_subqueries_gets_json_again(
    demo_database_url: str,
    make_settings: Any,
    paths: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The compiled statements embed the arrays correlated subqueries return as they are
    where SQLite keeps them JSON (``sqljson.scalar_subqueries_keep_json``, probed once), and
    through ``json()`` where it would not: both give the resolvers' bytes."""
    if demo_database_url.startswith("postgresql"):
        pytest.skip("SQLite's statements only")
    from bocage.core.graphql.compiler import sqljson

    assert sqljson.scalar_subqueries_keep_json()  # this SQLite does
    body = {"query": DOCUMENTS["bench"]}  # lists in correlated subqueries
    seen: list[str] = []
    answers = {}
    for keeps in (True, False):
        monkeypatch.setattr(sqljson, "scalar_subqueries_keep_json", lambda keeps=keeps: keeps)
        async with _app(demo_database_url, make_settings, **paths["compiled"]) as (client, app):
            with StatementCounter.of(app) as counter:
                response = await client.post("/graphql", json=body)
            seen.append(" ".join(counter.statements))
            answers[keeps] = response.content
    async with _app(demo_database_url, make_settings, **paths["resolvers"]) as (client, app):
        resolved = (await client.post("/graphql", json=body)).content
    assert answers[True] == answers[False] == resolved
    assert "json((SELECT json_group_array" not in seen[0]
    assert "json((SELECT json_group_array" in seen[1]


def _root_fields(name: str) -> list[str]:
    from graphql import OperationDefinitionNode, parse

    document = parse(DOCUMENTS[name])
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return [s.name.value for s in operation.selection_set.selections]  # type: ignore[attr-defined]


async def test_next_pages_and_languages(
    demo_database_url: str, make_settings: Any, paths: dict[str, dict[str, Any]]
) -> None:
    """Cursors of one path page the other; Accept-Language picks the texts."""
    query = """query($after: String, $first: Int) { projects(first: $first, after: $after) {
        pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { title } } }
      communes(first: 2) { edges { node { name projects(first: 2, after: $after) {
        totalCount edges { node { title } } } } } } }"""
    async with (
        _app(demo_database_url, make_settings, **paths["compiled"]) as (compiled, capp),
        _app(demo_database_url, make_settings, **paths["resolvers"]) as (resolvers, rapp),
    ):
        after = None
        for _page in range(3):
            body = {"query": query, "variables": {"after": after, "first": 7}}
            for language in ("nl", "de;q=0.5, en", "xx"):
                one, _ = await _post(compiled, capp, body, **{"accept-language": language})
                other, _ = await _post(resolvers, rapp, body, **{"accept-language": language})
                assert one == other
            import orjson

            after = orjson.loads(one)["data"]["projects"]["pageInfo"]["endCursor"]
            assert after


async def test_refused_arguments_get_the_resolvers_errors(
    demo_database_url: str, make_settings: Any, paths: dict[str, dict[str, Any]]
) -> None:
    for query in (
        "{ projects(first: 1000) { totalCount } }",
        '{ projects(after: "not a cursor") { totalCount } }',
        "{ communes { edges { node { projects(first: -1) { totalCount } } } } }",
        "{ projects(filter: {sdg: 40}) { totalCount } }",
        '{ projects(filter: {communes: ["nope"]}) { totalCount } }',
        '{ projects(filter: {updatedSince: "2020-01-01T00:00:00"}) { totalCount } }',
    ):
        answers = []
        for overrides in paths.values():
            async with _app(demo_database_url, make_settings, **overrides) as (client, app):
                answers.append((await _post(client, app, {"query": query}))[0])
        assert answers[0] == answers[1], query
        assert b'"BAD_USER_INPUT"' in answers[0], answers[0]


async def test_personal_data_stays_with_the_resolvers(
    demo_database_url: str,
    make_settings: Any,
    paths: dict[str, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Contacts are not compiled: the root field holding them is answered by resolvers,
    which refuse anonymous callers."""
    query = "{ stakeholders(first: 2) { edges { node { name contacts { email } } } } }"
    caplog.set_level(logging.DEBUG, logger="bocage.graphql.compiler")
    async with _app(demo_database_url, make_settings, **paths["compiled"]) as (client, app):
        body, _ = await _post(client, app, {"query": query})
    assert b'"FORBIDDEN"' in body and b"@" not in body
    assert "stakeholders answered by resolvers: Stakeholder.contacts" in caplog.text


async def test_the_check_catches_a_compiled_answer_that_differs(
    demo_database_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BOCAGE_GRAPHQL_COMPILE_CHECK`` fails the query when the paths disagree (here a spec
    reading the wrong column)."""
    import dataclasses

    from bocage.core.graphql.compiler import core_types
    from bocage.core.graphql.compiler.spec import Column

    declared = core_types.compiled_reads()
    types = []
    for spec in declared.types:
        if spec.name == "Commune":
            fields = {**spec.fields, "nisCode": Column("province_nis_code")}
            spec = dataclasses.replace(spec, fields=fields)
        types.append(spec)
    wrong = dataclasses.replace(declared, types=types)
    monkeypatch.setattr(core_types, "compiled_reads", lambda: wrong)
    settings = {"graphql_compile": True, "graphql_compile_check": True}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        body, _ = await _post(client, app, {"query": "{ communes { edges { node { nisCode } } } }"})
    assert b"COMPILED_READ_MISMATCH" in body


async def test_a_statement_too_nested_for_sqlite_is_built_with_fewer_correlated_levels(
    demo_database_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Correlated subqueries at every level overflow SQLite's parser stack on the commune
    page: the compiler finds it before sending anything (an empty in-memory database parses
    the statement) and builds it again with fewer correlated levels, which answers the
    resolvers' bytes in one statement, and is kept (the next request sends it alone)."""
    from bocage.core.graphql.compiler.build import Build

    parsed: list[bool] = []
    parses = Build.parses

    def spied(self: Build, statement: Any) -> bool:
        parsed.append(parses(self, statement))
        return parsed[-1]

    monkeypatch.setattr(Build, "parses", spied)
    body = {"query": DOCUMENTS["commune page"], "variables": VARIABLES["commune page"]}
    settings = {"graphql_compile": True, "graphql_compile_check": False, "graphql_fast_path": False}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        first, tried = await _post(client, app, body)
        second, statements = await _post(client, app, body)
    async with _app(demo_database_url, make_settings, graphql_compile=False) as (client, app):
        resolved, _ = await _post(client, app, body)
    assert first == second == resolved
    assert tried == statements == 1
    if demo_database_url.startswith("sqlite"):
        assert parsed[0] is False  # every level correlated: refused
        assert parsed[-1] is True and len(parsed) >= 2
    else:
        assert parsed == []  # PostgreSQL's parser has no such limit


async def test_a_statement_sqlite_still_refuses_is_built_again_with_windows(
    demo_database_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should SQLite's parser refuse a statement the in-memory check took, the statement is
    built again with fewer correlated levels when it runs, and kept."""
    from bocage.core.graphql.compiler.build import Build

    monkeypatch.setattr(Build, "parses", lambda self, statement: True)
    body = {"query": DOCUMENTS["commune page"], "variables": VARIABLES["commune page"]}
    settings = {"graphql_compile": True, "graphql_compile_check": False, "graphql_fast_path": False}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        first, tried = await _post(client, app, body)
        second, statements = await _post(client, app, body)
    async with _app(demo_database_url, make_settings, graphql_compile=False) as (client, app):
        resolved, _ = await _post(client, app, body)
    assert first == second == resolved
    assert statements == 1
    if demo_database_url.startswith("sqlite"):
        assert tried >= 2  # the refused statements, then one that nests less
    else:
        assert tried == 1


# -- the fast path (core/graphql/fast_path.py) -------------------------------------------------


@contextlib.contextmanager
def _executions(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Counts the operations strawberry executes: the fast path executes none."""
    from bocage.core.graphql.schema import Schema

    calls: list[int] = []
    execute = Schema.execute

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await execute(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Schema, "execute", counted)
        yield calls


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
async def test_the_fast_path_gives_the_normal_paths_bytes(
    name: str, demo_database_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document sent again is answered by its statements alone: the same bytes as the
    first (normal) answer and as the resolvers', one statement per root field."""
    body = {"query": DOCUMENTS[name], "variables": VARIABLES.get(name, {})}
    settings = {"graphql_compile": True, "graphql_compile_check": False}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        with _executions(monkeypatch) as executions:
            normal, _ = await _post(client, app, body)
            fast, statements = await _post(client, app, body)
            again, _ = await _post(client, app, body)
        assert len(app.state.fast_path.plans) == 1
        (plan,) = app.state.fast_path.plans.values()
        # Every statement rendered for the driver (asyncpg or sqlite3), none left to
        # SQLAlchemy's engine.
        assert plan.raw is not None and None not in plan.raw
    async with _app(demo_database_url, make_settings, graphql_compile=False) as (client, app):
        resolved, _ = await _post(client, app, body)
    assert executions == [1], "the second and third requests took the fast path"
    assert fast == normal == again == resolved
    assert statements == len(_root_fields(name)), (name, statements)


async def test_the_fast_path_is_kept_per_language_caller_and_variables(
    demo_database_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another language, another caller, other variables, GET or POST: each its own plan,
    learnt by the normal path; the same request again is fast and answers the same."""
    query = """query($first: Int) { communes(first: $first) { edges { node { name } } } }"""
    settings = {"graphql_compile": True, "graphql_compile_check": False}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        token = await _token(app)
        requests = [
            ({"first": 3}, {}),
            ({"first": 3}, {"accept-language": "nl"}),
            ({"first": 4}, {}),
            ({"first": 3}, {"authorization": f"Bearer {token}"}),
        ]
        with _executions(monkeypatch) as executions:
            first = [
                (await _post(client, app, {"query": query, "variables": v}, **h))[0]
                for v, h in requests
            ]
            assert len(executions) == len(requests)
            second = [
                (await _post(client, app, {"query": query, "variables": v}, **h))[0]
                for v, h in requests
            ]
            assert len(executions) == len(requests)
            # Over GET, authenticated (not the response cache's): the same plan, the same bytes.
            params = {"query": query, "variables": '{"first": 4}'}
            headers = {"authorization": f"Bearer {token}"}
            got = [await client.get("/graphql", params=params, headers=headers) for _ in "ab"]
            assert len(executions) == len(requests) + 1
        assert len(app.state.fast_path.plans) == len(requests) + 1  # one plan each
        assert first == second
        assert got[0].content == got[1].content
        assert got[0].headers["cache-control"] == got[1].headers["cache-control"]


async def _token(app: Any) -> str:
    from bocage.core.auth.principal import Role

    issued = await app.state.issuer.issue(subject="fast-path", roles=[Role.TERRITORY_ADMIN])
    return str(issued.access_token)


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ stakeholders(first: 2) { edges { node { name contacts { email } } } } }"},
        {"query": "{ __typename communes(first: 1) { totalCount } }"},
        {"query": "{ communes(first: 1) { totalCount } }", "extensions": {"x": 1}},
        {"query": "{ communes(first: 1) { totalCount } nope }"},
        {
            "query": "query A { communes(first: 1) { totalCount } } query B { territories "
            "{ totalCount } }"
        },
    ],
    ids=["personal", "typename", "extensions", "invalid", "no operation name"],
)
async def test_what_the_fast_path_does_not_take(
    body: dict[str, Any],
    demo_database_url: str,
    make_settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A root field the resolvers answer, an answer with errors, persisted-query extensions:
    every request goes through the normal path, and answers the same each time."""
    settings = {"graphql_compile": True, "graphql_compile_check": False}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        with _executions(monkeypatch) as executions:
            answers = [(await client.post("/graphql", json=body)).content for _ in "ab"]
        assert len(executions) == 2
        assert not app.state.fast_path.plans
    assert answers[0] == answers[1]


async def test_a_failing_fast_statement_is_answered_by_the_normal_path(
    demo_database_url: str, make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import text

    from bocage.core.graphql.fast_path import Plan

    body = {"query": "{ communes(first: 2) { edges { node { nisCode } } } }"}
    settings = {"graphql_compile": True, "graphql_compile_check": False}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        normal, _ = await _post(client, app, body)
        plans = app.state.fast_path.plans
        (key,) = plans
        plans[key] = Plan((("communes", text("SELECT nope FROM nowhere")),))
        again, _ = await _post(client, app, body)
        assert plans[key].roots[0][1] is not None and "nowhere" not in str(plans[key].roots[0][1])
    assert again == normal
    assert "fast path: the statement of communes failed" in caplog.text


async def test_the_fast_path_survives_dropped_connections(
    demo_database_url: str, make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL (the fast path's engine pings no connection): after the database dropped
    its connection, the request whose statement fails is answered by the normal path, and
    the next by the fast path again."""
    if not demo_database_url.startswith("postgresql"):
        pytest.skip("the fast path has an engine of its own on PostgreSQL only")
    from sqlalchemy import text

    body = {"query": "{ communes(first: 2) { edges { node { nisCode } } } }"}
    settings = {"graphql_compile": True, "graphql_compile_check": False}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        normal, _ = await _post(client, app, body)
        fast, _ = await _post(client, app, body)
        assert app.state.raw_reads is not None  # the fast path reads on asyncpg directly
        pid = await app.state.raw_reads.next_server_pid()
        async with app.state.engine.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        after, _ = await _post(client, app, body)
        # A connection asyncpg's pool already saw closed is replaced before use; one it did
        # not fails its statement, and the normal path answers (logged).
        again, statements = await _post(client, app, body)
        assert len(app.state.fast_path.plans) == 1
    assert normal == fast == after == again
    assert statements == 1


async def test_the_fast_path_keeps_to_trusted_documents(world: Any, make_settings: Any) -> None:
    """Where only registered documents run, the fast path answers a document while the
    document store trusts it, and refuses it as the normal path does once it is removed."""
    from bocage.core.graphql.persisted import (
        Candidate,
        register_trusted,
        remove_documents,
        sha256,
    )

    query = "{ communes(first: 2) { edges { node { nisCode } } } }"
    settings = {
        "graphql_compile": True,
        "graphql_compile_check": False,
        "graphql_trusted_documents": "strict",
        "graphql_documents_cache_size": 0,  # each lookup reads the database
    }
    async with _app(world.settings.database_url, make_settings, **settings) as (client, app):
        refused = (await client.post("/graphql", json={"query": query})).content
        async with app.state.sessionmaker() as session, session.begin():
            await register_trusted(session, [Candidate(query, "test")])
        first, _ = await _post(client, app, {"query": query})
        fast, _ = await _post(client, app, {"query": query})
        assert len(app.state.fast_path.plans) == 1
        async with app.state.sessionmaker() as session, session.begin():
            assert await remove_documents(session, [sha256(query)]) == []
        again = (await client.post("/graphql", json={"query": query})).content
    assert b"DOCUMENT_NOT_REGISTERED" in refused
    assert first == fast and b'"errors"' not in fast
    assert again == refused


async def test_the_check_covers_the_fast_path(demo_database_url: str, make_settings: Any) -> None:
    """``BOCAGE_GRAPHQL_COMPILE_CHECK``: a fast-path answer unlike the normal path's (here a
    plan swapped for another document's) is refused."""
    one = {"query": "{ communes(first: 2) { edges { node { nisCode } } } }"}
    other = {"query": "{ communes(first: 3) { edges { node { nisCode } } } }"}
    settings = {"graphql_compile": True, "graphql_compile_check": True}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        normal, _ = await _post(client, app, one)
        checked, _ = await _post(client, app, one)  # fast, and checked: the same
        assert checked == normal
        await _post(client, app, other)
        plans = app.state.fast_path.plans
        first, second = plans
        plans[first] = plans[second]
        body, _ = await _post(client, app, one)
    assert b"COMPILED_READ_MISMATCH" in body


# -- generated selections ----------------------------------------------------------------------

ROOTS = ["projects", "communes", "stakeholders", "territories", "commune", "territory"]


def _custom_scalars() -> dict[str, Any]:
    from hypothesis_graphql import nodes

    moments = st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2030, 1, 1),
        timezones=st.just(dt.UTC),
    )
    return {
        "DateTime": moments.map(lambda m: nodes.String(m.isoformat())),
        "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
        "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
            lambda d: nodes.String(str(d))
        ),
    }


@pytest.fixture(scope="module")
def schema_sdl() -> str:
    from pathlib import Path

    return (Path(__file__).parents[2] / "openapi" / "schema.graphql").read_text()


async def test_generated_selections_agree(
    demo_database_url: str, make_settings: Any, schema_sdl: str
) -> None:
    """Selections generated from the public schema (hypothesis-graphql), as anonymous, give
    the same bytes on both paths."""
    from hypothesis_graphql import queries

    async with (
        _app(
            demo_database_url, make_settings, graphql_compile=True, graphql_compile_check=False
        ) as (compiled, capp),
        _app(
            demo_database_url, make_settings, graphql_compile=False, graphql_compile_check=False
        ) as (resolvers, rapp),
    ):
        documents: list[str] = []

        @settings(
            max_examples=150,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(queries(schema_sdl, fields=ROOTS, custom_scalars=_custom_scalars(), allow_x00=False))
        def collect(document: str) -> None:
            documents.append(document)

        collect()
        compiled_roots = answered = 0
        for document in documents:
            one, statements = await _post(compiled, capp, {"query": document})
            other, _ = await _post(resolvers, rapp, {"query": document})
            assert one == other, document
            # Refused arguments (`first` with `last`, an empty cursor...) are the resolvers'
            # to answer: the compiler is measured on the documents answered without error.
            if b'"errors"' not in one:
                answered += 1
                compiled_roots += statements == 1
        assert compiled_roots > answered // 2, "too few generated documents compiled"


def test_bocage_compiled_reads_declared_twice_stops_startup() -> None:
    from bocage.core.errors import PluginError
    from bocage.core.graphql.compiler.core_types import compiled_reads
    from bocage.core.graphql.compiler.spec import Registry

    core = compiled_reads()
    with pytest.raises(PluginError, match="type Territory is declared by both 'core' and 'copy'"):
        Registry.of([("core", core), ("copy", core)])
    with pytest.raises(PluginError, match="returned 'nope', not a CompiledReads"):
        Registry.of([("odd", "nope")])  # type: ignore[list-item]


async def _echoed(
    url: str, make_settings: Any, body: dict[str, Any], settings: dict[str, Any]
) -> bytes:
    """The fast path's answer with echoed statements: SQLAlchemy's engine runs them (one)."""
    async with _app(url, make_settings, sql_echo=True, **settings) as (client, app):
        assert app.state.raw_reads is None
        await _post(client, app, body)
        echoed, statements = await _post(client, app, body)
    assert statements == 1
    return echoed


async def test_the_fast_path_reads_on_asyncpg_unless_observed(
    demo_database_url: str, make_settings: Any
) -> None:
    """PostgreSQL: the fast path's statements go to asyncpg directly, rendered once, and the
    metrics' ``read`` pool is asyncpg's; with traced (or echoed) statements, SQLAlchemy's
    engine runs them (its spans), and the answers are the same bytes."""
    if not demo_database_url.startswith("postgresql"):
        pytest.skip("the fast path reads on asyncpg on PostgreSQL only")
    from prometheus_client.parser import text_string_to_metric_families

    body = {"query": "{ communes(first: 2) { edges { node { nisCode name } } } }"}
    settings = {
        "graphql_compile": True,
        "graphql_compile_check": False,
        "metrics_enabled": True,
        "metrics_token": "scrape",
    }
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        raw = app.state.raw_reads
        assert raw is not None
        normal, _ = await _post(client, app, body)
        fast, statements = await _post(client, app, body)
        (plan,) = app.state.fast_path.plans.values()
        assert plan.raw is not None and all(r is not None for r in plan.raw)
        assert statements == 1
        scraped = await client.get("/metrics", headers={"Authorization": "Bearer scrape"})
        gauges = {
            (sample.name, sample.labels.get("engine")): sample.value
            for family in text_string_to_metric_families(scraped.text)
            for sample in family.samples
        }
        size = app.state.settings.db_pool_size
        assert gauges[("bocage_db_pool_size", "read")] == size
        assert gauges[("bocage_db_pool_checked_out", "read")] == 0
        assert -size < gauges[("bocage_db_pool_overflow", "read")] <= 0  # one opened
    assert normal == fast == await _echoed(demo_database_url, make_settings, body, settings)


# -- SQLite: the fast path's statements on sqlite3 in the event loop's thread ----------------

_SQLITE_ONLY = "the fast path reads on sqlite3 directly on SQLite only"


async def test_the_fast_path_reads_on_sqlite3_in_the_event_loops_thread(
    demo_database_url: str, make_settings: Any
) -> None:
    """SQLite: the fast path's statements, rendered once, run on a read-only ``sqlite3``
    connection in the event loop's thread (no worker thread is started), one per root field,
    and answer the normal path's bytes; with traced (or echoed) statements, SQLAlchemy's
    engine runs them."""
    if demo_database_url.startswith("postgresql"):
        pytest.skip(_SQLITE_ONLY)
    import sqlite3

    from bocage.core.graphql.fast_path import SqliteReads

    body = {"query": DOCUMENTS["commune page"], "variables": VARIABLES["commune page"]}
    settings: dict[str, Any] = {"graphql_compile": True, "graphql_compile_check": False}
    # The loop's share long enough for a first run on a busy machine (tested apart below).
    async with _app(
        demo_database_url, make_settings, graphql_fast_path_loop_ms=60_000, **settings
    ) as (client, app):
        raw = app.state.raw_reads
        assert isinstance(raw, SqliteReads)
        normal, _ = await _post(client, app, body)
        fast, statements = await _post(client, app, body)
        (plan,) = app.state.fast_path.plans.values()
        assert plan.raw is not None and all(r is not None for r in plan.raw)
        assert statements == 1
        assert raw._executor is None, "the statement ran in the event loop's thread"
        (reader,) = raw._readers
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.connection.execute("DELETE FROM commune")
    assert normal == fast == await _echoed(demo_database_url, make_settings, body, settings)


async def test_the_fast_path_reads_a_committed_write_at_once(
    world: Any, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write committed by a mutation is in the very next fast-path answer of the same app
    (both engines; on SQLite the reader is another connection, in WAL mode), round after
    round."""
    read = {"query": "{ projects(first: 1) { edges { node { id version title } } } }"}
    update = """mutation($input: UpdateProjectInput!) {
      updateProject(input: $input) { errors { code message } } }"""
    settings = {"graphql_compile": True, "graphql_compile_check": False}
    async with _app(world.url, make_settings, **settings) as (client, app):
        token = {"Authorization": f"Bearer {await _token(app)}"}
        with _executions(monkeypatch) as executions:
            await _post(client, app, read, **token)  # the normal path: the plan is learnt
            for round_ in range(3):
                before, statements = await _post(client, app, read, **token)
                node = orjson.loads(before)["data"]["projects"]["edges"][0]["node"]
                title = f"Vu tout de suite {round_}"
                change = {"id": node["id"], "version": node["version"], "title": {"fr": title}}
                written, _ = await _post(
                    client, app, {"query": update, "variables": {"input": change}}, **token
                )
                assert orjson.loads(written)["data"]["updateProject"]["errors"] == []
                after, _ = await _post(client, app, read, **token)
                assert orjson.loads(after)["data"]["projects"]["edges"][0]["node"]["title"] == (
                    title
                )
                assert statements == 1
        # The first read and the mutations were executed; every other read took the fast path.
        assert len(executions) == 1 + 3


def _counting_clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``fast_path.monotonic`` as a counter of its calls, one step each: a statement's
    "duration" is then the number of times its progress handler looked at the clock, the same
    on every run of the same statement."""
    from bocage.core.graphql import fast_path

    ticks = [0]

    def clock() -> float:
        ticks[0] += 1
        return float(ticks[0])

    monkeypatch.setattr(fast_path, "monotonic", clock)
    return ticks


#: A statement long enough for its progress handler to be called a few hundred times.
_LONG = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
    "SELECT sum(i) FROM n"
)


async def test_a_fast_statement_is_stopped_at_the_requests_deadline(
    demo_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statement timeout (``BOCAGE_GRAPHQL_TIMEOUT_SECONDS``'s deadline), just under and
    just over, on a clock that moves one step per look: in the event loop's thread and on a
    worker thread alike."""
    if demo_database_url.startswith("postgresql"):
        pytest.skip(_SQLITE_ONLY)
    from sqlalchemy import create_engine

    from bocage.core.graphql.fast_path import RawStatement, SqliteReads, StatementTimeout

    dialect = create_engine("sqlite://").dialect
    path = demo_database_url.split("///", 1)[1]
    for loop_seconds in (1e9, 0.0):  # in the loop's thread; on a worker thread
        reads = SqliteReads(dialect, path, loop_seconds, threads=1)
        try:
            ticks = _counting_clock(monkeypatch)
            statement = RawStatement(_LONG, ())
            await reads.text(statement, deadline=1e12)
            looks = ticks[0]  # the clock's looks of a whole run, text()'s own included
            assert looks > 100
            ticks[0] = 0
            value = await reads.text(statement, deadline=float(looks))  # just under
            assert value == 300000 * 300001 // 2
            ticks[0] = 0
            with pytest.raises(StatementTimeout):
                await reads.text(statement, deadline=float(looks - 1))  # just over
            ticks[0] = 0
            assert await reads.text(statement, deadline=float(looks)) == value  # usable again
        finally:
            await reads.close()


async def test_a_fast_statement_too_long_for_the_event_loop_moves_to_a_thread(
    demo_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BOCAGE_GRAPHQL_FAST_PATH_LOOP_MS`` (of the loop thread's CPU time), just under and
    just over: a statement that outlasts the loop's share is stopped and runs again on a
    worker thread, and its next run starts there; one within it is not stopped, and stays in
    the loop's thread while its cost is under ``LOOP_FIT`` of the share (``Route``; more in
    ``test_fast_path_routing.py``)."""
    if demo_database_url.startswith("postgresql"):
        pytest.skip(_SQLITE_ONLY)
    import math

    from sqlalchemy import create_engine

    from bocage.core.graphql import fast_path
    from bocage.core.graphql.fast_path import LOOP_FIT, RawStatement, SqliteReads

    dialect = create_engine("sqlite://").dialect
    path = demo_database_url.split("///", 1)[1]
    # CPU time moves one step per look; the deadline is never reached.
    ticks = [0]

    def cpu() -> float:
        ticks[0] += 1
        return float(ticks[0])

    monkeypatch.setattr(fast_path, "thread_time", cpu)
    monkeypatch.setattr(fast_path, "monotonic", lambda: 0.0)
    probe = SqliteReads(dialect, path, 1e9, threads=1)
    try:
        value = await probe.text(RawStatement(_LONG, ()), deadline=1.0)
    finally:
        await probe.close()
    # text() looks at the CPU time before and after the run, the progress handler between.
    looks = ticks[0] - 2
    assert looks > 100

    async def run(loop_seconds: float) -> tuple[RawStatement, SqliteReads]:
        reads = SqliteReads(dialect, path, loop_seconds, threads=1)
        statement = RawStatement(_LONG, ())
        ticks[0] = 0
        assert await reads.text(statement, deadline=1.0) == value
        return statement, reads

    # Just under: not stopped (nothing on a worker thread).
    statement, reads = await run(float(looks))
    try:
        assert reads._executor is None and statement.route.overruns == 0
        assert ticks[0] == looks + 2
    finally:
        await reads.close()
    # Just over: stopped at the share's end, run again on the worker thread (which reads its
    # own CPU time twice; on this clock, its run looks short).
    statement, reads = await run(float(looks - 1))
    try:
        assert reads._executor is not None and statement.route.overruns == 1
        assert ticks[0] == 1 + looks + 2
    finally:
        await reads.close()
    # A share that the statement's cost (looks + 1) fits by LOOP_FIT: it stays in the loop's
    # thread; one it nearly fills: its next run starts on a worker thread.
    roomy = float(math.floor((looks + 1) / LOOP_FIT) + 1)
    for loop_seconds, stays in ((roomy, True), (float(looks), False)):
        statement, reads = await run(loop_seconds)
        try:
            ticks[0] = 0
            assert await reads.text(statement, deadline=1.0) == value
            assert ticks[0] == (looks + 2 if stays else 2)
        finally:
            await reads.close()


async def test_a_timeout_on_the_fast_path_answers_timeout(
    demo_database_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over HTTP: a fast-path statement stopped at the deadline answers the normal path's
    ``TIMEOUT`` error (not a 500, not the normal path's answer after the deadline)."""
    if demo_database_url.startswith("postgresql"):
        pytest.skip(_SQLITE_ONLY)
    import time

    from bocage.core.graphql import fast_path

    body = {"query": DOCUMENTS["bench"]}
    settings = {"graphql_compile": True, "graphql_compile_check": False}
    async with _app(demo_database_url, make_settings, **settings) as (client, app):
        normal, _ = await _post(client, app, body)
        with _executions(monkeypatch) as executions:
            seconds = app.state.settings.graphql_timeout_seconds
            monkeypatch.setattr(fast_path, "monotonic", lambda: time.monotonic() + seconds + 1)
            stopped, _ = await _post(client, app, body)
            monkeypatch.setattr(fast_path, "monotonic", time.monotonic)
            again, _ = await _post(client, app, body)
        assert not executions and len(app.state.fast_path.plans) == 1
    assert orjson.loads(stopped)["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert again == normal
