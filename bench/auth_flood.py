"""Latency of an innocent request while /oauth/token is flooded with wrong client secrets.

A script that prints figures, not a test. It creates an SQLite database in a temporary folder
and an OAuth2 client (``bocage clients create``), starts uvicorn on 127.0.0.1 with
``bocage.core.app:app_factory``, measures the latency of ``POST /graphql {__typename}`` alone,
then again while another process sends ``--flood`` concurrent token requests with a wrong
secret, and prints p50/p95/max of both, and how the flood was answered.

    .venv/bin/python bench/auth_flood.py                       # default settings
    .venv/bin/python bench/auth_flood.py --flood 880 --env BOCAGE_AUTH_FAILURE_LIMIT=off

``--env NAME=VALUE`` (repeatable) sets a server setting; the rate limit is off unless set.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
PROBE = {"query": "{ __typename }"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def probe(
    base: str, seconds: float, until: Callable[[], bool] = lambda: True, interval: float = 0.05
) -> list[float]:
    """Latencies in ms of sequential probes at least, then until ``until()``."""
    latencies = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        end = time.monotonic() + seconds
        while time.monotonic() < end or not until():
            start = time.perf_counter()
            response = await http.post("/graphql", json=PROBE)
            latencies.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
            await asyncio.sleep(interval)
    return latencies


def flood(base: str, client_id: str, count: int, results: multiprocessing.Queue) -> None:
    async def run() -> None:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:

            async def one() -> int:
                response = await http.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(client_id, "wrong-secret"),
                )
                return response.status_code

            start = time.perf_counter()
            statuses = await asyncio.gather(*(one() for _ in range(count)))
            results.put((dict(collections.Counter(statuses)), time.perf_counter() - start))

    asyncio.run(run())


def summary(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{name}: n={len(ordered)} p50={statistics.median(ordered):.1f} ms "
        f"p95={p95:.1f} ms max={ordered[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=880, help="wrong-secret requests at once")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE server setting")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "BOCAGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db"}
        env.setdefault("BOCAGE_RATE_LIMIT", "off")
        env["BOCAGE_JOBS_IN_PROCESS"] = "off"
        env["BOCAGE_LOG_LEVEL"] = "warning"
        for item in args.env:
            name, _, value = item.partition("=")
            env[name] = value
        created = subprocess.run(
            [BIN / "bocage", "clients", "create", "--name", "bench", "--scope", "projects:write"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        client_id = re.search(r"client_id: (\S+)", created.stdout)[1]  # type: ignore[index]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [BIN / "uvicorn", "--factory", "bocage.core.app:app_factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--limit-concurrency", "10000",
             "--backlog", "4096"],
            env=env,
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            idle = asyncio.run(probe(base, 3))
            spawn = multiprocessing.get_context("spawn")  # no fork of a process with threads
            results: multiprocessing.Queue = spawn.Queue()
            flooder = spawn.Process(target=flood, args=(base, client_id, args.flood, results))
            flooder.start()
            time.sleep(0.3)  # let the flood arrive
            loaded = asyncio.run(probe(base, 1, until=lambda: not flooder.is_alive()))
            flooder.join()
            statuses, seconds = results.get(timeout=10)
        finally:
            server.terminate()
            server.wait()
    print(f"settings: {' '.join(args.env) or '(defaults)'}; flood of {args.flood}")
    print(summary("idle   ", idle))
    print(summary("flooded", loaded))
    print(f"flood answers: {statuses} in {seconds:.1f} s")


if __name__ == "__main__":
    main()
