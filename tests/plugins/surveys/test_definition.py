"""Question definitions, skip logic and answer checks, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from bocage.core.api import Invalid
from bocage.plugins.surveys.definition import (
    AnswerValue,
    QuestionSpec,
    answer_rows,
    check_answers,
    check_questions,
    visible_questions,
)
from bocage.plugins.surveys.models import QuestionType as T


def opts(*values: str) -> list[dict[str, object]]:
    return [{"value": v, "label": {"fr": v}} for v in values]


def q(key: str, type_: T, **kwargs: object) -> QuestionSpec:
    return QuestionSpec(key=key, type=type_, title={"fr": key}, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (q("Bad", T.FREE_TEXT), "lowercase"),
        (q("a", T.SINGLE_CHOICE, options=opts("x")), "at least two options"),
        (q("a", T.NUMBER, options=opts("x", "y")), "takes no options"),
        (q("a", T.SCALE, options=opts("low", "high")), "integers"),
        (q("a", T.MATRIX, options=opts("x", "y")), "rows"),
        (q("a", T.FREE_TEXT, allow_other=True), "other"),
        (
            q("a", T.MULTIPLE_CHOICE, options=opts("x", "y"), min_selected=2, max_selected=1),
            "above",
        ),
        (q("a", T.NUMBER, min_value=5, max_value=1), "above"),
        (q("a", T.FREE_TEXT, max_length=0), "at least 1"),
        (q("a", T.SINGLE_CHOICE, options=opts("x", "other")), "not 'other'"),
        (q("a", T.SECTION, required=True), "heading"),
        (q("a", T.SECTION, options=opts("x", "y")), "heading"),
        (q("a", T.SINGLE_CHOICE, options=opts("x", "y"), segment="commune"), "NIS codes"),
        (q("a", T.FREE_TEXT, segment="commune"), "single choice"),
        (q("a", T.SINGLE_CHOICE, options=opts("x", "y"), segment="stakeholder_kind"), "kinds"),
    ],
)
def test_bad_definitions_are_refused(question: QuestionSpec, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        check_questions([question])


def test_skip_rules_point_backwards_at_real_options() -> None:
    first = q("first", T.SINGLE_CHOICE, options=opts("yes", "no"))
    with pytest.raises(Invalid, match="options of 'first'"):
        check_questions(
            [
                first,
                q(
                    "b",
                    T.FREE_TEXT,
                    show_if={"question": "first", "operator": "equals", "values": ["maybe"]},
                ),
            ]
        )
    with pytest.raises(Invalid, match="earlier question"):
        check_questions(
            [
                q(
                    "b",
                    T.FREE_TEXT,
                    show_if={"question": "first", "operator": "equals", "values": ["yes"]},
                ),
                first,
            ]
        )
    with pytest.raises(Invalid, match="compares a number"):
        check_questions(
            [
                first,
                q(
                    "b",
                    T.FREE_TEXT,
                    show_if={"question": "first", "operator": "greater_than", "values": ["1"]},
                ),
            ]
        )


def test_a_hidden_question_hides_its_dependants() -> None:
    questions = [
        q("a", T.SINGLE_CHOICE, options=opts("yes", "no")),
        q("b", T.NUMBER, show_if={"question": "a", "operator": "equals", "values": ["yes"]}),
        q(
            "c",
            T.FREE_TEXT,
            show_if={"question": "b", "operator": "greater_than", "values": ["10"]},
        ),
    ]
    check_questions(questions)
    no = {"a": AnswerValue("a", choices=["no"]), "b": AnswerValue("b", number=50)}
    assert visible_questions(questions, no) == {"a": True, "b": False, "c": False}
    yes = {"a": AnswerValue("a", choices=["yes"]), "b": AnswerValue("b", number=50)}
    assert visible_questions(questions, yes) == {"a": True, "b": True, "c": True}


def test_a_hidden_section_hides_its_questions_up_to_the_next_section() -> None:
    questions = [
        q("member", T.SINGLE_CHOICE, options=opts("yes", "no"), required=True),
        q(
            "membership",
            T.SECTION,
            show_if={"question": "member", "operator": "equals", "values": ["yes"]},
        ),
        q("since", T.DATE, required=True),
        q("fee", T.NUMBER, required=True),
        q("general", T.SECTION),
        q("comment", T.FREE_TEXT),
    ]
    check_questions(questions)
    no = {"member": AnswerValue("member", choices=["no"])}
    assert visible_questions(questions, no) == {
        "member": True,
        "membership": False,
        "since": False,
        "fee": False,
        "general": True,
        "comment": True,
    }
    # Skipped required questions are not required; answering them, or a section, is refused.
    assert check_answers(questions, list(no.values()), complete=True) == []
    errors = check_answers(
        questions,
        [no["member"], AnswerValue("fee", number=3), AnswerValue("general", text="?")],
        complete=True,
    )
    assert {e.field: e.message for e in errors}.keys() == {"fee", "general"}
    assert "skipped" in errors[0].message and "heading" in errors[1].message
    yes = [AnswerValue("member", choices=["yes"])]
    assert {e.field for e in check_answers(questions, yes, complete=True)} == {"since", "fee"}
    # A rule cannot read a section.
    with pytest.raises(Invalid, match="not the section"):
        check_questions(
            [
                q("s", T.SECTION),
                q("x", T.FREE_TEXT, show_if={"question": "s", "operator": "answered"}),
            ]
        )


def test_answers_become_groupable_rows() -> None:
    scale = q("s", T.SCALE, options=opts("1", "2", "3"))
    assert answer_rows(scale, AnswerValue("s", number=2)) == [{"choice": "2", "number": 2.0}]
    ranking = q("r", T.RANKING, options=opts("x", "y"))
    assert answer_rows(ranking, AnswerValue("r", choices=["y", "x"])) == [
        {"choice": "y", "number": 1.0},
        {"choice": "x", "number": 2.0},
    ]
    matrix = q("m", T.MATRIX, rows=opts("r1"), options=opts("x", "y"))
    assert answer_rows(matrix, AnswerValue("m", cells={"r1": "y"})) == [
        {"row_key": "r1", "choice": "y"}
    ]
    date = q("d", T.DATE)
    assert answer_rows(date, AnswerValue("d", date=dt.date(2026, 1, 2))) == [
        {"day": dt.date(2026, 1, 2)}
    ]


def test_wrong_fields_and_matrix_rows_are_named() -> None:
    questions = [
        q("n", T.NUMBER),
        q("m", T.MATRIX, required=True, rows=opts("r1", "r2"), options=opts("x", "y")),
    ]
    errors = check_answers(
        questions,
        [AnswerValue("n", text="dix"), AnswerValue("m", cells={"r1": "z", "r3": "x"})],
        complete=True,
    )
    messages = {e.field: e.message for e in errors}
    assert "takes number, not text" in messages["n"]
    assert "'r3' is not a row" in messages["m"]
    errors = check_answers(questions, [AnswerValue("m", cells={"r1": "x"})], complete=True)
    assert "missing: r2" in errors[0].message
