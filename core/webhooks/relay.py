"""From the event log to delivery jobs.

The relay keeps its position in ``job_cursor`` (row-locked while it works, so two workers do
not relay the same events) and, in one transaction, creates a delivery and its job for each new
event and each active subscription that wants it and may read it, then moves the cursor. Either
all of that commits or none: an event is relayed exactly once. Event ids commit in increasing
order (see ``EventRecord``), so reading "after the cursor" skips nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from bocage.core.jobs import enqueue_job
from bocage.core.models import EventRecord, JobCursor, WebhookDelivery, WebhookSubscription

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

CURSOR = "webhooks"
DELIVER = "webhook.deliver"
BATCH = 500


def wants(subscription: WebhookSubscription, event: EventRecord) -> bool:
    """The subscription listens to the event's type, existed when it happened (a new subscriber
    is not sent the past: the change feed is for catching up), and its subscriber may read it."""
    if event.type not in subscription.event_types or event.occurred_at < subscription.created_at:
        return False
    return event.permission is None or event.permission in subscription.permissions


async def relay_events(session: AsyncSession, *, max_attempts: int, batch: int = BATCH) -> int:
    """Relay up to ``batch`` new events in ``session``'s transaction; how many were read.
    Each delivery job gets ``max_attempts`` (``BOCAGE_WEBHOOKS_MAX_ATTEMPTS``)."""
    cursor = (
        await session.execute(
            select(JobCursor).where(JobCursor.name == CURSOR).with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if cursor is None:  # another worker holds it (or the table is not migrated)
        return 0
    events = (
        (
            await session.execute(
                select(EventRecord)
                .where(EventRecord.id > cursor.position)
                .order_by(EventRecord.id)
                .limit(batch)
            )
        )
        .scalars()
        .all()
    )
    if not events:
        return 0
    subscriptions = (
        (
            await session.execute(
                select(WebhookSubscription)
                .where(WebhookSubscription.active.is_(True))
                .order_by(WebhookSubscription.id)
            )
        )
        .scalars()
        .all()
    )
    for event in events:
        for subscription in subscriptions:
            if not wants(subscription, event):
                continue
            delivery = WebhookDelivery(
                subscription_id=subscription.id,
                event_log_id=event.id,
                event_id=event.event_id,
                event_type=event.type,
                status="pending",
                attempts=0,
            )
            session.add(delivery)
            await session.flush()
            job = await enqueue_job(
                session, DELIVER, {"delivery": delivery.id}, max_attempts=max_attempts
            )
            delivery.job_id = job.id
    cursor.position = events[-1].id
    await session.flush()
    return len(events)
