"""The gauges of the job queue and the webhook deliveries, read from the database when the
metrics are scraped (``bocage.core.observability.metrics``): every API worker reports them,
whichever process runs the jobs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from bocage.core.db import as_utc, utcnow
from bocage.core.jobs import job_counts, on_procrastinate
from bocage.core.models import EventRecord, Job, WebhookDelivery

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.observability.metrics import Metrics


async def read(metrics: Metrics, session: AsyncSession) -> None:
    """Set the queue's and the deliveries' gauges of ``metrics``."""
    await _jobs(metrics, session)
    await _webhooks(metrics, session)


async def _jobs(metrics: Metrics, session: AsyncSession) -> None:
    for status, count in (await job_counts(session)).items():
        metrics.jobs.labels(status).set(count)
    now = utcnow()
    if on_procrastinate(session):
        rows = (await session.execute(_PROCRASTINATE_QUEUED)).all()
    else:
        rows = (
            await session.execute(
                select(
                    Job.kind,
                    func.count(),
                    func.min(Job.run_at).filter(Job.run_at <= now),
                )
                .where(Job.status == "queued")
                .group_by(Job.kind)
            )
        ).all()
    for kind in metrics.queued_kinds:  # kinds no longer queued: 0
        metrics.jobs_queued.labels(kind).set(0)
    oldest: dt.datetime | None = None
    for kind, count, due in rows:
        metrics.queued_kinds.add(kind)
        metrics.jobs_queued.labels(kind).set(count)
        if due is not None:
            due = as_utc(due)
            oldest = due if oldest is None else min(oldest, due)
    metrics.jobs_oldest_due.set(max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)


async def _webhooks(metrics: Metrics, session: AsyncSession) -> None:
    counts = dict.fromkeys(("pending", "succeeded", "failed", "cancelled"), 0)
    rows = await session.execute(
        select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    )
    counts.update({status: count for status, count in rows.all()})
    for status, count in counts.items():
        metrics.webhook_deliveries.labels(status).set(count)
    oldest = (
        await session.execute(
            select(func.min(EventRecord.occurred_at))
            .join(WebhookDelivery, WebhookDelivery.event_log_id == EventRecord.id)
            .where(WebhookDelivery.status == "pending")
        )
    ).scalar_one_or_none()
    lag = (utcnow() - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
    metrics.webhook_lag.set(max(lag, 0.0))


#: Jobs waiting on procrastinate, by task: their number and the oldest due time.
_PROCRASTINATE_QUEUED = text(
    """SELECT job.task_name, count(*),
        min(coalesce(job.scheduled_at, (SELECT min(event.at) FROM procrastinate_events event
            WHERE event.job_id = job.id AND event.type = 'deferred')))
        FILTER (WHERE job.scheduled_at IS NULL OR job.scheduled_at <= now())
    FROM procrastinate_jobs job WHERE job.status = 'todo' GROUP BY job.task_name"""
)
