"""A webhook receiver on loopback (a real uvicorn server), a demo world whose settings allow
it, a worker running in the test's event loop, and GraphQL as a given principal."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select, text, update

from bocage.core import models as m
from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role
from bocage.core.db import create_engine, sessionmaker
from bocage.core.host import PluginHost

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
    return Principal(
        kind=PrincipalKind.PERSON, subject="gal-admin", roles=frozenset({Role.TERRITORY_ADMIN})
    )


def integrator(*scopes: str, client_id: str = "crm") -> Principal:
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject=client_id,
        client_id=client_id,
        roles=frozenset({Role.INTEGRATOR}),
        scopes=frozenset(scopes),
    )


async def wait_for(
    predicate: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float = 20.0
) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


# -- the receiver ---------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    query: str = ""


@dataclass
class Receiver:
    """An HTTP endpoint that records every request; ``answer(request)`` picks the status."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answer: Callable[[Received], int] = lambda request: 200
    delay: float = 0.0

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # The sender died mid-body (the fault test kills a worker): a request that
                # never arrived whole is not one a receiver processes, nor records.
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        request = Received(headers=headers, body=body, query=scope["query_string"].decode())
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.answer(request)
        extra = [(b"location", b"https://elsewhere.example/")] if 300 <= status < 400 else []
        text = f"answered {status}".encode()
        length = str(len(text)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", length), *extra],
            }
        )
        await send({"type": "http.response.body", "body": text})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = Receiver()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await wait_for(lambda: server.started, 10)
    app.url = f"http://127.0.0.1:{port}/hooks/bocage"
    yield app
    server.should_exit = True
    await task
    sock.close()


# -- the world ------------------------------------------------------------------------------


class HookWorld:
    url: str
    settings: Any
    host: PluginHost
    engine: Any
    schema: Any
    sessionmaker: Any

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
    from bocage.core.graphql.schema import build_schema

    w = HookWorld()
    w.url = await databases.clone(small_demo_url)
    w.settings = make_settings(w.url, **{**FAST, **over})
    w.host = PluginHost(w.settings, extra=extra)
    w.engine = create_engine(w.settings)
    w.schema = build_schema(w.host)
    w.sessionmaker = sessionmaker(w.engine)
    return w


@pytest.fixture
async def hooks(
    databases: Any, small_demo_url: str, make_settings: Any
) -> AsyncIterator[HookWorld]:
    w = await make_world(databases, small_demo_url, make_settings)
    yield w
    await w.engine.dispose()


def runner(world: HookWorld) -> Run:
    from bocage.core.graphql.context import Context

    async def execute(
        query: str, variables: dict[str, Any] | None = None, *, principal: Principal = ANONYMOUS
    ) -> dict[str, Any]:
        context = Context(
            settings=world.settings,
            host=world.host,
            sessionmaker=world.sessionmaker,
            language="fr",
            principal=principal,
        )
        try:
            result = await world.schema.execute(
                query, variable_values=variables, context_value=context
            )
        finally:
            await context.close()
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [
                {"message": e.message, "extensions": e.extensions} for e in result.errors
            ]
        return body

    return execute


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
