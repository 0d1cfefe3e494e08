"""Protective limits on GraphQL (bocage.core.graphql.limits): each at its boundary, just under
passing and just over refused with a code and a message saying what to do."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import strawberry

from bocage.core.app import create_app
from bocage.core.errors import SettingsError
from bocage.core.graphql.limits import cost, fields_without_cost
from bocage.core.settings import Settings, load_settings

Serve = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def serve(demo_database_url: str, make_settings: Callable[..., Settings]) -> Serve:
    """An app on the demo database with the given settings, and a client to call it."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(make_settings(demo_database_url, **overrides))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
                c.app = app  # type: ignore[attr-defined]
                yield c

    return run


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    [error] = body["errors"]
    return error  # type: ignore[no-any-return]


# -- depth, aliases, tokens, page size --------------------------------------------------------

DEPTH_4 = "{ communes { edges { node { territory { slug } } } } }"


async def test_depth_limit(serve: Serve) -> None:
    async with serve(graphql_max_depth=4) as client:
        assert "errors" not in await post(client, DEPTH_4)
    async with serve(graphql_max_depth=3) as client:
        error = only_error(await post(client, DEPTH_4))
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert "depth of 3" in error["message"] and "nest fewer fields" in error["message"]


async def test_aliases_limit(serve: Serve) -> None:
    query = "{ a: plugins { name } b: plugins { name } }"
    async with serve(graphql_max_aliases=2) as client:
        assert (await post(client, query))["data"]["b"][0]["name"] == "core"
    async with serve(graphql_max_aliases=1) as client:
        error = only_error(await post(client, query))
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert "2 aliases" in error["message"] and "use fewer aliases" in error["message"]


async def test_tokens_limit(serve: Serve) -> None:
    query = "{ plugins { name } }"  # six tokens
    async with serve(graphql_max_tokens=6) as client:
        assert "errors" not in await post(client, query)
    async with serve(graphql_max_tokens=5) as client:
        error = only_error(await post(client, query))
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert "more than 5 tokens" in error["message"] and "shorter query" in error["message"]


async def test_page_size_limit(serve: Serve) -> None:
    query = "query($n: Int) { projects(first: $n) { edges { node { id } } } }"
    async with serve(page_size_max=3, page_size_default=2) as client:
        assert len((await post(client, query, n=3))["data"]["projects"]["edges"]) == 3
        body = await post(client, query, n=4)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 0 and 3" in error["message"] and "after" in error["message"]


async def test_page_size_limit_backwards(serve: Serve) -> None:
    """``last`` has the bound of ``first``: just under it answers, just over is refused."""
    query = "query($n: Int) { communes(last: $n) { edges { node { id } } } }"
    async with serve(page_size_max=3, page_size_default=2) as client:
        assert len((await post(client, query, n=3))["data"]["communes"]["edges"]) == 3
        body = await post(client, query, n=4)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "last"}
    assert "between 0 and 3" in error["message"] and "before" in error["message"]


async def test_cost_counts_a_page_read_backwards(serve: Serve) -> None:
    """``last: n`` costs what ``first: n`` does (not the default page size)."""
    backwards = "query($n: Int) { communes(last: $n) { edges { node { territory { slug } } } } }"
    async with serve(graphql_max_cost=6, page_size_default=2) as client:
        assert len((await post(client, backwards, n=5))["data"]["communes"]["edges"]) == 5
        error = only_error(await post(client, backwards, n=6))
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 7, "maxCost": 6}


# -- cost --------------------------------------------------------------------------------------

# 1 (communes) + n edges x 1 (territory): n + 1
COSTS_N_PLUS_1 = "query($n: Int) { communes(first: $n) { edges { node { territory { slug } } } } }"


async def test_cost_limit(serve: Serve) -> None:
    async with serve(graphql_max_cost=6) as client:
        body = await post(client, COSTS_N_PLUS_1, n=5)
        assert len(body["data"]["communes"]["edges"]) == 5
        error = only_error(await post(client, COSTS_N_PLUS_1, n=6))
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 7, "maxCost": 6}
    assert "costs 7" in error["message"] and "limit of 6" in error["message"]
    assert "fewer items with `first`" in error["message"]


async def test_cost_counts_the_default_page_size_and_nested_lists(serve: Serve) -> None:
    nested = """{ communes(first: 2) { totalCount edges { node { territory { slug }
      projects(first: 3) { edges { node { communes { name } } } } } } } }"""
    # communes 1 + totalCount 1 + 2 x (territory 1 + projects (1 + 3 x communes 1)) = 12
    async with serve(graphql_max_cost=12, page_size_default=5) as client:
        assert "errors" not in await post(client, nested)
        # `first` left out: the default page size (5) counts, 1 + 5 = 6
        assert "errors" not in await post(client, COSTS_N_PLUS_1)
    async with serve(graphql_max_cost=11, page_size_default=5) as client:
        assert only_error(await post(client, nested))["extensions"]["cost"] == 12
    async with serve(graphql_max_cost=5, page_size_default=5) as client:
        assert only_error(await post(client, COSTS_N_PLUS_1))["extensions"]["cost"] == 6


async def test_cost_follows_fragments(serve: Serve) -> None:
    query = """query($n: Int) { communes(first: $n) { edges { node { ...C } } } }
      fragment C on Commune { ... on Commune { territory { slug } } }"""
    async with serve(graphql_max_cost=4) as client:
        assert "errors" not in await post(client, query, n=3)
        assert only_error(await post(client, query, n=4))["extensions"]["cost"] == 5


async def test_every_field_has_a_cost(app: Any) -> None:
    missing = fields_without_cost(app.state.schema._schema)
    assert not missing, (
        f"these fields declare no cost: {', '.join(missing)}; add metadata=cost(...) to their "
        "strawberry.field (see docs/plugins.md, 'Query cost')"
    )


@pytest.mark.usefixtures("with_testplugin")
def test_every_plugin_field_has_a_cost(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    assert {"testpluginNotes", "testpluginCountdown"} <= {
        *app.state.schema._schema.query_type.fields,
        *app.state.schema._schema.subscription_type.fields,
    }
    missing = fields_without_cost(app.state.schema._schema)
    assert not [name for name in missing if "testplugin" in name.lower()]


@strawberry.type
class CostProbe:
    name: str  # an attribute: free

    @strawberry.field
    def label(self) -> str:  # a sync leaf: free
        return self.name

    @strawberry.field
    async def count(self) -> int:  # async: it must say what it costs
        return 1


@strawberry.type
class CostProbeQuery:
    @strawberry.field
    def probes(self) -> list[CostProbe]:  # returns objects: it must say
        return []

    @strawberry.field(metadata=cost(1, items=5))
    def costed(self) -> list[CostProbe]:
        return []


def test_a_field_without_a_cost_is_found() -> None:
    schema = strawberry.Schema(query=CostProbeQuery)
    assert fields_without_cost(schema._schema) == ["CostProbe.count", "CostProbeQuery.probes"]


# -- timeout -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("slow_database")
async def test_timeout(serve: Serve) -> None:
    query = '{ commune(nisCode: "64034") { name } }'
    async with serve(graphql_timeout_seconds=2) as client:
        assert (await post(client, query))["data"]["commune"]["name"] == "Hannut"
    async with serve(graphql_timeout_seconds=0.1) as client:
        error = only_error(await post(client, query))
        assert client.app.state.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert "longer than 0.1 s" in error["message"] and "`first`" in error["message"]


# -- masking and logging -----------------------------------------------------------------------


async def test_unexpected_errors_are_masked_and_logged_without_personal_values(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bocage.core.graphql import query as query_module

    def failing(context: Any, statement: Any, filter: Any) -> Any:
        raise ValueError(f"no project matches {filter.search!r}")

    monkeypatch.setattr(query_module, "filter_projects", failing)
    secret = "jeanne.dupont@example.be"
    query = "query Find($q: String) { projects(filter: {search: $q}) { totalCount } }"
    async with serve() as client:
        with caplog.at_level(logging.ERROR, logger="bocage"):
            body = await post(client, query, q=secret)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert secret not in str(body)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "ValueError" in logged and "projects" in logged and "Find" in logged
    assert secret not in logged


async def test_validation_errors_stay_readable(gql: Any) -> None:
    error = (await gql("{ projectz { totalCount } }"))["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean 'projects'?" in error["message"]
    error = (await gql("{ projects(first: ) }"))["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


# -- production: no suggestions, no introspection ----------------------------------------------


async def test_production_hides_suggestions_and_introspection(serve: Serve) -> None:
    async with serve(environment="production") as client:
        error = only_error(await post(client, "{ projectz { totalCount } }"))
        assert error["message"] == "Cannot query field 'projectz' on type 'Query'."
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        body = await post(client, "{ projects(orderBy: NEWST) { totalCount } }")
        assert "Did you mean" not in str(body)
        error = (await post(client, "{ __schema { queryType { name } } }"))["errors"][0]
        assert error["extensions"]["code"] == "INTROSPECTION_DISABLED"
        assert "openapi/schema.graphql" in error["message"]
        assert (await post(client, "{ plugins { __typename } }"))["data"]["plugins"]
    async with serve(environment="production", graphql_introspection=True) as client:
        body = await post(client, "{ __schema { queryType { name } } }")
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_development_keeps_introspection(gql: Any) -> None:
    body = await gql("{ __schema { queryType { name } } }")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


# -- HTTP methods ------------------------------------------------------------------------------


async def test_mutations_are_refused_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { __typename }"})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert "Mutations are not allowed over GET" in response.text
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("graphql_max_depth", 0),
        ("graphql_max_aliases", -1),
        ("graphql_max_tokens", 0),
        ("graphql_max_cost", 0),
        ("graphql_timeout_seconds", 0),
        ("graphql_timeout_seconds", -2.5),
    ],
)
def test_limits_must_be_positive(name: str, value: Any) -> None:
    with pytest.raises(SettingsError, match=f"BOCAGE_{name.upper()}: Input should be greater"):
        load_settings(**{name: value})


# -- the measure of a document is kept --------------------------------------------------------


@pytest.fixture
def measures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations the limits measured, in order (one entry per measure)."""
    from bocage.core.graphql.measure import Measurer

    measured: list[str] = []
    original = Measurer.measure

    def counting(self: Measurer, document: Any, operation: Any, variables: Any) -> Any:
        measured.append(operation.name.value if operation.name else "anonymous")
        return original(self, document, operation, variables)

    monkeypatch.setattr(Measurer, "measure", counting)
    return measured


async def test_a_document_is_measured_once_per_variables(serve: Serve, measures: list[str]) -> None:
    """Front-ends send the same documents again and again: their limits are measured once
    for the same variables, refused or not, and again for other variables."""
    async with serve(graphql_max_cost=6) as client:
        for _ in range(3):
            assert len((await post(client, COSTS_N_PLUS_1, n=5))["data"]["communes"]["edges"]) == 5
        assert len(measures) == 1
        for _ in range(2):
            error = only_error(await post(client, COSTS_N_PLUS_1, n=6))
            assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 7, "maxCost": 6}
        assert len(measures) == 2
        named = "query Two($n: Int) { a: communes(first: $n) { totalCount } }"
        await post(client, named, n=1)
        await post(client, named, n=1)
    assert measures == ["anonymous", "anonymous", "Two"]


async def test_limits_cache_size(serve: Serve, measures: list[str]) -> None:
    """BOCAGE_GRAPHQL_LIMITS_CACHE_SIZE documents are kept: two alternating documents are
    measured once each with 2, every time with 1; 0 keeps none."""
    one, two = "query One { plugins { name } }", "query Two { communes { totalCount } }"
    async with serve(graphql_limits_cache_size=2) as client:
        for query in (one, two, one, two):
            assert "errors" not in await post(client, query)
    assert measures == ["One", "Two"]
    measures.clear()
    async with serve(graphql_limits_cache_size=1) as client:
        for query in (one, two, one, two):
            assert "errors" not in await post(client, query)
    assert measures == ["One", "Two", "One", "Two"]
    measures.clear()
    async with serve(graphql_limits_cache_size=0) as client:
        for query in (one, one):
            assert "errors" not in await post(client, query)
    assert measures == ["One", "One"]


def test_limits_cache_size_is_not_negative() -> None:
    with pytest.raises(SettingsError, match="BOCAGE_GRAPHQL_LIMITS_CACHE_SIZE: Input should be"):
        load_settings(graphql_limits_cache_size=-1)
