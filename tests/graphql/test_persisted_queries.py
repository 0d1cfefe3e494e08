"""Persisted queries (bocage.core.graphql.persisted): the automatic persisted queries protocol
that Apollo Client and urql speak, over POST and GET; its bounds; trusted documents; and the
``bocage documents`` commands that register a front-end's build output."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.core.settings import Settings

Serve = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]

PLUGINS = "{ plugins { name } }"
COMMUNES = "query Communes($n: Int) { communes(first: $n) { totalCount edges { node { name } } } }"
DEPTH_4 = "{ communes { edges { node { territory { slug } } } } }"
MUTATION = (
    'mutation { createProject(input: {title: {fr: "x"}, focus: DIGITAL, communes: []}) '
    "{ errors { code } } }"
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def extension(query: str, *, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(query)}}


@pytest.fixture
async def fresh_url(databases: Any, small_demo_url: str) -> str:
    """A copy of the small demo database: documents registered by a test stay in it."""
    url: str = await databases.clone(small_demo_url)
    return url


@pytest.fixture
def serve(fresh_url: str, make_settings: Callable[..., Settings]) -> Serve:
    """An app (one worker) on the test's database with the given settings, and a client."""

    @contextlib.asynccontextmanager
    async def run(url: str | None = None, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(make_settings(url or fresh_url, **overrides))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
                c.app = app  # type: ignore[attr-defined]
                yield c

    return run


async def post(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.post("/graphql", json=body, headers=headers)


async def get(client: httpx.AsyncClient, params: dict[str, Any], **headers: str) -> httpx.Response:
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    # What a browser's fetch sends by default: GraphiQL must not answer instead.
    return await client.get("/graphql", params=encoded, headers={"accept": "*/*", **headers})


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body.get("data") is None, body
    [error] = body["errors"]
    return error  # type: ignore[no-any-return]


async def stored(client: httpx.AsyncClient) -> dict[str, Any]:
    from bocage.core.models.persisted import PersistedDocument

    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = (await session.execute(select(PersistedDocument))).scalars().all()
    return {row.hash: row for row in rows}


async def token(client: httpx.AsyncClient, role: Role = Role.COMMUNE_EDITOR) -> str:
    issued = await client.app.state.issuer.issue(  # type: ignore[attr-defined]
        subject="someone", roles=[role], communes=["64034"]
    )
    return f"Bearer {issued.access_token}"


# -- the protocol ------------------------------------------------------------------------------


async def test_round_trip_over_post(serve: Serve) -> None:
    async with serve() as client:
        miss = await post(client, {"extensions": extension(COMMUNES), "variables": {"n": 2}})
        assert miss.status_code == 200
        error = only_error(miss)
        assert error["message"] == "PersistedQueryNotFound"
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        # A CDN must not keep the miss: the next request registers the document.
        assert miss.headers["cache-control"] == "no-store"

        registered = await post(
            client, {"query": COMMUNES, "extensions": extension(COMMUNES), "variables": {"n": 2}}
        )
        assert registered.status_code == 200
        assert "errors" not in registered.json()
        assert len(registered.json()["data"]["communes"]["edges"]) == 2

        hit = await post(client, {"extensions": extension(COMMUNES), "variables": {"n": 1}})
        assert "errors" not in hit.json(), hit.json()
        assert len(hit.json()["data"]["communes"]["edges"]) == 1
        assert list(await stored(client)) == [sha256(COMMUNES)]


async def test_round_trip_over_get(serve: Serve) -> None:
    params = {"extensions": extension(COMMUNES), "variables": {"n": 3}, "operationName": "Communes"}
    async with serve() as client:
        miss = await get(client, params)
        assert miss.status_code == 200, miss.text
        assert only_error(miss)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert miss.headers["cache-control"] == "no-store"

        registered = await get(client, {**params, "query": COMMUNES})
        assert registered.status_code == 200, registered.text
        assert len(registered.json()["data"]["communes"]["edges"]) == 3

        # The URL a CDN caches: the hash, the variables, the operation's name.
        hit = await get(client, params)
        assert hit.status_code == 200
        assert hit.json() == registered.json()


async def test_hash_mismatch_is_refused_and_nothing_stored(serve: Serve) -> None:
    async with serve() as client:
        wrong = await post(client, {"query": PLUGINS, "extensions": extension(COMMUNES)})
        assert wrong.status_code == 400
        error = only_error(wrong)
        assert error["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
        assert error["message"].startswith("provided sha does not match query")
        assert "SHA-256" in error["message"]
        assert await stored(client) == {}
        # The hash of another document was not hijacked.
        miss = await post(client, {"extensions": extension(COMMUNES)})
        assert only_error(miss)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    ("persisted", "code"),
    [
        ({"version": 2, "sha256Hash": sha256(PLUGINS)}, "PERSISTED_QUERY_UNSUPPORTED_VERSION"),
        ({"sha256Hash": sha256(PLUGINS)}, "PERSISTED_QUERY_UNSUPPORTED_VERSION"),
        ({"version": 1, "sha256Hash": "abc"}, "PERSISTED_QUERY_INVALID"),
        ({"version": 1, "sha256Hash": 12}, "PERSISTED_QUERY_INVALID"),
        ({"version": 1}, "PERSISTED_QUERY_INVALID"),
        ("not an object", "PERSISTED_QUERY_INVALID"),
    ],
)
async def test_malformed_extension_is_a_typed_400(serve: Serve, persisted: Any, code: str) -> None:
    async with serve() as client:
        for body in (
            {"extensions": {"persistedQuery": persisted}},
            {"query": PLUGINS, "extensions": {"persistedQuery": persisted}},
        ):
            response = await post(client, body)
            assert response.status_code == 400, response.text
            error = only_error(response)
            assert error["extensions"]["code"] == code
            assert "persistedQuery" in error["message"]
        assert await stored(client) == {}


async def test_a_mutation_over_get_is_neither_run_nor_stored(serve: Serve) -> None:
    async with serve() as client:
        response = await get(client, {"query": MUTATION, "extensions": extension(MUTATION)})
        assert response.status_code == 405
        assert only_error(response)["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
        assert await stored(client) == {}
        miss = await get(client, {"extensions": extension(MUTATION)})
        assert only_error(miss)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        # Registered over POST, it runs over POST only.
        token_ = await token(client, Role.TERRITORY_ADMIN)
        ran = await post(
            client, {"query": MUTATION, "extensions": extension(MUTATION)}, authorization=token_
        )
        assert "errors" not in ran.json(), ran.json()
        refused = await get(client, {"extensions": extension(MUTATION)}, authorization=token_)
        assert refused.status_code == 405
        assert only_error(refused)["extensions"]["code"] == "OPERATION_NOT_ALLOWED"


async def test_documents_are_checked_by_the_limits_before_they_are_stored(serve: Serve) -> None:
    async with serve(graphql_max_depth=3) as client:
        deep = await post(client, {"query": DEPTH_4, "extensions": extension(DEPTH_4)})
        assert only_error(deep)["extensions"]["code"] == "QUERY_TOO_DEEP"
        invalid = "{ communes { nope } }"
        wrong = await post(client, {"query": invalid, "extensions": extension(invalid)})
        assert only_error(wrong)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        broken = "{ communes { "
        syntax = await post(client, {"query": broken, "extensions": extension(broken)})
        assert only_error(syntax)["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        assert await stored(client) == {}
        # Just under the limit: stored.
        shallow = "{ communes { edges { node { name } } } }"
        ok = await post(client, {"query": shallow, "extensions": extension(shallow)})
        assert "errors" not in ok.json()
        assert list(await stored(client)) == [sha256(shallow)]
    # The cost counts the variables sent with the registration.
    async with serve(graphql_max_cost=3) as client:
        costly = "query($n: Int) { communes(first: $n) { edges { node { territory { slug } } } } }"
        body = {"query": costly, "extensions": extension(costly)}
        over = await post(client, {**body, "variables": {"n": 3}})  # 1 + 3 x 1
        assert only_error(over)["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert sha256(costly) not in await stored(client)
        under = await post(client, {**body, "variables": {"n": 2}})
        assert "errors" not in under.json()
        assert sha256(costly) in await stored(client)


# -- bounds ------------------------------------------------------------------------------------


def numbered(i: int) -> str:
    return f"query Q{i} {{ plugins {{ name }} }}"


async def test_stored_documents_just_under_and_just_over_the_count(serve: Serve) -> None:
    async with serve(graphql_apq_max_documents=3) as client:
        for i in range(3):
            await post(client, {"query": numbered(i), "extensions": extension(numbered(i))})
        assert set(await stored(client)) == {sha256(numbered(i)) for i in range(3)}
        await post(client, {"query": numbered(3), "extensions": extension(numbered(3))})
        # The oldest goes: a client that still uses it registers it again.
        assert set(await stored(client)) == {sha256(numbered(i)) for i in (1, 2, 3)}


async def test_stored_documents_just_under_and_just_over_the_bytes(serve: Serve) -> None:
    size = len(numbered(0).encode())
    async with serve(graphql_apq_max_bytes=3 * size) as client:
        for i in range(3):
            await post(client, {"query": numbered(i), "extensions": extension(numbered(i))})
        assert len(await stored(client)) == 3
        await post(client, {"query": numbered(3), "extensions": extension(numbered(3))})
        assert set(await stored(client)) == {sha256(numbered(i)) for i in (1, 2, 3)}
        # A document larger than the whole store runs but is not kept, and evicts nothing.
        big = "{ plugins { name } " + " " * (3 * size) + "}"
        ran = await post(client, {"query": big, "extensions": extension(big)})
        assert "errors" not in ran.json()
        assert set(await stored(client)) == {sha256(numbered(i)) for i in (1, 2, 3)}


async def test_no_registration_when_the_store_is_off(serve: Serve) -> None:
    async with serve(graphql_apq_max_documents=0) as client:
        miss = await post(client, {"extensions": extension(PLUGINS)})
        error = only_error(miss)
        # Apollo Client and urql stop sending hashes on this answer.
        assert error["message"] == "PersistedQueryNotSupported"
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
        ran = await post(client, {"query": PLUGINS, "extensions": extension(PLUGINS)})
        assert "errors" not in ran.json()
        assert await stored(client) == {}


def test_worker_cache_just_under_and_just_over_entries_bytes_and_time() -> None:
    from bocage.core.graphql.persisted import DocumentCache, StoredDocument

    now = [0.0]

    def doc(text: str) -> StoredDocument:
        return StoredDocument(text=text, trusted=False, size=len(text.encode()))

    by_count = DocumentCache(entries=2, max_bytes=10_000, ttl=60, timer=lambda: now[0])
    by_count.put("a", doc("x"))
    by_count.put("b", doc("y"))
    assert by_count.get("a") and by_count.get("b")
    by_count.put("c", doc("z"))  # just over: the least recently used goes
    assert by_count.get("a") is None and by_count.get("b") and by_count.get("c")

    by_bytes = DocumentCache(entries=100, max_bytes=1000, ttl=60, timer=lambda: now[0])
    by_bytes.put("a", doc("x" * 500))
    by_bytes.put("b", doc("y" * 500))
    assert by_bytes.get("a") and by_bytes.get("b")
    by_bytes.put("c", doc("z" * 1))
    assert by_bytes.get("a") is None and by_bytes.get("c")
    by_bytes.put("huge", doc("w" * 1001))  # larger than the cache: not kept
    assert by_bytes.get("huge") is None and by_bytes.get("c")

    now[0] = 59.9
    assert by_bytes.get("c")
    now[0] = 60.1
    assert by_bytes.get("c") is None

    off = DocumentCache(entries=0, max_bytes=1000, ttl=60, timer=lambda: now[0])
    off.put("a", doc("x"))
    assert off.get("a") is None


async def test_two_workers_share_registered_documents(serve: Serve) -> None:
    async with serve() as first, serve() as second:
        await post(first, {"query": COMMUNES, "extensions": extension(COMMUNES)})
        hit = await post(second, {"extensions": extension(COMMUNES), "variables": {"n": 1}})
        assert "errors" not in hit.json(), hit.json()
        assert len(hit.json()["data"]["communes"]["edges"]) == 1


async def test_documents_survive_a_restart(serve: Serve) -> None:
    async with serve() as client:
        await post(client, {"query": PLUGINS, "extensions": extension(PLUGINS)})
    async with serve() as client:
        hit = await post(client, {"extensions": extension(PLUGINS)})
        assert hit.json()["data"]["plugins"][0]["name"] == "core"


# -- trusted documents -------------------------------------------------------------------------


async def trust(client: httpx.AsyncClient, *documents: str) -> None:
    from bocage.core.graphql.persisted import Candidate, register_trusted

    async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
        await register_trusted(session, [Candidate(text=d, source="test") for d in documents])


async def test_strict_mode_runs_registered_documents_only(serve: Serve) -> None:
    async with serve() as client:
        # Stored by APQ while trusted documents were off: not trusted by that.
        await post(client, {"query": COMMUNES, "extensions": extension(COMMUNES)})
        await trust(client, PLUGINS)
    async with serve(graphql_trusted_documents="strict") as client:
        for headers in ({}, {"authorization": await token(client, Role.TERRITORY_ADMIN)}):
            unlisted = await post(client, {"query": "{ plugins { version } }"}, **headers)
            assert unlisted.status_code == 200
            error = only_error(unlisted)
            assert error["extensions"]["code"] == "DOCUMENT_NOT_REGISTERED"
            assert "bocage documents register" in error["message"]

            by_hash = await post(client, {"extensions": extension(PLUGINS)}, **headers)
            assert by_hash.json()["data"]["plugins"][0]["name"] == "core"
            by_get = await get(client, {"extensions": extension(PLUGINS)}, **headers)
            assert by_get.json()["data"]["plugins"][0]["name"] == "core"
            # The registered text itself, sent without a hash, is the same document.
            by_body = await post(client, {"query": PLUGINS}, **headers)
            assert by_body.json()["data"]["plugins"][0]["name"] == "core"

            apq = await post(client, {"extensions": extension(COMMUNES)}, **headers)
            assert only_error(apq)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
            # Registration is off: Apollo Client's retry with the text is refused.
            unknown = "{ plugins { name version } }"
            retry = await post(
                client, {"query": unknown, "extensions": extension(unknown)}, **headers
            )
            assert only_error(retry)["extensions"]["code"] == "DOCUMENT_NOT_REGISTERED"
        assert sha256("{ plugins { name version } }") not in await stored(client)


async def test_except_authenticated_mode(serve: Serve) -> None:
    async with serve() as client:
        await trust(client, PLUGINS)
    async with serve(graphql_trusted_documents="except-authenticated") as client:
        other = "{ plugins { version } }"
        anonymous = await post(client, {"query": other})
        assert only_error(anonymous)["extensions"]["code"] == "DOCUMENT_NOT_REGISTERED"
        assert (await post(client, {"query": PLUGINS})).json()["data"]["plugins"]
        authorization = await token(client)
        signed_in = await post(client, {"query": other}, authorization=authorization)
        assert "errors" not in signed_in.json(), signed_in.json()
        # A signed-in client's automatic persisted queries work (stored, not trusted)...
        await post(
            client, {"query": other, "extensions": extension(other)}, authorization=authorization
        )
        hit = await post(client, {"extensions": extension(other)}, authorization=authorization)
        assert "errors" not in hit.json()
        assert not (await stored(client))[sha256(other)].trusted
        # ... and never become runnable by the public.
        public = await post(client, {"extensions": extension(other)})
        assert only_error(public)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_strict_mode_over_a_websocket(fresh_url: str, make_settings: Any) -> None:
    app = create_app(make_settings(fresh_url, graphql_trusted_documents="strict"))
    with TestClient(app) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json() == {"type": "connection_ack"}
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": PLUGINS}})
            message = ws.receive_json()
    assert message["type"] == "error", message
    assert message["payload"][0]["extensions"]["code"] == "DOCUMENT_NOT_REGISTERED"


# -- the command line --------------------------------------------------------------------------

APOLLO_GOOD = "query Plugins { plugins { name } }"
CODEGEN_GOOD = "query Communes { communes(first: 2) { totalCount } }"


def apollo_manifest(tmp_path: Path, *operations: tuple[str, str]) -> Path:
    path = tmp_path / "persisted-query-manifest.json"
    path.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": id_, "name": body.split()[1], "type": "query", "body": body}
                    for id_, body in operations
                ],
            }
        )
    )
    return path


def test_register_from_every_format_refusing_bad_documents(
    cli: Any, empty_database_url: str, tmp_path: Path
) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url, "BOCAGE_GRAPHQL_MAX_DEPTH": "3"}
    apollo = apollo_manifest(
        tmp_path,
        (sha256(APOLLO_GOOD), APOLLO_GOOD),
        (sha256("query Nope { nope }"), "query Nope { nope }"),
        ("0" * 64, "query Lies { plugins { version } }"),
    )
    codegen = tmp_path / "persisted-documents.json"
    codegen.write_text(json.dumps({sha256(CODEGEN_GOOD): CODEGEN_GOOD, sha256(DEPTH_4): DEPTH_4}))
    plain = tmp_path / "Version.graphql"
    plain.write_text("query Version { plugins { version } }\n")
    broken = tmp_path / "Broken.graphql"
    broken.write_text("query Broken { plugins { ")

    refused = cli(
        "documents", "register", str(apollo), str(codegen), str(plain), str(broken), env=env
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    output = refused.stdout + refused.stderr
    assert "Nope" in output and "Cannot query field 'nope'" in output
    assert "Lies" in output and "not the SHA-256" in output
    assert sha256(DEPTH_4) in output and "depth" in output
    assert "Broken.graphql" in output and "Syntax Error" in output
    assert "nothing registered" in output
    listed = cli("documents", "list", "--json", env=env)
    assert json.loads(listed.stdout) == []

    apollo = apollo_manifest(tmp_path, (sha256(APOLLO_GOOD), APOLLO_GOOD))
    codegen.write_text(json.dumps({sha256(CODEGEN_GOOD): CODEGEN_GOOD}))
    registered = cli("documents", "register", str(apollo), str(codegen), str(plain), env=env)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert "already registered" not in registered.stdout
    for text in (APOLLO_GOOD, CODEGEN_GOOD, plain.read_text()):
        assert sha256(text) in registered.stdout
    rows = json.loads(cli("documents", "list", "--json", env=env).stdout)
    assert {row["hash"] for row in rows} == {
        sha256(APOLLO_GOOD),
        sha256(CODEGEN_GOOD),
        sha256(plain.read_text()),
    }
    assert {row["name"] for row in rows} == {"Plugins", "Communes", "Version"}
    assert all(row["trusted"] for row in rows)

    # Registering the same build again changes nothing.
    again = cli("documents", "register", str(apollo), env=env)
    assert again.returncode == 0 and "already registered" in again.stdout + again.stderr

    removed = cli("documents", "remove", sha256(APOLLO_GOOD), env=env)
    assert removed.returncode == 0, removed.stderr
    rows = json.loads(cli("documents", "list", "--json", env=env).stdout)
    assert sha256(APOLLO_GOOD) not in {row["hash"] for row in rows}
    unknown = cli("documents", "remove", "f" * 64, env=env)
    assert unknown.returncode != 0 and "no document" in unknown.stderr


def test_register_refuses_an_unknown_file(
    cli: Any, empty_database_url: str, tmp_path: Path
) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"operations": []}))
    result = cli("documents", "register", str(odd), env={"BOCAGE_DATABASE_URL": empty_database_url})
    assert result.returncode == 1
    assert "apollo-persisted-query-manifest" in result.stderr and "odd.json" in result.stderr


async def test_registered_by_the_cli_runs_in_strict_mode(
    cli: Any, fresh_url: str, serve: Serve, tmp_path: Path
) -> None:
    apollo = apollo_manifest(tmp_path, (sha256(APOLLO_GOOD), APOLLO_GOOD))
    result = cli("documents", "register", str(apollo), env={"BOCAGE_DATABASE_URL": fresh_url})
    assert result.returncode == 0, result.stderr
    async with serve(graphql_trusted_documents="strict") as client:
        hit = await get(client, {"extensions": extension(APOLLO_GOOD)})
        assert hit.json()["data"]["plugins"][0]["name"] == "core"


async def test_a_removed_document_stops_once_the_workers_cache_expires(serve: Serve) -> None:
    from sqlalchemy import delete

    from bocage.core.models.persisted import PersistedDocument

    for ttl, still_runs in ((60, True), (0, False)):
        async with serve(graphql_documents_cache_ttl=ttl) as client:
            await post(client, {"query": PLUGINS, "extensions": extension(PLUGINS)})
            async with client.app.state.sessionmaker() as session, session.begin():  # type: ignore[attr-defined]
                await session.execute(delete(PersistedDocument))
            again = await post(client, {"extensions": extension(PLUGINS)})
            assert ("errors" not in again.json()) is still_runs, again.json()
