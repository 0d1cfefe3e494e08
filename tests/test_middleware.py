"""Protective HTTP middleware (bocage.core.middleware): body size, content types, rate limit."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.core.errors import SettingsError
from bocage.core.settings import Settings, load_settings

Serve = Callable[..., contextlib.AbstractAsyncContextManager[Any]]


@pytest.fixture
def serve(demo_database_url: str, make_settings: Callable[..., Settings]) -> Serve:
    """An app on the demo database with the given settings; ``client(ip)`` calls it."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Any]:
        app = create_app(make_settings(demo_database_url, **overrides))
        async with app.router.lifespan_context(app), contextlib.AsyncExitStack() as stack:

            async def client(ip: str = "192.0.2.1") -> httpx.AsyncClient:
                transport = httpx.ASGITransport(app=app, client=(ip, 50000))
                return await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://bocage.test")
                )

            client.app = app  # type: ignore[attr-defined]
            yield client

    return run


def padded(size: int) -> bytes:
    """A valid GraphQL request of exactly ``size`` bytes."""
    body = json.dumps({"query": "{ plugins { name } }"}).encode()
    assert size >= len(body)
    return body[:-1] + b" " * (size - len(body)) + b"}"


def assert_json_error(response: httpx.Response, status: int, code: str) -> str:
    """The refusal's message; /graphql refuses in the GraphQL shape (code in capitals), the
    REST routes in theirs."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    if response.request.url.path == "/graphql":
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == code.upper()
        assert "data" not in response.json()
    else:
        error = response.json()["error"]
        assert error["code"] == code
    return error["message"]  # type: ignore[no-any-return]


# -- body size ---------------------------------------------------------------------------------

JSON = {"content-type": "application/json"}


async def test_body_size_limit_from_content_length(serve: Serve) -> None:
    async with serve(max_body_bytes=200) as client:
        c = await client()
        response = await c.post("/graphql", content=padded(200), headers=JSON)
        assert response.json()["data"]["plugins"][0]["name"] == "core"
        response = await c.post("/graphql", content=padded(201), headers=JSON)
    message = assert_json_error(response, 413, "payload_too_large")
    assert "larger than 200 bytes" in message and "shorter query" in message


async def test_body_size_limit_of_a_streamed_body(serve: Serve) -> None:
    def chunks(body: bytes) -> Any:
        async def stream() -> AsyncIterator[bytes]:
            for i in range(0, len(body), 50):
                yield body[i : i + 50]

        return stream()

    async with serve(max_body_bytes=200) as client:
        c = await client()
        response = await c.post("/graphql", content=chunks(padded(200)), headers=JSON)
        assert "content-length" not in response.request.headers
        assert response.json()["data"]["plugins"][0]["name"] == "core"
        response = await c.post("/graphql", content=chunks(padded(201)), headers=JSON)
    assert_json_error(response, 413, "payload_too_large")


# -- content types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/graphql",
    ],
)
async def test_posts_a_cross_site_form_could_send_are_refused(
    client: httpx.AsyncClient, content_type: str
) -> None:
    body = json.dumps({"query": "mutation { __typename }"})
    response = await client.post("/graphql", content=body, headers={"content-type": content_type})
    message = assert_json_error(response, 415, "unsupported_media_type")
    assert "Content-Type: application/json" in message


async def test_json_with_a_charset_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": "{ plugins { name } }"}),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


async def test_a_post_without_content_type_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"{}")
    assert_json_error(response, 415, "unsupported_media_type")


# -- rate limit --------------------------------------------------------------------------------


async def bearer(client: Any, subject: str) -> dict[str, str]:
    """The Authorization header of a new, valid token for the person ``subject``."""
    issued = await client.app.state.issuer.issue(subject=subject, roles=[Role.COMMUNE_EDITOR])
    return {"authorization": f"Bearer {issued.access_token}"}


async def test_rate_limit_per_client(serve: Serve) -> None:
    async with serve(rate_limit="3/day") as client:
        alice, bob = await client("192.0.2.10"), await client("192.0.2.20")
        for _ in range(3):
            assert (await alice.get("/openapi.json")).status_code == 200
        response = await alice.get("/openapi.json")
        message = assert_json_error(response, 429, "rate_limited")
        assert "3 per day" in message and "Retry after" in message
        assert int(response.headers["retry-after"]) >= 1
        # Another address, or the same one with a valid token, has a count of its own.
        assert (await bob.get("/openapi.json")).status_code == 200
        token = await bearer(client, "ana@hannut.be")
        assert (await alice.get("/openapi.json", headers=token)).status_code == 200
        # Health probes are never limited.
        assert (await alice.get("/healthz")).status_code == 200


async def test_every_token_of_a_person_shares_one_count(serve: Serve) -> None:
    async with serve(rate_limit="3/day") as client:
        http = await client("192.0.2.11")
        for _ in range(3):
            headers = await bearer(client, "ana@hannut.be")  # a new token each time
            assert (await http.get("/openapi.json", headers=headers)).status_code == 200
        headers = await bearer(client, "ana@hannut.be")
        message = assert_json_error(
            await http.get("/openapi.json", headers=headers), 429, "rate_limited"
        )
        assert "per client" in message
        other = await bearer(client, "bert@hannut.be")
        assert (await http.get("/openapi.json", headers=other)).status_code == 200


async def test_an_invalid_token_counts_against_the_address(serve: Serve) -> None:
    async with serve(rate_limit="2/day") as client:
        mallory = await client("192.0.2.30")
        for _ in range(2):
            assert (await mallory.get("/openapi.json")).status_code == 200
        for made_up in ("Bearer made-up", "Bearer a.b.c", "Basic abc"):
            response = await mallory.get("/openapi.json", headers={"authorization": made_up})
            assert_json_error(response, 429, "rate_limited")


async def test_many_clients_of_one_address_reach_its_ceiling(serve: Serve) -> None:
    async with serve(rate_limit="2/day") as client:
        office = await client("192.0.2.31")
        ceiling = 2 * 10  # RateLimit.ADDRESS_CEILING clients' worth
        for n in range(ceiling):
            headers = await bearer(client, f"person{n // 2}@hannut.be")
            assert (await office.get("/openapi.json", headers=headers)).status_code == 200
        headers = await bearer(client, "newcomer@hannut.be")
        response = await office.get("/openapi.json", headers=headers)
        message = assert_json_error(response, 429, "rate_limited")
        assert "20 per day per address" in message


async def test_an_invalid_token_is_still_a_401_where_a_caller_is_needed(serve: Serve) -> None:
    async with serve(rate_limit="100/day") as client:
        http = await client("192.0.2.32")
        response = await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"authorization": "Bearer made-up"},
        )
        assert_json_error(response, 401, "invalid_token")
        ok = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers=await bearer(client, "ana")
        )
        assert ok.status_code == 200, ok.text


async def test_rate_limit_can_be_turned_off(serve: Serve) -> None:
    async with serve(rate_limit="off") as client:
        c = await client()
        for _ in range(5):
            assert (await c.get("/openapi.json")).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"rate_limit": "0/minute"}, "BOCAGE_RATE_LIMIT: the rate must allow at least 1"),
        ({"rate_limit": "many"}, "BOCAGE_RATE_LIMIT: 'many' is not a rate"),
        ({"max_body_bytes": 0}, "BOCAGE_MAX_BODY_BYTES: Input should be greater"),
        ({"max_body_bytes": -5}, "BOCAGE_MAX_BODY_BYTES: Input should be greater"),
    ],
)
def test_settings_are_checked(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError, match=expected):
        load_settings(**overrides)


def test_an_unusable_rate_limit_storage_fails_at_startup(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        "sqlite+aiosqlite:///:memory:", rate_limit="10/second", rate_limit_storage="nowhere://"
    )
    with pytest.raises(SettingsError, match="BOCAGE_RATE_LIMIT_STORAGE='nowhere://'"):
        create_app(settings)


@pytest.mark.parametrize(
    "url",
    [
        "/api/opendata/datasets/a%00b",
        "/api/opendata/datasets/projects/records?title_fr=a%00b",
        "/api/opendata/uploads/a%00b",
        "/api/workshops/communes/64%0034/calendar.ics",
        "/api/workshops/series/a%00b/calendar.ics",
        "/api/workshops/territories/a%00b/calendar.ics",
        "/api/changes?types=a%00b",
        "/graphql?query=%7B__typename%7D%00",
    ],
)
async def test_a_nul_character_in_the_url_is_refused(client: httpx.AsyncClient, url: str) -> None:
    """No parameter may hold NUL: PostgreSQL cannot store or compare it (it was a 500 there,
    and a 404 or a 200 on SQLite)."""
    response = await client.get(url)
    assert "NUL" in assert_json_error(response, 400, "bad_request")
