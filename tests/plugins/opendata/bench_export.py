"""Measure a streamed CSV export of a large dataset: peak RSS and throughput (not a test).

    .venv/bin/python tests/plugins/opendata/bench_export.py [rows]

Creates an SQLite database with ``rows`` rows (default 1,000,000) in a child process, then
streams ``/api/opendata/datasets/bench-rows/export.csv`` straight through the ASGI app (no
client buffering) and prints the bytes, seconds, MB/s and the peak RSS before and after.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Date, Float, Integer, MetaData, String, Table, select

metadata = MetaData()
rows_table = Table(
    "bench_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100)),
    Column("value", Float),
    Column("day", Date),
)


def prepare(path: str, count: int) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
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
                    }
                    for i in range(offset, min(count, offset + 50_000))
                ],
            )


class Bench:
    from bocage.core.api import hookimpl

    @hookimpl(optionalhook=True)
    def bocage_datasets(self):  # type: ignore[no-untyped-def]
        from bocage.plugins.opendata.datasets import Dataset, DatasetField, FieldType, Theme

        return [
            Dataset(
                identifier="bench-rows",
                title={"fr": "Banc d'essai"},
                description={"fr": "Lignes générées."},
                theme=Theme.TECH,
                fields=(
                    DatasetField("id", FieldType.INTEGER),
                    DatasetField("name", FieldType.STRING),
                    DatasetField("value", FieldType.NUMBER),
                    DatasetField("day", FieldType.DATE),
                ),
                query=select(rows_table),
            )
        ]


async def measure(path: str) -> None:
    from bocage.core.app import create_app
    from bocage.core.host import PluginHost
    from bocage.core.settings import load_settings

    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{path}", auto_migrate=False, rate_limit="off"
    )
    app = create_app(settings, host=PluginHost(settings, extra=[("bench", Bench())]))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    received = 0
    status = 0

    requested = False
    never = asyncio.Event()

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal requested
        if requested:  # the client stays connected: wait (StreamingResponse listens)
            await never.wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        nonlocal received, status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            received += len(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/opendata/datasets/bench-rows/export.csv",
        "raw_path": b"/api/opendata/datasets/bench-rows/export.csv",
        "query_string": b"",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    started = time.perf_counter()
    await app(scope, receive, send)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"status {status}: {received / 1e6:.1f} MB in {elapsed:.1f} s "
        f"({received / 1e6 / elapsed:.1f} MB/s); peak RSS {before / 1024:.0f} MiB before, "
        f"{after / 1024:.0f} MiB after"
    )


def main() -> None:
    if sys.argv[1:2] == ["prepare"]:
        prepare(sys.argv[2], int(sys.argv[3]))
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.db")
        subprocess.run([sys.executable, __file__, "prepare", path, str(count)], check=True)
        asyncio.run(measure(path))


if __name__ == "__main__":
    main()
