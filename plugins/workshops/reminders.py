"""Reminders to registrants before an event: a job (``workshops.remind``) scheduled through
the job queue when an event is published or moves, to run ``BOCAGE_WORKSHOPS_REMINDER_HOURS``
before it starts (at once if that moment has passed; never once it started).

The job e-mails each registration holding a seat that has an address and was not reminded yet,
and marks it (``reminded_at``): a reminder is sent once, whatever the number of jobs (a moved
event schedules another; the event is locked while its registrations are read and marked).
Cancelled registrations and the waiting list get none; neither does a cancelled, unpublished
or archived event. A job scheduled for a start the event no longer has does nothing: the job
of its new start reminds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bocage.core.api import JobContext, JobKind, UnitOfWork, as_utc, enqueue_job, utcnow
from bocage.plugins.workshops import notify, store
from bocage.plugins.workshops.models import Event, EventStatus, Registration, RegistrationStatus
from bocage.plugins.workshops.settings import workshops_settings

KIND = "workshops.remind"


async def schedule(session: Any, settings: Any, event: Event) -> None:
    """Enqueue the reminder of a published ``event`` in the caller's transaction."""
    hours = getattr(settings, "reminder_hours", 0)
    if not hours or event.status != EventStatus.PUBLISHED.value:
        return
    starts, now = as_utc(event.starts_at), utcnow()
    if starts <= now:
        return
    await enqueue_job(
        session,
        KIND,
        {"event": event.id, "starts_at": starts.isoformat()},
        run_at=max(starts - dt.timedelta(hours=hours), now),
        unless_queued=True,
    )


async def remind(context: JobContext, payload: dict[str, Any]) -> None:
    """The job: e-mail the registrants of the event not reminded yet."""
    links = notify.links_for(workshops_settings(context.host))
    async with UnitOfWork(context.sessionmaker, events=context.host) as work:
        session = work.session
        event = await store.lock_event(session, int(payload["event"]))
        if event is None or event.status != EventStatus.PUBLISHED.value:
            return
        starts = as_utc(event.starts_at)
        if starts.isoformat() != payload["starts_at"] or starts <= utcnow():
            return  # moved (its new start has its own job), or too late
        registrations = (
            await session.execute(
                select(Registration)
                .where(
                    Registration.event_id == event.id,
                    Registration.status == RegistrationStatus.CONFIRMED.value,
                    Registration.reminded_at.is_(None),
                )
                .order_by(Registration.id)
            )
        ).scalars()
        for registration in registrations:
            if registration.attendee_email:
                await notify.reminder(session, links, registration, event)
            registration.reminded_at = utcnow()


JOB = JobKind(
    KIND,
    remind,
    description="E-mails the registrants of an event BOCAGE_WORKSHOPS_REMINDER_HOURS before "
    "it starts (once each).",
)
