"""What a project list pays for the SDGs' titles: a script that prints figures, not a test.

It migrates and seeds the demo GAL into an SQLite file in a temporary folder, then sends each
document ``--rounds`` times in process (httpx over ASGI; POSTs, which the response cache
keeps out) and prints the median time per request, against the floor measured in the same
run: the same list selecting only the codes (``sdgs``, ``sdgTargetCodes``, answered by one
compiled statement). The ``sdgGoals``/``sdgTargets`` objects are compiled too (one statement
with them); every document is also measured on the resolvers (``BOCAGE_GRAPHQL_COMPILE=false``)
for comparison.

    .venv/bin/python bench/sdg_lists.py [--rounds 60] [--first 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bocage.core import migrate
from bocage.core.app import create_app
from bocage.core.db import create_engine
from bocage.core.host import PluginHost
from bocage.core.seed import seed_all
from bocage.core.settings import load_settings

DOCUMENTS = {
    "codes (floor)": "{{ projects(first: {n}) {{ nodes {{ id title sdgs sdgTargetCodes }} }} }}",
    "goal objects": "{{ projects(first: {n}) {{ nodes {{ id title sdgs "
    "sdgGoals {{ number shortTitle }} }} }} }}",
    "target objects": "{{ projects(first: {n}) {{ nodes {{ id title "
    "sdgTargets {{ code title goal {{ number }} }} }} }} }}",
    "reference list": "{{ sdgGoals {{ number shortTitle targets {{ code title }} }} }}",
}


async def main(rounds: int, first: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}",
            rate_limit="off",
        )
        host = PluginHost(settings)
        engine = create_engine(settings)
        await migrate.upgrade(engine, host)
        await seed_all(engine, host)
        await engine.dispose()
        times: dict[str, float] = {}
        for compiled in (True, False):
            app = create_app(settings.model_copy(update={"graphql_compile": compiled}))
            path = "" if compiled else ", resolvers"
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                    for name, template in DOCUMENTS.items():
                        body = {"query": template.format(n=first)}
                        for _ in range(3):  # warm the plan caches
                            answer = (await client.post("/graphql", json=body)).json()
                            assert "errors" not in answer, answer
                        samples = []
                        for _ in range(rounds):
                            start = time.perf_counter()
                            await client.post("/graphql", json=body)
                            samples.append(time.perf_counter() - start)
                        times[name.replace(" (floor)", "") + path if path else name] = (
                            statistics.median(samples) * 1000
                        )
    floor = times["codes (floor)"]
    print(f"{'document':<18} {'ms/request':>10} {'x floor':>8}   ({first} projects, SQLite)")
    for name, ms in times.items():
        print(f"{name:<18} {ms:>10.2f} {ms / floor:>8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--first", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.first))
