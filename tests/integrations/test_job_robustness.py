"""The worker under faults, on both engines: no payload in the logs, a stop is honoured in
every phase (start-up, burst), procrastinate's worker is restarted after it raised, jobs whose
outcome was lost are queued again."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
from typing import Any

from sqlalchemy import text

from bocage.core.api import JobContext, JobKind, enqueue_email, enqueue_job, hookimpl


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Counting:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.done: list[int] = []

    async def take(self, context: JobContext, payload: dict[str, Any]) -> None:
        await asyncio.sleep(self.delay)
        self.done.append(payload["n"])

    @hookimpl
    def bocage_jobs(self) -> list[JobKind]:
        return [JobKind("tests.count", self.take, max_attempts=3, description="For tests.")]


async def _world(kit: Any, databases: Any, url: str, make_settings: Any, **over: Any) -> Any:
    plugin = Counting()
    world = await kit.make_world(databases, url, make_settings, extra=(("count", plugin),), **over)
    world.plugin = plugin
    return world


async def test_a_dead_emails_address_is_in_no_log_record(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    world = await kit.make_world(
        databases,
        small_demo_url,
        make_settings,
        jobs_max_attempts=1,
        smtp_host="127.0.0.1",
        smtp_port=_free_port(),  # nothing listens: the e-mail fails for good
        smtp_tls="none",
        mail_from="gal@example.be",
    )
    try:
        async with world.sessionmaker() as session, session.begin():
            await enqueue_email(
                session, to="ann.secret@example.be", subject="Diagnosis", text="Private text"
            )
        async with kit.running_worker(world):

            async def dead() -> bool:
                return [j.status for j in await world.jobs(kind="email.send")] == ["dead"]

            await kit.wait_for(dead)
        [job] = await world.jobs(kind="email.send")
        records = caplog.records
        # The failure is logged (Bocage's own line), without the payload.
        assert any(f"job {job.id} (email.send) is dead" in r.getMessage() for r in records), [
            r.getMessage() for r in records
        ]
        if world.on_procrastinate:  # procrastinate's own lines are there, redacted
            assert any(
                f"email.send[{job.id}](…)" in r.getMessage()
                for r in records
                if r.name.startswith("procrastinate")
            )
        for record in records:
            if record.name == "aiosqlite":  # the SQLite driver's SQL trace (parameters and all)
                continue
            shown = f"{record.getMessage()} {record.__dict__}"
            assert "ann.secret" not in shown, shown
            assert "Private text" not in shown, shown
    finally:
        await world.engine.dispose()


async def test_burst_honours_stop(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    from bocage.core.jobs.worker import Worker

    world = await _world(kit, databases, small_demo_url, make_settings)
    world.plugin.delay = 0.05
    try:
        async with world.sessionmaker() as session, session.begin():
            for n in range(15):
                await enqueue_job(session, "tests.count", {"n": n})
        worker = Worker(world.settings, world.host, world.engine, concurrency=1)
        task = asyncio.create_task(worker.run(burst=True))
        await kit.wait_for(lambda: len(world.plugin.done) >= 1)
        worker.stop()
        await asyncio.wait_for(task, 5)
        assert 1 <= len(world.plugin.done) < 15
    finally:
        await world.engine.dispose()


async def test_a_worker_failing_at_start_up_stops_when_asked(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any, monkeypatch: Any
) -> None:
    """Procrastinate's worker raising at start-up (the database away) neither hangs `run()`
    nor ends it: it starts again until stopped. (The table queue has no start-up step: there
    the same stop must simply be honoured.)"""
    from bocage.core.jobs.worker import Worker

    world = await _world(kit, databases, small_demo_url, make_settings)
    calls: list[int] = []
    if world.on_procrastinate:
        from procrastinate.manager import JobManager

        async def boom(self: Any, *args: Any, **kwargs: Any) -> int:
            calls.append(1)
            raise ConnectionError("database went away during start-up")

        monkeypatch.setattr(JobManager, "register_worker", boom)
    try:
        worker = Worker(world.settings, world.host, world.engine)
        task = asyncio.create_task(worker.run())
        if world.on_procrastinate:
            await kit.wait_for(lambda: len(calls) >= 2)  # restarted after the failure
        else:
            await asyncio.sleep(0.2)
        assert not task.done()
        worker.stop()
        await asyncio.wait_for(task, 1)
    finally:
        await world.engine.dispose()


async def test_the_worker_goes_on_after_its_run_raised(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any, monkeypatch: Any
) -> None:
    """A long database outage makes procrastinate's `Worker.run` raise: `bocage worker` starts
    a fresh one and runs the jobs queued later. (On SQLite: one failed claim, same outcome.)"""
    world = await _world(kit, databases, small_demo_url, make_settings)
    failed: list[int] = []
    if world.on_procrastinate:
        from procrastinate import exceptions
        from procrastinate.worker import Worker as PWorker

        real = PWorker.run

        async def once(self: Any) -> None:
            if not failed:
                failed.append(1)
                raise exceptions.ConnectorException("database unreachable for too long")
            await real(self)

        monkeypatch.setattr(PWorker, "run", once)
    else:
        from bocage.core.jobs.worker import Worker

        real_claim = Worker.claim

        async def once_claim(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not failed:
                failed.append(1)
                raise ConnectionError("database unreachable")
            return await real_claim(self, *args, **kwargs)

        monkeypatch.setattr(Worker, "claim", once_claim)
    try:
        async with kit.running_worker(world):
            await kit.wait_for(lambda: bool(failed))
            async with world.sessionmaker() as session, session.begin():
                await enqueue_job(session, "tests.count", {"n": 7})
            await kit.wait_for(lambda: world.plugin.done == [7])
    finally:
        await world.engine.dispose()


async def test_a_job_whose_outcome_was_lost_runs_again(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    """A job left running long past any handler's limit, its worker alive (PostgreSQL: a fresh
    heartbeat; SQLite: a lease that ran out), is queued again and runs."""
    from bocage.core.jobs.worker import Worker

    world = await _world(kit, databases, small_demo_url, make_settings)
    try:
        async with world.sessionmaker() as session, session.begin():
            job = await enqueue_job(session, "tests.count", {"n": 1})
        await world.orphan(job.id)
        if world.on_procrastinate:
            long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
            async with world.sessionmaker() as session, session.begin():
                await session.execute(
                    text(
                        "UPDATE procrastinate_workers SET last_heartbeat = NOW() "
                        "WHERE id = (SELECT worker_id FROM procrastinate_jobs WHERE id = :id)"
                    ),
                    {"id": job.id},
                )
                await session.execute(
                    text(
                        "INSERT INTO procrastinate_events (job_id, type, at) "
                        "VALUES (:id, 'started', :at)"
                    ),
                    {"id": job.id, "at": long_ago},
                )
            worker = Worker(world.settings, world.host, world.engine)
            # A job of a live worker that started recently is left alone...
            async with world.sessionmaker() as session, session.begin():
                await session.execute(
                    text(
                        "UPDATE procrastinate_events SET at = NOW() "
                        "WHERE job_id = :id AND type = 'started'"
                    ),
                    {"id": job.id},
                )
            assert await worker.retry_stalled() == 0
            async with world.sessionmaker() as session, session.begin():
                await session.execute(
                    text(
                        "UPDATE procrastinate_events SET at = :at "
                        "WHERE job_id = :id AND type = 'started'"
                    ),
                    {"id": job.id, "at": long_ago},
                )
            # ... one that started long ago is queued again.
            assert await worker.retry_stalled() == 1
            assert [j.status for j in await world.jobs(id=job.id)] == ["queued"]
        async with kit.running_worker(world):
            await kit.wait_for(lambda: world.plugin.done == [1])
        assert [j.status for j in await world.jobs(id=job.id)] == ["succeeded"]
    finally:
        await world.engine.dispose()


async def test_a_stale_retry_leaves_a_job_another_worker_runs(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    """The stalled-job pass re-checks staleness as it updates: a job taken again by a live
    worker stays running (SQLite: a claimed job with a live lease is not claimed again)."""
    from bocage.core.jobs.worker import Worker

    world = await _world(kit, databases, small_demo_url, make_settings, jobs_lease_seconds=30.0)
    world.plugin.delay = 1.0
    try:
        async with world.sessionmaker() as session, session.begin():
            job = await enqueue_job(session, "tests.count", {"n": 1})
        async with kit.running_worker(world):

            async def running() -> bool:
                return [j.status for j in await world.jobs(id=job.id)] == ["running"]

            await kit.wait_for(running)
            other = Worker(world.settings, world.host, world.engine)
            if world.on_procrastinate:
                assert await other.retry_stalled() == 0
            else:
                assert await other.claim(1) == []
            assert await running()
        assert world.plugin.done == [1]
    finally:
        await world.engine.dispose()
