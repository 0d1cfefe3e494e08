"""The GraphQL-over-HTTP spec (issue 15): content negotiation between
``application/graphql-response+json`` and ``application/json``, the status codes of request
errors under each, and the GraphQL Foundation's own audit (``graphql-http``'s
``auditServer``, from npm) run against a live server with no failure, warning or notice."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from bocage.core.rest_errors import negotiate_graphql

AUDIT = Path(__file__).with_name("http_audit")
SPEC = "application/graphql-response+json"
JSON = "application/json"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (SPEC, SPEC),
        (f"{SPEC}, {JSON};q=0.9", SPEC),  # what the spec tells clients to send
        (f"{JSON}, {SPEC}", SPEC),
        (f"{JSON};q=1, {SPEC};q=0.5", JSON),
        (f"{JSON};q=0.5, */*", SPEC),  # */* gives the spec's type q=1
        (f"{SPEC};q=0, */*", JSON),
        (f"{SPEC}; charset=utf-8", SPEC),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),  # browsers
        ("text/csv", None),
        (f"{JSON};q=0", None),
        (f"{JSON};q=nonsense", None),
    ],
)
def test_content_negotiation(accept: str | None, media_type: str | None) -> None:
    assert negotiate_graphql(accept) == media_type


REQUEST_ERRORS = [
    pytest.param({"query": "{ communes {"}, id="parse"),
    pytest.param({"query": "{ communs { totalCount } }"}, id="validation"),
    pytest.param(
        {"query": "query($n: Int!) { communes(first: $n) { totalCount } }"}, id="variables"
    ),
    pytest.param({"query": "query A { __typename }", "operationName": "B"}, id="operation"),
]


@pytest.mark.parametrize("body", REQUEST_ERRORS)
async def test_request_errors_are_400_without_data_for_the_spec_media_type(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    spec = await client.post("/graphql", json=body, headers={"accept": SPEC})
    assert spec.status_code == 400
    assert spec.headers["content-type"] == SPEC
    assert "Accept" in spec.headers["vary"]
    assert set(spec.json()) == {"errors"}
    legacy = await client.post("/graphql", json=body, headers={"accept": JSON})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == JSON
    assert legacy.json() == spec.json()


async def test_answers_are_the_same_under_both_media_types(client: httpx.AsyncClient) -> None:
    body = {"query": "{ communes(first: 2) { totalCount nodes { name } } }"}
    spec = await client.post("/graphql", json=body, headers={"accept": SPEC})
    legacy = await client.post("/graphql", json=body)
    assert (spec.status_code, legacy.status_code) == (200, 200)
    assert spec.headers["content-type"] == SPEC and legacy.headers["content-type"] == JSON
    assert spec.json() == legacy.json() and spec.json()["data"]["communes"]["totalCount"] > 0


async def test_a_field_error_keeps_data_and_200_under_the_spec_media_type(
    client: httpx.AsyncClient,
) -> None:
    body = {"query": '{ node(id: "garbage") { id } }'}
    response = await client.post("/graphql", json=body, headers={"accept": SPEC})
    assert response.status_code == 200
    assert response.json()["data"] == {"node": None}
    assert response.json()["errors"][0]["path"] == ["node"]


async def test_cached_get_answers_keep_their_media_type(client: httpx.AsyncClient) -> None:
    """The response cache keeps one answer per media type: a request error cached for an
    application/json client is not served, with its 200, to one asking for the spec's."""
    params = {"query": "{ communs { totalCount } }"}
    for _ in range(2):
        legacy = await client.get("/graphql", params=params, headers={"accept": JSON})
        assert (legacy.status_code, legacy.headers["content-type"]) == (200, JSON)
        spec = await client.get("/graphql", params=params, headers={"accept": SPEC})
        assert (spec.status_code, spec.headers["content-type"]) == (400, SPEC)


def _audit_package() -> Path:
    """A folder with graphql-http installed (npm), kept between runs."""
    cache = (
        Path(os.environ.get("BOCAGE_TEST_NPM_CACHE", Path.home() / ".cache" / "bocage-tests"))
        / "graphql-http-audit"
    )
    cache.mkdir(parents=True, exist_ok=True)
    manifest = (AUDIT / "package.json").read_text()
    installed = cache / "package.json"
    # CI runs the suite on SQLite and on PostgreSQL at the same time: one installs, the other
    # waits for it rather than running npm in the same folder.
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (
            not installed.exists()
            or installed.read_text() != manifest
            or not (cache / "node_modules" / "graphql-http").is_dir()
        ):
            installed.write_text(manifest)
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=cache,
                check=True,
                timeout=300,
            )
        shutil.copy(AUDIT / "audit.mjs", cache / "audit.mjs")
    return cache


def test_the_graphql_over_http_audit_passes_without_a_warning(live_server: str) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run graphql-http's audit: not on this machine")
    package = _audit_package()
    run = subprocess.run(
        ["node", "audit.mjs", f"{live_server}/graphql"],
        cwd=package,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    results = json.loads(run.stdout)
    assert len(results) >= 60  # graphql-http 1.23.1 has 61 checks: MUST, SHOULD and MAY
    not_ok = [
        f"{r['status']} {r['id']} {r['name']}: {r.get('reason')}"
        for r in results
        if r["status"] != "ok"
    ]
    assert not not_ok, "\n".join(not_ok)


@pytest.mark.usefixtures("slow_database")
async def test_a_timeout_has_data_null_and_200_under_the_spec_media_type(
    demo_database_url: str,
) -> None:
    """Execution started: ``data`` is present (null), so the spec wants a 2xx."""
    from bocage.core.app import create_app
    from bocage.core.testing import settings_for

    app = create_app(settings_for(demo_database_url, graphql_timeout_seconds=0.1))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
            response = await c.post(
                "/graphql",
                json={"query": '{ commune(nisCode: "64034") { name } }'},
                headers={"accept": SPEC},
            )
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
