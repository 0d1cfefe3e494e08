"""Results computed in the database, exact on thousands of generated responses, and
small-cell suppression for the public."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from bocage.core.testing import Databases, World, runner, settings_for
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys.results import Cell, suppress

N = 3000
K = 5

RESULTS = """
query($id: ID!, $public: Boolean!) {
  surveyResults(id: $id, public: $public) {
    respondents suppressed minCellSize
    questions {
      key type respondents mean median minimum maximum texts
      cells { option row count percent suppressed meanPosition }
    }
  }
}"""


def _label(text: str) -> dict[str, str]:
    return {"fr": text}


def _opts(*values: str) -> list[dict[str, Any]]:
    return [{"value": v, "label": _label(v)} for v in values]


QUESTIONS = [
    {
        "key": "kind",
        "type": "SINGLE_CHOICE",
        "title": _label("Structure"),
        "allowOther": True,
        "options": _opts("association", "enterprise", "commune"),
    },
    {
        "key": "channels",
        "type": "MULTIPLE_CHOICE",
        "title": _label("Canaux"),
        "options": _opts("web", "facebook", "newsletter", "press"),
    },
    {
        "key": "satisfaction",
        "type": "SCALE",
        "title": _label("Satisfaction"),
        "options": _opts("1", "2", "3", "4", "5"),
    },
    {"key": "members", "type": "NUMBER", "title": _label("Membres")},
    {
        "key": "needs",
        "type": "RANKING",
        "title": _label("Besoins"),
        "options": _opts("training", "visibility", "funding"),
    },
    {
        "key": "tools",
        "type": "MATRIX",
        "title": _label("Outils"),
        "rows": _opts("drive", "visio"),
        "options": _opts("never", "sometimes", "often"),
    },
    {"key": "comment", "type": "FREE_TEXT", "title": _label("Commentaire")},
    {"key": "founded", "type": "DATE", "title": _label("Fondée le")},
]


def _generate(questions: dict[str, int], set_id: int, survey_id: int) -> tuple[list, list, dict]:
    """Responses and answer rows, and the expected aggregates computed in Python."""
    rng = random.Random(6)
    responses, answers = [], []
    counts: Counter[tuple[str, str, str]] = Counter()
    respondents: dict[tuple[str, str], set[str]] = defaultdict(set)
    numbers: dict[str, list[float]] = defaultdict(list)
    positions: dict[str, list[float]] = defaultdict(list)
    texts = []
    for i in range(N):
        rid = sm.random_key()
        responses.append(
            {
                "id": rid,
                "survey_id": survey_id,
                "question_set_id": set_id,
                "submitted_on": dt.date(2026, 5, 1 + i % 28),
            }
        )

        def add(key: str, row: str = "", rid: str = rid, **value: Any) -> None:
            answers.append(
                {
                    "response_id": rid,
                    "question_id": questions[key],
                    "row_key": row,
                    "choice": None,
                    "number": None,
                    "day": None,
                    "free_text": None,
                    **value,
                }
            )
            respondents[(key, row)].add(rid)
            if value.get("choice") is not None:
                counts[(key, row, value["choice"])] += 1

        # "commune" is chosen by exactly 3 respondents, "other" by 40: small and large cells.
        kind = (
            "commune" if i < 3 else "other" if i < 43 else rng.choice(["association", "enterprise"])
        )
        add("kind", choice=kind, free_text="coopérative" if kind == "other" else None)
        if kind == "other":
            texts.append("coopérative")
        for channel in rng.sample(["web", "facebook", "newsletter", "press"], rng.randint(1, 2)):
            add("channels", choice=channel)
        if i % 10:  # a tenth skip the scale
            point = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 5, 8, 4])[0]
            add("satisfaction", choice=str(point), number=float(point))
            numbers["satisfaction"].append(float(point))
        members = float(rng.randint(0, 500))
        add("members", number=members)
        numbers["members"].append(members)
        for position, item in enumerate(rng.sample(["training", "visibility", "funding"], 3)):
            add("needs", choice=item, number=float(position + 1))
            positions[item].append(position + 1)
        add("tools", "drive", choice=rng.choice(["never", "sometimes", "often"]))
        add("tools", "visio", choice="often" if i < 2 else rng.choice(["never", "sometimes"]))
        founded = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 400))
        add("founded", day=founded)
        counts[("founded", "", founded.isoformat()[:7])] += 1
        if i % 100 == 0:
            add("comment", free_text=f"remarque {i}")
            texts.append(f"remarque {i}")
    expected = {
        "counts": counts,
        "respondents": respondents,
        "numbers": numbers,
        "positions": positions,
        "texts": texts,
    }
    return responses, answers, expected


@pytest.fixture(scope="module")
async def module_world(databases: Databases, small_demo_url: str) -> AsyncIterator[World]:
    """One copy of the small demo for the module: generating the thousands of responses
    takes seconds, and the tests only read them (or the surveys they make)."""
    url = await databases.clone(small_demo_url)
    shared = World.open(url, settings_for(url))
    yield shared
    await shared.close()


@pytest.fixture
def world(module_world: World) -> World:
    return module_world


@pytest.fixture
def run(module_world: World) -> Any:
    return runner(module_world)


@pytest.fixture(scope="module")
def generations() -> dict[str, dict[str, Any]]:
    return {}


@pytest.fixture
async def generated(
    run: Any, sv: Any, world: Any, generations: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A closed survey with N generated responses, made once for the module."""
    if "survey" not in generations:
        generations["survey"] = await _generated(run, sv, world)
    return generations["survey"]


async def _generated(run: Any, sv: Any, world: Any) -> dict[str, Any]:
    survey = await sv.create(questions=QUESTIONS)
    async with world.sessionmaker() as session, session.begin():
        row = await session.get(sm.Survey, int(_key(survey["id"])))
        set_id = (
            await session.execute(
                select(sm.QuestionSet.id).where(sm.QuestionSet.survey_id == row.id)
            )
        ).scalar_one()
        questions = dict(
            (
                await session.execute(
                    select(sm.Question.key, sm.Question.id).where(
                        sm.Question.question_set_id == set_id
                    )
                )
            ).all()
        )
        responses, answers, expected = _generate(questions, set_id, row.id)
        await session.execute(insert(sm.Response), responses)
        await session.execute(insert(sm.Answer), answers)
    closed = await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    assert closed["data"]["closeSurvey"]["errors"] == []
    return {"id": survey["id"], **expected}


def _key(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":")[1]


def _by_question(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return {q["key"]: q for q in body["data"]["surveyResults"]["questions"]}


async def test_aggregates_are_exact_and_computed_in_the_database(
    run: Any, sv: Any, world: Any, generated: dict[str, Any]
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(world.engine.sync_engine, "before_cursor_execute", count)
    try:
        # What signing in reads (the territories the caller is confined to) is not the query's.
        await run("{ __typename }", principal=sv.ADMIN)
        signing_in = len(statements)
        body = await run(RESULTS, {"id": generated["id"], "public": False}, principal=sv.ADMIN)
    finally:
        event.remove(world.engine.sync_engine, "before_cursor_execute", count)
    # A handful of GROUP BY statements, whatever the number of responses.
    assert len(statements) - 2 * signing_in <= 12, statements
    assert body["data"]["surveyResults"]["respondents"] == N
    results = _by_question(body)
    counts, respondents = generated["counts"], generated["respondents"]
    for key, result in results.items():
        assert result["respondents"] == len(
            set().union(*(ids for (k, _), ids in respondents.items() if k == key))
        ), key
        for cell in result["cells"]:
            row = cell["row"] or ""
            expected = counts[(key, row, cell["option"])]
            assert cell["count"] == expected, (key, cell)
            base = len(respondents[(key, row)])
            assert cell["percent"] == pytest.approx(round(100 * expected / base, 2)), (key, cell)
            assert not cell["suppressed"]
    for key in ("satisfaction", "members"):
        values = generated["numbers"][key]
        assert results[key]["mean"] == pytest.approx(statistics.fmean(values), abs=1e-4)
        assert results[key]["median"] == pytest.approx(statistics.median(values))
        assert results[key]["minimum"] == min(values)
    # Dates: one cell per month, each count exact.
    months = {c["option"]: c["count"] for c in results["founded"]["cells"]}
    assert months == {m: n for (key, _, m), n in counts.items() if key == "founded"}
    assert len(months) == 14
    positions = {c["option"]: c["meanPosition"] for c in results["needs"]["cells"]}
    for item, values in generated["positions"].items():
        assert positions[item] == pytest.approx(statistics.fmean(values), abs=1e-4)
    texts = results["comment"]["texts"] + results["kind"]["texts"]
    assert sorted(texts) == sorted(generated["texts"])


async def test_public_results_never_show_a_cell_under_k(
    run: Any, sv: Any, generated: dict[str, Any]
) -> None:
    for principal in (None, sv.ADMIN):
        kwargs = {"principal": principal} if principal else {}
        body = await run(RESULTS, {"id": generated["id"], "public": True}, **kwargs)
        data = body["data"]["surveyResults"]
        assert data["suppressed"] is True and data["minCellSize"] == K
        results = _by_question(body)
        for result in results.values():
            assert result["texts"] is None and result["minimum"] is None
            for cell in result["cells"]:
                assert cell["count"] is None or cell["count"] == 0 or cell["count"] >= K, cell
        # "commune" (3) is withheld, and so is the next smallest cell, "other" (40): the
        # total minus the shown cells cannot reveal it.
        kind = {c["option"]: c for c in results["kind"]["cells"]}
        assert kind["commune"]["suppressed"] and kind["other"]["suppressed"]
        assert not kind["association"]["suppressed"]
        visio = {c["option"]: c for c in results["tools"]["cells"] if c["row"] == "visio"}
        assert visio["often"]["suppressed"] and sum(c["suppressed"] for c in visio.values()) == 2


async def test_the_public_sees_results_of_closed_surveys_only(run: Any, sv: Any) -> None:
    survey = await sv.create()
    body = await run(RESULTS, {"id": survey["id"], "public": True})
    assert "closed" in body["errors"][0]["message"]
    managed = await run(RESULTS, {"id": survey["id"], "public": False}, principal=sv.ADMIN)
    assert managed["data"]["surveyResults"]["respondents"] == 0


def test_suppression_withholds_small_cells_and_a_complement() -> None:
    def cells(*counts: int) -> list[Cell]:
        return [Cell(option=str(i), row=None, count=c, percent=None) for i, c in enumerate(counts)]

    group = cells(3, 20, 30, 0)
    suppress(group, 53, 5)
    assert [c.suppressed for c in group] == [True, True, False, False]
    group = cells(3, 4, 30)
    suppress(group, 37, 5)
    assert [c.suppressed for c in group] == [True, True, False]
    group = cells(2, 2)
    suppress(group, 4, 5)  # the whole group is under k
    assert all(c.suppressed for c in group)
    group = cells(5, 9)
    suppress(group, 14, 5)
    assert not any(c.suppressed for c in group)
