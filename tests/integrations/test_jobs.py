"""The job queue: plugins' job kinds (``bocage_jobs``), enqueued in the caller's transaction,
retried with exponential backoff, dead after the last attempt, replayed from the CLI, taken
again after a worker died; plugins' webhook event types (``bocage_webhook_events``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any

import pytest
from sqlalchemy import select, update

from bocage.core import models as m
from bocage.core.api import (
    JobContext,
    JobKind,
    WebhookEventType,
    enqueue_email,
    enqueue_job,
    hookimpl,
)
from bocage.core.errors import PluginError
from bocage.core.host import PluginHost
from bocage.core.jobs import backoff


class FlakyPlugin:
    """Declares a job kind that fails its first ``failures`` attempts, and an event type."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[tuple[int, float, dict[str, Any]]] = []

    async def flaky(self, context: JobContext, payload: dict[str, Any]) -> None:
        self.calls.append((context.attempt, time.monotonic(), payload))
        if context.attempt <= self.failures:
            raise RuntimeError(f"attempt {context.attempt} failed")

    @hookimpl
    def bocage_jobs(self) -> list[JobKind]:
        return [JobKind("tests.flaky", self.flaky, max_attempts=3, description="For tests.")]

    @hookimpl
    def bocage_webhook_events(self) -> list[WebhookEventType]:
        return [WebhookEventType("tests.sample_taken", "A sample was taken.", "contacts:read")]


async def _world(kit: Any, databases: Any, small_demo_url: str, make_settings: Any, plugin: Any):
    return await kit.make_world(
        databases, small_demo_url, make_settings, extra=(("flaky", plugin),)
    )


async def _enqueue(world: Any, payload: dict[str, Any], **kwargs: Any) -> int:
    async with world.sessionmaker() as session, session.begin():
        job = await enqueue_job(session, "tests.flaky", payload, **kwargs)
    return job.id


async def test_a_plugin_job_is_retried_with_backoff_until_it_succeeds(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    plugin = FlakyPlugin(failures=2)
    world = await _world(kit, databases, small_demo_url, make_settings, plugin)
    try:
        job_id = await _enqueue(world, {"sample": 7})
        async with kit.running_worker(world):

            async def done() -> bool:
                return [j.status for j in await world.jobs(id=job_id)] == ["succeeded"]

            await kit.wait_for(done)
        assert [(a, p) for a, _t, p in plugin.calls] == [(n, {"sample": 7}) for n in (1, 2, 3)]
        gaps = [b[1] - a[1] for a, b in zip(plugin.calls, plugin.calls[1:], strict=False)]
        base = world.settings.jobs_retry_base_seconds
        assert gaps[0] >= 0.9 * base and gaps[1] >= 0.9 * 2 * base  # exponential
        [job] = await world.jobs(id=job_id)
        assert job.attempts == 3 and job.last_error is None and job.finished_at is not None
    finally:
        await world.engine.dispose()


def test_backoff_doubles_with_jitter_up_to_the_ceiling(make_settings: Any) -> None:
    settings = make_settings(
        "sqlite+aiosqlite:///:memory:", jobs_retry_base_seconds=10, jobs_retry_max_seconds=60
    )
    for attempt, nominal in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = [backoff(settings, attempt) for _ in range(50)]
        assert all(0.9 * nominal <= d <= 1.1 * nominal for d in delays)
        assert len(set(delays)) > 1  # jittered


async def test_a_job_dead_after_its_last_attempt_is_listed_and_replayed_from_the_cli(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any, cli: Any
) -> None:
    plugin = FlakyPlugin(failures=99)
    world = await _world(kit, databases, small_demo_url, make_settings, plugin)
    env = {"BOCAGE_DATABASE_URL": world.url}
    try:
        job_id = await _enqueue(world, {"sample": 1})
        async with kit.running_worker(world):

            async def dead() -> bool:
                return [j.status for j in await world.jobs(id=job_id)] == ["dead"]

            await kit.wait_for(dead)
        assert [a for a, _t, _p in plugin.calls] == [1, 2, 3]  # the kind's max_attempts

        listed = cli("jobs", "dead", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        [row] = json.loads(listed.stdout)
        assert (row["id"], row["kind"], row["status"], row["attempts"]) == (
            job_id,
            "tests.flaky",
            "dead",
            3,
        )
        assert row["last_error"] == "RuntimeError: attempt 3 failed"

        replayed = cli("jobs", "replay", str(job_id), env=env)
        assert replayed.returncode == 0, replayed.stderr
        assert "replayed 1 job(s)" in replayed.stdout
        again = cli("jobs", "replay", str(job_id), env=env)
        assert again.returncode != 0 and "not dead" in again.stderr

        plugin.failures = 0
        async with kit.running_worker(world):

            async def succeeded() -> bool:
                return [j.status for j in await world.jobs(id=job_id)] == ["succeeded"]

            await kit.wait_for(succeeded)
        assert json.loads(cli("jobs", "dead", "--json", env=env).stdout) == []
    finally:
        await world.engine.dispose()


async def test_jobs_are_enqueued_in_the_callers_transaction(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    plugin = FlakyPlugin()
    world = await _world(kit, databases, small_demo_url, make_settings, plugin)
    try:
        with pytest.raises(RuntimeError):
            async with world.sessionmaker() as session, session.begin():
                await enqueue_job(session, "tests.flaky", {"sample": "rolled back"})
                raise RuntimeError("the change failed")
        assert await world.jobs() == []
    finally:
        await world.engine.dispose()


async def test_jobs_survive_a_restart_and_a_dead_workers_jobs_are_taken_again(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    from bocage.core.db import create_engine, sessionmaker

    plugin = FlakyPlugin()
    world = await _world(kit, databases, small_demo_url, make_settings, plugin)
    waiting = await _enqueue(world, {"sample": "waiting"})
    orphan = await _enqueue(world, {"sample": "orphan"})
    later = await _enqueue(
        world, {"sample": "later"}, run_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    )
    # A worker took this one, then died: its lease ran out (its heartbeat stopped).
    await world.orphan(orphan)
    await world.engine.dispose()  # the server stops

    world.engine = create_engine(world.settings)  # and starts again
    world.sessionmaker = sessionmaker(world.engine)
    try:
        async with kit.running_worker(world):

            async def ran() -> bool:
                statuses = {j.id: j.status for j in await world.jobs()}
                return statuses[waiting] == statuses[orphan] == "succeeded"

            await kit.wait_for(ran)
        statuses = {j.id: (j.status, j.attempts) for j in await world.jobs()}
        assert statuses == {
            waiting: ("succeeded", 1),
            orphan: ("succeeded", 2),
            later: ("queued", 0),  # not due yet
        }
    finally:
        await world.engine.dispose()


async def test_a_job_of_an_unknown_kind_dies_with_a_clear_error(
    hooks: Any, worker: Any, kit: Any
) -> None:
    async with hooks.sessionmaker() as session, session.begin():
        job = await enqueue_job(session, "gone.plugin", {}, max_attempts=2)

    async def dead() -> bool:
        return [j.status for j in await hooks.jobs(id=job.id)] == ["dead"]

    await kit.wait_for(dead)
    [row] = await hooks.jobs(id=job.id)
    assert "no enabled plugin runs jobs of kind 'gone.plugin'" in row.last_error


async def test_plugin_event_types_are_offered_with_their_permission(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any, receiver: Any
) -> None:
    world = await _world(kit, databases, small_demo_url, make_settings, FlakyPlugin())
    try:
        run = kit.runner(world)
        types = (await run("{ webhookEventTypes { type permission } }"))["data"]
        assert {"type": "tests.sample_taken", "permission": "contacts:read"} in types[
            "webhookEventTypes"
        ]
        refused = (
            await run(
                kit.SUBSCRIBE,
                {"input": {"url": receiver.url, "eventTypes": ["tests.sample_taken"]}},
                principal=kit.integrator("webhooks:manage"),
            )
        )["data"]["createWebhookSubscription"]
        assert refused["errors"][0]["code"] == "FORBIDDEN"
        await kit.subscribe(
            run,
            receiver.url,
            ["tests.sample_taken"],
            principal=kit.integrator("webhooks:manage", "contacts:read"),
        )
    finally:
        await world.engine.dispose()


def test_a_job_kind_or_event_type_declared_twice_stops_startup(make_settings: Any) -> None:
    from bocage.core.jobs import job_kinds
    from bocage.core.webhooks import event_types

    settings = make_settings("sqlite+aiosqlite:///:memory:")
    host = PluginHost(settings, extra=(("one", FlakyPlugin()), ("two", FlakyPlugin())))
    with pytest.raises(PluginError, match="job kind 'tests.flaky' is declared by both"):
        job_kinds(host)
    with pytest.raises(PluginError, match="'tests.sample_taken' is declared by both"):
        event_types(host)


async def test_the_server_runs_the_worker_in_process_when_asked(
    hooks: Any, gql_as: Any, receiver: Any, kit: Any
) -> None:
    from bocage.core.app import create_app

    await kit.subscribe(gql_as, receiver.url, ["project.created"])
    app = create_app(hooks.settings, host=hooks.host, run_worker=True)
    async with app.router.lifespan_context(app):
        await kit.create_project(gql_as, hooks, "In process")
        await kit.wait_for(lambda: len(receiver.requests) == 1)
    # Without it (the default of create_app, and of `auto` on PostgreSQL) nothing is sent.
    app = create_app(hooks.settings, host=hooks.host)
    async with app.router.lifespan_context(app):
        await kit.create_project(gql_as, hooks, "No worker")
        await asyncio.sleep(0.5)
    assert len(receiver.requests) == 1


def test_the_in_process_worker_setting(make_settings: Any) -> None:
    sqlite, pg = "sqlite+aiosqlite:///x.db", "postgresql+asyncpg://u@h/db"
    assert make_settings(sqlite).jobs_run_in_process is True
    assert make_settings(pg).jobs_run_in_process is False
    assert make_settings(pg, jobs_in_process="on").jobs_run_in_process is True
    assert make_settings(sqlite, jobs_in_process="off").jobs_run_in_process is False


async def test_bocage_worker_burst_runs_what_is_due_and_exits(
    hooks: Any, gql_as: Any, receiver: Any, kit: Any, cli: Any
) -> None:
    await kit.subscribe(gql_as, receiver.url, ["project.created"])
    for i in range(3):
        await kit.create_project(gql_as, hooks, f"Burst {i}")
    result = await asyncio.to_thread(
        cli,
        "worker",
        "--burst",
        env={"BOCAGE_DATABASE_URL": hooks.url, "BOCAGE_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert sorted(receiver.ids()) == sorted(await kit.event_ids(hooks, "project.created"))


async def test_old_succeeded_jobs_and_finished_deliveries_are_pruned(
    hooks: Any, gql_as: Any, receiver: Any, kit: Any
) -> None:
    from bocage.core.jobs.worker import Worker

    await kit.subscribe(gql_as, receiver.url, ["project.created"])
    for i in range(2):
        await kit.create_project(gql_as, hooks, f"Old {i}")
    worker = Worker(hooks.settings, hooks.host, hooks.engine)
    await worker.run(burst=True)
    assert len(receiver.requests) == 2
    async with hooks.sessionmaker() as session, session.begin():
        dead = await enqueue_job(session, "gone.plugin", {})
        mail = await enqueue_email(session, to="ann@example.be", subject="Hello", text="Hi")
        recent_mail = await enqueue_email(session, to="bob@example.be", subject="Hi", text="Hi")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=15)
    [first, second] = await hooks.deliveries()
    await hooks.age(first.job_id, long_ago)
    await hooks.age(dead.id, long_ago, dead=True)
    # A dead e-mail keeps its addresses for the retention period only.
    await hooks.age(mail.id, long_ago, dead=True)
    await hooks.age(recent_mail.id, dt.datetime.now(dt.UTC), dead=True)
    async with hooks.sessionmaker() as session, session.begin():
        await session.execute(
            update(m.WebhookDelivery)
            .where(m.WebhookDelivery.id == first.id)
            .values(created_at=long_ago)
        )
    assert await worker.prune() == (2, 1)
    assert [d.id for d in await hooks.deliveries()] == [second.id]
    assert {j.id for j in await hooks.jobs()} == {second.job_id, dead.id, recent_mail.id}
    async with hooks.sessionmaker() as session:
        attempts = (await session.execute(select(m.WebhookAttempt.delivery_id))).scalars()
        assert list(attempts) == [second.id]  # the attempts went with their delivery
