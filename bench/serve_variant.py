"""``bocage serve`` (one worker) with one of issue 12's levers turned off, to measure what it pays.

    .venv/bin/python bench/serve_variant.py --port 8002 --loop asyncio --http h11
    .venv/bin/python bench/serve_variant.py --port 8002 --no-gc-freeze
    .venv/bin/python bench/serve_variant.py --port 8002 --no-pre-ping --autocommit-reads
    .venv/bin/python bench/serve_variant.py --port 8002 --cprofile /tmp/bocage.prof
    .venv/bin/python bench/serve_variant.py --port 8002 --no-raw-reads

``--cprofile``: SIGUSR1 starts profiling the event loop's thread (cProfile, that thread's CPU time),
SIGUSR2 stops it and writes the statistics (pstats) to the file.

The database must be migrated already (``bench/run.py`` runs the migrations); settings come
from the environment (``BOCAGE_*``), as for ``bocage serve``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import signal
import time
from typing import Any

import uvicorn

from bocage.core.settings import load_settings


def patch_engine(*, pre_ping: bool, autocommit: bool) -> None:
    """Change how ``bocage.core.app`` makes its engine and sessions (measurement only: an
    autocommit session would not keep a mutation's statements in one transaction)."""
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bocage.core import app, db

    make_engine, make_sessions = db.create_engine, db.sessionmaker

    def create_engine(settings: Any) -> AsyncEngine:
        engine = make_engine(settings)
        if not pre_ping:
            engine.pool._pre_ping = False
        return engine

    def sessionmaker(engine: AsyncEngine) -> Any:
        if autocommit:
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        return make_sessions(engine)

    app.create_engine = create_engine  # type: ignore[assignment]
    app.sessionmaker = sessionmaker  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", default="auto", help="uvicorn's loop: auto (uvloop), asyncio")
    parser.add_argument("--http", default="auto", help="uvicorn's HTTP: auto (httptools), h11")
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="skip the gc.freeze() the app's start-up does",
    )
    parser.add_argument("--cprofile", help="profile between SIGUSR1 and SIGUSR2 into this file")
    parser.add_argument(
        "--no-pre-ping",
        action="store_true",
        help="PostgreSQL pool without pre-ping (the app's engine pings on every checkout)",
    )
    parser.add_argument(
        "--autocommit-reads",
        action="store_true",
        help="sessions in autocommit (no BEGIN/ROLLBACK around a read); for read-only loads",
    )
    parser.add_argument(
        "--no-raw-reads",
        action="store_true",
        help="the fast path's statements through SQLAlchemy, not asyncpg (PostgreSQL) or "
        "sqlite3 in the event loop's thread (SQLite) directly",
    )
    args = parser.parse_args()
    if args.no_raw_reads:
        from bocage.core.graphql import fast_path

        fast_path.RawReads.of = classmethod(lambda cls, *_: None)  # type: ignore[assignment]
        fast_path.SqliteReads.of = classmethod(lambda cls, *_: None)  # type: ignore[assignment]
    if args.no_pre_ping or args.autocommit_reads:
        patch_engine(pre_ping=not args.no_pre_ping, autocommit=args.autocommit_reads)
    if args.cprofile:
        profiler = cProfile.Profile(time.thread_time)

        def start(*_: Any) -> None:
            profiler.enable()

        def stop(*_: Any) -> None:
            profiler.disable()
            profiler.dump_stats(args.cprofile)

        signal.signal(signal.SIGUSR1, start)
        signal.signal(signal.SIGUSR2, stop)
    if args.no_gc_freeze:
        gc.freeze = lambda: None  # create_app's lifespan calls gc.freeze()
    uvicorn.run(
        "bocage.core.app:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        loop=args.loop,
        http=args.http,
        log_level="warning",
        # As `bocage serve`: a WebSocket message is bounded like a request body.
        ws_max_size=load_settings().max_body_bytes,
    )


if __name__ == "__main__":
    main()
