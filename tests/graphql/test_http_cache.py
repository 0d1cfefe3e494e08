"""Cacheable public reads over GET /graphql (bocage.core.graphql.response_cache and
bocage.core.cache_control): HTTP validators and freshness for anonymous callers, the
in-process response cache, its bounds, and its invalidation by the domain events of any worker.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from bocage.core.app import create_app
from bocage.core.auth.principal import Role
from bocage.core.errors import SettingsError
from bocage.core.settings import Settings, load_settings

Serve = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]

COMMUNES = "{ communes { totalCount } }"
TITLES = "{ territories(first: 1) { edges { node { id name } } } }"
LARGE = "{ communes(first: 50) { edges { node { id name nisCode } } } }"
# /graphql answers vary on Accept too (application/graphql-response+json or application/json).
VARY = ["accept", "accept-language", "authorization", "origin"]


def vary(response: httpx.Response) -> list[str]:
    return [v.strip().lower() for v in response.headers.get("vary", "").split(",") if v.strip()]


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app (one server worker) and a client to call it; ``client.app`` is the app."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


@pytest.fixture
def serve(demo_database_url: str, make_settings: Callable[..., Settings]) -> Serve:
    """A worker on the (read-only) demo database with the given settings."""
    return lambda **overrides: serving(make_settings(demo_database_url, **overrides))


async def get(client: httpx.AsyncClient, query: str, **headers: str) -> httpx.Response:
    return await client.get("/graphql", params={"query": query}, headers=headers)


class Statements:
    """The statements a worker runs meanwhile: a cached answer runs only the event log's check."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.engine = client.app.state.engine.sync_engine  # type: ignore[attr-defined]
        self.statements: list[str] = []

    def _seen(self, *args: Any) -> None:
        self.statements.append(args[2])

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


executed = Statements


def only_the_check(counter: Statements) -> bool:
    """The statements of a cached answer: the event log's check; none on an SQLite file,
    where ``PRAGMA data_version`` (on a connection of its own) says nothing was committed."""
    if counter.engine.dialect.name == "sqlite":
        return counter.statements == []
    return len(counter.statements) == 1 and "event_log" in counter.statements[0]


def entry_size(response: httpx.Response) -> int:
    """What an answer weighs in the cache: its body and the request's query string."""
    return len(response.content) + len(response.request.url.query)


# -- HTTP: validators, freshness, Vary ----------------------------------------------------------


async def test_anonymous_get_is_public_with_a_strong_etag_and_vary(serve: Serve) -> None:
    async with serve(http_cache_max_age=120, http_cache_stale_while_revalidate=30) as client:
        response = await get(client, COMMUNES)
    assert response.status_code == 200
    assert response.json()["data"]["communes"]["totalCount"] > 0
    assert response.headers["cache-control"] == "public, max-age=120, stale-while-revalidate=30"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])  # strong: no W/
    assert vary(response) == VARY


async def test_the_etag_is_the_body_s(serve: Serve) -> None:
    async with serve() as client:
        fr = await get(client, TITLES, **{"Accept-Language": "fr"})
        nl = await get(client, TITLES, **{"Accept-Language": "nl-BE, fr;q=0.5"})
        again = await get(client, TITLES, **{"Accept-Language": "fr-BE"})
    assert fr.content != nl.content  # the language is part of what is cached
    assert fr.headers["etag"] != nl.headers["etag"]
    assert again.content == fr.content and again.headers["etag"] == fr.headers["etag"]


@pytest.mark.parametrize(
    "if_none_match",
    ["{etag}", "W/{etag}", '"other", {etag}', "*"],
    ids=["same", "weak", "in-a-list", "any"],
)
async def test_if_none_match_gets_a_304_without_a_body(serve: Serve, if_none_match: str) -> None:
    async with serve() as client:
        first = await get(client, COMMUNES)
        etag = first.headers["etag"]
        cached = await get(client, COMMUNES, **{"If-None-Match": if_none_match.format(etag=etag)})
        with executed(client) as counter:
            # The first conditional request was answered from the cache; this one too.
            again = await get(client, COMMUNES, **{"If-None-Match": etag})
    for response in (cached, again):
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == first.headers["cache-control"]
        assert vary(response) == VARY
    assert only_the_check(counter)


async def test_an_outdated_etag_gets_the_answer(serve: Serve) -> None:
    async with serve() as client:
        first = await get(client, COMMUNES)
        response = await get(client, COMMUNES, **{"If-None-Match": '"0123456789abcdef"'})
    assert response.status_code == 200 and response.content == first.content


async def test_authenticated_and_post_answers_are_private(serve: Serve) -> None:
    async with serve() as client:
        issued = await client.app.state.issuer.issue(  # type: ignore[attr-defined]
            subject="admin", roles=[Role.TERRITORY_ADMIN]
        )
        bearer = {"Authorization": f"Bearer {issued.access_token}"}
        anonymous = await get(client, COMMUNES)
        authenticated = await get(client, COMMUNES, **bearer)
        conditional = await get(
            client, COMMUNES, **bearer, **{"If-None-Match": anonymous.headers["etag"]}
        )
        posted = await client.post("/graphql", json={"query": COMMUNES})
        with executed(client) as counter:
            posted_again = await client.post("/graphql", json={"query": COMMUNES})
    for response in (authenticated, conditional, posted, posted_again):
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        assert "etag" not in response.headers
        assert vary(response) == VARY
    assert not only_the_check(counter)  # POST is never answered from the cache


async def test_cors_exposes_the_etag_and_vary_names_origin_once(serve: Serve) -> None:
    async with serve(cors_origins="https://www.hannut.be") as client:
        response = await get(client, COMMUNES, Origin="https://www.hannut.be")
        preflight = await client.options(
            "/graphql",
            headers={
                "Origin": "https://www.hannut.be",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "if-none-match",
            },
        )
    assert "etag" in response.headers["access-control-expose-headers"].lower()
    assert vary(response) == VARY
    assert preflight.status_code == 200


# -- the in-process cache -----------------------------------------------------------------------


async def test_a_cached_answer_skips_execution(serve: Serve) -> None:
    async with serve() as client:
        first = await get(client, TITLES)
        with executed(client) as counter:
            second = await get(client, TITLES)
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert only_the_check(counter), counter.statements


async def test_the_key_is_the_whole_request(serve: Serve) -> None:
    """Operation name, variables and language are part of it; the caller's other headers
    (a browser's cookies, its user agent) are not."""
    document = "query A { communes { totalCount } } query B { territories { totalCount } }"
    async with serve() as client:
        a = await client.get("/graphql", params={"query": document, "operationName": "A"})
        b = await client.get("/graphql", params={"query": document, "operationName": "B"})
        first = await client.get(
            "/graphql",
            params={
                "query": "query($n: Int) { projects(first: $n) { totalCount } }",
                "variables": '{"n": 1}',
            },
        )
        with executed(client) as counter:
            same = await client.get(
                "/graphql",
                params={
                    "query": "query($n: Int) { projects(first: $n) { totalCount } }",
                    "variables": '{"n": 1}',
                },
                headers={"User-Agent": "another browser", "Cookie": "session=1"},
            )
    assert "communes" in a.json()["data"] and "territories" in b.json()["data"]
    assert same.content == first.content and only_the_check(counter)


async def test_user_input_errors_are_cached_other_errors_are_not(serve: Serve) -> None:
    async with serve(graphql_max_response_bytes=500) as client:
        cache = client.app.state.response_cache  # type: ignore[attr-defined]
        invalid = await get(client, "{ projectz { totalCount } }")
        assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert invalid.headers["cache-control"].startswith("public")
        assert len(cache) == 1
        too_large = await get(client, LARGE)
        assert too_large.json()["errors"][0]["extensions"]["code"] == "RESPONSE_TOO_LARGE"
        assert too_large.headers["cache-control"] == "private, no-store"
        assert "etag" not in too_large.headers
        assert len(cache) == 1


async def test_mutations_over_get_are_refused_and_not_cached(serve: Serve) -> None:
    mutation = 'mutation { archiveProject(input: {id: "x", version: 1}) { errors { code } } }'
    async with serve() as client:
        response = await get(client, mutation)
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
    assert response.headers["cache-control"] == "private, no-store"
    assert len(client.app.state.response_cache) == 0  # type: ignore[attr-defined]


async def test_a_cache_hit_still_counts_against_the_rate_limit(serve: Serve) -> None:
    async with serve(rate_limit="2/minute") as client:
        assert (await get(client, COMMUNES)).status_code == 200
        with executed(client) as counter:
            assert (await get(client, COMMUNES)).status_code == 200
        refused = await get(client, COMMUNES)
    assert only_the_check(counter)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused.headers["cache-control"] == "private, no-store"


# -- bounds: just under, just over ---------------------------------------------------------------

QUERIES = [
    "{ communes { totalCount } }",
    "{ territories { totalCount } }",
    "{ stakeholders { totalCount } }",
]


async def sizes(client: httpx.AsyncClient) -> list[int]:
    return [entry_size(await get(client, q)) for q in QUERIES]


async def cached(client: httpx.AsyncClient, query: str) -> bool:
    with executed(client) as counter:
        await get(client, query)
    return only_the_check(counter)


async def test_entries_bound(serve: Serve) -> None:
    async with serve(graphql_response_cache_entries=2) as client:
        await sizes(client)  # the first is evicted by the third
        assert [await cached(client, q) for q in reversed(QUERIES)] == [True, True, False]
    async with serve(graphql_response_cache_entries=3) as client:
        await sizes(client)
        assert [await cached(client, q) for q in QUERIES] == [True, True, True]


async def test_bytes_bound(serve: Serve) -> None:
    async with serve() as client:
        weights = await sizes(client)
    async with serve(graphql_response_cache_bytes=sum(weights)) as client:
        await sizes(client)
        assert [await cached(client, q) for q in QUERIES] == [True, True, True]
    async with serve(graphql_response_cache_bytes=sum(weights) - 1) as client:
        await sizes(client)
        assert [await cached(client, q) for q in reversed(QUERIES)] == [True, True, False]
        assert client.app.state.response_cache.size <= sum(weights) - 1  # type: ignore[attr-defined]


async def test_entry_bytes_bound(serve: Serve) -> None:
    async with serve() as client:
        weight = entry_size(await get(client, TITLES))
    async with serve(graphql_response_cache_entry_bytes=weight) as client:
        first = await get(client, TITLES)
        assert await cached(client, TITLES)
    async with serve(graphql_response_cache_entry_bytes=weight - 1) as client:
        second = await get(client, TITLES)
        assert not await cached(client, TITLES)
    # Too large for this worker's cache is still public for the others.
    assert second.headers["cache-control"] == first.headers["cache-control"]
    assert second.headers["etag"] == first.headers["etag"]


async def test_no_entries_turns_the_cache_off_not_http_caching(serve: Serve) -> None:
    async with serve(graphql_response_cache_entries=0) as client:
        first = await get(client, COMMUNES)
        with executed(client) as counter:
            again = await get(client, COMMUNES, **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert not any("event_log" in s for s in counter.statements)  # no check: nothing cached
    assert counter.statements  # executed


async def test_an_entry_lives_max_age_seconds(serve: Serve) -> None:
    async with serve(http_cache_max_age=60) as client:
        cache = client.app.state.response_cache  # type: ignore[attr-defined]
        now = [1000.0]
        cache.clock = lambda: now[0]
        await get(client, COMMUNES)
        now[0] += 59.999
        assert await cached(client, COMMUNES)
        now[0] += 0.001
        assert not await cached(client, COMMUNES)  # 60 s old: computed again
        assert await cached(client, COMMUNES)


async def test_max_age_zero_keeps_nothing(serve: Serve) -> None:
    async with serve(http_cache_max_age=0, http_cache_stale_while_revalidate=0) as client:
        first = await get(client, COMMUNES)
        assert not await cached(client, COMMUNES)
    assert first.headers["cache-control"] == "public, max-age=0, stale-while-revalidate=0"


@pytest.mark.parametrize(
    "name",
    [
        "http_cache_max_age",
        "http_cache_stale_while_revalidate",
        "graphql_response_cache_entries",
        "graphql_response_cache_bytes",
        "graphql_response_cache_entry_bytes",
    ],
)
def test_bounds_are_settings_from_zero(name: str) -> None:
    assert getattr(load_settings(**{name: 0}), name) == 0
    with pytest.raises(SettingsError, match=f"BOCAGE_{name.upper()}"):
        load_settings(**{name: -1})


# -- two workers: a committed write is seen by the next read -------------------------------------

READ = "{ projects(first: 1) { edges { node { id version title } } } }"
UPDATE = """mutation($input: UpdateProjectInput!) {
  updateProject(input: $input) { project { version title } errors { code message } } }"""


async def test_a_write_on_one_worker_is_seen_by_the_next_read_on_another(world: Any) -> None:
    """Worker A caches a public read; worker B commits a change to it; the next read on A
    answers the change. Several rounds, each read sent right after the write's answer."""
    async with serving(world.settings) as a, serving(world.settings) as b:
        issued = await b.app.state.issuer.issue(  # type: ignore[attr-defined]
            subject="admin", roles=[Role.TERRITORY_ADMIN]
        )
        bearer = {"Authorization": f"Bearer {issued.access_token}"}
        for round_ in range(5):
            before = await get(a, READ)
            with executed(a) as counter:
                assert (await get(a, READ)).content == before.content
            assert only_the_check(counter)  # A answers from its cache
            node = before.json()["data"]["projects"]["edges"][0]["node"]
            title = f"Titre changé {round_}"
            changed = await b.post(
                "/graphql",
                json={
                    "query": UPDATE,
                    "variables": {
                        "input": {
                            "id": node["id"],
                            "version": node["version"],
                            "title": {"fr": title},
                        }
                    },
                },
                headers=bearer,
            )
            assert changed.json()["data"]["updateProject"]["errors"] == [], changed.text
            after = await get(a, READ, **{"If-None-Match": before.headers["etag"]})
            assert after.status_code == 200
            assert after.json()["data"]["projects"]["edges"][0]["node"]["title"] == title
            assert after.headers["etag"] != before.headers["etag"]


async def test_concurrent_cached_reads_share_one_check(serve: Serve) -> None:
    import asyncio

    async with serve() as client:
        await get(client, COMMUNES)
        with executed(client) as counter:
            answers = await asyncio.gather(*(get(client, COMMUNES) for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    assert all("event_log" in s for s in counter.statements)
    if counter.engine.dialect.name == "sqlite":
        assert counter.statements == []  # nothing committed: PRAGMA data_version says so
    else:
        assert 1 <= len(counter.statements) < 20
