"""Results, computed in the database (GROUP BY and window functions), and small-cell
suppression for what the public may see.

Answers of every version of a survey are pooled by question key; labels come from the
current version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, cast, column, func, select, table, union_all

from bocage.plugins.surveys.models import (
    Answer,
    Attribution,
    Invitation,
    Question,
    QuestionType,
    Response,
    Segment,
)
from bocage.plugins.surveys.suppression import suppress_table


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
    # Dates: how many per month ("2027-03"), from the ISO text both engines give a date.
    month = func.substr(cast(Answer.day, String), 1, 7)
    months: dict[str, list[str]] = {}
    for key, value, n in (
        await session.execute(
            select(Question.key, month, func.count())
            .where(in_survey, Answer.day.is_not(None))
            .group_by(Question.key, month)
            .order_by(Question.key, month)
        )
    ).all():
        months.setdefault(key, []).append(value)
        counts[(key, "", value)] = (n, None)
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
        if qtype is QuestionType.SECTION:
            continue  # a heading: nothing to count
        rows = [r["value"] for r in q.rows] if qtype is QuestionType.MATRIX else [""]
        n = per_question.get(q.key, 0)
        options = [o["value"] for o in q.options] + months.get(q.key, [])
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
    """Withhold the cells of one group (a question, a matrix row) whose ``total`` respondents
    are public: every count under ``k`` (zero is shown: it names nobody) and complements, so
    that the total cannot reveal a withheld count (see :mod:`.suppression`)."""
    hidden = suppress_table(
        [[c.count or 0 for c in cells]], k, column_totals=False, row_bases=[total]
    )
    for _, index in hidden:
        _withhold(cells[index])


def _withhold(cell: Any) -> None:
    cell.count = cell.percent = None
    if hasattr(cell, "mean_position"):
        cell.mean_position = None
    cell.suppressed = True


@dataclass
class CrossCell:
    """Respondents of segment ``by_option`` who chose ``option``."""

    by_option: str
    option: str
    count: int | None
    percent: float | None
    suppressed: bool = False


#: The core's tables, read through the contract (no import of private models).
_stakeholder = table("stakeholder", column("id"), column("kind"))
_stakeholder_commune = table("stakeholder_commune", column("stakeholder_id"), column("commune_id"))
_commune = table("commune", column("id"), column("nis_code"))


def answer_values(survey_id: int, key: str) -> Any:
    """``(response_id, value)`` of every choice made in question ``key`` of the survey (any
    version): a subquery to group or join on."""
    return (
        select(Answer.response_id.label("response_id"), Answer.choice.label("value"))
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Response.survey_id == survey_id, Question.key == key, Answer.choice.is_not(None))
    )


def segment_values(
    survey_id: int, segment: Segment, *, anonymous: bool, question_key: str | None
) -> Any | None:
    """``(response_id, value)``: each response's segment. An attributed response takes it
    from its invitation's organisation (its kind, or each commune it acts in); an anonymous
    one (or one given through the public link) from the question declaring the segment, if
    any. ``None`` when the survey has no way to know it."""
    declared = (
        answer_values(survey_id, question_key).subquery() if question_key is not None else None
    )
    if anonymous:
        return select(declared.c.response_id, declared.c.value) if declared is not None else None
    invited = (
        select(Attribution.response_id.label("response_id"))
        .join(Invitation, Invitation.id == Attribution.invitation_id)
        .join(Response, Response.id == Attribution.response_id)
        .where(Response.survey_id == survey_id)
    )
    if segment is Segment.STAKEHOLDER_KIND:
        from_invitation = invited.add_columns(_stakeholder.c.kind.label("value")).join(
            _stakeholder, _stakeholder.c.id == Invitation.stakeholder_id
        )
    else:
        from_invitation = (
            invited.add_columns(_commune.c.nis_code.label("value"))
            .join(
                _stakeholder_commune,
                _stakeholder_commune.c.stakeholder_id == Invitation.stakeholder_id,
            )
            .join(_commune, _commune.c.id == _stakeholder_commune.c.commune_id)
        )
    if declared is None:
        return from_invitation
    self_declared = select(declared.c.response_id, declared.c.value).where(
        declared.c.response_id.not_in(select(Attribution.response_id))
    )
    return union_all(from_invitation, self_declared)


async def cross_tab(
    session: Any,
    survey_id: int,
    question: Question,
    by: Any,
    by_options: list[str],
    *,
    public: bool,
    k: int,
) -> list[CrossCell]:
    """``question`` broken down by ``by``, a ``(response_id, value)`` select (the answers to
    another question, or the respondents' segments), counted in the database; percentages
    are of each ``by`` group. Publicly, small cells are withheld with their complements
    along both rows (groups) and columns (options), whose totals are public elsewhere."""
    asked = answer_values(survey_id, question.key).subquery()
    groups = by.subquery()
    both = asked.join(groups, groups.c.response_id == asked.c.response_id)
    counts = {
        (b, o): n
        for b, o, n in (
            await session.execute(
                select(
                    groups.c.value, asked.c.value, func.count(func.distinct(asked.c.response_id))
                )
                .select_from(both)
                .group_by(groups.c.value, asked.c.value)
            )
        ).all()
    }
    bases = dict(
        (
            await session.execute(
                select(groups.c.value, func.count(func.distinct(asked.c.response_id)))
                .select_from(both)
                .group_by(groups.c.value)
            )
        ).all()
    )
    column_bases = dict(
        (
            await session.execute(
                select(asked.c.value, func.count(func.distinct(asked.c.response_id)))
                .select_from(both)
                .group_by(asked.c.value)
            )
        ).all()
    )
    by_options = list(dict.fromkeys([*by_options, *sorted(str(b) for b in bases)]))
    options = [o["value"] for o in question.options] + (["other"] if question.allow_other else [])
    grid = [[counts.get((b, o), 0) for o in options] for b in by_options]
    hidden: set[tuple[int, int]] = set()
    if public:
        hidden = suppress_table(
            grid,
            k,
            column_totals=True,
            row_bases=[bases.get(b, 0) for b in by_options],
            column_bases=[column_bases.get(o, 0) for o in options],
        )
    cells: list[CrossCell] = []
    for r, by_option in enumerate(by_options):
        base = bases.get(by_option, 0)
        for c, option in enumerate(options):
            count = grid[r][c]
            cell = CrossCell(
                by_option=by_option,
                option=option,
                count=count,
                percent=round(100 * count / base, 2) if base else None,
            )
            if (r, c) in hidden:
                _withhold(cell)
            cells.append(cell)
    return cells
