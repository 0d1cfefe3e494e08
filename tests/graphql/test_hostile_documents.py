"""Hostile GraphQL requests (issue 11, items 1, 2 and 5): documents that multiply through
fragments, answers that amplify a small query, and bodies that are not what /graphql takes.
Each is refused quickly with a code and a message saying what to fix, never a 500."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
from sqlalchemy import event

from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.core.settings import Settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

Serve = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def serve(demo_database_url: str, make_settings: Callable[..., Settings]) -> Serve:
    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(make_settings(demo_database_url, **overrides))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
                c.app = app  # type: ignore[attr-defined]
                yield c

    return run


def fan_out(levels: int) -> str:
    """``F0`` spreads ``F1`` twice, ``F1`` spreads ``F2`` twice...: 2**levels fields once
    expanded, in a document of a few hundred bytes per ten levels."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ plugins {{ name }} }}")
    return "query { ...F0 }\n" + "\n".join(fragments)


# -- 1. fragment fan-out -----------------------------------------------------------------------


@pytest.mark.parametrize("levels", [20, 30])
async def test_fragment_fan_out_is_refused_at_once(client: httpx.AsyncClient, levels: int) -> None:
    document = fan_out(levels)
    assert len(document) < 2000
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": document})
    elapsed = time.perf_counter() - started
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert f"{2 ** (levels + 1)} fields once its fragments are expanded" in error["message"]
    assert "spread fewer fragments" in error["message"]
    # Measured: about 5 ms; before the fix 20 levels took seconds and 30 would take hours.
    assert elapsed < 1.0, f"refused in {elapsed:.3f} s"


async def test_fan_out_runs_no_walk_per_spread(serve: Serve) -> None:
    """Within the field limit, a fan-out is measured in one pass: 2**12 spreads of one
    fragment are analysed as one fragment, each figure multiplied."""
    async with serve(graphql_max_fields=10**9, graphql_max_nodes=10**9) as client:
        started = time.perf_counter()
        body = (await client.post("/graphql", json={"query": fan_out(12)})).json()
        assert time.perf_counter() - started < 1.0
    assert body["data"]["plugins"][0]["name"] == "core"


async def test_expanded_fields_limit(serve: Serve) -> None:
    # plugins + name, spread twice: 4 fields once expanded (the answer merges them).
    document = "query { ...A ...A } fragment A on Query { plugins { name } }"
    async with serve(graphql_max_fields=4) as client:
        assert "errors" not in (await client.post("/graphql", json={"query": document})).json()
    async with serve(graphql_max_fields=3) as client:
        body = (await client.post("/graphql", json={"query": document})).json()
    [error] = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_LARGE", "fields": 4, "maxFields": 3}


async def test_depth_and_aliases_count_through_fragments(serve: Serve) -> None:
    document = """query { ...C } fragment C on Query { x: communes { ...E } }
        fragment E on CommuneConnection { edges { node { territory { slug } } } }"""
    async with serve(graphql_max_depth=4, graphql_max_aliases=1) as client:
        assert "errors" not in (await client.post("/graphql", json={"query": document})).json()
    async with serve(graphql_max_depth=3) as client:
        [error] = (await client.post("/graphql", json={"query": document})).json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    async with serve(graphql_max_aliases=1) as client:
        doubled = document.replace("...C }", "...C y: plugins { name } }")
        [error] = (await client.post("/graphql", json={"query": doubled})).json()["errors"]
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"


def test_fan_out_over_a_websocket_is_refused(demo_database_url: str, make_settings: Any) -> None:
    app = create_app(make_settings(demo_database_url))
    subscription = fan_out(30).replace("query { ...F0 }", "subscription { ...F0 }")
    subscription = subscription.replace("on Query", "on Subscription")
    with TestClient(app) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json() == {"type": "connection_ack"}
            started = time.perf_counter()
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": subscription}})
            message = ws.receive_json()
            elapsed = time.perf_counter() - started
    assert message["type"] == "error", message
    assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert elapsed < 1.0, f"refused in {elapsed:.3f} s"


# -- 2. response amplification -----------------------------------------------------------------

# The values the answer may hold: communes 1, edges 1 + 10 x (node 1 + name 1) = 21: 22.
COMMUNES = "{ communes(first: 10) { edges { node { name } } } }"


async def test_values_an_answer_may_hold(serve: Serve) -> None:
    async with serve(graphql_max_nodes=22) as client:
        assert "errors" not in (await client.post("/graphql", json={"query": COMMUNES})).json()
    async with serve(graphql_max_nodes=21) as client:
        app: Any = client.app  # type: ignore[attr-defined]
        statements: list[str] = []
        engine = app.state.engine.sync_engine

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            body = (await client.post("/graphql", json={"query": COMMUNES})).json()
        finally:
            event.remove(engine, "before_cursor_execute", count)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "RESPONSE_TOO_LARGE", "nodes": 22, "maxNodes": 21}
    assert "select fewer fields" in error["message"]
    assert statements == [], "refused before any database work"


async def test_lists_multiply_their_children(serve: Serve) -> None:
    """30 aliases of a free field on 100 projects: free for the cost, 100 x 30 x 5 values."""
    fields = " ".join(f"a{i}: titleTranslations {{ fr nl de en }}" for i in range(30))
    query = f"{{ projects(first: 100) {{ edges {{ node {{ {fields} }} }} }} }}"
    async with serve(graphql_max_nodes=15_000) as client:
        [error] = (await client.post("/graphql", json={"query": query})).json()["errors"]
    assert error["extensions"]["code"] == "RESPONSE_TOO_LARGE"
    assert error["extensions"]["nodes"] == 1 + 1 + 100 * (1 + 30 * 5)


async def test_answer_size_ceiling(serve: Serve) -> None:
    query = "{ projects(first: 100) { edges { node { id titleTranslations { fr nl } } } } }"
    async with serve() as client:
        size = len((await client.post("/graphql", json={"query": query})).content)
    async with serve(graphql_max_response_bytes=size) as client:
        response = await client.post("/graphql", json={"query": query})
        assert len(response.content) == size and "errors" not in response.json()
    async with serve(graphql_max_response_bytes=size - 1) as client:
        response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert response.json()["data"] is None
    assert error["extensions"] == {
        "code": "RESPONSE_TOO_LARGE",
        "size": size,
        "maxBytes": size - 1,
    }


# -- 5. malformed bodies -----------------------------------------------------------------------

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"query": "{ __typename \xff }"}', "INVALID_JSON"),  # not UTF-8
        (b"\xff\xfe{}", "INVALID_JSON"),
        (b"[" * 10_000 + b"]" * 10_000, "INVALID_JSON"),  # nested 10,000 deep
        (
            b'{"query": "{ __typename }", "variables": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001,
            "INVALID_JSON",
        ),
        (b'"a string"', "INVALID_REQUEST"),
        (b"42", "INVALID_REQUEST"),
        (b"[]", "BATCHING_NOT_SUPPORTED"),
        (b'{"query": 5}', "INVALID_REQUEST"),
        (b'{"query": "{ __typename }", "variables": "x"}', "INVALID_REQUEST"),
        (b"{}", "MISSING_QUERY"),
    ],
)
async def test_malformed_bodies_are_4xx_json(
    client: httpx.AsyncClient, body: bytes, code: str
) -> None:
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code and error["message"]
    assert "data" not in response.json()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"query": "query A { __typename }", "operationName": "B"}', "UNKNOWN_OPERATION"),
        (b'{"query": "fragment F on Query { __typename }"}', "OPERATION_NAME_REQUIRED"),
    ],
)
async def test_operations_that_cannot_be_chosen_are_request_errors(
    client: httpx.AsyncClient, body: bytes, code: str
) -> None:
    """GraphQL request errors: 200 as application/json, 400 as the spec's own media type."""
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json() == {"errors": [{"message": ANY, "extensions": {"code": code}}]}
    spec = await client.post(
        "/graphql", content=body, headers={**JSON, "accept": "application/graphql-response+json"}
    )
    assert spec.status_code == 400
    assert spec.headers["content-type"] == "application/graphql-response+json"


async def test_bad_get_parameters_are_4xx_json(client: httpx.AsyncClient) -> None:
    for params in (
        {"query": "{ __typename }", "variables": "{not json"},
        {"query": "{ __typename }", "variables": "[1]"},
        {"query": "{ __typename }", "extensions": "1"},
    ):
        response = await client.get("/graphql", params=params)
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"


async def test_several_operations_need_a_name(client: httpx.AsyncClient) -> None:
    document = "query A { plugins { name } } query B { __typename }"
    response = await client.post("/graphql", json={"query": document})
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "OPERATION_NAME_REQUIRED"
    named = await client.post("/graphql", json={"query": document, "operationName": "B"})
    assert named.json() == {"data": {"__typename": "Query"}}


SUBSCRIPTION = 'subscription { workshopsCardWorkshopLive(workshop: "V29ya3Nob3A6MQ==") { type } }'


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_subscriptions_over_http_are_refused(client: httpx.AsyncClient, method: str) -> None:
    if method == "POST":
        response = await client.post("/graphql", json={"query": SUBSCRIPTION})
    else:
        response = await client.get("/graphql", params={"query": SUBSCRIPTION})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
    assert "WebSocket" in error["message"]


async def test_a_query_resolver_refusing_input_gives_a_typed_error(app: Any) -> None:
    issued = await app.state.issuer.issue(subject="admin", roles=[Role.TERRITORY_ADMIN])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as client:
        for value in ("", "not an id", "Q29tbXVuZTo="):
            response = await client.post(
                "/graphql",
                json={
                    "query": "query($o: ID) { auditTrail(object: $o) { totalCount } }",
                    "variables": {"o": value},
                },
                headers={"Authorization": f"Bearer {issued.access_token}"},
            )
            [error] = response.json()["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", (value, error)
            assert error["extensions"]["field"] == "object"
            assert error["message"] != "Unexpected error."


def test_measuring_is_linear_in_the_document() -> None:
    """The measure of a fan-out grows with its levels, not with 2**levels."""
    from graphql import parse

    from bocage.core.graphql.limits import _cost_or_one
    from bocage.core.graphql.measure import Measurer
    from bocage.core.graphql.schema import build_schema
    from bocage.core.host import PluginHost
    from bocage.core.settings import load_settings

    settings = load_settings()
    schema = build_schema(PluginHost(settings))._schema
    measurer = Measurer(schema, default_page=20, max_page=100, cost_of=_cost_or_one)
    document = parse(fan_out(200), max_tokens=100_000)
    started = time.perf_counter()
    measure = measurer.measure(document, document.definitions[0], None)  # type: ignore[arg-type]
    assert time.perf_counter() - started < 1.0
    assert measure.fields == 10**15  # saturated: 2**201 is far above any limit
    assert measure.depth == 1


# -- found by fuzzing: NUL characters, errors without a code -----------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"query": '{ territory(slug: "a\\u0000") { slug } }'},
        {
            "query": "query($s: String!) { territory(slug: $s) { slug } }",
            "variables": {"s": "a\x00"},
        },
        {
            "query": "query($f: ProjectFilter) { projects(filter: $f) { totalCount } }",
            "variables": {"f": {"search": "\x00école"}},
        },
    ],
)
async def test_nul_characters_are_refused_before_the_database(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    """PostgreSQL refuses NUL in a text: it was an unexpected error there."""
    response = await client.post("/graphql", json=body)
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "NUL character" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"query": '{ node(id: "") { id } }'},
        {"query": "query($i: ID!) { node(id: $i) { id } }", "variables": {"i": ""}},
        {"query": "query($i: ID!) { node(id: $i) { id } }"},  # a required variable missing
    ],
)
async def test_request_mistakes_carry_a_code(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    [error] = (await client.post("/graphql", json=body)).json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error


# -- WebSockets: subscriptions only, counted by the rate limit --------------------------------


def _socket(client: Any) -> Any:
    ws = client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
    return ws


def test_only_subscriptions_run_over_a_websocket(
    demo_database_url: str, make_settings: Any
) -> None:
    app = create_app(make_settings(demo_database_url))
    with TestClient(app) as client, _socket(client) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        for query in ("{ projects { totalCount } }", "mutation { __typename }"):
            ws.send_json({"id": query, "type": "subscribe", "payload": {"query": query}})
            message = ws.receive_json()
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"


def test_operations_over_a_websocket_count_against_the_rate_limit(
    demo_database_url: str, make_settings: Any
) -> None:
    """Each `subscribe` counts as a request: with 3/minute, three operations pass, the fourth
    is refused (RATE_LIMITED) and the socket stays open."""
    app = create_app(make_settings(demo_database_url, rate_limit="3/minute"))
    subscription = (
        'subscription { workshopsCardWorkshopLive(workshop: "V29ya3Nob3A6MQ==") { type } }'
    )
    with TestClient(app) as client, _socket(client) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        codes = []
        for i in range(4):
            ws.send_json({"id": str(i), "type": "subscribe", "payload": {"query": subscription}})
            message = ws.receive_json()
            while message["type"] == "complete":  # of the previous operation
                message = ws.receive_json()
            payload = message["payload"]
            errors = payload if isinstance(payload, list) else payload["errors"]
            codes.append(errors[0]["extensions"]["code"])
        ws.send_json({"type": "ping"})
        while (message := ws.receive_json())["type"] == "complete":
            pass
        assert message == {"type": "pong"}
    # The workshop does not exist: the operations that ran answer NOT_FOUND.
    assert codes == ["NOT_FOUND"] * 3 + ["RATE_LIMITED"], codes
