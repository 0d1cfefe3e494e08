"""Opening and closing: what both the managers' mutations and the auto-close job do.

Closing (by hand or at the closing date) moves what makes batches of the anonymous holding
pool into the responses (never fewer than k: the rest stays withheld), reshuffles anonymous
responses, publishes the suppressed results and records
``survey.results_published``. Opening, or moving the closing date of an open survey, schedules
a ``surveys.close_due`` job at the first instant after the closing day; the job carries the
date it was scheduled for, so a job left behind by a moved date finds a different date and does
nothing, and one that finds the survey already closed does nothing either.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from bocage.core.api import (
    DomainEvent,
    EventScope,
    JobKind,
    UnitOfWork,
    WebhookEventType,
    enqueue_job,
    event_for,
    record_event,
    utcnow,
)
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import pool, publication, store
from bocage.plugins.surveys.permissions import SURVEYS_MANAGE
from bocage.plugins.surveys.settings import surveys_settings

if TYPE_CHECKING:
    from bocage.core.api import JobContext
    from bocage.plugins.surveys.settings import SurveysSettings

CLOSE_DUE = "surveys.close_due"

#: The event types the plugin records, with what a subscriber needs to receive them: what the
#: public may see anyway (open surveys, closed surveys' suppressed results) is public; the
#: managers' work (drafts, invitations, reminders) needs ``surveys:manage``. Events carry the
#: survey's ID and which fields changed, never an answer, a token or an address.
EVENT_TYPES: dict[str, tuple[str, str | None]] = {
    "survey.created": ("A survey was created (as a draft).", SURVEYS_MANAGE.code),
    "survey.updated": (
        "A survey's texts, questions, audience or dates changed.",
        SURVEYS_MANAGE.code,
    ),
    "survey.opened": ("A survey opened for answers.", None),
    "survey.closed": ("A survey closed, by hand or at its closing date.", None),
    "survey.results_published": (
        "A closed survey's suppressed results were published (open data).",
        None,
    ),
    "survey.archived": ("A survey was archived.", SURVEYS_MANAGE.code),
    "survey.invited": ("Invitations to a survey were issued (and e-mailed).", SURVEYS_MANAGE.code),
    "survey.reminded": ("Invitees who had not answered were reminded.", SURVEYS_MANAGE.code),
}


def permission_of(event_type: str) -> str | None:
    return EVENT_TYPES[event_type][1]


def webhook_event_types() -> list[WebhookEventType]:
    return [
        WebhookEventType(name, description, permission)
        for name, (description, permission) in EVENT_TYPES.items()
    ]


def scope_of(survey: sm.Survey) -> EventScope:
    """Where a survey belongs, recorded with its events: its territory (a survey belongs to no
    commune), whose managers alone learn of its private events once several GALs share the
    installation (docs/tenancy.md)."""
    return EventScope(territory=survey.territory_id)


async def record(session: Any, survey: sm.Survey, event: DomainEvent) -> None:
    """Record a survey event with the permission its type declares."""
    await record_event(session, event, permission=permission_of(event.type), scope=scope_of(survey))


def close_time(closes_on: dt.date) -> dt.datetime:
    """The survey takes answers through its closing day (UTC): it closes the instant after."""
    return dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


async def schedule_close(session: Any, survey: sm.Survey) -> None:
    """Enqueue the job that closes an open survey at its closing date (if it has one)."""
    if survey.status == sm.SurveyStatus.OPEN.value and survey.closes_on is not None:
        await enqueue_job(
            session,
            CLOSE_DUE,
            {"survey": survey.id, "closes_on": survey.closes_on.isoformat()},
            run_at=close_time(survey.closes_on),
        )


async def on_close(session: Any, survey: sm.Survey, settings: SurveysSettings) -> int:
    """What closing an open survey does besides its status; returns the published cells.

    The holding pool moves what makes batches, exactly as a sweep would: what does not (fewer
    than k) stays withheld, so closing after each response, or closing then reopening, shows
    nothing finer than a batch (see pool.py)."""
    if survey.anonymous:
        await pool.flush(session, survey.id, minimum=settings.anonymous_batch_size)
        await publication.reshuffle(session, survey.id)
    cells = await publication.publish(session, survey, settings.min_cell_size)
    await record(session, survey, event_for(survey, "results_published", cells=cells))
    return cells


def is_due(survey: sm.Survey | None, scheduled_for: str) -> bool:
    return (
        survey is not None
        and survey.status == sm.SurveyStatus.OPEN.value
        and survey.closes_on is not None
        and survey.closes_on.isoformat() == scheduled_for
        and store.today() > survey.closes_on
    )


def early(survey: sm.Survey | None, scheduled_for: str) -> bool:
    """Whether the job runs before its time: the survey is open, still has the closing date
    the job was scheduled for, and that day has not ended yet by this clock."""
    return (
        survey is not None
        and survey.status == sm.SurveyStatus.OPEN.value
        and survey.closes_on is not None
        and survey.closes_on.isoformat() == scheduled_for
        and store.today() <= survey.closes_on
    )


async def close_due(context: JobContext, payload: dict[str, Any]) -> None:
    """Close the survey if it is still open and its closing date (the one the job was
    scheduled for) has passed; otherwise do nothing."""
    settings = surveys_settings(context.host)
    async with UnitOfWork(context.sessionmaker, events=context.host) as work:
        session = work.session
        survey = await session.get(sm.Survey, int(payload["survey"]))
        if early(survey, payload["closes_on"]):
            # The worker's clock is behind the scheduler's: try again at the closing time
            # rather than succeed and leave the survey open for good (a minute from now at
            # the earliest, should the clocks disagree for a while).
            assert survey is not None and survey.closes_on is not None
            retry = utcnow() + dt.timedelta(minutes=1)
            await enqueue_job(
                session,
                CLOSE_DUE,
                dict(payload),
                run_at=max(close_time(survey.closes_on), retry),
            )
            return
        if survey is None or not is_due(survey, payload["closes_on"]):
            return
        await store.lock_survey(session, survey.id)
        await session.refresh(survey)
        if not is_due(survey, payload["closes_on"]):  # closed meanwhile by hand
            return
        survey.status = sm.SurveyStatus.CLOSED.value
        await session.flush()
        # The same events in the same order as closing by hand (whose ``survey.closed``
        # the write kit records last).
        await on_close(session, survey, settings)
        await record(
            session, survey, event_for(survey, "closed", changed=["status"], automatic=True)
        )


def job_kinds() -> list[JobKind]:
    return [
        JobKind(
            name=CLOSE_DUE,
            handler=close_due,
            description="Close a survey at its closing date (if still open and due).",
        ),
        pool.job_kind(),
    ]
