"""The long fuzzing run: schemathesis against a live ``bocage serve`` on the demo GAL, REST and
GraphQL, anonymously, as a territory admin and as a commune editor, in rounds (a new seed each)
until at least ``--requests`` requests were sent. Prints the requests sent, the server errors
with their reproductions (curl), the slow responses, the REST responses that differ from the
OpenAPI document and the GraphQL errors without an ``extensions.code``.

    .venv/bin/python tests/fuzz/long_run.py                       # SQLite, 10,000 requests
    .venv/bin/python tests/fuzz/long_run.py --engine postgresql --requests 20000

Exit code 1 if any request ended in a server error. Not part of the test suite (the short run,
``test_fuzz.py``, is); see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from fuzzing import (
    IDENTITIES,
    Outcome,
    fuzz_config,
    live_server,
    mint_tokens,
    reproduction,
    run_schemathesis,
)
from fuzzing import (
    workdir as new_workdir,
)
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bocage.core import migrate
from bocage.core.db import create_engine
from bocage.core.host import PluginHost
from bocage.core.seed import seed_all
from bocage.core.settings import load_settings

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bocage_fuzz"
PHASES = ("coverage", "fuzzing", "stateful")


def log(message: str = "") -> None:
    print(message, flush=True)


async def demo_database(engine_name: str, workdir: Path, pg_url: str) -> str:
    """A new database with the demo GAL (full scale), migrated as the server would."""
    if engine_name == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'demo.db'}"
    else:
        url = pg_url
        name = make_url(url).database or ""
        if not name.startswith("bocage_fuzz"):
            raise SystemExit("--pg-url: the database name must start with bocage_fuzz (dropped)")
        admin = create_async_engine(
            make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
    settings = load_settings(database_url=url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    await migrate.upgrade(engine, host)
    await seed_all(engine, host)
    await engine.dispose()
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--requests", type=int, default=10_000, help="at least this many")
    parser.add_argument("--rest-examples", type=int, default=50, help="per operation and round")
    parser.add_argument("--graphql-examples", type=int, default=20, help="per root field, round")
    parser.add_argument("--seed", type=int, default=1, help="of the first round (then +1)")
    parser.add_argument("--slow", type=float, default=1.0, help="seconds: a slow response")
    parser.add_argument("--max-rounds", type=int, default=20)
    args = parser.parse_args()

    workdir = new_workdir()
    started = time.monotonic()
    log(f"demo database ({args.engine}) in {workdir}")
    url = asyncio.run(demo_database(args.engine, workdir, args.pg_url))
    tokens = mint_tokens(url)
    outcomes: list[Outcome] = []
    with live_server(url, workdir) as server:
        log(f"server at {server.url} ({time.monotonic() - started:.0f} s)")
        admin = tokens["admin"]
        assert admin is not None
        config = fuzz_config(server, admin, workdir)
        seed = args.seed
        for _round in range(args.max_rounds):
            for surface in ("rest", "graphql"):
                for identity in IDENTITIES:
                    examples = args.rest_examples if surface == "rest" else args.graphql_examples
                    began = time.monotonic()
                    outcome = run_schemathesis(
                        server,
                        surface,
                        identity,
                        tokens[identity],
                        examples=examples,
                        seed=seed,
                        workdir=workdir,
                        phases=PHASES,
                        config=config,
                        slow=args.slow,
                    )
                    outcomes.append(outcome)
                    log(
                        f"seed {seed} {outcome.summary()}, "
                        f"{len(outcome.slow(args.slow))} slow, {time.monotonic() - began:.0f} s"
                    )
            if sum(o.requests for o in outcomes) >= args.requests:
                break
            seed += 1
    return report(outcomes, args.slow, time.monotonic() - started)


def report(outcomes: list[Outcome], slow: float, seconds: float) -> int:
    total = sum(o.requests for o in outcomes)
    statuses: Counter[int] = Counter()
    for outcome in outcomes:
        statuses.update(outcome.statuses)
    errors = [(o, r) for o in outcomes for r in o.server_errors]
    slow_ones = [(o, r) for o in outcomes for r in o.slow(slow)]
    log()
    log("== figures")
    log(f"requests sent: {total} in {seconds:.0f} s")
    log(f"statuses: {dict(sorted(statuses.items()))}")
    log(f"server errors (5xx, or a masked exception under a GraphQL 200): {len(errors)}")
    log(f"slow responses (> {slow:g} s): {len(slow_ones)}")
    durations = sorted(r["seconds"] for o in outcomes for r in o.responses)
    if durations:
        p50 = durations[len(durations) // 2]
        p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
        log(f"latency: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {durations[-1]:.2f} s")

    log()
    log("== server errors, by operation (one reproduction each)")
    by_operation: dict[tuple[str, int], list[tuple[Outcome, dict[str, Any]]]] = defaultdict(list)
    for outcome, response in errors:
        by_operation[(response["operation"], response["status"])].append((outcome, response))
    for (operation, status), found in sorted(by_operation.items()):
        outcome, response = found[0]
        log(f"{status} {operation}: {len(found)} (first as {outcome.identity})")
        log(f"    {reproduction(response, outcome.identity)}")
        log(f"    -> {response.get('body', '')[:200]}")
    exceptions: Counter[str] = Counter()
    for outcome in outcomes:
        # "ValueError: forbidden characters: x, y" -> "ValueError: forbidden characters"
        exceptions.update(":".join(e.split(":", 2)[:2]) for e in outcome.exceptions)
    if exceptions:
        log("exceptions in the server's log (kinds of messages):")
        for exception, count in exceptions.most_common():
            log(f"{count:6d}  {exception[:200]}")

    log()
    log(f"== slow responses (> {slow:g} s), slowest first")
    for outcome, response in sorted(slow_ones, key=lambda pair: -pair[1]["seconds"])[:20]:
        log(f"{response['seconds']:.2f} s {response['status']} {response['operation']}")
        log(f"    {reproduction(response, outcome.identity)}")

    log()
    log("== REST responses unlike the OpenAPI document, and other failed checks")
    failures: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes:
        for failure in outcome.failures:
            for operation in failure.get("operations", []):
                failures[(failure["title"], operation)] += 1
    for (title, operation), count in sorted(failures.items()):
        log(f"{title}: {operation} (in {count} runs)")

    log()
    log("== GraphQL errors without extensions.code")
    uncoded: Counter[str] = Counter()
    for outcome in outcomes:
        for response in outcome.responses:
            # by kind: what the client sent (quoted) left out
            uncoded.update(re.sub(r'"[^"]*"', '"…"', m) for m in response.get("uncoded", []))
    for message, count in uncoded.most_common(20):
        log(f"{count:6d}  {message}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
