"""What happens when a survey closes: its anonymous responses are reshuffled, and its
suppressed aggregates are written for the open-data catalogue (``survey-results``).

Reshuffling: while a survey is open, the storage order of its responses (SQLite's rowid,
PostgreSQL's heap order and the ``xmin`` of the transaction shared with the invitation it
used, the answers' serial keys) follows the order of submission. Closing rewrites the
survey's anonymous responses under new random keys, in a random order, in one transaction:
afterwards nothing in the database orders or dates them beyond the day.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, func, insert, select

from bocage.core.api import Dataset, DatasetField, FieldType, Theme
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import results as res
from bocage.plugins.surveys import store

#: The columns of an answer row, copied as they are when responses are reshuffled.
ANSWER_COLUMNS = ("question_id", "row_key", "choice", "number", "day", "free_text")


async def reshuffle(session: Any, survey_id: int) -> int:
    """Rewrite the survey's responses and answers under new random keys in a random order;
    returns how many. For anonymous surveys only (attributions would lose their response)."""
    responses = (
        await session.execute(
            select(sm.Response.id, sm.Response.question_set_id, sm.Response.submitted_on).where(
                sm.Response.survey_id == survey_id
            )
        )
    ).all()
    if not responses:
        return 0
    in_survey = select(sm.Response.id).where(sm.Response.survey_id == survey_id)
    answers: dict[str, list[dict[str, Any]]] = {}
    rows = await session.execute(
        select(sm.Answer.response_id, *(getattr(sm.Answer, c) for c in ANSWER_COLUMNS)).where(
            sm.Answer.response_id.in_(in_survey)
        )
    )
    for row in rows.mappings():
        answers.setdefault(row["response_id"], []).append({c: row[c] for c in ANSWER_COLUMNS})
    await session.execute(delete(sm.Answer).where(sm.Answer.response_id.in_(in_survey)))
    await session.execute(delete(sm.Response).where(sm.Response.survey_id == survey_id))
    order = list(responses)
    secrets.SystemRandom().shuffle(order)
    new_responses: list[dict[str, Any]] = []
    new_answers: list[dict[str, Any]] = []
    for old_id, question_set_id, day in order:
        new_id = sm.random_key()
        new_responses.append(
            {
                "id": new_id,
                "survey_id": survey_id,
                "question_set_id": question_set_id,
                "submitted_on": day,
            }
        )
        new_answers.extend({"response_id": new_id, **a} for a in answers.get(old_id, []))
    await session.execute(insert(sm.Response), new_responses)
    if new_answers:
        await session.execute(insert(sm.Answer), new_answers)
    return len(order)


def _fr(texts: dict[str, str] | None) -> str:
    texts = texts or {}
    return texts.get("fr") or next(iter(texts.values()), "")


async def publish(session: Any, survey: sm.Survey, k: int) -> int:
    """Write the survey's suppressed aggregates (what the public sees through
    ``surveyResults``) as published cells; returns how many."""
    await unpublish(session, survey.id)
    question_set = await store.current_set(session, survey.id)
    questions = await store.questions_of(session, question_set.id) if question_set else []
    result = await res.compute(session, survey.id, questions, public=True, k=k, with_texts=False)
    by_key = {q.key: q for q in questions}
    today = store.today()
    cells = []
    for q in result.questions:
        question = by_key[q.key]
        labels = {o["value"]: _fr(o.get("label")) for o in question.options}
        labels["other"] = "Autre"
        for cell in q.cells:
            cells.append(
                {
                    "survey_id": survey.id,
                    "survey_title": _fr(survey.title),
                    "question": q.key,
                    "question_title": _fr(question.title),
                    "question_type": q.type.value,
                    "row": cell.row,
                    "option": cell.option,
                    "option_label": labels.get(cell.option, cell.option),
                    "count": cell.count,
                    "percent": cell.percent,
                    "suppressed": cell.suppressed,
                    "respondents": q.respondents,
                    "published_on": today,
                }
            )
    if cells:
        await session.execute(insert(sm.PublishedCell), cells)
    return len(cells)


async def unpublish(session: Any, survey_id: int) -> None:
    await session.execute(delete(sm.PublishedCell).where(sm.PublishedCell.survey_id == survey_id))


def survey_datasets() -> list[Dataset]:
    """The ``survey-results`` dataset of the open-data catalogue."""
    p = sm.PublishedCell
    s, i, n, b, d = (
        FieldType.STRING,
        FieldType.INTEGER,
        FieldType.NUMBER,
        FieldType.BOOLEAN,
        FieldType.DATE,
    )
    fields = (
        ("id", i, "Identifiant de la cellule"),
        ("survey_id", i, "Identifiant de l'enquête"),
        ("survey_title", s, "Titre de l'enquête"),
        ("question", s, "Clé de la question"),
        ("question_title", s, "Question"),
        ("question_type", s, "Type de question"),
        ("row", s, "Ligne (questions en grille)"),
        ("option", s, "Valeur de la réponse"),
        ("option_label", s, "Libellé de la réponse"),
        ("count", i, "Nombre de répondants (vide si masqué)"),
        ("percent", n, "Pourcentage des répondants à la question (vide si masqué)"),
        ("suppressed", b, "Masqué : moins de k répondants, ou complément"),
        ("respondents", i, "Répondants à la question (vide si moins de k)"),
        ("published_on", d, "Date de publication"),
    )
    columns = [getattr(p, name).label(name) for name, _, _ in fields]
    return [
        Dataset(
            identifier="survey-results",
            title={
                "fr": "Résultats des enquêtes du GAL",
                "nl": "Resultaten van de enquêtes van de GAL",
                "en": "Results of the GAL's surveys",
            },
            description={
                "fr": "Les résultats agrégés des enquêtes clôturées (besoins des associations, "
                "des entreprises...) : nombre et pourcentage de répondants par réponse. Toute "
                "cellule de moins de k répondants est masquée, avec des cellules "
                "complémentaires pour qu'aucun total ne la révèle.",
                "en": "Aggregated results of closed surveys: respondents per answer, with "
                "small cells and their complements withheld.",
            },
            keywords={"fr": ("enquêtes", "besoins", "associations", "entreprises")},
            theme=Theme.SOCI,
            fields=tuple(DatasetField(name, kind, {"fr": text}) for name, kind, text in fields),
            query=select(*columns),
            key="id",
            # Closing (or reopening) a survey touches it: the dataset changes then.
            modified=select(func.max(sm.Survey.updated_at)).where(
                sm.Survey.id.in_(select(p.survey_id))
            ),
            # The period the published surveys were open, and when results were first out.
            coverage=select(func.min(sm.Survey.opens_on), func.max(sm.Survey.closes_on)).where(
                sm.Survey.id.in_(select(p.survey_id))
            ),
            issued_query=select(func.min(p.published_on)),
        )
    ]
