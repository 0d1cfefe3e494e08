"""From the event log to delivery jobs.

The relay keeps its position in ``job_cursor`` (row-locked while it works, so two workers do
not relay the same events) and, in one transaction, creates a delivery and its job for each new
event and each active subscription that wants it and may read it, then moves the cursor. Either
all of that commits or none: an event is relayed exactly once. Event ids commit in increasing
order (see ``EventRecord``), so reading "after the cursor" skips nothing. Which events a
subscription may read is the change feed's rule (:func:`bocage.core.events.visible_to`), for the
subscriber as it was when it saved the subscription.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bocage.core.events import Reader, visible_to
from bocage.core.jobs import enqueue_job
from bocage.core.models import EventRecord, JobCursor, WebhookDelivery, WebhookSubscription

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

CURSOR = "webhooks"
DELIVER = "webhook.deliver"
BATCH = 500


def reader_of(subscription: WebhookSubscription) -> Reader:
    """The subscriber as it was when it saved the subscription (its permissions and reach)."""
    return Reader.kept(subscription.permissions, subscription.reach)


def wanted(subscription: WebhookSubscription, first: int, last: int) -> Any:
    """The ids of the events from ``first`` to ``last`` the subscription listens to, that
    happened after it was made (a new subscriber is not sent the past: the change feed is for
    catching up), and that its subscriber may read."""
    return select(EventRecord.id).where(
        EventRecord.id.between(first, last),
        EventRecord.type.in_(subscription.event_types),
        EventRecord.occurred_at >= subscription.created_at,
        visible_to(reader_of(subscription)),
    )


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
    receivers: dict[int, list[WebhookSubscription]] = {event.id: [] for event in events}
    for subscription in subscriptions:
        chosen = await session.execute(wanted(subscription, events[0].id, events[-1].id))
        for event_log_id in chosen.scalars():
            receivers[event_log_id].append(subscription)
    for event in events:
        for subscription in receivers[event.id]:
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
                session,
                DELIVER,
                {"delivery": delivery.id},
                max_attempts=max_attempts,
                trace=event.trace_context,  # the delivery continues the change's trace
            )
            delivery.job_id = job.id
    cursor.position = events[-1].id
    await session.flush()
    return len(events)
