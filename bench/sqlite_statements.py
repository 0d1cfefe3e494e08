"""The SQLite statements of the reference queries alone, in process: Bocage's compiled
statement (as the fast path runs it, on a ``sqlite3`` connection with Bocage's functions) against
the floor's (``bench/queries.py``), the CPU time of each run (``thread_time``), alternately, and
their query plans. A script that prints figures, not a test.

    .venv/bin/python bench/run.py --engine sqlite --keep ...   # prints the database's path
    .venv/bin/python bench/sqlite_statements.py /tmp/bocage_bench_XXXX/bench.db --runs 500
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import sqlite3
import statistics
import sys
from pathlib import Path
from time import thread_time
from typing import Any

import httpx
import orjson

from bocage.core.app import create_app
from bocage.core.settings import load_settings
from bocage.core.sqlite_functions import register_sqlite_functions

sys.path.insert(0, str(Path(__file__).parent))
from queries import REFERENCES, Facts  # noqa: E402


def _b64(text: str | None) -> str | None:  # as bench/floor.py's
    return None if text is None else base64.b64encode(text.encode()).decode()


async def compiled(database: str, facts: Facts, names: list[str]) -> dict[str, Any]:
    """Each query's fast-path statement (``fast_path.RawStatement``), learnt as the server
    learns it: a first request by the normal path."""
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{database}", log_level="warning")
    app = create_app(settings)
    found: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name in names:
                reference = REFERENCES[name]
                body = {"query": reference.document, "variables": reference.variables(facts)}
                for _ in range(2):
                    response = await client.post("/graphql", json=body)
                    response.raise_for_status()
                plans = list(app.state.fast_path.plans.values())
                plan = plans[-1]
                assert plan.raw is not None and plan.raw[0] is not None, name
                found[name] = (plan.raw[0], response.content)
    return found


def reference_root(answer: bytes) -> str:
    """The response key of the answer's one root field."""
    return next(iter(orjson.loads(answer)["data"]))


def times(connection: sqlite3.Connection, sql: str, parameters: Any, runs: int) -> list[float]:
    spent = []
    for _ in range(runs):
        started = thread_time()
        connection.execute(sql, parameters).fetchall()
        spent.append((thread_time() - started) * 1000)
    return spent


def summary(spent: list[float]) -> str:
    spent = sorted(spent)
    p90 = spent[int(len(spent) * 0.9)]
    return f"median {statistics.median(spent):.3f} ms, p90 {p90:.3f}, max {spent[-1]:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", help="a bench database (bench/run.py --keep)")
    parser.add_argument("--queries", default="projects")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--nis-code", default="57081", help="the commune query's variable")
    parser.add_argument("--now", help="the events query's 'now' (ISO), default: this hour")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN")
    parser.add_argument("--sql", action="store_true", help="print the compiled statements")
    args = parser.parse_args()
    now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now(dt.UTC)
    facts = Facts(args.nis_code, now.replace(minute=0, second=0, microsecond=0))
    names = args.queries.split(",")
    statements = asyncio.run(compiled(args.database, facts, names))

    bocage = sqlite3.connect(args.database, isolation_level=None)
    register_sqlite_functions(bocage)
    floor = sqlite3.connect(args.database, isolation_level=None)
    floor.create_function("b64", 1, _b64, deterministic=True)
    for name in names:
        raw, answer = statements[name]
        reference = REFERENCES[name]
        floor_parameters = reference.floor_parameters(reference.variables(facts), "sqlite")
        try:
            floor_text = floor.execute(reference.floor_sqlite, floor_parameters).fetchone()[0]
        except sqlite3.Error as error:  # e.g. a --now the dataset does not fit
            print(f"{name}: the floor's statement failed ({error}): --now?")
            continue
        ours_text = bocage.execute(raw.sql, raw.parameters).fetchone()[0]
        expected = orjson.loads(floor_text)
        same = {reference_root(answer): orjson.loads(ours_text)} == expected
        served = orjson.loads(answer)["data"] == expected
        print(
            f"{name}: the same JSON as the floor's: statement {same}, fast path's answer {served}"
        )
        ours, theirs = [], []
        for _ in range(2):  # warm both, then alternate
            times(bocage, raw.sql, raw.parameters, 20)
            times(floor, reference.floor_sqlite, floor_parameters, 20)
        for _ in range(10):
            ours += times(bocage, raw.sql, raw.parameters, args.runs // 10)
            theirs += times(floor, reference.floor_sqlite, floor_parameters, args.runs // 10)
        print(f"{name}: bocage {summary(ours)}")
        print(f"{name}: floor  {summary(theirs)}")
        print(f"{name}: ratio of medians {statistics.median(theirs) / statistics.median(ours):.2f}")
        if args.sql:
            print(raw.sql, raw.parameters)
        if args.plans:
            for label, connection, sql, parameters in (
                ("bocage", bocage, raw.sql, raw.parameters),
                ("floor", floor, reference.floor_sqlite, floor_parameters),
            ):
                print(f"  -- {label}")
                for row in connection.execute("EXPLAIN QUERY PLAN " + sql, parameters):
                    print("   ", row)


if __name__ == "__main__":
    main()
