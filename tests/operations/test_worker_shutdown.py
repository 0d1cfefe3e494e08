"""BOCAGE_JOBS_SHUTDOWN_TIMEOUT_SECONDS: once a worker is asked to stop, a job that ends within
the timeout completes; one still running at the timeout is handed back to the queue (queued,
its attempt not counted) and the next worker completes it."""

from __future__ import annotations

import asyncio
from typing import Any

from bocage.core import migrate
from bocage.core.api import JobContext, JobKind, hookimpl
from bocage.core.db import create_engine, sessionmaker
from bocage.core.host import PluginHost
from bocage.core.jobs import enqueue_job, list_jobs
from bocage.core.jobs.worker import Worker
from bocage.core.testing import settings_for

started: dict[str, asyncio.Event] = {}
release: dict[str, asyncio.Event] = {}
attempts: dict[str, list[int]] = {}


async def gated(context: JobContext, payload: dict[str, Any]) -> None:
    name = payload["name"]
    attempts.setdefault(name, []).append(context.attempt)
    started[name].set()
    await release[name].wait()


class Gated:
    BOCAGE_REQUIRES = ">=1.0,<2"

    @staticmethod
    @hookimpl
    def bocage_jobs() -> list[JobKind]:
        return [JobKind(name="ops.gated", handler=gated)]


async def _statuses(engine: Any) -> dict[str, tuple[str, int]]:
    async with sessionmaker(engine)() as session:
        jobs = await list_jobs(session, kind="ops.gated", limit=10)
    return {job.payload["name"]: (job.status, job.attempts) for job in jobs}


async def test_within_the_timeout_completes_beyond_it_is_handed_back(
    empty_database_url: str,
) -> None:
    settings = settings_for(
        empty_database_url, jobs_shutdown_timeout_seconds=5, jobs_poll_interval=0.1
    )
    engine = create_engine(settings)
    host = PluginHost(settings, extra=[("gated", Gated)])
    for name in ("under", "over"):
        started[name], release[name] = asyncio.Event(), asyncio.Event()
    try:
        await migrate.upgrade(engine, host)
        async with sessionmaker(engine)() as session, session.begin():
            for name in ("under", "over"):
                await enqueue_job(session, "ops.gated", {"name": name})
        worker = Worker(settings, host, engine, concurrency=2)
        running = asyncio.create_task(worker.run())
        await asyncio.wait_for(asyncio.gather(started["under"].wait(), started["over"].wait()), 60)

        worker.stop()
        release["under"].set()  # ends within the timeout; "over" outlasts it
        await asyncio.wait_for(running, 60)
        assert await _statuses(engine) == {"under": ("succeeded", 1), "over": ("queued", 0)}

        release["over"].set()
        await asyncio.wait_for(Worker(settings, host, engine).run(burst=True), 60)
        assert await _statuses(engine) == {"under": ("succeeded", 1), "over": ("succeeded", 1)}
        assert attempts == {"under": [1], "over": [1, 1]}
    finally:
        attempts.clear()
        await engine.dispose()
