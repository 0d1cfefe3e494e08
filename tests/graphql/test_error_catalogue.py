"""The mistakes a front-end developer makes with /graphql, one per row (issue 15): each is
answered with JSON in the one GraphQL error shape, ``{"errors": [{"message", "extensions":
{"code"}}]}``, every error with a code, and a message naming what to fix. The codes are
documented in docs/errors.md, which this test checks too."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.core.testing import settings_for

ROOT = Path(__file__).resolve().parents[2]
JSON_TYPES = {"application/json", "application/graphql-response+json"}
CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")

#: Settings of the apps some rows need: small limits, production, trusted documents only,
#: a rate limit of one request.
APPS: dict[str, dict[str, Any]] = {
    "default": {},
    "limits": {
        "graphql_max_depth": 3,
        "graphql_max_aliases": 2,
        "graphql_max_tokens": 40,
        "graphql_max_cost": 30,
        "graphql_max_response_bytes": 400,
        "max_body_bytes": 2_000,
    },
    "production": {"environment": "production"},
    "trusted": {"graphql_trusted_documents": "strict"},
    "rate": {"rate_limit": "1/hour"},
}

COMMUNES = "{ communes(first: 1) { totalCount } }"
QUERY_HASH = hashlib.sha256(COMMUNES.encode()).hexdigest()
ARCHIVE = "mutation($input: ArchiveInput!) { archiveProject(input: $input) { errors { code } } }"


@dataclass(frozen=True)
class Mistake:
    """A request with a mistake, and what its answer must say."""

    kind: str
    name: str
    status: int
    code: str
    fix: str  # a fragment of the message: the fix, or the very thing to change
    method: str = "POST"
    body: Any = None  # JSON; bytes are sent as they are
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    path: str = "/graphql"
    app: str = "default"
    token: Role | None = None
    before: int = 0  # identical requests sent first (the rate limit)

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}"


def q(query: str, **more: Any) -> dict[str, Any]:
    return {"query": query, **more}


def persisted(extension: Any, **more: Any) -> dict[str, str]:
    return {"extensions": json.dumps({"persistedQuery": extension}), **more}


MISTAKES = [
    # -- transport ------------------------------------------------------------------------------
    Mistake("transport", "invalid JSON", 400, "INVALID_JSON", "send a JSON object", body=b"{bad"),
    Mistake("transport", "body not UTF-8", 400, "INVALID_JSON", "UTF-8", body=b'{"q": "\xff"}'),
    Mistake("transport", "empty body", 400, "INVALID_JSON", "send a JSON object", body=b""),
    Mistake(
        "transport", "body is a string", 400, "INVALID_REQUEST", "must be a JSON object", body="x"
    ),
    Mistake("transport", "body is a number", 400, "INVALID_REQUEST", "JSON object", body=42),
    Mistake(
        "transport",
        "batch (a list of operations)",
        400,
        "BATCHING_NOT_SUPPORTED",
        "one operation per request",
        body=[q(COMMUNES), q(COMMUNES)],
    ),
    Mistake("transport", "no query", 400, "MISSING_QUERY", '{"query": ', body={}),
    Mistake(
        "transport",
        "query not a string",
        400,
        "INVALID_REQUEST",
        "must be a string",
        body={"query": 5},
    ),
    Mistake(
        "transport",
        "variables not an object",
        400,
        "INVALID_REQUEST",
        "JSON object",
        body=q(COMMUNES, variables=[1]),
    ),
    Mistake(
        "transport",
        "extensions not an object",
        400,
        "INVALID_REQUEST",
        "JSON object",
        body=q(COMMUNES, extensions="x"),
    ),
    Mistake(
        "transport",
        "operationName not a string",
        400,
        "INVALID_REQUEST",
        "must be a string",
        body=q(COMMUNES, operationName=1),
    ),
    Mistake(
        "transport",
        "GET variables not JSON",
        400,
        "INVALID_REQUEST",
        "URL-encoded",
        method="GET",
        params={"query": COMMUNES, "variables": "{first: 1}"},
    ),
    Mistake(
        "transport",
        "GET extensions not an object",
        400,
        "INVALID_REQUEST",
        "JSON object",
        method="GET",
        params={"query": COMMUNES, "extensions": "[1]"},
    ),
    Mistake(
        "transport",
        "GET without query",
        400,
        "MISSING_QUERY",
        '{"query": ',
        method="GET",
        params={"variables": "{}"},
        headers={"accept": "application/json"},
    ),
    Mistake(
        "transport",
        "Content-Type text/plain",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type: application/json",
        body=b'{"query": "{ __typename }"}',
        headers={"content-type": "text/plain"},
    ),
    Mistake(
        "transport",
        "no Content-Type",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type: application/json",
        body=b'{"query": "{ __typename }"}',
        headers={"content-type": ""},
    ),
    Mistake(
        "transport",
        "an HTML form's body",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type: application/json",
        body=b"query=%7B__typename%7D",
        headers={"content-type": "application/x-www-form-urlencoded"},
    ),
    Mistake(
        "uploads",
        "a multipart upload (GraphQL multipart request spec)",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type: application/json",
        body=b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--\r\n',
        headers={"content-type": "multipart/form-data; boundary=x"},
    ),
    Mistake("transport", "PUT", 405, "METHOD_NOT_ALLOWED", "GET (queries) and POST", method="PUT"),
    Mistake("transport", "DELETE", 405, "METHOD_NOT_ALLOWED", "send the request", method="DELETE"),
    Mistake(
        "transport",
        "mutation over GET",
        405,
        "OPERATION_NOT_ALLOWED",
        "send this request with POST",
        method="GET",
        params={"query": "mutation { __typename }"},
    ),
    Mistake(
        "transport",
        "subscription over HTTP",
        400,
        "OPERATION_NOT_ALLOWED",
        "open a WebSocket",
        body=q('subscription { workshopsCardWorkshopLive(workshop: "V29ya3Nob3A6MQ==") { type } }'),
    ),
    Mistake(
        "transport",
        "Accept refuses JSON",
        406,
        "NOT_ACCEPTABLE",
        "accept one of them",
        body=q(COMMUNES),
        headers={"accept": "text/csv"},
    ),
    Mistake(
        "transport",
        "unknown operationName",
        200,
        "UNKNOWN_OPERATION",
        '"operationName"',
        body=q("query A { __typename }", operationName="B"),
    ),
    Mistake(
        "transport",
        "several operations, no operationName",
        200,
        "OPERATION_NAME_REQUIRED",
        "operationName",
        body=q("query A { __typename } query B { __typename }"),
    ),
    Mistake(
        "transport",
        "a document of fragments only",
        200,
        "OPERATION_NAME_REQUIRED",
        "exactly one operation",
        body=q("fragment F on Query { __typename }"),
    ),
    Mistake(
        "transport",
        "NUL in the URL",
        400,
        "BAD_REQUEST",
        "remove it",
        method="GET",
        path="/graphql?query=%7B__typename%7D%00",
    ),
    # -- parse ----------------------------------------------------------------------------------
    Mistake(
        "parse", "unclosed brace", 200, "GRAPHQL_PARSE_FAILED", "line 1", body=q("{ communes {")
    ),
    Mistake(
        "parse",
        "unterminated string",
        200,
        "GRAPHQL_PARSE_FAILED",
        "Fix the document's syntax",
        body=q('{ surveys(commune: "x) { totalCount } }'),
    ),
    Mistake("parse", "empty query", 400, "MISSING_QUERY", '{"query": ', body=q("")),
    # -- validation -----------------------------------------------------------------------------
    Mistake(
        "validation",
        "unknown field (with a suggestion)",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "Did you mean 'commune' or 'communes'?",
        body=q("{ communs { totalCount } }"),
    ),
    Mistake(
        "validation",
        "unknown argument",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "'bogus'",
        body=q("{ communes(bogus: 1) { totalCount } }"),
    ),
    Mistake(
        "validation",
        "object field without a selection",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "communes { ... }",
        body=q("{ communes }"),
    ),
    Mistake(
        "validation",
        "selection on a scalar",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "totalCount",
        body=q("{ communes { totalCount { x } } }"),
    ),
    Mistake(
        "validation",
        "misspelt enum value",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "Did you mean the enum value 'OPEN'?",
        body=q("{ surveys(status: OPENED) { totalCount } }"),
    ),
    Mistake(
        "validation",
        "unknown fragment",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "'F'",
        body=q("{ communes { ...F } }"),
    ),
    Mistake(
        "validation",
        "unused variable",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "'$a'",
        body=q("query($a: Int) { communes { totalCount } }"),
    ),
    Mistake(
        "validation",
        "undeclared variable",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "'$n'",
        body=q("{ communes(first: $n) { totalCount } }"),
    ),
    Mistake(
        "validation",
        "missing required argument",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "Query.survey(id:)",
        body=q("{ survey { title } }"),
    ),
    Mistake(
        "validation",
        "literal of the wrong type",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "Int cannot represent",
        body=q('{ communes(first: "ten") { totalCount } }'),
    ),
    Mistake(
        "validation",
        "variable used where another type is expected",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "expecting type 'ID!'",
        body=q("query($s: String) { survey(id: $s) { title } }"),
    ),
    Mistake(
        "validation",
        "malformed DateTime literal",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "DateTime",
        body=q('{ workshopsEvents(startsAfter: "yesterday") { totalCount } }'),
    ),
    Mistake(
        "validation",
        "unknown variable type",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "'Foo'",
        body=q("query($x: Foo) { communes(first: $x) { totalCount } }"),
    ),
    Mistake(
        "validation",
        "two operations with one name",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "only one operation named 'A'",
        body=q("query A { __typename } query A { __typename }", operationName="A"),
    ),
    Mistake(
        "validation",
        "unknown directive",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        "@nope",
        body=q("{ __typename @nope }"),
    ),
    # -- variables ------------------------------------------------------------------------------
    Mistake(
        "variables",
        "required variable not sent",
        200,
        "BAD_USER_INPUT",
        'add it to "variables", e.g. {"id": ...}',
        body=q("query($id: ID!) { survey(id: $id) { title } }"),
    ),
    Mistake(
        "variables",
        "required variable null",
        200,
        "BAD_USER_INPUT",
        "$id must not be null",
        body=q("query($id: ID!) { survey(id: $id) { title } }", variables={"id": None}),
    ),
    Mistake(
        "variables",
        "variable of the wrong type",
        200,
        "BAD_USER_INPUT",
        "Send a value of type Int for $first",
        body=q(
            "query($first: Int) { communes(first: $first) { totalCount } }",
            variables={"first": "ten"},
        ),
    ),
    Mistake(
        "variables",
        "wrong type inside a list",
        200,
        "BAD_USER_INPUT",
        "Send a value of type [ID!]! for $ids",
        body=q("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", variables={"ids": [[1]]}),
    ),
    Mistake(
        "variables",
        "input object without a required field",
        200,
        "BAD_USER_INPUT",
        "required field 'id'",
        body=q(ARCHIVE, variables={"input": {"version": 1}}),
    ),
    Mistake(
        "variables",
        "input object with an unknown field",
        200,
        "BAD_USER_INPUT",
        "unknown field 'colour'",
        body=q(ARCHIVE, variables={"input": {"id": "x", "version": 1, "colour": "red"}}),
    ),
    Mistake(
        "variables",
        "null inside an input object",
        200,
        "BAD_USER_INPUT",
        "$input (at .version) must not be null",
        body=q(ARCHIVE, variables={"input": {"id": "x", "version": None}}),
    ),
    # -- execution ------------------------------------------------------------------------------
    Mistake(
        "execution",
        "page too large",
        200,
        "BAD_USER_INPUT",
        "`first` must be between 0 and 100",
        body=q("{ communes(first: 1000) { totalCount } }"),
    ),
    Mistake(
        "execution",
        "cursor of another list",
        200,
        "BAD_USER_INPUT",
        "pass an `endCursor`",
        body=q('{ communes(after: "zz") { totalCount } }'),
    ),
    Mistake(
        "execution",
        "malformed ID",
        200,
        "BAD_USER_INPUT",
        "GlobalID",
        body=q('{ node(id: "garbage") { id } }'),
    ),
    Mistake(
        "execution",
        "unknown ID",
        200,
        "NOT_FOUND",
        "no survey with this ID",
        body=q('{ survey(id: "U3VydmV5Ojk5OTk5") { title } }'),
    ),
    # -- auth -----------------------------------------------------------------------------------
    Mistake(
        "auth",
        "forged token",
        401,
        "INVALID_TOKEN",
        "token",
        body=q(COMMUNES),
        headers={"authorization": "Bearer a.b.c"},
    ),
    Mistake(
        "auth",
        "Basic instead of Bearer",
        401,
        "INVALID_TOKEN",
        "Bearer",
        body=q(COMMUNES),
        headers={"authorization": "Basic YTpi"},
    ),
    Mistake(
        "auth",
        "administrators' field, anonymous",
        200,
        "FORBIDDEN",
        "territory administrators",
        body=q("{ jobs { totalCount } }"),
    ),
    Mistake(
        "auth",
        "permission missing from the token",
        200,
        "FORBIDDEN",
        "surveys:manage permission",
        body=q('{ surveyResponses(survey: "U3VydmV5OjE=") { totalCount } }'),
        token=Role.COMMUNE_EDITOR,
    ),
    # -- limits ---------------------------------------------------------------------------------
    Mistake(
        "limits",
        "query too deep",
        200,
        "QUERY_TOO_DEEP",
        "nest fewer fields",
        body=q("{ communes { edges { node { territory { slug } } } } }"),
        app="limits",
    ),
    Mistake(
        "limits",
        "too many aliases",
        200,
        "TOO_MANY_ALIASES",
        "alias",
        body=q("{ a: __typename b: __typename c: __typename }"),
        app="limits",
    ),
    Mistake(
        "limits",
        "too many tokens",
        200,
        "QUERY_TOO_LARGE",
        "send a shorter query",
        body=q("{ " + " ".join(["__typename"] * 60) + " }"),
        app="limits",
    ),
    Mistake(
        "limits",
        "query too costly",
        200,
        "QUERY_TOO_COSTLY",
        "first",
        body=q("{ communes(first: 50) { nodes { territory { slug } } } }"),
        app="limits",
    ),
    Mistake(
        "limits",
        "answer too large",
        200,
        "RESPONSE_TOO_LARGE",
        "ask for fewer items",
        body=q("{ communes(first: 10) { nodes { id name nisCode } } }"),
        app="limits",
    ),
    Mistake(
        "limits",
        "body too large",
        413,
        "PAYLOAD_TOO_LARGE",
        "send a shorter query",
        body=q("{ __typename }" + " " * 3_000),
        app="limits",
    ),
    Mistake(
        "limits",
        "over the rate limit",
        429,
        "RATE_LIMITED",
        "Retry after",
        body=q(COMMUNES),
        app="rate",
        before=1,
    ),
    Mistake(
        "limits",
        "introspection in production",
        200,
        "INTROSPECTION_DISABLED",
        "openapi/schema.graphql",
        body=q("{ __schema { types { name } } }"),
        app="production",
    ),
    # -- persisted queries ----------------------------------------------------------------------
    Mistake(
        "persisted queries",
        "hash of another query",
        400,
        "PERSISTED_QUERY_HASH_MISMATCH",
        "SHA-256",
        method="GET",
        params=persisted({"version": 1, "sha256Hash": "0" * 64}, query=COMMUNES),
    ),
    Mistake(
        "persisted queries",
        "hash not hexadecimal",
        400,
        "PERSISTED_QUERY_INVALID",
        "64 hexadecimal digits",
        method="GET",
        params=persisted({"version": 1, "sha256Hash": "abc"}),
    ),
    Mistake(
        "persisted queries",
        "unsupported version",
        400,
        "PERSISTED_QUERY_UNSUPPORTED_VERSION",
        "version = 1",
        method="GET",
        params=persisted({"version": 2, "sha256Hash": QUERY_HASH}),
    ),
    Mistake(
        "persisted queries",
        "persistedQuery not an object",
        400,
        "PERSISTED_QUERY_INVALID",
        "must be an object",
        method="GET",
        params=persisted("x"),
    ),
    Mistake(
        "persisted queries",
        "unknown hash (the protocol's signal: the client sends the query with it)",
        200,
        "PERSISTED_QUERY_NOT_FOUND",
        "PersistedQueryNotFound",
        method="GET",
        params=persisted({"version": 1, "sha256Hash": "f" * 64}),
    ),
    Mistake(
        "persisted queries",
        "unregistered document with trusted documents only",
        200,
        "DOCUMENT_NOT_REGISTERED",
        "bocage documents register",
        body=q(COMMUNES),
        app="trusted",
    ),
]


@pytest.fixture(scope="module")
async def clients(demo_database_url: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """A client of an app on the demo database per entry of :data:`APPS`."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for name, overrides in APPS.items():
            app = create_app(settings_for(demo_database_url, **overrides))
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url="http://bocage.test")
            client.app = app  # type: ignore[attr-defined]
            clients[name] = await stack.enter_async_context(client)
        yield clients


async def send(client: httpx.AsyncClient, mistake: Mistake) -> httpx.Response:
    headers = {"accept": "application/json", **mistake.headers}
    if mistake.token is not None:
        issued = await client.app.state.issuer.issue(  # type: ignore[attr-defined]
            subject="catalogue", roles=[mistake.token], communes=["64034"]
        )
        headers["authorization"] = f"Bearer {issued.access_token}"
    content = mistake.body
    if content is not None and not isinstance(content, bytes):
        content = json.dumps(content).encode()
    if content is not None:
        headers.setdefault("content-type", "application/json")
    if headers.get("content-type") == "":
        del headers["content-type"]
    return await client.request(
        mistake.method, mistake.path, content=content, params=mistake.params, headers=headers
    )


def test_the_catalogue_covers_every_kind_of_mistake() -> None:
    assert len(MISTAKES) >= 49
    kinds = {mistake.kind for mistake in MISTAKES}
    assert kinds == {
        "transport",
        "parse",
        "validation",
        "variables",
        "execution",
        "auth",
        "limits",
        "persisted queries",
        "uploads",
    }
    assert len({str(mistake) for mistake in MISTAKES}) == len(MISTAKES)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
async def test_a_mistake_gets_the_error_shape_a_code_and_its_fix(
    clients: dict[str, httpx.AsyncClient], mistake: Mistake
) -> None:
    client = clients[mistake.app]
    for _ in range(mistake.before):
        await send(client, mistake)
    response = await send(client, mistake)
    assert response.status_code == mistake.status, response.text
    assert response.headers["content-type"] in JSON_TYPES
    body = response.json()
    assert set(body) <= {"data", "errors", "extensions"}, body
    errors = body["errors"]
    assert isinstance(errors, list) and errors, body
    for error in errors:
        assert isinstance(error["message"], str) and error["message"], error
        assert CODE.match(error["extensions"]["code"]), error
        assert "not to be None" not in error["message"]
    first = errors[0]
    assert first["extensions"]["code"] == mistake.code, body
    assert mistake.fix in first["message"], first["message"]
    if mistake.kind in ("transport", "parse", "validation", "variables"):
        assert "data" not in body, body  # nothing was executed
    if mistake.status == 405:
        assert response.headers["allow"]


def test_every_code_is_documented() -> None:
    """docs/errors.md has a row for each code the catalogue meets."""
    documented = set(
        re.findall(r"^\| `([A-Z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M)
    )
    missing = {mistake.code for mistake in MISTAKES} - documented
    assert not missing, f"codes missing from docs/errors.md: {sorted(missing)}"
