"""Demo data: the associations' needs survey (anonymous, closed, its results published) and
the businesses' survey campaign (attributed: invitations to the demo enterprises, most of
them answered, the others to remind), each with a few dozen generated responses."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import JSON, column, select, table

from bocage.core.api import SeedOptions
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import pool, publication, store
from bocage.plugins.surveys.definition import AnswerValue, QuestionSpec, check_questions
from bocage.plugins.surveys.settings import surveys_settings

T = sm.QuestionType


def _l(fr: str, nl: str | None = None) -> dict[str, str]:
    return {"fr": fr, **({"nl": nl} if nl else {})}


def _o(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"value": v, "label": _l(label)} for v, label in pairs]


AGREE = _o(
    ("1", "Pas du tout"), ("2", "Peu"), ("3", "Moyennement"), ("4", "Assez"), ("5", "Tout à fait")
)


def _commune_question(communes: list[tuple[str, str]]) -> QuestionSpec:
    """The respondent's commune, declared (anonymous results are broken down by it)."""
    return QuestionSpec(
        "commune",
        T.SINGLE_CHOICE,
        _l("Dans quelle commune votre association est-elle active ?", "In welke gemeente?"),
        required=True,
        options=[{"value": nis, "label": _l(name)} for nis, name in communes],
        segment=sm.Segment.COMMUNE.value,
    )


ASSOCIATIONS = [
    QuestionSpec(
        "visibility",
        T.SCALE,
        _l("Votre association est-elle assez visible ?"),
        required=True,
        options=AGREE,
    ),
    QuestionSpec(
        "channels",
        T.MULTIPLE_CHOICE,
        _l("Par quels canaux communiquez-vous ?"),
        options=_o(
            ("website", "Site web"),
            ("facebook", "Facebook"),
            ("newsletter", "Lettre d'information"),
            ("press", "Presse locale"),
        ),
        allow_other=True,
        min_selected=1,
        max_selected=3,
        required=True,
    ),
    QuestionSpec(
        "web_training",
        T.SINGLE_CHOICE,
        _l("Une formation en communication web vous intéresse-t-elle ?"),
        required=True,
        options=_o(("yes", "Oui"), ("maybe", "Peut-être"), ("no", "Non")),
    ),
    QuestionSpec(
        "training_topics",
        T.RANKING,
        _l("Classez ces formations"),
        options=_o(
            ("web", "Communication web"),
            ("collective_intelligence", "Intelligence collective"),
            ("tools", "Outils collaboratifs"),
        ),
        show_if={"question": "web_training", "operator": "not_equals", "values": ["no"]},
    ),
    QuestionSpec(
        "collective_intelligence",
        T.SCALE,
        _l("Connaissez-vous les méthodes d'intelligence collective ?"),
        options=AGREE,
    ),
    QuestionSpec(
        "tools",
        T.MATRIX,
        _l("Utilisez-vous ces outils collaboratifs ?"),
        rows=_o(
            ("shared_drive", "Drive partagé"),
            ("video", "Visioconférence"),
            ("planning", "Planning partagé"),
        ),
        options=_o(("never", "Jamais"), ("sometimes", "Parfois"), ("often", "Souvent")),
    ),
    QuestionSpec(
        "volunteers", T.NUMBER, _l("Combien de bénévoles actifs ?"), min_value=0, max_value=1000
    ),
    QuestionSpec("idea", T.FREE_TEXT, _l("Une idée pour le GAL ?"), max_length=500),
]

BUSINESSES = [
    QuestionSpec(
        "sector",
        T.SINGLE_CHOICE,
        _l("Votre secteur", "Uw sector"),
        required=True,
        options=_o(
            ("agriculture", "Agriculture"),
            ("retail", "Commerce"),
            ("crafts", "Artisanat"),
            ("services", "Services"),
        ),
    ),
    QuestionSpec("staff", T.NUMBER, _l("Nombre de travailleurs"), min_value=0, required=True),
    QuestionSpec("digital", T.SCALE, _l("Votre maturité numérique"), options=AGREE, required=True),
    QuestionSpec(
        "breakfast",
        T.SINGLE_CHOICE,
        _l("Participeriez-vous à un petit-déjeuner rural ?"),
        options=_o(("yes", "Oui"), ("no", "Non")),
    ),
    QuestionSpec(
        "breakfast_date",
        T.DATE,
        _l("Quelle date vous conviendrait ?"),
        show_if={"question": "breakfast", "operator": "equals", "values": ["yes"]},
    ),
]


def _answer(spec: QuestionSpec, rng: random.Random) -> AnswerValue | None:
    values = spec.values
    if not spec.required and rng.random() < 0.2:
        return None
    a = AnswerValue(question=spec.key)
    if spec.type is T.SCALE:
        a.number = float(rng.choices(values, weights=[1, 2, 4, 3, 2][: len(values)])[0])
    elif spec.type is T.SINGLE_CHOICE:
        a.choices = [rng.choice(values)]
    elif spec.type is T.MULTIPLE_CHOICE:
        a.choices = rng.sample(values, rng.randint(spec.min_selected or 1, spec.max_selected or 2))
    elif spec.type is T.RANKING:
        a.choices = rng.sample(values, len(values))
    elif spec.type is T.MATRIX:
        a.cells = {r["value"]: rng.choice(values) for r in spec.rows}
    elif spec.type is T.NUMBER:
        a.number = float(rng.randint(1, 40))
    elif spec.type is T.DATE:
        a.date = dt.date(2027, 3, 1) + dt.timedelta(days=rng.randint(0, 60))
    elif spec.type is T.FREE_TEXT:
        if rng.random() < 0.7:
            return None
        a.text = rng.choice(["Un répertoire des salles", "Plus de formations en soirée"])
    return a


def _shown(answers: list[AnswerValue]) -> list[AnswerValue]:
    """Leave out the answers the skip rules hide."""
    chosen = {a.question: a.choices for a in answers}
    return [
        a
        for a in answers
        if not (a.question == "breakfast_date" and chosen.get("breakfast") != ["yes"])
        and not (a.question == "training_topics" and chosen.get("web_training") == ["no"])
    ]


async def _survey(
    session: Any,
    title: dict[str, str],
    kinds: list[str],
    questions: list[QuestionSpec],
    *,
    anonymous: bool,
    public: bool,
    allow_edit: bool = False,
) -> sm.Survey:
    check_questions(questions)
    survey = sm.Survey(
        title=title,
        intro={"fr": "Quelques minutes suffisent."},
        status=sm.SurveyStatus.OPEN.value,
        anonymous=anonymous,
        public=public,
        allow_edit=allow_edit,
        audience_kinds=kinds,
        audience_communes=[],
        quotas=[],
        territory_id=await store.only_territory(session),  # the demo GAL's
    )
    session.add(survey)
    await session.flush()
    await store.replace_questions(session, survey, questions)
    return survey


async def _answer_all(
    session: Any,
    survey: sm.Survey,
    questions: list[QuestionSpec],
    invitations: list[sm.Invitation | None],
    rng: random.Random,
) -> None:
    for invitation in invitations:
        answers = _shown([a for spec in questions if (a := _answer(spec, rng)) is not None])
        errors = await store.submit(session, survey, invitation, answers)
        assert not errors, [e.message for e in errors]


async def seed(session: Any, options: SeedOptions) -> None:

    rng = random.Random(2026)
    count = max(10, round(40 * options.scale))
    commune = table("commune", column("nis_code"), column("name", JSON))
    communes = [
        (nis, (name or {}).get("fr") or nis)
        for nis, name in (
            await session.execute(
                select(commune.c.nis_code, commune.c.name).order_by(commune.c.nis_code).limit(6)
            )
        ).all()
    ]
    questions = ([_commune_question(communes)] if len(communes) >= 2 else []) + ASSOCIATIONS
    needs = await _survey(
        session,
        _l("Besoins des associations", "Noden van de verenigingen"),
        ["association"],
        questions,
        anonymous=True,
        public=True,
    )
    await _answer_all(session, needs, questions, [None] * count, rng)
    # Closed as the closing mutation does: storage order erased, results published.
    needs.opens_on, needs.closes_on = dt.date(2020, 2, 10), dt.date(2020, 3, 13)
    needs.status = sm.SurveyStatus.CLOSED.value
    if options.host is None:
        raise RuntimeError("the surveys seeder reads its settings: pass SeedOptions(host=...)")
    settings = surveys_settings(options.host)
    await pool.flush(session, needs.id, minimum=settings.anonymous_batch_size)
    await publication.reshuffle(session, needs.id)
    await publication.publish(session, needs, settings.min_cell_size)
    options.progress("surveys", 1, 2)

    campaign = await _survey(
        session,
        _l("Campagne d'enquête auprès des entreprises"),
        ["enterprise"],
        BUSINESSES,
        anonymous=False,
        public=False,
        allow_edit=True,
    )
    stakeholder = table("stakeholder", column("id"), column("kind"))
    enterprises = (
        (
            await session.execute(
                select(stakeholder.c.id)
                .where(stakeholder.c.kind == "enterprise")
                .order_by(stakeholder.c.id)
                .limit(count)
            )
        )
        .scalars()
        .all()
    )
    invitations = []
    for key in enterprises:
        invitation = sm.Invitation(
            survey_id=campaign.id,
            # A token nobody holds (the demo prints none): only the hash is ever stored.
            token_hash=store.token_hash(sm.random_key()),
            stakeholder_id=key,
        )
        session.add(invitation)
        invitations.append(invitation)
    await session.flush()
    answered = invitations[: len(invitations) * 3 // 4]  # the others are to be reminded
    await _answer_all(session, campaign, BUSINESSES, list(answered), rng)
    for survey in (needs, campaign):  # what opening does (a no-op unless open and anonymous)
        await pool.schedule_sweep(session, survey, settings.pool_sweep_minutes)
    options.progress("surveys", 2, 2)
