"""Interleaved A/B runs on a kept SQLite bench database: Bocage (this code), Bocage from
another revision (``--baseline``, a folder holding its package as ``bocage/``, e.g. from
``git archive``) and the floor, all started once, then loaded in turns, round after round, the
order rotated each round, so that a shared machine's load falls on each alike. Prints, per
round, req/s and the server's CPU time per request, and each one's ratio to the floor of the
same round. A script that prints figures, not a test.

    .venv/bin/python bench/run.py --engine sqlite --keep ...   # prints the database's path
    git archive main core migrations plugins | tar -x -C /tmp/base/bocage
    .venv/bin/python bench/ab_sqlite.py /tmp/bocage_bench_XXXX/bench.db --baseline /tmp/base
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402
from queries import REFERENCES, Facts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path, help="a bench database (bench/run.py --keep)")
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        help="another revision's package folder, as PATH or NAME=PATH (repeatable)",
    )
    parser.add_argument("--variants", default="", help="also these bench/run.py variants")
    parser.add_argument("--queries", default="projects,events")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--nis-code", default="57081", help="the commune query's variable")
    args = parser.parse_args()
    url = f"sqlite+aiosqlite:///{args.database.resolve()}"
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    facts = Facts(args.nis_code, now)
    starts: dict[str, Any] = {"bocage": run.bocage_server()}
    for baseline in args.baseline:
        name, _, folder = baseline.rpartition("=")
        name = name or "baseline"
        run.VARIANTS[name] = ({"PYTHONPATH": str(Path(folder).resolve())}, [])
        starts[name] = run.bocage_server(name)
    for variant in filter(None, args.variants.split(",")):
        starts[variant] = run.bocage_server(variant)
    starts["floor"] = run.floor_server
    names = args.queries.split(",")
    figures: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        workdir = Path(folder)
        servers = {
            name: stack.enter_context(run.running(start(url, workdir)))
            for name, start in starts.items()
        }
        print(f"{run.platform.python_version()}, load average {run.os.getloadavg()[0]:.1f}")
        for number in range(args.rounds):
            order = list(servers)
            order = order[number % len(order) :] + order[: number % len(order)]
            for query in names:
                request = run.bocage_request(REFERENCES[query], facts)
                measured: dict[str, Any] = {}
                for name in order:
                    server = servers[name]
                    run.wrk_load(server.url, request, args.concurrency, 1.0, workdir)
                    with run.CpuMeter(server.pid, None) as meter:
                        result = run.wrk_load(
                            server.url, request, args.concurrency, args.duration, workdir
                        )
                    meter.per_request(result)
                    measured[name] = result
                floor = measured["floor"].rps
                for name, result in measured.items():
                    ratio = result.rps / floor if floor else 0.0
                    figures.setdefault((query, name), []).append(
                        (result.rps, result.server_cpu_ms or 0.0, ratio)
                    )
                    print(
                        f"round {number + 1} {query:<9} {name:<10} c={args.concurrency} "
                        f"{result.rps:8.1f} req/s  p99 {result.p99_ms:6.1f} ms  CPU/req "
                        f"{result.server_cpu_ms or 0:5.2f} ms  /floor {ratio:.2f}x  "
                        f"fail {result.failures}",
                        flush=True,
                    )
        print(f"load average {run.os.getloadavg()[0]:.1f}")
    print("\nmedians over the rounds")
    for (query, name), rows in figures.items():
        rps, cpu, ratio = (statistics.median(column) for column in zip(*rows, strict=True))
        print(f"{query:<9} {name:<10} {rps:8.1f} req/s  CPU/req {cpu:5.2f} ms  /floor {ratio:.2f}x")


if __name__ == "__main__":
    main()
