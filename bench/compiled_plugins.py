"""The plugins' public lists, compiled to SQL or answered by resolvers: in-process timing.

For each engine: a fresh database with the demo data and ``--events`` more published events
(each with 5 agenda items, 3 speakers of which one private, 6 registrations), then the same
query posted ``--requests`` times (after a warm-up) to two apps over that database, one with
the read compiler (``BOCAGE_GRAPHQL_COMPILE``) and one without; neither checks the other.
Prints ms per request (mean and median) and statements per request.

    .venv/bin/python bench/compiled_plugins.py                      # both engines
    .venv/bin/python bench/compiled_plugins.py --engine sqlite --requests 500

PostgreSQL: the database ``bocage_bench_plugins`` at ``--pg-url`` is dropped and recreated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bocage.core import migrate
from bocage.core.app import create_app
from bocage.core.db import create_engine
from bocage.core.host import PluginHost
from bocage.core.models import Commune
from bocage.core.seed import seed_all
from bocage.core.settings import load_settings

QUERIES = {
    "agenda: workshopsEvents(first: 20)": """{ workshopsEvents(first: 20) { edges { node {
        id title kind startsAt endsAt address commune capacity seatsLeft
        agenda { startsAt endsAt title speaker { name organisation } } } } } }""",
    "surveys(first: 20)": """{ surveys(first: 20) { edges { node {
        id title intro status opensOn closesOn audienceKinds } } } }""",
    "opendataDatasets": """{ opendataDatasets { identifier title theme
        keywords formats fields { name type } recordsPath issued } }""",
}


async def fill(url: str, events: int) -> None:
    """Migrate, seed the demo, then add ``events`` published events with their agenda."""
    from bocage.plugins.workshops.models import AgendaItem, Event, Registration, Speaker

    settings = load_settings(database_url=url)
    engine = create_engine(settings)
    host = PluginHost(settings)
    await migrate.upgrade(engine, host)
    await seed_all(engine, host)
    start = dt.datetime(2030, 1, 6, 8, tzinfo=dt.UTC)
    async with engine.begin() as connection:
        communes = list((await connection.execute(select(Commune.id).limit(20))).scalars())
        for n in range(events):
            starts = start + dt.timedelta(days=n, minutes=7 * n)
            stamp = {"created_at": starts, "updated_at": starts, "version": 1}
            event_id = (
                await connection.execute(
                    insert(Event)
                    .values(
                        uid=f"bench-{n}@workshops.bocage",
                        sequence=0,
                        kind="training",
                        status="published",
                        title={"fr": f"Formation {n}", "nl": f"Opleiding {n}"},
                        description={"fr": "Une matinée de formation."},
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(hours=3),
                        address="Maison des associations",
                        commune_id=communes[n % len(communes)],
                        audiences=["associations"],
                        partner_ids=[],
                        series="Bench",
                        capacity=30,
                        **stamp,
                    )
                    .returning(Event.id)
                )
            ).scalar_one()
            speakers = []
            for position in range(3):
                speakers.append(
                    (
                        await connection.execute(
                            insert(Speaker)
                            .values(
                                event_id=event_id,
                                name=f"Intervenant {position}",
                                role={"fr": "Formateur"},
                                organisation="GAL",
                                public=position < 2,
                                position=position,
                            )
                            .returning(Speaker.id)
                        )
                    ).scalar_one()
                )
            await connection.execute(
                insert(AgendaItem),
                [
                    {
                        "event_id": event_id,
                        "starts_at": starts + dt.timedelta(minutes=30 * i),
                        "ends_at": starts + dt.timedelta(minutes=30 * i + 25),
                        "title": {"fr": f"Point {i}"},
                        "speaker_id": speakers[i % 3] if i < 4 else None,
                    }
                    for i in range(5)
                ],
            )
            await connection.execute(
                insert(Registration),
                [
                    {
                        "event_id": event_id,
                        "status": "confirmed" if i < 5 else "waitlisted",
                        "cancel_token_hash": f"{n:08d}{i:056d}",
                        "check_in_code": f"C{i:07d}",
                        "language": "fr",
                        "created_at": starts,
                        "updated_at": starts,
                    }
                    for i in range(6)
                ],
            )
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


class Counter:
    """The statements an engine runs while active."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.count = engine.sync_engine, 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> Counter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


async def measure(url: str, requests: int) -> None:
    """Both apps live at once, their requests interleaved (so that a busy machine slows both
    alike)."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for path, compiled in (("compiled", True), ("resolvers", False)):
            settings = load_settings(
                database_url=url,
                graphql_compile=compiled,
                graphql_compile_check=False,
                rate_limit="off",
            )
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url="http://b")
            clients[path] = (app, await stack.enter_async_context(client))
        for name, query in QUERIES.items():
            body = {"query": query}
            answers, timings, statements = {}, {p: [] for p in clients}, dict.fromkeys(clients, 0)
            for path, (_app, client) in clients.items():
                for _ in range(20):  # warm-up: statement cache, pools, parser cache
                    response = await client.post("/graphql", json=body)
                    assert response.status_code == 200 and b'"errors"' not in response.content
                answers[path] = response.content
            for _ in range(requests):
                for path, (app, client) in clients.items():
                    with Counter(app.state.engine) as counter:
                        started = time.perf_counter()
                        await client.post("/graphql", json=body)
                        timings[path].append((time.perf_counter() - started) * 1000)
                    statements[path] += counter.count
            same = answers["compiled"] == answers["resolvers"]
            print(f"  {name}: {len(answers['compiled'])} bytes, same answer: {same}")
            for path, values in timings.items():
                print(
                    f"    {path:9} {statistics.mean(values):6.2f} ms/request "
                    f"(median {statistics.median(values):6.2f}), "
                    f"{statements[path] / requests:.0f} statements"
                )


async def pg_admin(url: str, *statements: str) -> None:
    admin = create_async_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/bocage_bench_plugins"
    )
    args = parser.parse_args()
    if args.engine in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await fill(url, args.events)
            print(f"SQLite ({args.events} extra events, {args.requests} requests each)")
            await measure(url, args.requests)
    if args.engine in ("postgresql", "both"):
        name = make_url(args.pg_url).database
        assert name and name.startswith("bocage_bench"), "the database is dropped: bocage_bench*"
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        await pg_admin(args.pg_url, drop, f'CREATE DATABASE "{name}"')
        try:
            await fill(args.pg_url, args.events)
            print(f"PostgreSQL ({args.events} extra events, {args.requests} requests each)")
            await measure(args.pg_url, args.requests)
        finally:
            await pg_admin(args.pg_url, drop)


if __name__ == "__main__":
    asyncio.run(main())
