"""Background jobs in the application's database: enqueued in the caller's transaction, run by
a worker (``bocage worker``, or inside ``bocage serve`` on SQLite), retried with exponential
backoff, and kept as ``dead`` after the last attempt for an administrator to replay.

One implementation serves both engines: on PostgreSQL, workers claim due jobs with
``FOR UPDATE SKIP LOCKED`` (any number of workers on any number of machines); on SQLite one
statement claims them atomically. A worker that dies leaves its jobs ``running`` with a lease;
when the lease expires another worker takes them again (at-least-once).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from bocage.core.db import utcnow
from bocage.core.errors import PluginError
from bocage.core.hookspecs import JobKind
from bocage.core.models import Job

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.host import PluginHost
    from bocage.core.settings import Settings


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
) -> Job:
    """Add a job of ``kind`` to ``session``'s transaction: it exists only if the transaction
    commits. ``payload`` must be JSON-serialisable; ``run_at`` delays it."""
    job = Job(
        kind=kind,
        payload=payload,
        status="queued",
        attempts=0,
        max_attempts=max_attempts,
        run_at=run_at or utcnow(),
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


async def dead_jobs(session: AsyncSession, limit: int = 100) -> list[Job]:
    rows = await session.execute(
        select(Job).where(Job.status == "dead").order_by(Job.id.desc()).limit(limit)
    )
    return list(rows.scalars())


async def replay_job(session: AsyncSession, job_id: int) -> Job | None:
    """Queue a dead job again with a fresh set of attempts; ``None`` if it is not dead."""
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
    "job_kinds",
    "replay_job",
]
