"""In-process cost of observability on the bench's reference query: the same requests with
metrics off (the request id and the access log, always there), metrics on, metrics and JSON
access lines written (to /dev/null), and tracing on (spans kept in memory).

Not a load test: through the whole ASGI stack with httpx's ASGI transport, one request at a
time, on the demo data (see bench/response_cache.py, whose database and timing it uses).

    .venv/bin/python bench/observability.py
    .venv/bin/python bench/observability.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bocage_obs_bench
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
from pathlib import Path

import httpx
from response_cache import QUERY, prepare, timed

from bocage.core.app import create_app
from bocage.core.observability import tracing
from bocage.core.observability.logging import configure_logging
from bocage.core.settings import load_settings

TOKEN = "bench"
VARIANTS = {
    "observability off": {},
    "metrics": {"metrics_enabled": True, "metrics_token": TOKEN},
    "metrics + JSON log": {
        "metrics_enabled": True,
        "metrics_token": TOKEN,
        "log_format": "json",
        "log_level": "info",
    },
    "metrics + tracing": {"metrics_enabled": True, "metrics_token": TOKEN},
}
CASES = {
    "GET, cached": lambda c: c.get("/graphql", params={"query": QUERY}),
    "POST (fast path)": lambda c: c.post("/graphql", json={"query": QUERY}),
}


async def measure(url: str, count: int) -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    for variant, overrides in VARIANTS.items():
        settings = load_settings(database_url=url, rate_limit="off", **overrides)
        root = logging.getLogger()
        handlers, level = list(root.handlers), logging.getLogger("bocage").level
        if "log_format" in overrides:
            configure_logging(settings, stream=open(os.devnull, "w"))  # noqa: SIM115
        tracing.install(
            tracing.make_provider(settings, InMemorySpanExporter())
            if "tracing" in variant
            else None
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for case, send in CASES.items():
                    await timed(client, send, count // 10)  # warm-up
                    times = sorted(await timed(client, send, count))
                    print(
                        f"{variant:20} {case:18} mean {statistics.fmean(times):6.2f} ms"
                        f"  p50 {times[len(times) // 2]:6.2f}"
                        f"  p99 {times[int(len(times) * 0.99)]:6.2f}"
                    )
        tracing.install(None)
        root.handlers[:] = handlers
        logging.getLogger("bocage").setLevel(level)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(prepare(url))
        print(f"{url.split(':')[0]}, {args.requests} requests each, one at a time")
        asyncio.run(measure(url, args.requests))


if __name__ == "__main__":
    main()
