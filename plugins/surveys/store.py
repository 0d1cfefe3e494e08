"""Database helpers shared by the mutations and the resolvers."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update

from bocage.core.api import Code, Invalid
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys.definition import (
    AnswerValue,
    QuestionSpec,
    answer_rows,
    check_answers,
)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def current_set(session: Any, survey_id: int) -> sm.QuestionSet | None:
    return (
        await session.execute(
            select(sm.QuestionSet)
            .where(sm.QuestionSet.survey_id == survey_id)
            .order_by(sm.QuestionSet.number.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def questions_of(session: Any, question_set_id: int) -> list[sm.Question]:
    return list(
        (
            await session.execute(
                select(sm.Question)
                .where(sm.Question.question_set_id == question_set_id)
                .order_by(sm.Question.position)
            )
        ).scalars()
    )


async def replace_questions(session: Any, survey: sm.Survey, specs: list[QuestionSpec]) -> int:
    """Store ``specs`` as the survey's questions: in place while nobody has answered the
    current version, else as a new version (old answers keep theirs). Returns the version."""
    current = await current_set(session, survey.id)
    answered = (
        current is not None
        and (
            await session.execute(select(exists().where(sm.Response.question_set_id == current.id)))
        ).scalar_one()
    )
    if current is None or answered:
        current = sm.QuestionSet(survey_id=survey.id, number=(current.number + 1 if current else 1))
        session.add(current)
        await session.flush()
    else:
        await session.execute(delete(sm.Question).where(sm.Question.question_set_id == current.id))
    for position, spec in enumerate(specs):
        session.add(
            sm.Question(
                question_set_id=current.id,
                position=position,
                key=spec.key,
                type=spec.type.value,
                required=spec.required,
                title=spec.title,
                help=spec.help,
                options=spec.options,
                rows=spec.rows,
                allow_other=spec.allow_other,
                min_selected=spec.min_selected,
                max_selected=spec.max_selected,
                max_length=spec.max_length,
                min_value=spec.min_value,
                max_value=spec.max_value,
                show_if=spec.show_if,
            )
        )
    await session.flush()
    return current.number


# -- answering ---------------------------------------------------------------------------------


async def answering_target(
    session: Any, *, token: str | None, public_key: str | None
) -> tuple[sm.Survey, sm.Invitation | None]:
    """The open survey a respondent answers, and their invitation if they used one."""
    if (token is None) == (public_key is None):
        raise Invalid(Code.REQUIRED, "give either an invitation token or a public link key")
    invitation = None
    if token is not None:
        invitation = (
            await session.execute(
                select(sm.Invitation).where(sm.Invitation.token_hash == token_hash(token))
            )
        ).scalar_one_or_none()
        if invitation is None:
            raise Invalid(Code.NOT_FOUND, "this invitation token is unknown", "token")
        survey = await session.get(sm.Survey, invitation.survey_id)
    else:
        survey = (
            await session.execute(select(sm.Survey).where(sm.Survey.public_key == public_key))
        ).scalar_one_or_none()
        if survey is None or not survey.public:
            raise Invalid(
                Code.NOT_FOUND, "no survey is open to the public at this link", "publicKey"
            )
    assert survey is not None
    day = today()
    if (
        survey.status != sm.SurveyStatus.OPEN.value
        or (survey.opens_on is not None and day < survey.opens_on)
        or (survey.closes_on is not None and day > survey.closes_on)
    ):
        when = f" (open {survey.opens_on or '...'} to {survey.closes_on or '...'})"
        raise Invalid(
            Code.INVALID, f"the survey is not open for answers: it is {survey.status}{when}"
        )
    if invitation is not None and invitation.submitted:
        raise Invalid(
            Code.DUPLICATE, "a response was already submitted with this invitation", "token"
        )
    return survey, invitation


async def submit(
    session: Any,
    survey: sm.Survey,
    invitation: sm.Invitation | None,
    answers: list[AnswerValue],
) -> list[Invalid]:
    """Validate and store a response; return the problems instead when there are any."""
    question_set = await current_set(session, survey.id)
    assert question_set is not None
    rows = await questions_of(session, question_set.id)
    specs = [QuestionSpec.of(row) for row in rows]
    errors = check_answers(specs, answers, complete=True)
    if errors:
        return errors
    if invitation is not None:
        # One response per token, even when two submissions race.
        claimed = await session.execute(
            update(sm.Invitation)
            .where(sm.Invitation.id == invitation.id, sm.Invitation.submitted.is_(False))
            .values(submitted=True, draft_answers=None)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise Invalid(
                Code.DUPLICATE, "a response was already submitted with this invitation", "token"
            )
    response = sm.Response(
        survey_id=survey.id, question_set_id=question_set.id, submitted_on=today()
    )
    session.add(response)
    await session.flush()
    if invitation is not None and not survey.anonymous:
        session.add(sm.Attribution(response_id=response.id, invitation_id=invitation.id))
    by_key = {row.key: (row, spec) for row, spec in zip(rows, specs, strict=True)}
    values = []
    for answer in answers:
        row, spec = by_key[answer.question]
        for value in answer_rows(spec, answer):
            values.append(
                {
                    "response_id": response.id,
                    "question_id": row.id,
                    "row_key": "",
                    "choice": None,
                    "number": None,
                    "day": None,
                    "free_text": None,
                    **value,
                }
            )
    if values:
        await session.execute(insert(sm.Answer), values)
    return []


async def response_count(session: Any, survey_id: int) -> int:
    return (
        await session.execute(
            select(func.count()).select_from(sm.Response).where(sm.Response.survey_id == survey_id)
        )
    ).scalar_one()
