"""Database helpers shared by the mutations and the resolvers."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update

from bocage.core.api import Code, Commune, Invalid, Territory, utcnow
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import pool
from bocage.plugins.surveys.definition import (
    AnswerValue,
    QuestionSpec,
    answer_rows,
    check_answers,
)
from bocage.plugins.surveys.i18n import translator


def today() -> dt.date:
    return utcnow().date()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def territory_exists(session: Any, key: int) -> bool:
    found = await session.execute(
        select(Territory.id).where(Territory.id == key, Territory.deleted_at.is_(None))
    )
    return found.first() is not None


async def territories_of(session: Any, nis_codes: list[str]) -> list[int]:
    """The territories the communes of these NIS codes belong to now."""
    found = await session.execute(
        select(Commune.territory_id)
        .where(Commune.nis_code.in_(sorted(set(nis_codes))), Commune.territory_id.is_not(None))
        .distinct()
    )
    return list(found.scalars())


async def only_territory(session: Any) -> int | None:
    """The installation's only live territory; ``None`` when it holds none or several."""
    found = list(
        (
            await session.execute(
                select(Territory.id).where(Territory.deleted_at.is_(None)).limit(2)
            )
        ).scalars()
    )
    return found[0] if len(found) == 1 else None


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
    current version, else as a new version (old answers keep theirs). Returns the version.

    An anonymous survey gets a new version whenever it changes once opened, answered or not:
    whether an edit made one would tell its manager whether anyone answered since the last."""
    current = await current_set(session, survey.id)
    if survey.anonymous and current is not None:
        answered = survey.status != sm.SurveyStatus.DRAFT.value
    else:
        answered = current is not None and any(
            [
                (
                    await session.execute(
                        select(exists().where(model.question_set_id == current.id))
                    )
                ).scalar_one()
                for model in (sm.Response, sm.PendingResponse)
            ]
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
                segment=spec.segment,
            )
        )
    await session.flush()
    return current.number


# -- answering ---------------------------------------------------------------------------------


async def answering_target(
    session: Any, *, token: str | None, public_key: str | None, language: str | None = None
) -> tuple[sm.Survey, sm.Invitation | None]:
    """The open survey a respondent answers, and their invitation if they used one (refusals
    in the respondent's ``language``)."""
    _ = translator(language)
    if (token is None) == (public_key is None):
        raise Invalid(Code.REQUIRED, _("give either an invitation token or a public link key"))
    invitation = None
    if token is not None:
        invitation = (
            await session.execute(
                select(sm.Invitation).where(sm.Invitation.token_hash == token_hash(token))
            )
        ).scalar_one_or_none()
        if invitation is None:
            raise Invalid(Code.NOT_FOUND, _("this invitation token is unknown"), "token")
        survey = await session.get(sm.Survey, invitation.survey_id)
    else:
        survey = (
            await session.execute(select(sm.Survey).where(sm.Survey.public_key == public_key))
        ).scalar_one_or_none()
        if survey is None or not survey.public:
            raise Invalid(
                Code.NOT_FOUND, _("no survey is open to the public at this link"), "publicKey"
            )
    assert survey is not None
    # Hold the survey's row until the response is stored: closing (by hand or at its date)
    # takes the same lock, so a response either lands before the close moves the pool or
    # finds the survey closed, never in a pool nobody will move. ``FOR UPDATE`` rather than
    # ``FOR SHARE``: the quota check takes it anyway, and upgrading a shared lock held by two
    # submitters would deadlock.
    await lock_survey(session, survey.id)
    await session.refresh(survey)
    if invitation is not None:
        await session.refresh(invitation)
    day = today()
    if (
        survey.status != sm.SurveyStatus.OPEN.value
        or (survey.opens_on is not None and day < survey.opens_on)
        or (survey.closes_on is not None and day > survey.closes_on)
    ):
        message = _(
            "the survey is not open for answers: it is {status} (open {opens} to {closes})",
            status=survey.status,
            opens=survey.opens_on or "...",
            closes=survey.closes_on or "...",
        )
        raise Invalid(Code.INVALID, message)
    if invitation is not None and invitation.submitted and not editable(survey):
        raise Invalid(
            Code.DUPLICATE, _("a response was already submitted with this invitation"), "token"
        )
    return survey, invitation


def editable(survey: sm.Survey) -> bool:
    """Whether invitees may submit again until the survey closes (attributed surveys only:
    nothing leads from a token to an anonymous response)."""
    return survey.allow_edit and not survey.anonymous


async def lock_survey(session: Any, survey_id: int) -> None:
    """Hold the survey's row until the transaction ends (quotas must not be overrun by
    concurrent responses): ``FOR UPDATE`` on PostgreSQL, the write lock on SQLite (a no-op
    update that leaves ``updated_at`` as it is)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            select(sm.Survey.id).where(sm.Survey.id == survey_id).with_for_update()
        )
    else:
        await session.execute(
            update(sm.Survey)
            .where(sm.Survey.id == survey_id)
            .values(id=sm.Survey.id, updated_at=sm.Survey.updated_at)
            .execution_options(synchronize_session=False)
        )


def segment_question(questions: list[Any], segment: str) -> Any | None:
    return next((q for q in questions if q.segment == segment), None)


async def quota_fill(session: Any, survey: sm.Survey, *, excluding: str | None = None) -> list[int]:
    """How many responses count against each of the survey's quotas (one GROUP BY per
    segment), leaving out the response ``excluding`` (being replaced).

    Only stored responses count: an anonymous survey's holding pool does not, or a quota
    turning full on one response (or refusing a manager's probe) would tell that response's
    segment. So an anonymous survey's quota fills by batches, and may be overrun by what
    waits in the pool when it fills."""
    from bocage.plugins.surveys.results import segment_values

    question_set = await current_set(session, survey.id)
    questions = await questions_of(session, question_set.id) if question_set else []
    filled: dict[tuple[str, str], int] = {}
    for segment in {q["segment"] for q in survey.quotas}:
        declaring = segment_question(questions, segment)
        values = segment_values(
            survey.id,
            sm.Segment(segment),
            anonymous=survey.anonymous,
            question_key=declaring.key if declaring else None,
        )
        if values is None:
            continue
        values = values.subquery()
        query = select(values.c.value, func.count(func.distinct(values.c.response_id)))
        if excluding is not None:
            query = query.where(values.c.response_id != excluding)
        for value, n in (await session.execute(query.group_by(values.c.value))).all():
            filled[(segment, str(value))] = n
    return [filled.get((q["segment"], q["value"]), 0) for q in survey.quotas]


async def respondent_segments(
    session: Any,
    survey: sm.Survey,
    invitation: sm.Invitation | None,
    questions: list[Any],
    answers: list[AnswerValue],
) -> dict[str, set[str]]:
    """The segments a new response falls in: its invitation's organisation in an attributed
    survey, else its answer to the question declaring the segment."""
    from bocage.plugins.surveys.results import _commune, _stakeholder, _stakeholder_commune

    found: dict[str, set[str]] = {}
    if not survey.anonymous and invitation is not None and invitation.stakeholder_id:
        kinds = await session.execute(
            select(_stakeholder.c.kind).where(_stakeholder.c.id == invitation.stakeholder_id)
        )
        found[sm.Segment.STAKEHOLDER_KIND.value] = {str(k) for k in kinds.scalars()}
        communes = await session.execute(
            select(_commune.c.nis_code)
            .join(_stakeholder_commune, _stakeholder_commune.c.commune_id == _commune.c.id)
            .where(_stakeholder_commune.c.stakeholder_id == invitation.stakeholder_id)
        )
        found[sm.Segment.COMMUNE.value] = {str(c) for c in communes.scalars()}
        return found
    given = {a.question: a for a in answers}
    for segment in sm.Segment:
        declaring = segment_question(questions, segment.value)
        if declaring is not None and declaring.key in given:
            found[segment.value] = set(given[declaring.key].choices or [])
    return found


async def check_quotas(
    session: Any,
    survey: sm.Survey,
    invitation: sm.Invitation | None,
    questions: list[Any],
    answers: list[AnswerValue],
    *,
    replacing: str | None,
    language: str | None = None,
) -> None:
    """Refuse a response whose segment's quota is full (in the respondent's ``language``)."""
    if not survey.quotas:
        return
    await lock_survey(session, survey.id)
    segments = await respondent_segments(session, survey, invitation, questions, answers)
    filled = await quota_fill(session, survey, excluding=replacing)
    for quota, n in zip(survey.quotas, filled, strict=True):
        if quota["value"] in segments.get(quota["segment"], set()) and n >= quota["limit"]:
            declaring = segment_question(questions, quota["segment"])
            _ = translator(language)
            message = _(
                "the quota of {limit} responses for {segment} {value} is full: this survey "
                "takes no more responses from it",
                limit=quota["limit"],
                segment=quota["segment"],
                value=repr(quota["value"]),
            )
            raise Invalid(
                Code.INVALID,
                message,
                declaring.key if declaring is not None and survey.anonymous else "quota",
            )


async def submit(
    session: Any,
    survey: sm.Survey,
    invitation: sm.Invitation | None,
    answers: list[AnswerValue],
    *,
    language: str | None = None,
) -> list[Invalid]:
    """Validate and store a response; return the problems (in the respondent's ``language``)
    instead when there are any.

    An anonymous response goes to the holding pool (moved by the pool's sweep job)."""
    question_set = await current_set(session, survey.id)
    assert question_set is not None
    rows = await questions_of(session, question_set.id)
    specs = [QuestionSpec.of(row) for row in rows]
    errors = check_answers(specs, answers, complete=True, language=language)
    if errors:
        return errors
    replacing: str | None = None
    if invitation is not None and invitation.submitted:
        # An attributed survey open to edits: the new answers replace the old ones.
        replacing = (
            await session.execute(
                select(sm.Attribution.response_id).where(
                    sm.Attribution.invitation_id == invitation.id
                )
            )
        ).scalar_one()
    await check_quotas(
        session, survey, invitation, rows, answers, replacing=replacing, language=language
    )
    if replacing is not None:
        assert invitation is not None
        invitation.draft_answers = None
        await session.execute(delete(sm.Answer).where(sm.Answer.response_id == replacing))
        await session.execute(
            update(sm.Response)
            .where(sm.Response.id == replacing)
            .values(question_set_id=question_set.id, submitted_on=today())
            .execution_options(synchronize_session=False)
        )
        await _insert_answers(session, replacing, rows, specs, answers)
        return []
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
    if survey.anonymous:
        # Never written to the responses table by this transaction (see pool.py).
        await pool.hold(
            session,
            survey.id,
            question_set.id,
            today(),
            _answer_values(rows, specs, answers),
            sealed=invitation is not None and invitation.sealed,
        )
        return []
    response = sm.Response(
        survey_id=survey.id, question_set_id=question_set.id, submitted_on=today()
    )
    session.add(response)
    await session.flush()
    if invitation is not None:
        session.add(sm.Attribution(response_id=response.id, invitation_id=invitation.id))
    await _insert_answers(session, response.id, rows, specs, answers)
    return []


def _answer_values(
    rows: list[sm.Question], specs: list[QuestionSpec], answers: list[AnswerValue]
) -> list[dict[str, Any]]:
    """The answer rows of a response (``surveys_answer``'s columns but the keys)."""
    by_key = {row.key: (row, spec) for row, spec in zip(rows, specs, strict=True)}
    values = []
    for answer in answers:
        row, spec = by_key[answer.question]
        for value in answer_rows(spec, answer):
            values.append(
                {
                    "question_id": row.id,
                    "row_key": "",
                    "choice": None,
                    "number": None,
                    "day": None,
                    "free_text": None,
                    **value,
                }
            )
    return values


async def _insert_answers(
    session: Any,
    response_id: str,
    rows: list[sm.Question],
    specs: list[QuestionSpec],
    answers: list[AnswerValue],
) -> None:
    values = [{"response_id": response_id, **v} for v in _answer_values(rows, specs, answers)]
    if values:
        await session.execute(insert(sm.Answer), values)


async def response_count(session: Any, survey_id: int) -> int:
    """Stored responses: an anonymous survey's holding pool is left out (a count that moved
    with each response would date it), so that count grows by batches."""
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(sm.Response)
                .where(sm.Response.survey_id == survey_id)
            )
        ).scalar_one()
    )


async def answers_of(session: Any, response_ids: list[str]) -> dict[str, list[AnswerValue]]:
    """The answers of the given responses, back in the shape they were sent (one query)."""
    if not response_ids:
        return {}
    rows = await session.execute(
        select(
            sm.Answer.response_id,
            sm.Question.key,
            sm.Question.type,
            sm.Question.position,
            sm.Answer.row_key,
            sm.Answer.choice,
            sm.Answer.number,
            sm.Answer.day,
            sm.Answer.free_text,
        )
        .join(sm.Question, sm.Question.id == sm.Answer.question_id)
        .where(sm.Answer.response_id.in_(response_ids))
        .order_by(sm.Answer.response_id, sm.Question.position, sm.Answer.number, sm.Answer.id)
    )
    found: dict[str, dict[str, AnswerValue]] = {}
    for response_id, key, type_, _, row_key, choice, number, day, text in rows.all():
        a = found.setdefault(response_id, {}).setdefault(key, AnswerValue(question=key))
        qtype = sm.QuestionType(type_)
        if qtype is sm.QuestionType.MATRIX:
            a.cells = {**(a.cells or {}), row_key: choice}
        elif qtype is sm.QuestionType.FREE_TEXT:
            a.text = text
        elif qtype in (sm.QuestionType.NUMBER, sm.QuestionType.SCALE):
            a.number = number
        elif qtype is sm.QuestionType.DATE:
            a.date = day
        else:  # choices; rankings come ordered by position
            a.choices = [*(a.choices or []), choice]
            if text is not None:
                a.other = text
    return {rid: list(by_key.values()) for rid, by_key in found.items()}
