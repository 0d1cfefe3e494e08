"""The worker: relays new events into webhook deliveries, claims due jobs, runs them.

Claiming is one statement (``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``),
so workers never take the same job while its lease runs. A job whose lease expired (its worker
was killed) is due again: nothing is lost, a job may run twice (handlers must be idempotent,
webhook receivers de-duplicate on ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, or_, select, update

from bocage.core.db import utcnow
from bocage.core.hookspecs import JobContext
from bocage.core.jobs import UnknownJobKind, backoff
from bocage.core.jobs.base import BaseWorker
from bocage.core.models import Job
from bocage.core.observability import tracing

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

    from bocage.core.host import PluginHost
    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.jobs")

#: Longest error message kept on a job.
ERROR_LENGTH = 2000


@dataclass
class Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int | None
    trace: dict[str, str] | None = None


class Worker(BaseWorker):
    """Runs jobs until :meth:`stop`; ``burst`` runs until nothing is due, then returns.

    On PostgreSQL ``Worker(...)`` builds a
    :class:`~bocage.core.jobs.procrastinate_backend.ProcrastinateWorker` (same interface):
    callers need not know the backend."""

    def __new__(cls, settings: Settings, host: PluginHost, engine: AsyncEngine, **kw: Any) -> Any:
        if cls is Worker and engine.dialect.name == "postgresql":
            from bocage.core.jobs.procrastinate_backend import ProcrastinateWorker

            return ProcrastinateWorker(settings, host, engine, **kw)
        return super().__new__(cls)

    def __init__(
        self,
        settings: Settings,
        host: PluginHost,
        engine: AsyncEngine,
        *,
        concurrency: int | None = None,
    ) -> None:
        super().__init__(settings, host, engine, concurrency=concurrency)
        self._running: dict[asyncio.Task[None], Claimed] = {}

    async def run(self, *, burst: bool = False) -> None:
        logger.info("worker %s started (%d at once)", self.name, self.concurrency)
        stop_waiter = asyncio.ensure_future(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                try:
                    if self._prune_due():
                        await self.prune()
                    relayed = await self.relay()
                    claimed = await self.claim(self.concurrency - len(self._running))
                except Exception:  # the database went away: log, wait, try again
                    logger.exception("worker %s could not poll the queue", self.name)
                    relayed, claimed = 0, []
                for job in claimed:
                    task = asyncio.ensure_future(self.execute(job))
                    self._running[task] = job
                    task.add_done_callback(self._forget)
                if burst and not relayed and not claimed and not self._running:
                    break
                if relayed or (claimed and len(self._running) < self.concurrency):
                    continue  # more may be waiting
                await asyncio.wait(
                    {stop_waiter, *self._running},
                    timeout=self.settings.jobs_poll_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            stop_waiter.cancel()
            await self._wind_down()
            from bocage.core.webhooks.delivery import close_clients

            await close_clients()
            logger.info("worker %s stopped", self.name)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)

    async def _wind_down(self) -> None:
        """Let the running jobs finish for BOCAGE_JOBS_SHUTDOWN_TIMEOUT_SECONDS, then cancel
        the others and hand them back to the queue (due now, their attempt not counted), so
        that another worker runs them: a SIGTERM loses no job."""
        if not self._running:
            return
        await asyncio.wait(set(self._running), timeout=self.settings.jobs_shutdown_timeout_seconds)
        unfinished = dict(self._running)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        for job in unfinished.values():
            await self.hand_back(job)

    async def hand_back(self, job: Claimed) -> None:
        """Queue ``job`` again as it was before this worker claimed it."""
        statement = (
            update(Job)
            .where(Job.id == job.id, Job.locked_by == self.name, Job.attempts == job.attempts)
            .values(
                status="queued",
                attempts=Job.attempts - 1,
                run_at=utcnow(),
                locked_until=None,
                locked_by=None,
            )
            .execution_options(synchronize_session=False)
        )
        try:
            async with self.sessionmaker() as session, session.begin():
                await session.execute(statement)
        except Exception:  # its lease ends anyway: another worker takes it then
            logger.exception("could not hand job %s back to the queue", job.id)
            return
        logger.warning("job %s (%s) unfinished at shutdown: handed back", job.id, job.kind)

    async def prune_jobs(
        self, session: AsyncSession, cutoff: dt.datetime, personal: list[str]
    ) -> int:
        result = await session.execute(
            delete(Job).where(
                or_(
                    Job.status == "succeeded",
                    and_(Job.status == "dead", Job.kind.in_(personal)),
                ),
                Job.finished_at < cutoff,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def claim(self, limit: int) -> list[Claimed]:
        if limit <= 0:
            return []
        now = utcnow()
        due = (
            select(Job.id)
            .where(
                or_(
                    and_(Job.status == "queued", Job.run_at <= now),
                    and_(Job.status == "running", Job.locked_until < now),
                )
            )
            .order_by(Job.run_at, Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(Job)
            .where(Job.id.in_(due.scalar_subquery()))
            .values(
                status="running",
                attempts=Job.attempts + 1,
                locked_until=now + dt.timedelta(seconds=self.settings.jobs_lease_seconds),
                locked_by=self.name,
            )
            .returning(
                Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.trace_context
            )
            .execution_options(synchronize_session=False)
        )
        async with self.sessionmaker() as session, session.begin():
            rows = (await session.execute(statement)).all()
        return [Claimed(*row) for row in sorted(rows)]

    async def execute(self, job: Claimed) -> None:
        kind = self.kinds.get(job.kind)
        max_attempts = job.max_attempts or (kind.max_attempts if kind else None)
        max_attempts = max_attempts or self.settings.jobs_max_attempts
        last = job.attempts >= max_attempts
        next_at = (
            None if last else utcnow() + dt.timedelta(seconds=backoff(self.settings, job.attempts))
        )
        context = JobContext(
            job_id=job.id,
            kind=job.kind,
            attempt=job.attempts,
            max_attempts=max_attempts,
            next_attempt_at=next_at,
            settings=self.settings,
            host=self.host,
            sessionmaker=self.sessionmaker,
        )
        try:
            if kind is None:
                raise UnknownJobKind(
                    f"no enabled plugin runs jobs of kind {job.kind!r} (see `bocage plugins list`)"
                )
            with tracing.job_span(job.kind, job.id, job.attempts, job.trace):
                await asyncio.wait_for(
                    kind.handler(context, job.payload), timeout=self.settings.jobs_lease_seconds
                )
        except Exception as error:
            message = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
            if last:
                logger.warning(
                    "job %s (%s) is dead after %d attempts: %s",
                    job.id,
                    job.kind,
                    job.attempts,
                    message,
                )
            await self._finish(
                job,
                status="dead" if last else "queued",
                last_error=message,
                run_at=next_at,
            )
        else:
            await self._finish(
                job,
                status="succeeded",
                last_error=None,
                run_at=None,
                forget_payload=kind.personal,
            )

    async def _finish(
        self,
        job: Claimed,
        *,
        status: str,
        last_error: str | None,
        run_at: dt.datetime | None,
        forget_payload: bool = False,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "last_error": last_error,
            "locked_until": None,
            "locked_by": None,
        }
        if run_at is not None:
            values["run_at"] = run_at
        if forget_payload:  # personal data is kept no longer than needed
            values["payload"] = {}
        if status in ("succeeded", "dead"):
            values["finished_at"] = utcnow()
        # Only if the job is still ours: a lease that expired meanwhile gave it to another.
        statement = (
            update(Job)
            .where(Job.id == job.id, Job.locked_by == self.name, Job.attempts == job.attempts)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        for attempt in range(5):
            try:
                async with self.sessionmaker() as session, session.begin():
                    await session.execute(statement)
                return
            except Exception:  # keep the outcome if the database blinks
                logger.exception("could not record the outcome of job %s", job.id)
                await asyncio.sleep(0.5 * 2**attempt)


__all__ = ["Worker"]
