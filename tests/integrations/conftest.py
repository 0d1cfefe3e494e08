"""The kit's webhook receiver, a demo world whose settings allow it, a worker running in the
test's event loop, and GraphQL as a given principal."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from bocage.core import models as m
from bocage.core.auth.principal import Principal
from bocage.core.testing import Principals, WebhookReceiver, World, runner, wait_for

#: Fast retries and polling, loopback allowed: what every test here runs with.
FAST = {
    "webhooks_allow_private_targets": True,
    "jobs_retry_base_seconds": 0.05,
    "jobs_retry_max_seconds": 0.2,
    "jobs_poll_interval": 0.05,
    "webhooks_max_attempts": 4,
    "webhooks_timeout_seconds": 3.0,
}

Run = Callable[..., Awaitable[dict[str, Any]]]


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def admin() -> Principal:
    return Principals().admin


def integrator(*scopes: str, client_id: str = "crm") -> Principal:
    return Principals().integrator(*scopes, client_id=client_id)


@pytest.fixture
def receiver(bocage_webhooks: WebhookReceiver) -> WebhookReceiver:
    """The kit's webhook receiver on loopback."""
    return bocage_webhooks


# -- the world ------------------------------------------------------------------------------


class HookWorld(World):
    """The kit's world, with what the webhook and job tests look at."""

    async def deliveries(self) -> list[m.WebhookDelivery]:
        async with self.sessionmaker() as session:
            rows = await session.execute(select(m.WebhookDelivery).order_by(m.WebhookDelivery.id))
            return list(rows.scalars())

    async def jobs(
        self, id: int | None = None, status: str | None = None, kind: str | None = None
    ) -> list[Any]:
        """The jobs, oldest first, through the queue's interface (either backend)."""
        from bocage.core.jobs import list_jobs

        async with self.sessionmaker() as session:
            return await list_jobs(
                session,
                ids=None if id is None else [id],
                status=status,
                kind=kind,
                newest_first=False,
            )

    @property
    def on_procrastinate(self) -> bool:
        return bool(self.engine.dialect.name == "postgresql")

    async def orphan(self, job_id: int) -> None:
        """Make the job look taken by a worker that then died (no heartbeat, or lease out)."""
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        async with self.sessionmaker() as session, session.begin():
            if self.on_procrastinate:
                worker = (
                    await session.execute(
                        text(
                            "INSERT INTO procrastinate_workers (last_heartbeat) "
                            "VALUES (:at) RETURNING id"
                        ),
                        {"at": long_ago},
                    )
                ).scalar_one()
                await session.execute(
                    text(
                        "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker "
                        "WHERE id = :id"
                    ),
                    {"worker": worker, "id": job_id},
                )
                return
            await session.execute(
                update(m.Job)
                .where(m.Job.id == job_id)
                .values(
                    status="running",
                    attempts=1,
                    locked_by="dead-worker",
                    locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
                )
            )

    async def age(self, job_id: int, finished_at: dt.datetime, *, dead: bool = False) -> None:
        """Pretend the job finished at ``finished_at`` (and, with ``dead``, failed)."""
        async with self.sessionmaker() as session, session.begin():
            if self.on_procrastinate:
                if dead:
                    await session.execute(
                        text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :id"),
                        {"id": job_id},
                    )
                await session.execute(
                    text("UPDATE procrastinate_events SET at = :at WHERE job_id = :id"),
                    {"at": finished_at, "id": job_id},
                )
                return
            values: dict[str, Any] = {"finished_at": finished_at}
            if dead:
                values["status"] = "dead"
            await session.execute(update(m.Job).where(m.Job.id == job_id).values(**values))


async def make_world(
    databases: Any,
    small_demo_url: str,
    make_settings: Any,
    extra: tuple[Any, ...] = (),
    **over: Any,
) -> HookWorld:
    url = await databases.clone(small_demo_url)
    return HookWorld.open(url, make_settings(url, **{**FAST, **over}), extra)


@pytest.fixture
async def hooks(
    databases: Any, small_demo_url: str, make_settings: Any
) -> AsyncIterator[HookWorld]:
    w = await make_world(databases, small_demo_url, make_settings)
    yield w
    await w.engine.dispose()


@pytest.fixture
def gql_as(hooks: HookWorld) -> Run:
    return runner(hooks)


@contextlib.asynccontextmanager
async def running_worker(world: HookWorld, **kwargs: Any) -> AsyncIterator[Any]:
    from bocage.core.jobs.worker import Worker

    worker = Worker(world.settings, world.host, world.engine, **kwargs)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        await asyncio.wait_for(task, 20)


@pytest.fixture
async def worker(hooks: HookWorld) -> AsyncIterator[Any]:
    async with running_worker(hooks) as w:
        yield w


# -- GraphQL documents ------------------------------------------------------------------------

SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    secret subscription { id url eventTypes active }
    errors { field code message } } }"""
UPDATE_SUBSCRIPTION = """mutation($input: UpdateWebhookSubscriptionInput!) {
  updateWebhookSubscription(input: $input) {
    subscription { id url eventTypes active } errors { field code message } } }"""
CREATE_PROJECT = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id version } errors { field code message } } }"""
UPDATE_PROJECT = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id version } errors { field code message } } }"""
DELIVERIES = """query($id: ID!) { webhookSubscription(id: $id) {
  deliveries(first: 50) { edges { node {
    id eventId eventType status attempts lastStatusCode lastLatencyMs lastResponseExcerpt
    lastError lastAttemptAt nextAttemptAt
    log { statusCode latencyMs responseExcerpt error } } } } } }"""


async def hannut(world: HookWorld) -> str:
    async with world.sessionmaker() as session:
        key = (
            await session.execute(select(m.Commune.id).where(m.Commune.nis_code == "64034"))
        ).scalar_one()
    return gid("Commune", key)


async def subscribe(
    run: Run, url: str, types: list[str], principal: Principal | None = None
) -> dict[str, Any]:
    payload = (
        await run(
            SUBSCRIBE,
            {"input": {"url": url, "eventTypes": types, "description": "test receiver"}},
            principal=principal or admin(),
        )
    )["data"]["createWebhookSubscription"]
    assert payload["errors"] == [], payload
    return payload


async def create_project(run: Run, world: HookWorld, title: str) -> dict[str, Any]:
    payload = (
        await run(
            CREATE_PROJECT,
            {
                "input": {
                    "title": {"fr": title},
                    "focus": "DIGITAL",
                    "communes": [await hannut(world)],
                }
            },
            principal=admin(),
        )
    )["data"]["createProject"]
    assert payload["errors"] == [], payload
    project: dict[str, Any] = payload["project"]
    return project


async def event_ids(world: HookWorld, type_: str | None = None) -> list[str]:
    """The events a subscriber may be sent: those since the first subscription (the demo data's
    own events, older, are never sent to a subscriber that came later)."""
    first = select(func.min(m.WebhookSubscription.created_at)).scalar_subquery()
    statement = (
        select(m.EventRecord.event_id)
        .where(m.EventRecord.occurred_at >= first)
        .order_by(m.EventRecord.id)
    )
    if type_:
        statement = statement.where(m.EventRecord.type == type_)
    async with world.sessionmaker() as session:
        return list((await session.execute(statement)).scalars())


@pytest.fixture
def kit() -> Any:
    """The helpers above, for the test modules (which cannot import this conftest)."""
    import types

    return types.SimpleNamespace(
        FAST=FAST,
        gid=gid,
        admin=admin,
        integrator=integrator,
        wait_for=wait_for,
        make_world=make_world,
        runner=runner,
        running_worker=running_worker,
        SUBSCRIBE=SUBSCRIBE,
        UPDATE_SUBSCRIPTION=UPDATE_SUBSCRIPTION,
        CREATE_PROJECT=CREATE_PROJECT,
        UPDATE_PROJECT=UPDATE_PROJECT,
        DELIVERIES=DELIVERIES,
        hannut=hannut,
        subscribe=subscribe,
        create_project=create_project,
        event_ids=event_ids,
    )
