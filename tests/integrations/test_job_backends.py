"""The queue under the interface: procrastinate on PostgreSQL, the ``job`` table on SQLite.

Each test runs on both engines and checks, in the queue's own tables, what the interface
promises: a job deferred in a transaction that rolls back never exists, the worker runs a
plugin's job from that engine's queue, a job failing every attempt ends in the dead-letter state
(procrastinate's ``failed``) and an administrator's replay runs it again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from bocage.core.api import JobContext, JobKind, enqueue_job, hookimpl
from bocage.core.jobs import job_counts

REPLAY = """mutation($id: ID!) { replayJob(id: $id) {
  job { status attempts lastError } errors { code message } } }"""


class Sampler:
    """A plugin with one job kind that fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.failing = False
        self.calls: list[tuple[int, dict[str, Any]]] = []

    async def take(self, context: JobContext, payload: dict[str, Any]) -> None:
        self.calls.append((context.attempt, payload))
        if self.failing:
            raise RuntimeError(f"sampler jammed (attempt {context.attempt})")

    @hookimpl
    def bocage_jobs(self) -> list[JobKind]:
        return [JobKind("tests.sample", self.take, max_attempts=2, description="For tests.")]


async def _world(kit: Any, databases: Any, small_demo_url: str, make_settings: Any) -> Any:
    plugin = Sampler()
    world = await kit.make_world(
        databases, small_demo_url, make_settings, extra=(("sampler", plugin),)
    )
    world.plugin = plugin
    return world


async def _raw(world: Any, job_id: int | None = None) -> list[tuple[Any, ...]]:
    """The queue's own rows: (id, kind, status, attempts), in the engine's vocabulary."""
    if world.on_procrastinate:
        query = "SELECT id, task_name, status::text, attempts FROM procrastinate_jobs"
    else:
        query = "SELECT id, kind, status, attempts FROM job"
    if job_id is not None:
        query += f" WHERE id = {int(job_id)}"
    async with world.sessionmaker() as session:
        return [tuple(row) for row in (await session.execute(text(query + " ORDER BY id"))).all()]


async def test_a_job_deferred_in_a_rolled_back_transaction_never_exists(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    world = await _world(kit, databases, small_demo_url, make_settings)
    try:
        with pytest.raises(RuntimeError):
            async with world.sessionmaker() as session, session.begin():
                job = await enqueue_job(session, "tests.sample", {"n": 1})
                # Deferred on the caller's own connection: visible inside its transaction...
                table = "procrastinate_jobs" if world.on_procrastinate else "job"
                inside = await session.execute(
                    text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": job.id}
                )
                assert inside.scalar_one() == 1
                raise RuntimeError("the change failed")
        assert await _raw(world) == []  # ... and gone with it.
        from bocage.core.jobs.worker import Worker

        await Worker(world.settings, world.host, world.engine).run(burst=True)
        assert world.plugin.calls == []
    finally:
        await world.engine.dispose()


async def test_the_worker_runs_a_plugin_job_from_the_engines_queue(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    from bocage.core.jobs.procrastinate_backend import ProcrastinateWorker
    from bocage.core.jobs.worker import Worker

    world = await _world(kit, databases, small_demo_url, make_settings)
    try:
        async with world.sessionmaker() as session, session.begin():
            job = await enqueue_job(session, "tests.sample", {"n": 2})
        worker = Worker(world.settings, world.host, world.engine)
        assert isinstance(worker, ProcrastinateWorker) is world.on_procrastinate
        await worker.run(burst=True)
        assert world.plugin.calls == [(1, {"n": 2})]
        assert await _raw(world, job.id) == [(job.id, "tests.sample", "succeeded", 1)]
        async with world.sessionmaker() as session:
            counts = await job_counts(session)
        assert counts == {"queued": 0, "running": 0, "succeeded": 1, "dead": 0}
    finally:
        await world.engine.dispose()


async def test_unless_queued_adds_no_second_job_for_the_same_work(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    from bocage.core.jobs.worker import Worker

    world = await _world(kit, databases, small_demo_url, make_settings)
    try:
        async with world.sessionmaker() as session, session.begin():
            first = await enqueue_job(session, "tests.sample", {"n": 1}, unless_queued=True)
        async with world.sessionmaker() as session, session.begin():
            again = await enqueue_job(session, "tests.sample", {"n": 1}, unless_queued=True)
            other = await enqueue_job(session, "tests.sample", {"n": 2}, unless_queued=True)
            plain = await enqueue_job(session, "tests.sample", {"n": 1})  # not asked: added
        assert again.id == first.id
        assert len({first.id, other.id, plain.id}) == 3
        await Worker(world.settings, world.host, world.engine).run(burst=True)
        assert sorted(p["n"] for _, p in world.plugin.calls) == [1, 1, 2]
        # Once run, the same work may be queued again.
        async with world.sessionmaker() as session, session.begin():
            later = await enqueue_job(session, "tests.sample", {"n": 1}, unless_queued=True)
        assert later.id not in {first.id, plain.id}
        assert [row[2] for row in await _raw(world, later.id)] == [
            "todo" if world.on_procrastinate else "queued"
        ]
    finally:
        await world.engine.dispose()


async def test_a_failing_job_retries_then_is_dead_and_an_administrator_replays_it(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    world = await _world(kit, databases, small_demo_url, make_settings)
    dead_status = "failed" if world.on_procrastinate else "dead"
    try:
        world.plugin.failing = True
        async with world.sessionmaker() as session, session.begin():
            job = await enqueue_job(session, "tests.sample", {"n": 3})
        async with kit.running_worker(world):

            async def dead() -> bool:
                return [row[2] for row in await _raw(world, job.id)] == [dead_status]

            await kit.wait_for(dead)
        assert [attempt for attempt, _ in world.plugin.calls] == [1, 2]  # the kind's two
        [listed] = await world.jobs(status="dead")
        assert (listed.id, listed.attempts) == (job.id, 2)
        assert listed.last_error == "RuntimeError: sampler jammed (attempt 2)"

        world.plugin.failing = False
        run = kit.runner(world)
        replayed = (await run(REPLAY, {"id": kit.gid("Job", job.id)}, principal=kit.admin()))[
            "data"
        ]["replayJob"]
        assert replayed["errors"] == []
        assert replayed["job"]["status"] == "QUEUED" and replayed["job"]["attempts"] == 0
        queued = "todo" if world.on_procrastinate else "queued"
        assert [row[2] for row in await _raw(world, job.id)] == [queued]
        async with kit.running_worker(world):

            async def succeeded() -> bool:
                return [j.status for j in await world.jobs(id=job.id)] == ["succeeded"]

            await kit.wait_for(succeeded)
        assert world.plugin.calls[-1] == (1, {"n": 3})  # a fresh set of attempts
        [done] = await world.jobs(id=job.id)
        assert done.attempts == 1 and done.last_error is None
        again = (await run(REPLAY, {"id": kit.gid("Job", job.id)}, principal=kit.admin()))["data"][
            "replayJob"
        ]
        assert again["errors"][0]["code"] == "NOT_FOUND"
    finally:
        await world.engine.dispose()


async def test_unfinished_jobs_of_the_table_queue_survive_the_upgrade(
    empty_database_url: str, make_settings: Any, kit: Any
) -> None:
    """A PostgreSQL install upgraded to procrastinate keeps its queued and dead jobs (SQLite
    keeps its table queue): the queued one runs, the dead one is listed and replayable."""
    import datetime as dt

    from bocage.core import migrate
    from bocage.core import models as m
    from bocage.core.db import create_engine, sessionmaker
    from bocage.core.host import PluginHost
    from bocage.core.jobs.worker import Worker

    plugin = Sampler()
    settings = make_settings(empty_database_url, **kit.FAST)
    host = PluginHost(settings, extra=(("sampler", plugin),))
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, host, "0006_external_ids")
        now = dt.datetime.now(dt.UTC)
        async with sessionmaker(engine)() as session, session.begin():
            old = [
                m.Job(
                    kind="tests.sample",
                    payload={"n": n},
                    status=status,
                    attempts=tries,
                    last_error=error,
                    run_at=now,
                )
                for n, status, tries, error in [
                    (1, "succeeded", 1, None),
                    (2, "queued", 1, "RuntimeError: once"),
                    (3, "dead", 2, "RuntimeError: twice"),
                ]
            ]
            session.add_all(old)
        await migrate.upgrade(engine, host)

        async with sessionmaker(engine)() as session:
            from bocage.core.jobs import list_jobs

            jobs = await list_jobs(session, newest_first=False)
        unfinished = [
            (j.payload, j.status, j.attempts, j.last_error) for j in jobs if j.payload["n"] > 1
        ]
        assert unfinished == [
            ({"n": 2}, "queued", 1, "RuntimeError: once"),
            ({"n": 3}, "dead", 2, "RuntimeError: twice"),
        ]
        await Worker(settings, host, engine).run(burst=True)
        assert plugin.calls == [(2, {"n": 2})]  # its second attempt
    finally:
        await engine.dispose()
