"""Time the open-data records queries on a large contributed dataset (not a test).

    .venv/bin/python bench/records_query.py [rows] [database URL]

Fills a table of ``rows`` rows (default 200,000; names with accents, numbers, dates, points)
in a fresh SQLite file, or in the PostgreSQL database given (its table ``bench_rows`` is
replaced), publishes it as the dataset ``bench-rows`` and prints, for each query, the time
of its first page (median of 3) through the ASGI app: accent-insensitive text, full-text
search, several sort keys (and the 50th page by cursor), a group with aggregates, facets,
a distance.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "plugins" / "opendata"))
from bench_export import Bench, metadata, prepare, rows_table  # noqa: E402

QUERIES: list[tuple[str, dict[str, str]]] = [
    ("no filter (first page of 100)", {}),
    ("name__contains=LIGNE 1999 (folded)", {"name__contains": "LIGNE 1999"}),
    ("q=ligne 12345 e (3 words)", {"q": "ligne 12345 e"}),
    ("order=-value,day", {"order": "-value,day"}),
    (
        "group_by=day&aggregate=avg:value",
        {"group_by": "day", "aggregate": "avg:value,max:value"},
    ),
    ("facet=day,name (10 values)", {"facet": "day,name", "limit": "1"}),
    ("near=4.9,50.5,5000", {"near": "4.9,50.5,5000"}),
    (
        "or.a.value__lt=10&or.a.day=2021-01-01&count=true",
        {"or.a.value__lt": "10", "or.a.day": "2021-01-01", "count": "true"},
    ),
]


def fill_postgresql(url: str, count: int) -> None:
    engine = create_engine(url.replace("+asyncpg", "+psycopg"))
    metadata.drop_all(engine)
    with engine.begin() as connection:  # what Bocage's first migration creates
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    engine.dispose()
    prepare_url(url.replace("+asyncpg", "+psycopg"), count)


def prepare_url(url: str, count: int) -> None:
    import datetime as dt

    engine = create_engine(url)
    metadata.create_all(engine)
    start = dt.date(2020, 1, 1)
    with engine.begin() as connection:
        for offset in range(0, count, 50_000):
            connection.execute(
                rows_table.insert(),
                [
                    {
                        "id": i + 1,
                        "name": f"ligne {i} é",
                        "value": i / 7,
                        "day": start + dt.timedelta(days=i % 2000),
                        "lon": 4.5 + (i % 1000) / 1000,
                        "lat": 50.2 + (i % 700) / 1000,
                    }
                    for i in range(offset, min(count, offset + 50_000))
                ],
            )


async def run(url: str) -> None:
    from bocage.core.app import create_app
    from bocage.core.host import PluginHost
    from bocage.core.settings import load_settings

    settings = load_settings(database_url=url, auto_migrate=False, rate_limit="off")
    app = create_app(settings, host=PluginHost(settings, extra=[("bench", Bench())]))
    path = "/api/opendata/datasets/bench-rows/records"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, params in QUERIES:
                times = []
                for _ in range(3):
                    began = time.perf_counter()
                    response = await client.get(path, params=params)
                    times.append(time.perf_counter() - began)
                    assert response.status_code == 200, response.text
                print(f"{statistics.median(times) * 1000:8.0f} ms  {label}")
            began = time.perf_counter()
            response = await client.get(path, params={"order": "-value,day", "limit": "1000"})
            for _ in range(49):
                response = await client.get(response.json()["next"])
            print(
                f"{(time.perf_counter() - began) * 1000 / 50:8.0f} ms  "
                "order=-value,day: each of 50 pages of 1000"
            )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    if len(sys.argv) > 2:
        url = sys.argv[2]
        fill_postgresql(url, count)
    else:
        path = str(Path(tempfile.mkdtemp()) / "bench.db")
        prepare(path, count)
        url = f"sqlite+aiosqlite:///{path}"
    print(f"{count:,} rows, {url.split(':')[0]}")
    asyncio.run(run(url))


if __name__ == "__main__":
    main()
