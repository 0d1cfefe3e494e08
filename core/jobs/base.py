"""What every job worker shares, whichever queue it runs on (the table queue on SQLite,
procrastinate on PostgreSQL): its identity and stop signal, the webhook relay, and the hourly
clean-up of old jobs and deliveries."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import delete

from bocage.core.db import sessionmaker, utcnow
from bocage.core.jobs import job_kinds
from bocage.core.models import WebhookDelivery
from bocage.core.observability.metrics import observe_worker

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

    from bocage.core.host import PluginHost
    from bocage.core.settings import Settings

#: Seconds between two clean-ups of old succeeded jobs and finished deliveries.
PRUNE_EVERY = 3600.0


class BaseWorker:
    def __init__(
        self,
        settings: Settings,
        host: PluginHost,
        engine: AsyncEngine,
        *,
        concurrency: int | None = None,
    ) -> None:
        self.settings = settings
        self.host = host
        self.sessionmaker = sessionmaker(engine)
        observe_worker(settings, engine, self.sessionmaker)
        if not host.bound:  # a worker of its own (`bocage worker`): plugins' sessions are ours
            host.bind(self.sessionmaker)
        self.kinds = job_kinds(host)
        self.concurrency = concurrency or settings.jobs_concurrency
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:120]
        self._stopping = asyncio.Event()
        self._next_prune = 0.0

    def stop(self) -> None:
        """Claim nothing more; :meth:`run` returns once the running jobs end, or after
        BOCAGE_JOBS_SHUTDOWN_TIMEOUT_SECONDS, handing those still running back to the queue."""
        self._stopping.set()

    async def relay(self) -> int:
        """Turn new events into webhook delivery jobs; the number of events read."""
        from bocage.core.webhooks.relay import relay_events

        async with self.sessionmaker() as session, session.begin():
            return await relay_events(session, max_attempts=self.settings.webhooks_max_attempts)

    async def prune(self) -> tuple[int, int]:
        """Delete succeeded jobs and finished deliveries older than the retention period;
        how many of each. Dead jobs stay until an administrator replays them, except those of
        personal kinds (e-mails): their addresses are not kept past the retention period."""
        cutoff = utcnow() - dt.timedelta(days=self.settings.jobs_retention_days)
        personal = [name for name, kind in self.kinds.items() if kind.personal]
        async with self.sessionmaker() as session, session.begin():
            jobs = await self.prune_jobs(session, cutoff, personal)
            deliveries = await session.execute(
                delete(WebhookDelivery).where(
                    WebhookDelivery.status.in_(("succeeded", "failed", "cancelled")),
                    WebhookDelivery.created_at < cutoff,
                )
            )
        return jobs, deliveries.rowcount  # type: ignore[attr-defined]

    async def prune_jobs(
        self, session: AsyncSession, cutoff: dt.datetime, personal: list[str]
    ) -> int:
        """Delete, in the queue's own table, succeeded jobs finished before ``cutoff`` and
        dead ones of the ``personal`` kinds; how many."""
        raise NotImplementedError

    def _prune_due(self) -> bool:
        """True once per :data:`PRUNE_EVERY` seconds (the first call included)."""
        now = time.monotonic()
        if now < self._next_prune:
            return False
        self._next_prune = now + PRUNE_EVERY
        return True
