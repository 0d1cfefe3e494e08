"""Reminders to invitees who have not answered: by hand (``remindSurveyInvitees``) and, before
an open survey closes, by a job (``surveys.remind_before_close``).

Opening a survey with a closing date, or moving the closing date of an open one, schedules the
job ``BOCAGE_SURVEYS_CLOSING_REMINDER_HOURS`` before the survey closes (at once if that moment
has passed; never once it closed). The job reminds, as the mutation does, every invited contact
with an address who has not submitted and was not reminded in the last
``BOCAGE_SURVEYS_REMINDER_INTERVAL_HOURS``: a fresh personal link by e-mail (only a hash of a
token is kept, so the previous link stops working). It carries the closing date it was
scheduled for: a job left behind by a moved date, or one that finds the survey closed, does
nothing. People invited ``from`` another plugin's object are not reminded: their address is
not kept (it stays with that plugin).

In an anonymous survey a run reaches every invitee with an address, answered or not, and
records the same for each; only the e-mail (sent after the commit, to the invitee) skips those
who answered: otherwise what a reminder records would tell the managers who answered.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import column, func, select, table, update

from bocage.core.api import JobContext, JobKind, UnitOfWork, enqueue_job, event_for, utcnow
from bocage.plugins.surveys import lifecycle, store
from bocage.plugins.surveys import mail as survey_mail
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys.settings import SurveysSettings, surveys_settings

KIND = "surveys.remind_before_close"

#: The core's contacts, read through the contract (their address and given name only).
CONTACT = table(
    "contact",
    column("id"),
    column("deleted_at"),
    column("email"),
    column("given_name"),
)

#: An invitation to remind, the contact's address and given name.
Pending = tuple[sm.Invitation, str, str]


async def pending(session: Any, survey: sm.Survey, wanted: list[int] | None) -> list[Pending]:
    """The invitations of ``survey`` to contacts with an address (of the contacts ``wanted``
    if given), in invitation order: those not submitted, or all in an anonymous survey."""
    query = (
        select(sm.Invitation, CONTACT.c.email, CONTACT.c.given_name)
        .join(CONTACT, CONTACT.c.id == sm.Invitation.contact_id)
        .where(
            sm.Invitation.survey_id == survey.id,
            CONTACT.c.deleted_at.is_(None),
            CONTACT.c.email.is_not(None),
        )
        .order_by(sm.Invitation.id)
    )
    if not survey.anonymous:
        query = query.where(sm.Invitation.submitted.is_(False))
    if wanted is not None:
        query = query.where(sm.Invitation.contact_id.in_(wanted))
    return [(row[0], row[1], row[2] or "") for row in (await session.execute(query)).all()]


async def split(
    session: Any, found: list[Pending], settings: SurveysSettings, now: dt.datetime
) -> tuple[list[Pending], list[tuple[sm.Invitation, dt.datetime]]]:
    """Which of ``found`` may be reminded now, and which wait (with the moment they may):
    those reminded less than ``BOCAGE_SURVEYS_REMINDER_INTERVAL_HOURS`` ago."""
    interval = dt.timedelta(hours=settings.reminder_interval_hours)
    last = dict(
        (
            await session.execute(
                select(sm.Reminder.invitation_id, func.max(sm.Reminder.sent_at))
                .where(sm.Reminder.invitation_id.in_([row[0].id for row in found]))
                .group_by(sm.Reminder.invitation_id)
            )
        ).all()
    )
    due, waiting = [], []
    for row in found:
        previous = last.get(row[0].id)
        if previous is not None and previous.tzinfo is None:
            previous = previous.replace(tzinfo=dt.UTC)
        if previous is not None and now < previous + interval:
            waiting.append((row[0], previous + interval))
        else:
            due.append(row)
    return due, waiting


async def reissue(session: Any, invitation: sm.Invitation, token_hash: str) -> bool:
    """Give a reminded invitation its new token unless it was submitted (meanwhile, or
    before in an anonymous survey): whether it was. The new token goes by e-mail only, so
    the invitation is sealed from then on (no manager saw it)."""
    reissued = await session.execute(
        update(sm.Invitation)
        .where(sm.Invitation.id == invitation.id, sm.Invitation.submitted.is_(False))
        .values(token_hash=token_hash, sealed=True)
        .execution_options(synchronize_session=False)
    )
    return bool(reissued.rowcount == 1)


async def send(
    session: Any,
    survey: sm.Survey,
    due: list[Pending],
    settings: SurveysSettings,
    now: dt.datetime,
) -> int:
    """E-mail each of ``due`` a fresh link and record the reminder, in the caller's
    transaction: how many were reminded (in an anonymous survey, all of them, see above)."""
    mailed = 0
    for invitation, address, name in due:
        token = secrets.token_urlsafe(24)
        emailed = False
        # Conditional: whoever has submitted (since the invitations were read, or at all in
        # an anonymous survey) gets no fresh link and no e-mail.
        if await reissue(session, invitation, store.token_hash(token)):
            try:
                await survey_mail.send(
                    session,
                    kind="remind",
                    survey=survey,
                    language=invitation.language,
                    address=address,
                    name=name,
                    token=token,
                    url_template=settings.answer_url,
                )
                emailed = True
            except ValueError:
                # A malformed address: nothing sent, the link stays as it was.
                await session.execute(
                    update(sm.Invitation)
                    .where(sm.Invitation.id == invitation.id)
                    .values(token_hash=invitation.token_hash, sealed=invitation.sealed)
                    .execution_options(synchronize_session=False)
                )
        mailed += emailed
        if emailed or survey.anonymous:
            session.add(sm.Reminder(invitation_id=invitation.id, sent_at=now))
    await session.flush()
    return len(due) if survey.anonymous else mailed


# -- before the survey closes -------------------------------------------------------------------


async def schedule(session: Any, settings: SurveysSettings, survey: sm.Survey) -> None:
    """Enqueue the reminder before an open ``survey`` closes, in the caller's transaction."""
    hours = settings.closing_reminder_hours
    if not hours or survey.status != sm.SurveyStatus.OPEN.value or survey.closes_on is None:
        return
    closes, now = lifecycle.close_time(survey.closes_on), utcnow()
    if closes <= now:
        return
    await enqueue_job(
        session,
        KIND,
        {"survey": survey.id, "closes_on": survey.closes_on.isoformat()},
        run_at=max(closes - dt.timedelta(hours=hours), now),
        unless_queued=True,
    )


async def remind_before_close(context: JobContext, payload: dict[str, Any]) -> None:
    """The job: remind the invitees who have not answered, if the survey is still open with
    the closing date the job was scheduled for, and not closed yet."""
    settings = surveys_settings(context.host)
    async with UnitOfWork(context.sessionmaker, events=context.host) as work:
        session = work.session
        # No lock on the survey: submissions go on while reminders are written, and one
        # that lands meanwhile makes its reissue a no-op (no fresh link, no e-mail).
        survey = await session.get(sm.Survey, int(payload["survey"]))
        if (
            survey is None
            or survey.status != sm.SurveyStatus.OPEN.value
            or survey.closes_on is None
            or survey.closes_on.isoformat() != payload["closes_on"]
        ):
            return  # closed, or moved (the new date has its own job)
        now = utcnow()
        if lifecycle.close_time(survey.closes_on) <= now:
            return  # too late: the survey is closing
        due, _ = await split(session, await pending(session, survey, None), settings, now)
        if not due:
            return
        sent = await send(session, survey, due, settings, now)
        await lifecycle.record(
            session, survey, event_for(survey, "reminded", reminders=sent, automatic=True)
        )


JOB = JobKind(
    KIND,
    remind_before_close,
    description="Reminds a survey's invitees who have not answered "
    "BOCAGE_SURVEYS_CLOSING_REMINDER_HOURS before it closes.",
)
