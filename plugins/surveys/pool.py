"""The holding pool of anonymous responses: k-anonymity by construction while a survey is open.

Whatever the engine, the transaction that stores a response leaves traces that follow it: the
storage order, serial keys, and on PostgreSQL the ``xmin`` the response would share with the
invitation marked used in the same transaction. So an anonymous response is never written to
``surveys_response`` by the transaction that submits it: it waits in
``surveys_pending_response`` (with the invitation, which the same transaction marks used), and
the ``surveys.flush_pool`` sweep moves the pool into the responses table once it holds at least
k responses (``BOCAGE_SURVEYS_ANONYMOUS_BATCH_SIZE``), all of them in one transaction, in a random
order under new random keys, deleting the pool rows. The sweep is a job scheduled when the
survey opens that runs every ``BOCAGE_SURVEYS_POOL_SWEEP_MINUTES`` and schedules its next run
while the survey is open: a submission never touches the job tables (an enqueued job's row, or
procrastinate's event row, would share the submitting transaction's ``xmin`` and time).
Every response of a batch thus shares its ``xmin``, storage neighbourhood and day with at
least k-1 others, and none shares anything with an invitation. Closing moves whatever is left
(even fewer than k), then reshuffles as before.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, text

from bocage.core.api import JobKind, enqueue_job
from bocage.plugins.surveys import models as sm

if TYPE_CHECKING:
    from bocage.core.api import JobContext

FLUSH = "surveys.flush_pool"


def to_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answer rows as JSON (dates as ISO strings)."""
    return [{**r, "day": r["day"].isoformat() if r.get("day") else None} for r in rows]


def from_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "day": dt.date.fromisoformat(r["day"]) if r.get("day") else None} for r in rows]


async def pending_count(session: Any, survey_id: int) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(sm.PendingResponse)
            .where(sm.PendingResponse.survey_id == survey_id)
        )
    ).scalar_one()


async def hold(
    session: Any,
    survey_id: int,
    question_set_id: int,
    day: dt.date,
    answers: list[dict[str, Any]],
) -> None:
    """Put a response in the pool (and nothing else: the sweep moves it, see above)."""
    session.add(
        sm.PendingResponse(
            survey_id=survey_id,
            question_set_id=question_set_id,
            submitted_on=day,
            answer_rows=to_json(answers),
        )
    )
    await session.flush()


async def schedule_sweep(session: Any, survey: sm.Survey, minutes: float) -> None:
    """Schedule the next sweep of an open anonymous survey's pool in ``minutes`` (unless one
    already waits)."""
    if survey.anonymous and survey.status == sm.SurveyStatus.OPEN.value:
        await enqueue_job(
            session,
            FLUSH,
            {"survey": survey.id},
            run_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes),
            unless_queued=True,
        )


async def flush(session: Any, survey_id: int, *, minimum: int) -> int:
    """Move the survey's pool into the responses table if it holds at least ``minimum``
    responses (0: whatever it holds), shuffled, in the caller's transaction; how many moved."""
    from bocage.plugins.surveys.store import lock_survey

    await lock_survey(session, survey_id)  # one flush at a time, and no quota check meanwhile
    pending = (
        await session.execute(
            select(
                sm.PendingResponse.id,
                sm.PendingResponse.question_set_id,
                sm.PendingResponse.submitted_on,
                sm.PendingResponse.answer_rows,
            ).where(sm.PendingResponse.survey_id == survey_id)
        )
    ).all()
    if not pending or len(pending) < minimum:
        return 0
    order = list(pending)
    secrets.SystemRandom().shuffle(order)
    responses, answers = [], []
    for _old, question_set_id, day, rows in order:
        key = sm.random_key()
        responses.append(
            {
                "id": key,
                "survey_id": survey_id,
                "question_set_id": question_set_id,
                "submitted_on": day,
            }
        )
        answers.extend({**row, "response_id": key} for row in from_json(rows))
    await session.execute(
        delete(sm.PendingResponse).where(sm.PendingResponse.id.in_([p[0] for p in pending]))
    )
    await session.execute(insert(sm.Response), responses)
    if answers:
        await session.execute(insert(sm.Answer), answers)
    return len(order)


async def flush_job(context: JobContext, payload: dict[str, Any]) -> None:
    """The sweep: move a survey's pool if it holds at least k responses, then, while the
    survey is open, schedule the next sweep; a closed (or deleted) survey's sweep stops."""
    settings = context.host.plugin_settings("surveys")
    async with context.sessionmaker() as session, session.begin():
        survey = await session.get(sm.Survey, int(payload["survey"]))
        if survey is None:
            return
        moved = await flush(session, survey.id, minimum=settings.anonymous_batch_size)
        await session.refresh(survey)
        await schedule_sweep(session, survey, settings.pool_sweep_minutes)
        engine = session.bind
    if moved:
        await vacuum_pool(engine)


async def vacuum_pool(engine: Any) -> None:
    """On PostgreSQL, reclaim the deleted pool rows at once (they were written by the
    transactions that used the invitations) instead of waiting for autovacuum. Best effort:
    a row still visible to an open transaction stays until the next vacuum."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f"VACUUM {sm.PendingResponse.__tablename__}"))


def job_kind() -> JobKind:
    return JobKind(
        name=FLUSH,
        handler=flush_job,
        description="Sweep an open anonymous survey's holding pool: move its pending responses "
        "into the results, shuffled, in a batch of at least k; runs again every "
        "BOCAGE_SURVEYS_POOL_SWEEP_MINUTES while the survey is open.",
    )
