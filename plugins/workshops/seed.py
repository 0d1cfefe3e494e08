"""Demo data: the Midi du Smart of 6 February 2020 with its three speakers, and upcoming
trainings for associations and communes (dated from today, so they stay upcoming)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bocage.core.api import SeedOptions
from bocage.plugins.workshops import store
from bocage.plugins.workshops.models import (
    AgendaItem,
    Audience,
    Event,
    EventKind,
    EventStatus,
    Speaker,
)

HANNUT, ANDENNE = "64034", "92003"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time in Europe/Brussels, as UTC."""
    return dt.datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=store.BRUSSELS
    ).astimezone(dt.UTC)


async def _commune(session: Any, nis_code: str) -> Any:
    return (
        await session.execute(
            select(store.COMMUNE.c.id, store.COMMUNE.c.territory_id).where(
                store.COMMUNE.c.nis_code == nis_code
            )
        )
    ).one_or_none()


async def seed(session: Any, options: SeedOptions) -> None:
    territory = await store.default_territory(session)
    hannut = await _commune(session, HANNUT)
    andenne = await _commune(session, ANDENNE)

    def place(commune: Any) -> dict[str, Any]:
        if commune is None:
            return {"territory_id": territory}
        return {"commune_id": commune.id, "territory_id": commune.territory_id or territory}

    talk_day = dt.date(2020, 2, 6)
    talk = Event(
        uid="midi-du-smart-2020-02-06@workshops.bocage",
        sequence=0,
        kind=EventKind.LUNCH_TALK.value,
        status=EventStatus.PUBLISHED.value,
        title={
            "fr": "Midi du Smart : la commune intelligente, c'est quoi ?",
            "nl": "Smart-middag: wat is een slimme gemeente?",
        },
        description={
            "fr": "Un midi pour comprendre ce qu'est une commune intelligente, voir comment une "
            "ville relie son PST aux données, et écouter un smart city manager sur le potentiel "
            "des données. Sandwichs offerts.",
        },
        starts_at=_at(talk_day, 12),
        ends_at=_at(talk_day, 14),
        address="Salle du conseil, Hannut",
        audiences=[Audience.COMMUNES.value, Audience.ASSOCIATIONS.value],
        series="Midis du Smart",
        capacity=40,
        **place(hannut),
    )
    session.add(talk)
    await session.flush()
    speakers = [
        Speaker(
            event_id=talk.id,
            name="Intervenant·e de Futurocité",
            role={"fr": "Ce qu'est une commune intelligente"},
            organisation="Futurocité",
            public=True,
            position=0,
        ),
        Speaker(
            event_id=talk.id,
            name="Directeur·rice général·e d'une ville",
            role={"fr": "Relier le Programme Stratégique Transversal (PST) aux données"},
            organisation="Une ville wallonne",
            public=True,
            position=1,
        ),
        Speaker(
            event_id=talk.id,
            name="Smart city manager d'Andenne",
            role={"fr": "Le potentiel des données pour une commune"},
            organisation="Ville d'Andenne",
            public=False,  # no public profile: organisers only
            position=2,
        ),
    ]
    session.add_all(speakers)
    await session.flush()
    session.add_all(
        [
            AgendaItem(event_id=talk.id, starts_at=_at(talk_day, 12), title={"fr": "Accueil"}),
            AgendaItem(
                event_id=talk.id,
                starts_at=_at(talk_day, 12, 15),
                ends_at=_at(talk_day, 12, 45),
                title={"fr": "La commune intelligente, c'est quoi ?"},
                speaker_id=speakers[0].id,
            ),
            AgendaItem(
                event_id=talk.id,
                starts_at=_at(talk_day, 12, 45),
                ends_at=_at(talk_day, 13, 15),
                title={"fr": "Du PST aux données"},
                speaker_id=speakers[1].id,
            ),
            AgendaItem(
                event_id=talk.id,
                starts_at=_at(talk_day, 13, 15),
                ends_at=_at(talk_day, 13, 45),
                title={"fr": "Le potentiel des données"},
                speaker_id=speakers[2].id,
            ),
            AgendaItem(event_id=talk.id, starts_at=_at(talk_day, 13, 45), title={"fr": "Échanges"}),
        ]
    )

    today = dt.datetime.now(store.BRUSSELS).date()
    trainings = [
        ("Communication web pour les associations", 14, HANNUT, Audience.ASSOCIATIONS, 12),
        ("Intelligence collective", 28, ANDENNE, Audience.ASSOCIATIONS, 15),
        ("Outils collaboratifs", 42, HANNUT, Audience.ASSOCIATIONS, 12),
        ("Facebook pour les communes", 56, ANDENNE, Audience.COMMUNES, 20),
    ]
    for index, (title, days, nis_code, audience, capacity) in enumerate(trainings):
        day = today + dt.timedelta(days=days)
        commune = hannut if nis_code == HANNUT else andenne
        session.add(
            Event(
                uid=f"demo-training-{index + 1}@workshops.bocage",
                sequence=0,
                kind=EventKind.TRAINING.value,
                status=EventStatus.PUBLISHED.value,
                title={"fr": f"Formation : {title}"},
                description={"fr": f"Une matinée de formation : {title.lower()}."},
                starts_at=_at(day, 9),
                ends_at=_at(day, 12),
                address="Maison des associations" if nis_code == HANNUT else "Hôtel de ville",
                audiences=[audience.value],
                series="Formations 2026",
                capacity=capacity,
                **place(commune),
            )
        )
    breakfast_day = today + dt.timedelta(days=21)
    session.add(
        Event(
            uid="demo-breakfast-1@workshops.bocage",
            sequence=0,
            kind=EventKind.BUSINESS_BREAKFAST.value,
            status=EventStatus.DRAFT.value,
            title={"fr": "Petit déj' rural : le numérique dans les entreprises locales"},
            description={},
            starts_at=_at(breakfast_day, 7, 30),
            ends_at=_at(breakfast_day, 9),
            address="Ferme de démonstration",
            audiences=[Audience.ENTERPRISES.value],
            capacity=25,
            **place(hannut),
        )
    )
    options.progress("workshops", 1, 1)
