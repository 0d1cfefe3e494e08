"""Measure streamed exports of a large dataset: peak RSS and throughput (not a test).

    .venv/bin/python tests/plugins/opendata/bench_export.py [rows] [format ...]

Creates an SQLite database with ``rows`` rows (default 1,000,000) in a child process, then,
for each format (default: csv parquet geojson), in a fresh child process so that each peak
RSS is its own, streams ``/api/opendata/datasets/bench-rows/export.<format>`` straight through
the ASGI app (no client buffering) and prints the bytes, seconds, MB/s, rows/s and the peak
RSS before and after.

The format ``upload`` instead posts a CSV of ``rows`` rows as a new version of an uploaded
dataset (validation with frictionless, rows stored in chunks) into a fresh migrated database.
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
    Column("lon", Float),
    Column("lat", Float),
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
                        "lon": 4.5 + (i % 1000) / 1000,
                        "lat": 50.2 + (i % 700) / 1000,
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
                    DatasetField("lon", FieldType.NUMBER),
                    DatasetField("lat", FieldType.NUMBER),
                ),
                query=select(rows_table),
                coordinates=("lon", "lat"),
            )
        ]


async def measure(path: str, export_format: str, count: int) -> None:
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
        "path": f"/api/opendata/datasets/bench-rows/export.{export_format}",
        "raw_path": f"/api/opendata/datasets/bench-rows/export.{export_format}".encode(),
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
        f"{export_format:8} {count} rows, status {status}: {received / 1e6:.1f} MB in "
        f"{elapsed:.1f} s ({received / 1e6 / elapsed:.1f} MB/s, {count / elapsed:,.0f} rows/s); "
        f"peak RSS {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB after"
    )


async def measure_upload(folder: str, count: int) -> None:
    import httpx

    from bocage.core.api import Principal, PrincipalKind, Role
    from bocage.core.app import create_app
    from bocage.core.settings import load_settings

    lines = ["nom,valeur,jour,lon,lat"] + [
        f"ligne {i},{i / 7:.3f},2024-01-{1 + i % 28:02d},{4.5 + i % 1000 / 1000},"
        f"{50.2 + i % 700 / 1000}"
        for i in range(count)
    ]
    body = ("\r\n".join(lines) + "\r\n").encode()
    del lines
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{folder}/upload.db",
        auto_migrate=True,
        rate_limit="off",
    )  # the upload route's own limit, BOCAGE_OPENDATA_MAX_UPLOAD_BYTES (50 MB), applies
    app = create_app(settings)
    admin = Principal(
        kind=PrincipalKind.PERSON, subject="bench", roles=frozenset({Role.TERRITORY_ADMIN})
    )

    class Admin:
        async def authenticate(self, request: object) -> Principal:
            return admin

        async def aclose(self) -> None:
            return None

    async with app.router.lifespan_context(app):
        app.state.authenticator = Admin()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            meta = {"title": {"fr": "Banc"}, "description": {"fr": "Banc."}, "theme": "TECH"}
            await client.put("/api/opendata/uploads/banc", json=meta)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            response = await client.post(
                "/api/opendata/uploads/banc/versions",
                content=body,
                headers={"Content-Type": "text/csv"},
            )
            elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"upload   {count} rows, status {response.status_code}: {len(body) / 1e6:.1f} MB in "
        f"{elapsed:.1f} s ({count / elapsed:,.0f} rows/s); peak RSS {before / 1024:.0f} MiB "
        f"before, {after / 1024:.0f} MiB after"
    )


def main() -> None:
    if sys.argv[1:2] == ["prepare"]:
        prepare(sys.argv[2], int(sys.argv[3]))
        return
    if sys.argv[1:2] == ["upload"]:
        asyncio.run(measure_upload(sys.argv[2], int(sys.argv[3])))
        return
    if sys.argv[1:2] == ["measure"]:
        asyncio.run(measure(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    formats = sys.argv[2:] or ["csv", "parquet", "geojson"]
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.db")
        subprocess.run([sys.executable, __file__, "prepare", path, str(count)], check=True)
        for export_format in formats:
            if export_format == "upload":
                subprocess.run([sys.executable, __file__, "upload", folder, str(count)], check=True)
                continue
            subprocess.run(
                [sys.executable, __file__, "measure", path, export_format, str(count)], check=True
            )


if __name__ == "__main__":
    main()
