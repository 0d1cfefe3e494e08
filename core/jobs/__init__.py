"""Background jobs in the application's database: enqueued in the caller's transaction, run by
a worker (``bocage worker``, or inside ``bocage serve`` on SQLite), retried with exponential
backoff, and kept as ``dead`` after the last attempt for an administrator to replay.

Two backends behind the functions of this module, chosen by the database's dialect:

- PostgreSQL: procrastinate (:mod:`bocage.core.jobs.procrastinate_backend`), its jobs in
  ``procrastinate_jobs``, deferred on the caller's connection;
- SQLite (the embedded default): the ``job`` table and :class:`~bocage.core.jobs.worker.Worker`,
  which claims due jobs in one statement and takes again the jobs whose lease expired.

Either way a job exists only if the caller's transaction commits, and a worker that dies loses
nothing (at-least-once: handlers must be idempotent).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, select, update

from bocage.core.db import utcnow
from bocage.core.errors import PluginError
from bocage.core.hookspecs import JobKind
from bocage.core.models import Job
from bocage.core.observability import tracing

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.host import PluginHost
    from bocage.core.settings import Settings


def on_procrastinate(session: AsyncSession) -> bool:
    """Whether ``session``'s database runs its jobs on procrastinate (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


class UnknownJobKind(Exception):
    """No enabled plugin runs jobs of this kind."""


def job_kinds(host: PluginHost) -> dict[str, JobKind]:
    """Every registered job kind by name; a name declared twice stops startup."""
    kinds: dict[str, JobKind] = {}
    owners: dict[str, str] = {}
    for plugin, kind in host.contributions("bocage_jobs"):
        if not isinstance(kind, JobKind):
            raise PluginError(f"plugin {plugin!r}: bocage_jobs returned {kind!r}, not a JobKind")
        if kind.name in kinds:
            raise PluginError(
                f"job kind {kind.name!r} is declared by both {owners[kind.name]!r} and "
                f"{plugin!r}; rename one of them"
            )
        kinds[kind.name] = kind
        owners[kind.name] = plugin
    return kinds


async def enqueue_job(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: dt.datetime | None = None,
    max_attempts: int | None = None,
    unless_queued: bool = False,
    trace: dict[str, str] | None = None,
) -> Job:
    """Add a job of ``kind`` to ``session``'s transaction: it exists only if the transaction
    commits. ``payload`` must be JSON-serialisable; ``run_at`` delays it. ``unless_queued``:
    when a job of this kind with an equal payload already waits (not started), return it
    instead of adding another (a job whose work would be the same; concurrent transactions
    may still both add one, so its handler must tolerate running twice, as every handler must).

    Its ``id`` is the queue's: on PostgreSQL procrastinate's job id, the ``Job`` returned being
    a detached copy (the row is procrastinate's).

    ``trace``: the W3C trace context the job's run continues (default: the current one, when
    tracing is on), kept with the job."""
    trace = trace or tracing.carrier()
    if unless_queued:
        for waiting in await list_jobs(session, status="queued", kind=kind, limit=1000):
            if waiting.payload == payload:
                return cast(Job, waiting)
    if on_procrastinate(session):
        from bocage.core.jobs import procrastinate_backend

        job_id = await procrastinate_backend.enqueue(
            session, kind, payload, run_at=run_at, max_attempts=max_attempts, trace=trace
        )
        return Job(
            id=job_id,
            kind=kind,
            payload=payload,
            status="queued",
            attempts=0,
            max_attempts=max_attempts,
            run_at=run_at or utcnow(),
        )
    job = Job(
        kind=kind,
        payload=payload,
        status="queued",
        attempts=0,
        max_attempts=max_attempts,
        run_at=run_at or utcnow(),
        trace_context=trace,
    )
    session.add(job)
    await session.flush()
    return job


def attempts_of(job: Job, kinds: dict[str, JobKind], settings: Settings) -> int:
    """How many attempts ``job`` gets: its own number, else its kind's, else the setting."""
    kind = kinds.get(job.kind)
    return job.max_attempts or (kind.max_attempts if kind else None) or settings.jobs_max_attempts


def backoff(settings: Settings, attempt: int) -> float:
    """Seconds before the attempt after failed attempt number ``attempt`` (1-based):
    ``base * 2**(attempt-1)``, capped, with +-10 % jitter so retries do not stampede."""
    delay = min(
        settings.jobs_retry_base_seconds * 2 ** (attempt - 1), settings.jobs_retry_max_seconds
    )
    return delay * random.uniform(0.9, 1.1)


def jobs_statement(
    session: AsyncSession,
    *,
    status: str | None = None,
    kind: str | None = None,
    ids: list[int] | None = None,
) -> tuple[Any, Any]:
    """A ``select`` of the jobs (with these filters) and its id column, for either backend.
    The rows have the attributes of :class:`~bocage.core.models.Job` (``kind``, ``status``
    among ``queued``, ``running``, ``succeeded``, ``dead``, ``attempts``, ``last_error``...)."""
    if on_procrastinate(session):
        from bocage.core.jobs.procrastinate_backend import ProcrastinateJob, status_filter

        statement = select(ProcrastinateJob)
        if status is not None:
            statement = statement.where(status_filter(status))
        if kind is not None:
            statement = statement.where(ProcrastinateJob.task_name == kind)
        if ids is not None:
            statement = statement.where(ProcrastinateJob.id.in_(ids))
        return statement, ProcrastinateJob.id
    statement = select(Job)
    if status is not None:
        statement = statement.where(Job.status == status)
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    if ids is not None:
        statement = statement.where(Job.id.in_(ids))
    return statement, Job.id


async def list_jobs(
    session: AsyncSession,
    *,
    status: str | None = None,
    kind: str | None = None,
    ids: list[int] | None = None,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[Any]:
    """Jobs (see :func:`jobs_statement`), newest first unless told otherwise."""
    statement, id_ = jobs_statement(session, status=status, kind=kind, ids=ids)
    statement = statement.order_by(id_.desc() if newest_first else id_).limit(limit)
    return list((await session.execute(statement)).scalars())


async def dead_jobs(session: AsyncSession, limit: int = 100) -> list[Any]:
    return await list_jobs(session, status="dead", limit=limit)


async def job_counts(session: AsyncSession) -> dict[str, int]:
    """How many jobs are in each status."""
    if on_procrastinate(session):
        from bocage.core.jobs import procrastinate_backend

        return await procrastinate_backend.counts(session)
    found = dict.fromkeys(("queued", "running", "succeeded", "dead"), 0)
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    found.update({status: count for status, count in rows.all()})
    return found


async def replay_job(session: AsyncSession, job_id: int) -> Any:
    """Queue a dead job again with a fresh set of attempts; ``None`` if it is not dead."""
    if on_procrastinate(session):
        from bocage.core.jobs import procrastinate_backend

        return await procrastinate_backend.replay(session, job_id)
    job = await session.get(Job, job_id)
    if job is None or job.status != "dead":
        return None
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status="queued",
            attempts=0,
            run_at=utcnow(),
            finished_at=None,
            locked_until=None,
            locked_by=None,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(job)
    return job


__all__ = [
    "JobKind",
    "UnknownJobKind",
    "attempts_of",
    "backoff",
    "dead_jobs",
    "enqueue_job",
    "job_counts",
    "job_kinds",
    "jobs_statement",
    "list_jobs",
    "on_procrastinate",
    "replay_job",
]
