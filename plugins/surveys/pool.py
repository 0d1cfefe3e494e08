"""The holding pool of anonymous responses: k-anonymity by construction while a survey is open.

Whatever the engine, the transaction that stores a response leaves traces that follow it: the
storage order, serial keys, and on PostgreSQL the ``xmin`` the response would share with the
invitation marked used in the same transaction. So an anonymous response is never written to
``surveys_response`` by the transaction that submits it: it waits in
``surveys_pending_response`` (with the invitation, which the same transaction marks used), and
the ``surveys.flush_pool`` job moves the pool into the responses table once it holds at least k
responses (``BOCAGE_SURVEYS_ANONYMOUS_BATCH_SIZE``), all of them in one transaction, in a random
order under new random keys, deleting the pool rows. Every response of a batch thus shares its
``xmin``, storage neighbourhood and day with at least k-1 others, and none shares anything with
an invitation. Closing moves whatever is left (even fewer than k), then reshuffles as before.
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
    *,
    batch: int | None,
) -> None:
    """Put a response in the pool; once the pool holds ``batch`` responses, enqueue the job
    that moves them (``None``: enqueue nothing, e.g. the demo data closes the survey itself)."""
    session.add(
        sm.PendingResponse(
            survey_id=survey_id,
            question_set_id=question_set_id,
            submitted_on=day,
            answer_rows=to_json(answers),
        )
    )
    await session.flush()
    if batch is not None and await pending_count(session, survey_id) >= batch:
        await enqueue_job(session, FLUSH, {"survey": survey_id}, unless_queued=True)


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
    """Move a survey's pool once it holds at least k responses (a no-op otherwise: another
    flush got there first)."""
    k = context.host.plugin_settings("surveys").anonymous_batch_size
    async with context.sessionmaker() as session, session.begin():
        moved = await flush(session, int(payload["survey"]), minimum=k)
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
        description="Move a survey's pending anonymous responses into its results, shuffled, "
        "in a batch of at least k.",
    )
