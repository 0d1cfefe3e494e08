"""Results, computed in the database (GROUP BY and window functions), and small-cell
suppression for what the public may see.

Answers of every version of a survey are pooled by question key; labels come from the
current version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select

from bocage.plugins.surveys.models import Answer, Question, QuestionType, Response


@dataclass
class Cell:
    """How many respondents chose ``option`` (in matrix row ``row``)."""

    option: str
    row: str | None
    count: int | None
    percent: float | None
    suppressed: bool = False
    #: Rankings: the average position of the item (1 = first).
    mean_position: float | None = None


@dataclass
class QuestionResult:
    key: str
    type: QuestionType
    respondents: int | None
    cells: list[Cell] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    texts: list[str] | None = None


@dataclass
class SurveyResult:
    respondents: int | None
    suppressed: bool
    min_cell_size: int
    questions: list[QuestionResult]


async def compute(
    session: Any,
    survey_id: int,
    questions: list[Question],
    *,
    public: bool,
    k: int,
    with_texts: bool,
) -> SurveyResult:
    """The results of ``survey_id`` for the current ``questions``; ``public`` suppresses
    every cell under ``k`` respondents (with complementary suppression)."""
    in_survey = and_(
        Answer.response_id == Response.id,
        Response.survey_id == survey_id,
        Answer.question_id == Question.id,
    )
    total = (
        await session.execute(select(func.count()).where(Response.survey_id == survey_id))
    ).scalar_one()
    # Respondents per question (and per matrix row).
    respondents = {
        (key, row): n
        for key, row, n in (
            await session.execute(
                select(Question.key, Answer.row_key, func.count(func.distinct(Answer.response_id)))
                .where(in_survey)
                .group_by(Question.key, Answer.row_key)
            )
        ).all()
    }
    per_question = dict(
        (
            await session.execute(
                select(Question.key, func.count(func.distinct(Answer.response_id)))
                .where(in_survey)
                .group_by(Question.key)
            )
        ).all()
    )
    counts = {
        (key, row, choice): (n, position)
        for key, row, choice, n, position in (
            await session.execute(
                select(
                    Question.key,
                    Answer.row_key,
                    Answer.choice,
                    func.count(),
                    func.avg(Answer.number),
                )
                .where(in_survey, Answer.choice.is_not(None))
                .group_by(Question.key, Answer.row_key, Answer.choice)
            )
        ).all()
    }
    numeric_types = [QuestionType.NUMBER.value, QuestionType.SCALE.value]
    stats = {
        key: (mean, low, high)
        for key, mean, low, high in (
            await session.execute(
                select(
                    Question.key,
                    func.avg(Answer.number),
                    func.min(Answer.number),
                    func.max(Answer.number),
                )
                .where(in_survey, Question.type.in_(numeric_types), Answer.number.is_not(None))
                .group_by(Question.key)
            )
        ).all()
    }
    medians = await _medians(session, in_survey, numeric_types)
    texts: dict[str, list[str]] = {}
    if with_texts:
        rows = await session.execute(
            select(Question.key, Answer.free_text)
            .where(in_survey, Answer.free_text.is_not(None))
            .order_by(Question.key, Answer.id)
        )
        for key, text in rows.all():
            texts.setdefault(key, []).append(text)

    results = []
    for q in questions:
        qtype = QuestionType(q.type)
        rows = [r["value"] for r in q.rows] if qtype is QuestionType.MATRIX else [""]
        n = per_question.get(q.key, 0)
        options = [o["value"] for o in q.options]
        if q.allow_other:
            options.append("other")
        cells: list[Cell] = []
        for row in rows:
            base = respondents.get((q.key, row), 0)
            group = []
            for option in options:
                count, position = counts.get((q.key, row, option), (0, None))
                group.append(
                    Cell(
                        option=option,
                        row=row or None,
                        count=count,
                        percent=round(100 * count / base, 2) if base else None,
                        mean_position=(
                            round(position, 4)
                            if qtype is QuestionType.RANKING and position is not None
                            else None
                        ),
                    )
                )
            if public:
                suppress(group, base, k)
            cells.extend(group)
        mean, low, high = stats.get(q.key, (None, None, None))
        result = QuestionResult(
            key=q.key,
            type=qtype,
            respondents=n,
            cells=cells,
            mean=_round(mean),
            median=_round(medians.get(q.key)),
            minimum=low,
            maximum=high,
            texts=texts.get(q.key, []) if with_texts else None,
        )
        if public and n < k:
            result.respondents = None
            result.mean = result.median = result.minimum = result.maximum = None
        if public:
            # Extremes are single answers: never public.
            result.minimum = result.maximum = None
        results.append(result)
    return SurveyResult(
        respondents=None if public and total < k else total,
        suppressed=public,
        min_cell_size=k,
        questions=results,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


async def _medians(session: Any, in_survey: Any, numeric_types: list[str]) -> dict[str, float]:
    """The median of each numeric question: the middle row(s) by a window function."""
    ranked = (
        select(
            Question.key.label("key"),
            Answer.number.label("number"),
            func.row_number()
            .over(partition_by=Question.key, order_by=Answer.number)
            .label("position"),
            func.count().over(partition_by=Question.key).label("n"),
        )
        .where(in_survey, Question.type.in_(numeric_types), Answer.number.is_not(None))
        .subquery()
    )
    middle = (
        select(ranked.c.key, func.avg(ranked.c.number))
        .where(ranked.c.position.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(ranked.c.key)
    )
    return {key: value for key, value in (await session.execute(middle)).all()}


def suppress(cells: list[Cell], total: int, k: int) -> None:
    """Withhold every count under ``k`` (zero is shown: it names nobody); when a single cell
    of the group is withheld, withhold the next smallest too, so that ``total`` minus the
    others cannot reveal it. A group whose total is under ``k`` is withheld whole."""
    if total < k:
        hidden = [c for c in cells if c.count]
    else:
        hidden = [c for c in cells if c.count and c.count < k]
        if len(hidden) == 1:
            others = sorted(
                (c for c in cells if c.count and c not in hidden), key=lambda c: c.count or 0
            )
            hidden.extend(others[:1])
    for cell in hidden:
        cell.count = cell.percent = cell.mean_position = None
        cell.suppressed = True


@dataclass
class CrossCell:
    """Respondents who chose ``by_option`` for the "by" question and ``option`` for the other."""

    by_option: str
    option: str
    count: int | None
    percent: float | None
    suppressed: bool = False


async def cross_tab(
    session: Any,
    survey_id: int,
    question: Question,
    by: Question,
    *,
    public: bool,
    k: int,
) -> list[CrossCell]:
    """``question`` broken down by the answers to ``by`` (say, the respondent's kind of
    organisation or commune), counted in the database; percentages are of each ``by`` group."""
    from sqlalchemy.orm import aliased

    answer, by_answer = aliased(Answer), aliased(Answer)
    asked, by_question = aliased(Question), aliased(Question)
    joined = (
        select(by_answer.choice, answer.choice, func.count(func.distinct(answer.response_id)))
        .select_from(answer)
        .join(Response, Response.id == answer.response_id)
        .join(asked, asked.id == answer.question_id)
        .join(by_answer, by_answer.response_id == answer.response_id)
        .join(by_question, by_question.id == by_answer.question_id)
        .where(
            Response.survey_id == survey_id,
            asked.key == question.key,
            by_question.key == by.key,
            answer.choice.is_not(None),
            by_answer.choice.is_not(None),
        )
        .group_by(by_answer.choice, answer.choice)
    )
    counts = {(b, o): n for b, o, n in (await session.execute(joined)).all()}
    groups = (
        select(by_answer.choice, func.count(func.distinct(answer.response_id)))
        .select_from(answer)
        .join(Response, Response.id == answer.response_id)
        .join(asked, asked.id == answer.question_id)
        .join(by_answer, by_answer.response_id == answer.response_id)
        .join(by_question, by_question.id == by_answer.question_id)
        .where(
            Response.survey_id == survey_id,
            asked.key == question.key,
            by_question.key == by.key,
            answer.choice.is_not(None),
            by_answer.choice.is_not(None),
        )
        .group_by(by_answer.choice)
    )
    bases = dict((await session.execute(groups)).all())
    by_options = [o["value"] for o in by.options] + (["other"] if by.allow_other else [])
    options = [o["value"] for o in question.options] + (["other"] if question.allow_other else [])
    cells: list[CrossCell] = []
    for by_option in by_options:
        base = bases.get(by_option, 0)
        group = [
            Cell(
                option=option,
                row=by_option,
                count=counts.get((by_option, option), 0),
                percent=(
                    round(100 * counts.get((by_option, option), 0) / base, 2) if base else None
                ),
            )
            for option in options
        ]
        if public:
            suppress(group, base, k)
        cells.extend(
            CrossCell(
                by_option=by_option,
                option=c.option,
                count=c.count,
                percent=c.percent,
                suppressed=c.suppressed,
            )
            for c in group
        )
    return cells
