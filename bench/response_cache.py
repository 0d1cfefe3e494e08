"""In-process timing of the bench's reference query over GET /graphql: answered from the
response cache, executed (cache off), and over POST (never cached); also a 304.

Not a load test (``bench/run.py`` drives a real server with wrk): through the whole ASGI stack
(CORS, caching, limits) with httpx's ASGI transport, on the demo data; one request at a time
(latency), then 16 at a time (requests per second, the client's work included).

    .venv/bin/python bench/response_cache.py                      # SQLite, a temporary file
    .venv/bin/python bench/response_cache.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bocage_cache_bench
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bocage.core import migrate
from bocage.core.app import create_app
from bocage.core.db import create_engine
from bocage.core.host import PluginHost
from bocage.core.seed import seed_all
from bocage.core.settings import load_settings

QUERY = (
    "{ projects(first: 50) { edges { node { id title status communes { name } "
    "stakeholders { stakeholder { name } } } } } }"
)


async def prepare(url: str) -> None:
    settings = load_settings(database_url=url)
    engine = create_engine(settings)
    host = PluginHost(settings)
    await migrate.upgrade(engine, host)
    await seed_all(engine, host)
    await engine.dispose()


async def timed(client: httpx.AsyncClient, send: Any, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = await send(client)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 304), response.text
    return times


async def concurrently(client: httpx.AsyncClient, send: Any, count: int, width: int) -> float:
    """Requests per second with ``width`` requests in flight."""

    async def worker() -> None:
        for _ in range(count // width):
            response = await send(client)
            assert response.status_code in (200, 304), response.text

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    return count / (time.perf_counter() - start)


def _checks(found: list[str], *args: Any) -> None:
    """Keeps the statements that read the event log's last id (the cache's check)."""
    if "event_log" in args[2]:
        found.append(args[2])


async def measure(url: str, count: int) -> None:
    cases = {
        "GET, cached": ({}, lambda c: c.get("/graphql", params={"query": QUERY})),
        "GET, 304 from the cache": (
            {},
            lambda c: c.get("/graphql", params={"query": QUERY}, headers={"If-None-Match": ETAG}),
        ),
        "GET, cache off": (
            {"graphql_response_cache_entries": 0},
            lambda c: c.get("/graphql", params={"query": QUERY}),
        ),
        "POST": ({}, lambda c: c.post("/graphql", json={"query": QUERY})),
    }
    for name, (overrides, send) in cases.items():
        settings = load_settings(database_url=url, rate_limit="off", **overrides)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                first = await client.get("/graphql", params={"query": QUERY})
                assert len(first.json()["data"]["projects"]["edges"]) == 50
                global ETAG
                ETAG = first.headers["etag"]
                await timed(client, send, count // 10)  # warm-up
                times = sorted(await timed(client, send, count))
                checks: list[str] = []
                seen = functools.partial(_checks, checks)
                sync_engine = app.state.engine.sync_engine
                event.listen(sync_engine, "before_cursor_execute", seen)
                rate = await concurrently(client, send, count, 16)
                event.remove(sync_engine, "before_cursor_execute", seen)
        print(
            f"{name:26} mean {statistics.fmean(times):6.2f} ms  p50 {times[len(times) // 2]:6.2f}"
            f"  p99 {times[int(len(times) * 0.99)]:6.2f}  c=16: {rate:6.0f} req/s,"
            f" {len(checks) / count:.2f} checks/request"
            f"  ({len(first.content)} bytes)"
        )


ETAG = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(prepare(url))
        print(f"{url.split(':')[0]}, {args.requests} requests each, one at a time")
        asyncio.run(measure(url, args.requests))


if __name__ == "__main__":
    main()
