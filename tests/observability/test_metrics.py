"""Prometheus metrics as a scraper sees them: GET /metrics behind its token (or on a port of
its own), and after traffic the series docs/observability.md lists, with bounded labels."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bocage.core.app import create_app
from bocage.core.errors import SettingsError
from bocage.core.settings import load_settings
from bocage.core.testing import free_port, serve, settings_for

TOKEN = "scrape-token-for-tests"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def bocage_setting_overrides() -> dict[str, Any]:
    return {"metrics_enabled": True, "metrics_token": TOKEN}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, by name and labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


async def scrape(client: httpx.AsyncClient) -> dict[Any, float]:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    return samples(response.text)


async def test_metrics_need_the_token(bocage_client: httpx.AsyncClient) -> None:
    anonymous = await bocage_client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "invalid_token"
    assert "BOCAGE_METRICS_TOKEN" in anonymous.json()["error"]["message"]
    wrong = await bocage_client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert (await bocage_client.get("/metrics", headers=SCRAPER)).status_code == 200


def test_metrics_are_never_public() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(metrics_enabled=True)
    assert "BOCAGE_METRICS_TOKEN" in str(refused.value)
    assert "BOCAGE_METRICS_PORT" in str(refused.value)
    assert load_settings(metrics_enabled=True, metrics_port=9464).metrics_port == 9464


async def test_metrics_are_off_by_default(bocage_world: Any) -> None:
    app = create_app(settings_for(bocage_world.url), host=bocage_world.host)
    async with serve(app) as client:
        assert (await client.get("/metrics", headers=SCRAPER)).status_code == 404


async def test_graphql_and_rest_series_after_traffic(bocage_client: httpx.AsyncClient) -> None:
    named = {"query": "query PluginNames { plugins { name } }"}
    for _ in range(2):
        assert (await bocage_client.post("/graphql", json=named)).status_code == 200
    await bocage_client.post("/graphql", json={"query": "{ plugins { name } }"})
    broken = await bocage_client.post("/graphql", json={"query": "query Broken { nothing }"})
    assert broken.json()["errors"]
    # The same anonymous GET twice: the second is answered by the response cache.
    for _ in range(2):
        got = await bocage_client.get(
            "/graphql", params={"query": "query Cached { plugins { name } }"}
        )
        assert got.status_code == 200
    # A REST route with a parameter, and a path no route serves.
    await bocage_client.get("/api/workshops/series/no-such-series/calendar.ics")
    await bocage_client.get("/api/nothing-here/12345")

    found = await scrape(bocage_client)
    total = "bocage_graphql_requests_total"
    assert value(found, total, operation="PluginNames", outcome="ok") == 2
    assert value(found, total, operation="anonymous", outcome="ok") == 1
    assert value(found, total, operation="Broken", outcome="graphql_error") == 1
    assert value(found, total, operation="Cached", outcome="ok") == 2
    duration = "bocage_graphql_request_duration_seconds_count"
    assert value(found, duration, operation="PluginNames") == 2
    cache = "bocage_graphql_response_cache_requests_total"
    assert value(found, cache, result="miss") == 1
    assert value(found, cache, result="hit") == 1
    http = "bocage_http_requests_total"
    assert value(found, http, method="POST", route="/graphql", status="200") == 4
    series = "/api/workshops/series/{series}/calendar.ics"
    assert value(found, http, method="GET", route=series, status="404") == 1
    assert value(found, http, method="GET", route="unmatched", status="404") == 1
    assert value(found, "bocage_http_request_duration_seconds_count", method="GET", route=series)
    # No label holds the raw path or a value the client sent.
    labels = {v for (_, pairs) in found for _, v in pairs}
    assert not any("no-such-series" in v or "12345" in v for v in labels)
    # The pool of the main engine (and of the fast path's, on PostgreSQL).
    assert value(found, "bocage_db_pool_checked_out", engine="main") is not None
    assert value(found, "bocage_jobs", status="queued") is not None
    assert value(found, "bocage_jobs_oldest_due_age_seconds") == 0
    assert value(found, "bocage_webhook_deliveries", status="failed") == 0
    assert value(found, "bocage_webhook_delivery_lag_seconds") == 0
    assert value(found, "bocage_graphql_subscriptions_active") == 0


async def test_operation_names_are_bounded(bocage_world: Any) -> None:
    """``BOCAGE_METRICS_MAX_OPERATIONS``: just under the bound every name is a label, just
    over the next one is ``other``; a malformed name is ``unknown``."""
    settings = settings_for(
        bocage_world.url, metrics_enabled=True, metrics_token=TOKEN, metrics_max_operations=2
    )
    async with serve(create_app(settings, host=bocage_world.host)) as client:
        for name in ("First", "Second"):
            await client.post("/graphql", json={"query": f"query {name} {{ plugins {{ name }} }}"})
        found = await scrape(client)
        total = "bocage_graphql_requests_total"
        assert value(found, total, operation="First", outcome="ok") == 1
        assert value(found, total, operation="Second", outcome="ok") == 1
        await client.post("/graphql", json={"query": "query Third { plugins { name } }"})
        await client.post(
            "/graphql", json={"query": "{ plugins { name } }", "operationName": "a b"}
        )
        found = await scrape(client)
        assert value(found, total, operation="Third", outcome="ok") is None
        assert value(found, total, operation="other", outcome="ok") == 1
        assert value(found, total, operation="First", outcome="ok") == 1
        # An unknown operation name is a GraphQL request error: 200 with `errors` under
        # application/json (the GraphQL-over-HTTP spec), so a graphql_error.
        assert value(found, total, operation="unknown", outcome="graphql_error") == 1


async def test_metrics_on_a_port_of_their_own(bocage_world: Any) -> None:
    port = free_port()
    settings = settings_for(bocage_world.url, metrics_enabled=True, metrics_port=port)
    async with serve(create_app(settings, host=bocage_world.host)) as client:
        await client.post("/graphql", json={"query": "query OnPort { plugins { name } }"})
        # Not on the API's port: a scraper reaches it only where the operator opened it.
        assert (await client.get("/metrics")).status_code == 404
        async with httpx.AsyncClient() as scraper:
            response = await scraper.get(f"http://127.0.0.1:{port}/metrics")
        assert response.status_code == 200
        found = samples(response.text)
        assert value(found, "bocage_graphql_requests_total", operation="OnPort", outcome="ok") == 1


SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { secret errors { code message } } }"""
CREATE_PROJECT = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id } errors { code message } } }"""


async def hannut(world: Any) -> str:
    import base64

    from sqlalchemy import select

    from bocage.core.models import Commune

    async with world.sessionmaker() as session:
        key = (
            await session.execute(select(Commune.id).where(Commune.nis_code == "64034"))
        ).scalar_one()
    return base64.b64encode(f"Commune:{key}".encode()).decode()


async def test_job_queue_and_webhook_series(
    bocage_world: Any, bocage_webhooks: Any, bocage_principals: Any
) -> None:
    """A change to a subscriber that answers 500: its delivery waits in the queue (depth, age,
    lag), then fails (attempts, dead job, failed delivery)."""
    from bocage.core.jobs.worker import Worker
    from bocage.core.testing import GraphQL

    settings = settings_for(
        bocage_world.url,
        metrics_enabled=True,
        metrics_token=TOKEN,
        webhooks_allow_private_targets=True,
        webhooks_max_attempts=1,
        jobs_poll_interval=0.05,
    )
    app = create_app(settings)
    bocage_webhooks.answer = lambda request: 500
    admin = bocage_principals.admin
    async with serve(app) as client:
        gql = GraphQL(client, app)
        subscribed = await gql(
            SUBSCRIBE,
            {"input": {"url": bocage_webhooks.url, "eventTypes": ["project.created"]}},
            principal=admin,
        )
        assert subscribed["createWebhookSubscription"]["errors"] == []
        created = await gql(
            CREATE_PROJECT,
            {
                "input": {
                    "title": {"fr": "Compteurs"},
                    "focus": "DIGITAL",
                    "communes": [await hannut(bocage_world)],
                }
            },
            principal=admin,
        )
        assert created["createProject"]["errors"] == []
        worker = Worker(settings, app.state.host, app.state.engine)
        while await worker.relay():  # the event becomes a delivery job, not run yet
            pass
        waiting = await scrape(client)
        assert value(waiting, "bocage_jobs_queued", kind="webhook.deliver") == 1
        assert value(waiting, "bocage_jobs", status="queued") == 1
        assert value(waiting, "bocage_jobs_oldest_due_age_seconds") > 0
        assert value(waiting, "bocage_webhook_deliveries", status="pending") == 1
        assert value(waiting, "bocage_webhook_delivery_lag_seconds") > 0

        await worker.run(burst=True)
        assert len(bocage_webhooks.requests) == 1
        failed = await scrape(client)
        attempts = "bocage_webhook_delivery_attempts_total"
        assert value(failed, attempts, outcome="failed") == 1
        assert value(failed, attempts, outcome="succeeded") is None
        assert value(failed, "bocage_webhook_delivery_duration_seconds_count") == 1
        assert value(failed, "bocage_webhook_deliveries", status="failed") == 1
        assert value(failed, "bocage_webhook_deliveries", status="pending") == 0
        assert value(failed, "bocage_webhook_delivery_lag_seconds") == 0
        assert value(failed, "bocage_jobs", status="dead") == 1
        assert value(failed, "bocage_jobs_queued", kind="webhook.deliver") == 0
        assert value(failed, "bocage_jobs_oldest_due_age_seconds") == 0


LIVE = """subscription($w: ID!) { workshopsCardWorkshopLive(workshop: $w) { type phase } }"""
NEW_WORKSHOP = """mutation($i: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $i) { workshop { id } errors { code message } } }"""


def _live_subscriptions(settings: Any) -> list[tuple[float | None, float | None]]:
    """Open a WebSocket, run a subscription, complete it, close: the two gauges each time."""
    import functools
    import time
    import warnings

    from bocage.core.auth.principal import Role

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx2.*")
        from starlette.testclient import TestClient

    seen: list[tuple[float | None, float | None]] = []
    with TestClient(create_app(settings)) as client:

        def gauges() -> tuple[float | None, float | None]:
            found = samples(client.get("/metrics", headers=SCRAPER).text)
            return (
                value(found, "bocage_graphql_websocket_connections"),
                value(found, "bocage_graphql_subscriptions_active"),
            )

        def wait(expected: tuple[float, float]) -> None:
            deadline = time.monotonic() + 10
            while gauges() != expected:
                assert time.monotonic() < deadline, (gauges(), expected)
                time.sleep(0.02)
            seen.append(expected)

        issue = functools.partial(
            client.app.state.issuer.issue, subject="boss", roles=(Role.TERRITORY_ADMIN,)
        )
        token = client.portal.call(issue).access_token
        created = client.post(
            "/graphql",
            json={"query": NEW_WORKSHOP, "variables": {"i": {"title": {"fr": "Direct"}}}},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]["createWorkshopsCardWorkshop"]
        workshop = created["workshop"]["id"]
        seen.append(gauges())
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json() == {"type": "connection_ack"}
            wait((1, 0))
            payload = {"query": LIVE, "variables": {"w": workshop}}
            ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
            wait((1, 1))
            ws.send_json({"id": "1", "type": "complete"})
            wait((1, 0))
            ws.send_json({"id": "2", "type": "subscribe", "payload": payload})
            wait((1, 1))
        wait((0, 0))  # the connection's end ends its subscriptions
    return seen


async def test_websocket_connections_and_subscriptions(bocage_world: Any) -> None:
    import asyncio

    settings = settings_for(bocage_world.url, metrics_enabled=True, metrics_token=TOKEN)
    seen = await asyncio.to_thread(_live_subscriptions, settings)
    assert seen == [(0, 0), (1, 0), (1, 1), (1, 0), (1, 1), (0, 0)]


def test_every_series_is_documented(bocage_world: Any) -> None:
    """docs/observability.md lists each series with its labels."""
    import re
    from pathlib import Path

    from bocage.core.observability.metrics import Metrics

    docs = (Path(__file__).parents[2] / "docs" / "observability.md").read_text()
    rows = {
        name: {label.strip(" `") for label in labels.split(",") if label.strip()}
        for name, labels in re.findall(r"^\| `(bocage_\w+)` \| \w+ \|([^|]*)\|", docs, re.M)
    }
    settings = settings_for(bocage_world.url, metrics_enabled=True, metrics_token=TOKEN)
    metrics = Metrics(settings, {}, bocage_world.sessionmaker)
    for family in metrics.registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        assert name in rows, f"{name} is not in docs/observability.md"
        labels = set(getattr(metrics, _attribute(metrics, family.name))._labelnames)
        assert rows.pop(name) == labels, name
    assert not rows, f"documented but gone: {sorted(rows)}"


def _attribute(metrics: Any, name: str) -> str:
    for attribute, item in vars(metrics).items():
        if getattr(item, "_name", None) == name:
            return attribute
    raise AssertionError(name)
