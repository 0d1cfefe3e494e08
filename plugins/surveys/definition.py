"""Question definitions and answers: what is a valid question, which questions are shown
(skip logic), and whether an answer fits its question. Pure Python, no database."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from typing import Any

from bocage.core.api import Code, Invalid
from bocage.plugins.surveys.i18n import Translate, translator
from bocage.plugins.surveys.models import STAKEHOLDER_KINDS, QuestionType, Segment

#: The option value of "other, please specify".
OTHER = "other"
#: The longest free text accepted when a question sets no ``max_length``.
DEFAULT_MAX_LENGTH = 5000
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: What an option's value may look like (scale points are integers: "-2", "0", "5").
OPTION = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

CHOICE_TYPES = {
    QuestionType.SINGLE_CHOICE,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.SCALE,
    QuestionType.RANKING,
    QuestionType.MATRIX,
}


class ConditionOperator(enum.StrEnum):
    """How a skip rule compares an earlier answer with the rule's values."""

    EQUALS = "equals"
    """The answer is one of the values (every chosen option among them)."""
    NOT_EQUALS = "not_equals"
    """No chosen option is among the values (or the question was not answered)."""
    INCLUDES = "includes"
    """At least one chosen option is among the values."""
    GREATER_THAN = "greater_than"
    LESS_THAN = "less_than"
    ANSWERED = "answered"


OPERATORS = {op.value for op in ConditionOperator}


@dataclass
class QuestionSpec:
    """A question as validated from a manager's input (or read back from its row)."""

    key: str
    type: QuestionType
    title: dict[str, str]
    required: bool = False
    help: dict[str, str] = field(default_factory=dict)
    options: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    allow_other: bool = False
    min_selected: int | None = None
    max_selected: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    show_if: dict[str, Any] | None = None
    segment: str | None = None

    @classmethod
    def of(cls, row: Any) -> QuestionSpec:
        return cls(
            key=row.key,
            type=QuestionType(row.type),
            title=row.title,
            required=row.required,
            help=row.help or {},
            options=row.options or [],
            rows=row.rows or [],
            allow_other=row.allow_other,
            min_selected=row.min_selected,
            max_selected=row.max_selected,
            max_length=row.max_length,
            min_value=row.min_value,
            max_value=row.max_value,
            show_if=row.show_if,
            segment=row.segment,
        )

    @property
    def values(self) -> list[str]:
        return [o["value"] for o in self.options]


@dataclass
class AnswerValue:
    """An answer in the generic shape every type shares; each type reads its own fields."""

    question: str
    choices: list[str] | None = None
    text: str | None = None
    number: float | None = None
    date: dt.date | None = None
    other: str | None = None
    #: Matrix answers: ``{row value: column value}``.
    cells: dict[str, str] | None = None

    def is_empty(self) -> bool:
        return (
            not self.choices
            and not (self.text or "").strip()
            and self.number is None
            and self.date is None
            and not self.cells
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "choices": self.choices,
            "text": self.text,
            "number": self.number,
            "date": self.date.isoformat() if self.date else None,
            "other": self.other,
            "cells": self.cells,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerValue:
        date = data.get("date")
        return cls(
            question=data["question"],
            choices=data.get("choices"),
            text=data.get("text"),
            number=data.get("number"),
            date=dt.date.fromisoformat(date) if date else None,
            other=data.get("other"),
            cells=data.get("cells"),
        )


# -- definitions ------------------------------------------------------------------------------


def check_questions(questions: list[QuestionSpec]) -> None:
    """Raise :class:`Invalid` naming the first question whose definition is wrong."""
    if not questions:
        raise Invalid(Code.REQUIRED, "a survey needs at least one question", "questions")
    seen: dict[str, QuestionSpec] = {}
    for index, q in enumerate(questions):
        where = f"questions[{index}]"

        def bad(message: str, where: str = where, q: QuestionSpec = q) -> Invalid:
            return Invalid(Code.INVALID, f"question {q.key!r}: {message}", where)

        if not KEY.match(q.key):
            raise Invalid(
                Code.INVALID,
                f"question key {q.key!r} must be 1-40 lowercase letters, digits or _ "
                "and start with a letter",
                where,
            )
        if q.key in seen:
            raise Invalid(Code.DUPLICATE, f"question key {q.key!r} is used twice", where)
        if not q.title:
            raise Invalid(Code.REQUIRED, f"question {q.key!r} needs a title", where)
        values = q.values
        if q.type is QuestionType.SECTION and (
            q.required
            or q.options
            or q.rows
            or q.allow_other
            or q.segment
            or any(
                getattr(q, name) is not None
                for name in ("min_selected", "max_selected", "max_length", "min_value", "max_value")
            )
        ):
            raise bad("a section is a heading: it takes a title, help and showIf only")
        if len(set(values)) != len(values):
            raise bad("two options have the same value")
        if any(not OPTION.match(v) for v in values) or OTHER in values:
            raise bad(f"option values are 1-40 of a-z, 0-9, _ or -, and not {OTHER!r}")
        if q.type in CHOICE_TYPES and len(values) < 2:
            raise bad(f"a {q.type.value} question needs at least two options")
        if q.type not in CHOICE_TYPES and values:
            raise bad(f"a {q.type.value} question takes no options")
        if q.type is QuestionType.SCALE:
            try:
                [int(v) for v in values]
            except ValueError:
                raise bad("scale points are integers, e.g. 1, 2, 3, 4, 5") from None
        if q.type is QuestionType.MATRIX:
            rows = [r["value"] for r in q.rows]
            if not rows or len(set(rows)) != len(rows) or any(not OPTION.match(r) for r in rows):
                raise bad("a matrix needs rows with distinct values (a-z, 0-9, _ or -)")
        elif q.rows:
            raise bad("only a matrix has rows")
        if q.allow_other and q.type not in (
            QuestionType.SINGLE_CHOICE,
            QuestionType.MULTIPLE_CHOICE,
        ):
            raise bad('"other, please specify" exists for single and multiple choice only')
        for name in ("min_selected", "max_selected"):
            value = getattr(q, name)
            if value is not None and (
                q.type not in (QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING) or value < 0
            ):
                raise bad(f"{name} applies to multiple choice and ranking, and is >= 0")
        if (
            q.min_selected is not None
            and q.max_selected is not None
            and q.min_selected > q.max_selected
        ):
            raise bad("min_selected is above max_selected")
        if q.max_length is not None and (q.type is not QuestionType.FREE_TEXT or q.max_length < 1):
            raise bad("max_length applies to free text and is at least 1")
        if (q.min_value is not None or q.max_value is not None) and q.type is not (
            QuestionType.NUMBER
        ):
            raise bad("min_value and max_value apply to numbers")
        if q.min_value is not None and q.max_value is not None and q.min_value > q.max_value:
            raise bad("min_value is above max_value")
        if q.show_if is not None:
            _check_condition(q, seen, where)
        if q.segment is not None:
            _check_segment(q, list(seen.values()), bad)
        seen[q.key] = q


NIS = re.compile(r"^\d{5}$")


def _check_segment(q: QuestionSpec, earlier: list[QuestionSpec], bad: Any) -> None:
    """A segment question is a single choice among stakeholder kinds or communes' NIS codes."""
    if q.segment not in {s.value for s in Segment}:
        raise bad(f"segment must be one of {', '.join(s.value for s in Segment)}")
    if q.type is not QuestionType.SINGLE_CHOICE or q.allow_other:
        raise bad('a segment question is a single choice without "other"')
    if any(other.segment == q.segment for other in earlier):
        raise bad(f"another question already declares the {q.segment} segment")
    if q.segment == Segment.STAKEHOLDER_KIND:
        unknown = [v for v in q.values if v not in STAKEHOLDER_KINDS]
        if unknown:
            raise bad(
                f"options {unknown} are not stakeholder kinds ({', '.join(STAKEHOLDER_KINDS)})"
            )
    elif any(not NIS.match(v) for v in q.values):
        raise bad("the options of a commune segment are NIS codes (5 digits, e.g. 64034)")


def _check_condition(q: QuestionSpec, earlier: dict[str, QuestionSpec], where: str) -> None:
    condition = q.show_if or {}
    target = earlier.get(condition.get("question", ""))
    if target is None:
        raise Invalid(
            Code.INVALID,
            f"question {q.key!r}: showIf must name an earlier question "
            f"({', '.join(earlier) or 'there is none'})",
            where,
        )
    if target.type is QuestionType.SECTION:
        raise Invalid(
            Code.INVALID,
            f"question {q.key!r}: showIf must name a question, not the section {target.key!r}",
            where,
        )
    operator = condition.get("operator")
    if operator not in OPERATORS:
        raise Invalid(
            Code.INVALID,
            f"question {q.key!r}: showIf operator must be one of {', '.join(sorted(OPERATORS))}",
            where,
        )
    values = condition.get("values") or []
    if operator in ("greater_than", "less_than"):
        if target.type not in (QuestionType.NUMBER, QuestionType.SCALE) or len(values) != 1:
            raise Invalid(
                Code.INVALID,
                f"question {q.key!r}: {operator} compares a number or scale with one value",
                where,
            )
        try:
            float(values[0])
        except ValueError:
            raise Invalid(
                Code.INVALID, f"question {q.key!r}: {values[0]!r} is no number", where
            ) from None
    elif operator != "answered":
        allowed = set(target.values) | ({OTHER} if target.allow_other else set())
        if not values or not set(values) <= allowed:
            raise Invalid(
                Code.INVALID,
                f"question {q.key!r}: showIf values must be options of {target.key!r} "
                f"({', '.join(sorted(allowed))})",
                where,
            )


# -- skip logic -------------------------------------------------------------------------------


def scale_value(option: str) -> float:
    """The number of a scale point (its value is an integer in a string)."""
    return float(int(option))


def _holds(condition: dict[str, Any], answer: AnswerValue | None, target: QuestionSpec) -> bool:
    operator = condition["operator"]
    values = condition.get("values") or []
    if answer is None or answer.is_empty():
        return operator == "not_equals"
    if operator == "answered":
        return True
    if operator in ("greater_than", "less_than"):
        number = answer.number
        if number is None:
            return False
        limit = float(values[0])
        return number > limit if operator == "greater_than" else number < limit
    chosen = set(answer.choices or [])
    if target.type is QuestionType.SCALE and answer.number is not None:
        chosen = {v for v in target.values if scale_value(v) == answer.number}
    if operator == "equals":
        return bool(chosen) and chosen <= set(values)
    if operator == "not_equals":
        return not chosen & set(values)
    return bool(chosen & set(values))  # includes


def visible_questions(
    questions: list[QuestionSpec], answers: dict[str, AnswerValue]
) -> dict[str, bool]:
    """Which questions are shown given the answers (a question hidden hides its dependants; a
    section hidden hides every question up to the next section)."""
    shown: dict[str, bool] = {}
    by_key = {q.key: q for q in questions}
    section = True
    for q in questions:
        condition = q.show_if
        if condition is None:
            visible = True
        else:
            target = condition["question"]
            visible = shown.get(target, False) and _holds(
                condition, answers.get(target), by_key[target]
            )
        if q.type is QuestionType.SECTION:
            section = visible
        else:
            visible = visible and section
        shown[q.key] = visible
    return shown


# -- answers ----------------------------------------------------------------------------------


def check_answers(
    questions: list[QuestionSpec],
    answers: list[AnswerValue],
    *,
    complete: bool,
    language: str | None = None,
) -> list[Invalid]:
    """Every problem of ``answers``, each naming its question; ``complete`` also demands the
    required questions that are shown (a draft may leave them out). Messages are in
    ``language`` (the respondent's; English by default)."""
    _ = translator(language)
    by_key = {q.key: q for q in questions}
    errors: list[Invalid] = []
    given: dict[str, AnswerValue] = {}
    for answer in answers:
        if answer.question not in by_key:
            errors.append(
                Invalid(
                    Code.NOT_FOUND,
                    _("no question {key} in this survey", key=repr(answer.question)),
                    "answers",
                )
            )
        elif answer.question in given:
            errors.append(
                Invalid(Code.DUPLICATE, _("answered twice: send one answer"), answer.question)
            )
        else:
            given[answer.question] = answer
    shown = visible_questions(questions, given)
    for q in questions:
        reply = given.get(q.key)
        title = _title(q, _, language)
        if reply is None or reply.is_empty():
            if complete and q.required and shown[q.key]:
                message = _("{question} needs an answer", question=title)
                errors.append(Invalid(Code.REQUIRED, message, q.key))
            continue
        if not shown[q.key]:
            condition = q.show_if or {}
            message = _(
                "{question} is skipped given the answer to {other}: leave it out",
                question=title,
                other=repr(condition.get("question")),
            )
            errors.append(Invalid(Code.INVALID, message, q.key))
            continue
        problem = _problem(q, reply, _)
        if problem:
            message = _("{question}: {problem}", question=title, problem=problem)
            errors.append(Invalid(Code.INVALID, message, q.key))
    return errors


def _title(q: QuestionSpec, _: Translate, language: str | None) -> str:
    title = q.title.get(language or "") or next(iter(q.title.values()), "")
    if title:
        return _("question {key} ({title})", key=repr(q.key), title=title)
    return _("question {key}", key=repr(q.key))


def _only(answer: AnswerValue, _: Translate, *allowed: str) -> str | None:
    present = {
        "choices": bool(answer.choices),
        "text": answer.text is not None,
        "number": answer.number is not None,
        "date": answer.date is not None,
        "other": answer.other is not None,
        "cells": bool(answer.cells),
    }
    extra = [name for name, used in present.items() if used and name not in allowed]
    if extra:
        return _("takes {allowed}, not {extra}", allowed=", ".join(allowed), extra=", ".join(extra))
    return None


def _listed(values: list[str]) -> str:
    return ", ".join(map(repr, values))


def _problem(q: QuestionSpec, a: AnswerValue, _: Translate) -> str | None:  # noqa: C901
    t = q.type
    if t is QuestionType.SINGLE_CHOICE or t is QuestionType.MULTIPLE_CHOICE:
        if problem := _only(a, _, "choices", "other"):
            return problem
        choices = a.choices or []
        allowed = set(q.values) | ({OTHER} if q.allow_other else set())
        unknown = [c for c in choices if c not in allowed]
        if unknown:
            return _(
                "{values} is not an option ({options})",
                values=_listed(unknown),
                options=", ".join(sorted(allowed)),
            )
        if len(set(choices)) != len(choices):
            return _("an option is chosen twice")
        if t is QuestionType.SINGLE_CHOICE and len(choices) != 1:
            return _("choose exactly one option, not {count}", count=len(choices))
        if t is QuestionType.MULTIPLE_CHOICE:
            if q.min_selected is not None and len(choices) < q.min_selected:
                return _(
                    "choose at least {minimum} options, not {count}",
                    minimum=q.min_selected,
                    count=len(choices),
                )
            if q.max_selected is not None and len(choices) > q.max_selected:
                return _(
                    "choose at most {maximum} options, not {count}",
                    maximum=q.max_selected,
                    count=len(choices),
                )
        if OTHER in choices and not (a.other or "").strip():
            return _('"other" is chosen: say what in `other`')
        if OTHER not in choices and a.other is not None:
            return _('`other` is given but the "other" option is not chosen')
        if a.other is not None and len(a.other) > DEFAULT_MAX_LENGTH:
            return _("`other` is longer than {limit} characters", limit=DEFAULT_MAX_LENGTH)
        return None
    if t is QuestionType.FREE_TEXT:
        if problem := _only(a, _, "text"):
            return problem
        limit = q.max_length or DEFAULT_MAX_LENGTH
        if len(a.text or "") > limit:
            return _(
                "the text is {length} characters long; the maximum is {limit}",
                length=len(a.text or ""),
                limit=limit,
            )
        return None
    if t is QuestionType.NUMBER:
        if problem := _only(a, _, "number"):
            return problem
        assert a.number is not None
        if q.min_value is not None and a.number < q.min_value:
            return _(
                "{number} is below the minimum {minimum}",
                number=f"{a.number:g}",
                minimum=f"{q.min_value:g}",
            )
        if q.max_value is not None and a.number > q.max_value:
            return _(
                "{number} is above the maximum {maximum}",
                number=f"{a.number:g}",
                maximum=f"{q.max_value:g}",
            )
        return None
    if t is QuestionType.SCALE:
        if problem := _only(a, _, "number"):
            return problem
        points = [scale_value(v) for v in q.values]
        if a.number not in points:
            return _(
                "{number} is not a point of the scale ({points})",
                number=f"{a.number:g}",
                points=", ".join(f"{p:g}" for p in points),
            )
        return None
    if t is QuestionType.DATE:
        return _only(a, _, "date")
    if t is QuestionType.SECTION:
        return _("a section is a heading: it takes no answer")
    if t is QuestionType.RANKING:
        if problem := _only(a, _, "choices"):
            return problem
        choices = a.choices or []
        unknown = [c for c in choices if c not in q.values]
        if unknown:
            return _("{values} is not an item to rank", values=_listed(unknown))
        if len(set(choices)) != len(choices):
            return _("an item is ranked twice")
        if q.max_selected is None and len(choices) != len(q.values):
            return _("rank all {total} items, not {count}", total=len(q.values), count=len(choices))
        if q.max_selected is not None and len(choices) > q.max_selected:
            return _("rank at most {maximum} items", maximum=q.max_selected)
        if q.min_selected is not None and len(choices) < q.min_selected:
            return _("rank at least {minimum} items", minimum=q.min_selected)
        return None
    # matrix
    if problem := _only(a, _, "cells"):
        return problem
    cells = a.cells or {}
    rows = [r["value"] for r in q.rows]
    unknown_rows = [r for r in cells if r not in rows]
    if unknown_rows:
        return _(
            "{values} is not a row ({rows})", values=_listed(unknown_rows), rows=", ".join(rows)
        )
    bad = [f"{r}={c}" for r, c in cells.items() if c not in q.values]
    if bad:
        return _(
            "{cells}: the column is not one of {columns}",
            cells=", ".join(bad),
            columns=", ".join(q.values),
        )
    if q.required and len(cells) != len(rows):
        missing = [r for r in rows if r not in cells]
        return _("answer every row (missing: {missing})", missing=", ".join(missing))
    return None


def answer_rows(q: QuestionSpec, a: AnswerValue) -> list[dict[str, Any]]:
    """The ``surveys_answer`` rows of a valid answer (see :class:`models.Answer`)."""
    t = q.type
    if a.is_empty() or t is QuestionType.SECTION:
        return []
    if t in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        return [
            {"choice": c, "free_text": a.other if c == OTHER else None} for c in a.choices or []
        ]
    if t is QuestionType.FREE_TEXT:
        return [{"free_text": a.text}]
    if t is QuestionType.NUMBER:
        return [{"number": a.number}]
    if t is QuestionType.SCALE:
        assert a.number is not None
        point = next(v for v in q.values if scale_value(v) == a.number)
        return [{"choice": point, "number": a.number}]
    if t is QuestionType.DATE:
        return [{"day": a.date}]
    if t is QuestionType.RANKING:
        return [{"choice": c, "number": float(i + 1)} for i, c in enumerate(a.choices or [])]
    return [{"row_key": r, "choice": c} for r, c in (a.cells or {}).items()]
