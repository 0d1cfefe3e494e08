"""The holding pool of anonymous responses: k-anonymity by construction, open or closed.

Whatever the engine, the transaction that stores a response leaves traces that follow it: the
storage order, serial keys, and on PostgreSQL the ``xmin`` the response would share with the
invitation marked used in the same transaction. So an anonymous response is never written to
``surveys_response`` by the transaction that submits it: it waits in
``surveys_pending_response`` (with the invitation, which the same transaction marks used), and
the ``surveys.flush_pool`` sweep moves it into the responses table as part of a batch of at
least k (``BOCAGE_SURVEYS_ANONYMOUS_BATCH_SIZE``), all of it in one transaction, in a random
order under new random keys, deleting the pool rows. The sweep is a job scheduled when the
survey opens that runs every ``BOCAGE_SURVEYS_POOL_SWEEP_MINUTES`` and schedules its next run
while the survey is open: a submission never touches the job tables (an enqueued job's row, or
procrastinate's event row, would share the submitting transaction's ``xmin`` and time).

What makes a batch (:func:`releasable`), the one rule every move obeys, closing included:

* **Never fewer than k.** Closing moves what makes a batch and leaves the rest waiting
  (withheld; reopening lets it join a later batch), so closing after each response, or
  closing then reopening, shows nothing a sweep would not.
* **One question version per batch.** A response to a new version stands out by what it
  answers, and a manager chooses when a version starts: each version's responses make
  batches of their own.
* **k sealed responses, or none.** A response given through a token a manager saw (handed out:
  ``count``, ``sendEmail: false``, no address) or through the public link may be the
  manager's own, so those never complete a batch of responses through sealed invitations
  (token only ever e-mailed): a manager answering k-1 times cannot isolate one invitee.
  They make batches of their own when k of them wait.
* **One day per batch.** Every response of a batch is stored with the day the latest of them
  was submitted: a day cannot single one out (say, of the one invitee reminded that day).
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, text

from bocage.core.api import JobKind, UnitOfWork, enqueue_job, utcnow
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys.settings import surveys_settings

if TYPE_CHECKING:
    from bocage.core.api import JobContext

FLUSH = "surveys.flush_pool"


def to_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answer rows as JSON (dates as ISO strings)."""
    return [{**r, "day": r["day"].isoformat() if r.get("day") else None} for r in rows]


def from_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "day": dt.date.fromisoformat(r["day"]) if r.get("day") else None} for r in rows]


async def hold(
    session: Any,
    survey_id: int,
    question_set_id: int,
    day: dt.date,
    answers: list[dict[str, Any]],
    *,
    sealed: bool,
) -> None:
    """Put a response in the pool (and nothing else: the sweep moves it, see above);
    ``sealed``: given through a sealed invitation."""
    session.add(
        sm.PendingResponse(
            survey_id=survey_id,
            question_set_id=question_set_id,
            submitted_on=day,
            answer_rows=to_json(answers),
            sealed=sealed,
        )
    )
    await session.flush()


@dataclass(frozen=True)
class Waiting:
    """A response in the pool, as far as making batches goes."""

    key: str
    question_set_id: int
    sealed: bool


def releasable(pending: list[Waiting], k: int) -> list[Waiting]:
    """The pending responses that may move now (see the module's rules): per question
    version, all of them if at least ``k`` are sealed, else the unsealed ones if at least
    ``k`` of those wait, else none. ``k`` 0 moves everything (tests and demo data only)."""
    moving: list[Waiting] = []
    versions: dict[int, list[Waiting]] = {}
    for response in pending:
        versions.setdefault(response.question_set_id, []).append(response)
    for group in versions.values():
        unsealed = [r for r in group if not r.sealed]
        if len(group) - len(unsealed) >= k:
            moving += group
        elif len(unsealed) >= k:
            moving += unsealed
    return moving


async def schedule_sweep(session: Any, survey: sm.Survey, minutes: float) -> None:
    """Schedule the next sweep of an open anonymous survey's pool in ``minutes`` (unless one
    already waits)."""
    if survey.anonymous and survey.status == sm.SurveyStatus.OPEN.value:
        await enqueue_job(
            session,
            FLUSH,
            {"survey": survey.id},
            run_at=utcnow() + dt.timedelta(minutes=minutes),
            unless_queued=True,
        )


async def flush(session: Any, survey_id: int, *, minimum: int) -> int:
    """Move what makes batches of at least ``minimum`` (k) in the survey's pool into the
    responses table (see :func:`releasable`), shuffled, under one day, in the caller's
    transaction; how many moved."""
    from bocage.plugins.surveys.store import lock_survey

    await lock_survey(session, survey_id)  # one flush at a time, and no quota check meanwhile
    rows = {
        row.id: row
        for row in (
            await session.execute(
                select(
                    sm.PendingResponse.id,
                    sm.PendingResponse.question_set_id,
                    sm.PendingResponse.submitted_on,
                    sm.PendingResponse.answer_rows,
                    sm.PendingResponse.sealed,
                ).where(sm.PendingResponse.survey_id == survey_id)
            )
        ).all()
    }
    moving = releasable(
        [Waiting(r.id, r.question_set_id, r.sealed) for r in rows.values()], minimum
    )
    if not moving:
        return 0
    order = [rows[m.key] for m in moving]
    secrets.SystemRandom().shuffle(order)
    day = max(row.submitted_on for row in order)
    responses: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for row in order:
        key = sm.random_key()
        responses.append(
            {
                "id": key,
                "survey_id": survey_id,
                "question_set_id": row.question_set_id,
                "submitted_on": day,
            }
        )
        answers.extend({**answer, "response_id": key} for answer in from_json(row.answer_rows))
    await session.execute(
        delete(sm.PendingResponse).where(sm.PendingResponse.id.in_([m.key for m in moving]))
    )
    await session.execute(insert(sm.Response), responses)
    if answers:
        await session.execute(insert(sm.Answer), answers)
    return len(order)


async def flush_job(context: JobContext, payload: dict[str, Any]) -> None:
    """The sweep: move what makes batches of k in a survey's pool, then, while the survey is
    open, schedule the next sweep; a closed (or deleted) survey's sweep stops."""
    settings = surveys_settings(context.host)
    async with UnitOfWork(context.sessionmaker, events=context.host) as work:
        session = work.session
        survey = await session.get(sm.Survey, int(payload["survey"]))
        if survey is None:
            return
        moved = await flush(session, survey.id, minimum=settings.anonymous_batch_size)
        await session.refresh(survey)
        await schedule_sweep(session, survey, settings.pool_sweep_minutes)
        if moved:
            work.after_commit(functools.partial(vacuum_pool, session.bind))


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
        "into the results, shuffled, in batches of at least k; runs again every "
        "BOCAGE_SURVEYS_POOL_SWEEP_MINUTES while the survey is open.",
    )
