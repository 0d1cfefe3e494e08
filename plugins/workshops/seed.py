"""Demo data: the Midi du Smart of 6 February 2020 with its three speakers and its two exchange
rounds, upcoming trainings for associations and communes (dated from today, so they stay
upcoming), and a finished challenge-card workshop with one challenge promoted to a project."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bocage.core.api import SeedOptions, global_id
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
            AgendaItem(
                event_id=talk.id,
                starts_at=_at(talk_day, 13, 45),
                ends_at=_at(talk_day, 13, 52),
                title={"fr": "Premier tour d'échanges : questions aux intervenants"},
            ),
            AgendaItem(
                event_id=talk.id,
                starts_at=_at(talk_day, 13, 52),
                ends_at=_at(talk_day, 14),
                title={"fr": "Second tour d'échanges : par table, les besoins des communes"},
            ),
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
    await seed_card_workshop(session, territory, place(hannut))
    options.progress("workshops", 1, 1)


CHALLENGES = [
    ("green", "territory", "Impliquer les citoyens dans les décisions communales"),
    ("blue", "commune_priority", "Un guichet communal en ligne pour les démarches courantes"),
    ("green", "commune_priority", "Mutualiser les salles des associations entre communes"),
    ("blue", "territory", "Une carte partagée des services et des commerces de proximité"),
    ("green", "territory", "Covoiturage entre villages pour les aînés"),
    ("blue", "territory", "Mesurer la qualité de l'air près des écoles"),
    ("green", "commune_priority", "Former les associations aux outils collaboratifs"),
    ("blue", "commune_priority", "Ouvrir les données du PST au public"),
    ("green", "territory", "Un agenda commun des activités du GAL"),
    ("blue", "territory", "Du wifi public dans les lieux de rencontre"),
    ("green", "territory", "Relier producteurs locaux et cantines scolaires"),
    ("blue", "commune_priority", "Suivre la consommation énergétique des bâtiments communaux"),
]


async def seed_card_workshop(session: Any, territory: int | None, where: dict[str, Any]) -> None:
    """A finished challenge-card workshop: 12 participants (paper) from the territory's
    communes, 5 cards each, dealt 3 each, 3 groups of 4 with their top 5, the challenges merged,
    and the first one promoted to a core project (status idea)."""
    from random import Random

    from bocage.core.api import Principal, PrincipalKind, Role, create_project
    from bocage.plugins.workshops.deal import deal
    from bocage.plugins.workshops.models import (
        Card,
        CardWorkshop,
        Challenge,
        HistoryEntry,
        Participant,
        Phase,
        Selection,
    )

    communes = list(
        (
            await session.execute(
                select(store.COMMUNE.c.id)
                .where(store.COMMUNE.c.deleted_at.is_(None))
                .order_by(store.COMMUNE.c.id)
                .limit(3)
            )
        ).scalars()
    )
    if not communes:
        return
    day = dt.date(2020, 3, 12)
    event = Event(
        uid="atelier-defis-2020-03-12@workshops.bocage",
        sequence=0,
        kind=EventKind.WORKSHOP.value,
        status=EventStatus.PUBLISHED.value,
        title={"fr": "Atelier : les défis smart de nos communes"},
        description={"fr": "Inventaire, cartes défis, échange, sélection en groupes."},
        starts_at=_at(day, 18),
        ends_at=_at(day, 21),
        address="Salle polyvalente",
        audiences=[Audience.COMMUNES.value, Audience.ASSOCIATIONS.value],
        **where,
    )
    session.add(event)
    await session.flush()
    workshop = CardWorkshop(
        event_id=event.id,
        territory_id=event.territory_id,
        title={"fr": "Les défis smart de nos communes"},
        phase=Phase.CLOSED.value,
        phase_started_at=_at(day, 20, 55),
        durations={},
    )
    session.add(workshop)
    await session.flush()
    people = [
        Participant(
            workshop_id=workshop.id,
            alias=f"Participant·e {n + 1}",
            commune_id=communes[n % len(communes)],
            group_number=n % 3 + 1,
        )
        for n in range(12)
    ]
    session.add_all(people)
    await session.flush()
    cards = []
    for n, person in enumerate(people):
        for k in range(5):
            colour, axis, text = CHALLENGES[(n * 5 + k) % len(CHALLENGES)]
            cards.append(
                Card(
                    workshop_id=workshop.id,
                    author_id=person.id,
                    colour=colour,
                    axis=axis,
                    text=text,
                    from_paper=True,
                )
            )
    session.add_all(cards)
    await session.flush()
    hands = deal({c.id: c.author_id for c in cards}, [p.id for p in people], 3, Random(1))
    for card in cards:
        card.holder_id = hands.get(card.id)
    groups: dict[int, list[Card]] = {1: [], 2: [], 3: []}
    # Every seeded participant sits in a group (one without would be a KeyError, as before).
    number = {p.id: p.group_number for p in people if p.group_number is not None}
    for card in cards:
        if card.holder_id is not None:
            groups[number[card.holder_id]].append(card)
    merged: dict[str, Challenge] = {}
    for group, held in groups.items():
        for rank, card in enumerate(held[:5], start=1):
            session.add(
                Selection(workshop_id=workshop.id, group_number=group, card_id=card.id, rank=rank)
            )
            challenge = merged.get(card.text)
            if challenge is None:  # the facilitator's de-duplication: same text, one challenge
                challenge = merged[card.text] = Challenge(
                    workshop_id=workshop.id,
                    text=card.text,
                    colour=card.colour,
                    axis=card.axis,
                    position=len(merged) + 1,
                    card_ids=[],
                    groups=[],
                )
            challenge.card_ids = sorted({*challenge.card_ids, card.id})
            challenge.groups = sorted({*challenge.groups, group})
    session.add_all(merged.values())
    await session.flush()
    first = min(merged.values(), key=lambda c: c.position)
    staff = Principal(
        kind=PrincipalKind.PERSON,
        subject="demo-facilitator",
        roles=frozenset({Role.TERRITORY_ADMIN}),
    )
    authors = {c.author_id for c in cards if c.id in first.card_ids}
    project = await create_project(
        session,
        staff,
        title={"fr": first.text},
        focus="collaboration" if first.colour == "green" else "digital",
        communes=sorted(
            {relay_id("Commune", p.commune_id) for p in people if p.id in authors and p.commune_id}
        ),
        summary={"fr": "Défi issu de l'atelier « Les défis smart de nos communes »."},
        themes=["atelier"],
    )
    first.project_id = project.id
    for minute, phase in enumerate(list(Phase)[1:]):
        session.add(
            HistoryEntry(
                workshop_id=workshop.id,
                at=_at(day, 18, minute * 9),
                phase=phase.value,
                action=f"phase_{phase.value}",
                by_facilitator=True,
                data={},
            )
        )
    session.add(
        HistoryEntry(
            workshop_id=workshop.id,
            at=_at(day, 20, 59),
            phase=Phase.CLOSED.value,
            action="challenge_promoted",
            by_facilitator=True,
            data={"challenge": first.id, "project": project.id, "cards": first.card_ids},
        )
    )
    await session.flush()


def relay_id(type_name: str, key: int) -> str:

    return global_id(type_name, key)
