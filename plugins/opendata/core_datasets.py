"""The core's open datasets: communes, projects, stakeholders (organisations, never their
contacts), indicator values and public media (the last described by the core's media side).

The plugin builds them itself from the models :mod:`bocage.core.api` exports, so that the core
knows nothing of open data (the dependency points from the plugin to the core's contract) and
runs unchanged with the plugin disabled. They are contributed by the plugin's own
``bocage_datasets`` implementation, under the owner name ``core``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from bocage.core.api import (
    Commune,
    Dataset,
    DatasetField,
    FieldType,
    Frequency,
    Indicator,
    IndicatorValue,
    MediaOwner,
    Project,
    PstAction,
    Stakeholder,
    Theme,
    media_dataset,
    project_commune,
    project_pst_action,
    stakeholder_commune,
)

#: The place on the map of a project or an organisation (docs/places.md), in the datasets.
PLACE_LONGITUDE = "Longitude (WGS 84) de son lieu : le point, ou le centre de la zone"
PLACE_LATITUDE = "Latitude (WGS 84) de son lieu : le point, ou le centre de la zone"


def _place_centre(model: Any) -> tuple[Any, Any]:
    """The centre of a located row's bounding box (its point, for a point)."""
    return (
        ((model.location_west + model.location_east) / 2).label("longitude"),
        ((model.location_south + model.location_north) / 2).label("latitude"),
    )


def _text(column: Any, language: str) -> Any:
    return column[language].as_string().label(f"{column.key}_{language}")


def _codes(link: Any, link_key: Any, parent_key: Any, column: Any, alive: Any) -> Any:
    """A comma-separated list of the codes linked to the outer row (one correlated subquery)."""
    return (
        select(func.aggregate_strings(column, ","))
        .select_from(link)
        .where(link_key == parent_key, alive)
        .scalar_subquery()
    )


class JoinedCodes(ColumnElement[str]):
    """The values of a JSON array column as comma-separated text, ``NULL`` for an empty
    array, the same text on SQLite and PostgreSQL: sorted as integers (``"3,7,11"``) with
    ``by_number``, else in their stored order (``"11.3,11.a"``)."""

    inherit_cache = True
    type = String()
    # Both are in the statement cache's key: two of these compile alike only when both match.
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("by_number", InternalTraversal.dp_boolean),
    ]

    def __init__(self, column: Any, *, by_number: bool = False) -> None:
        self.column = column
        self.by_number = by_number


@compiles(JoinedCodes, "sqlite")
def _joined_codes_sqlite(element: JoinedCodes, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    order = "CAST(value AS INTEGER)" if element.by_number else "key"
    return (
        "(SELECT group_concat(value, ',') FROM "
        f"(SELECT value FROM json_each({column}) ORDER BY {order}))"
    )


@compiles(JoinedCodes, "postgresql")
def _joined_codes_postgresql(element: JoinedCodes, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    order = "CAST(value AS INTEGER)" if element.by_number else "n"
    return (
        f"(SELECT string_agg(value, ',' ORDER BY {order}) "
        f"FROM jsonb_array_elements_text({column}) WITH ORDINALITY AS item(value, n))"
    )


def core_datasets(media_owners: Iterable[MediaOwner] = ()) -> list[Dataset]:
    s, i, n, d, dt_ = (
        FieldType.STRING,
        FieldType.INTEGER,
        FieldType.NUMBER,
        FieldType.DATE,
        FieldType.DATETIME,
    )

    def fields(*items: tuple[str, FieldType, str]) -> tuple[DatasetField, ...]:
        return tuple(DatasetField(name, kind, {"fr": text}) for name, kind, text in items)

    communes = Dataset(
        identifier="communes",
        title={
            "fr": "Communes du territoire",
            "nl": "Gemeenten van het grondgebied",
            "de": "Gemeinden des Gebiets",
            "en": "Municipalities of the territory",
        },
        description={
            "fr": "Les communes du GAL : code INS, noms, province, population et superficie.",
            "en": "The GAL's municipalities: NIS code, names, province, population and area.",
        },
        keywords={"fr": ("communes", "territoire"), "en": ("municipalities",)},
        theme=Theme.REGI,
        frequency=Frequency.ANNUAL,
        fields=fields(
            ("id", i, "Identifiant"),
            ("nis_code", s, "Code INS (Statbel)"),
            ("name_fr", s, "Nom en français"),
            ("name_nl", s, "Nom en néerlandais"),
            ("name_de", s, "Nom en allemand"),
            ("province_fr", s, "Province"),
            ("population", i, "Population"),
            ("area_km2", n, "Superficie (km²)"),
            ("updated_at", dt_, "Dernière modification"),
        ),
        query=select(
            Commune.id,
            Commune.nis_code,
            _text(Commune.name, "fr"),
            _text(Commune.name, "nl"),
            _text(Commune.name, "de"),
            _text(Commune.province, "fr"),
            Commune.population,
            Commune.area_km2,
            Commune.updated_at,
        ).where(Commune.deleted_at.is_(None)),
        modified=select(func.max(Commune.updated_at)),
        issued_query=select(func.min(Commune.created_at)),
        # A register: it describes the territory from its first entry to its latest change.
        coverage=select(func.min(Commune.created_at), func.max(Commune.updated_at)),
    )

    pst_codes = (
        select(func.aggregate_strings(PstAction.code, ","))
        .select_from(project_pst_action)
        .join(PstAction, PstAction.id == project_pst_action.c.pst_action_id)
        .where(project_pst_action.c.project_id == Project.id, PstAction.deleted_at.is_(None))
        .scalar_subquery()
    )
    projects = Dataset(
        identifier="projects",
        title={
            "fr": "Projets du territoire",
            "nl": "Projecten van het grondgebied",
            "de": "Projekte des Gebiets",
            "en": "Projects of the territory",
        },
        description={
            "fr": "Les projets du GAL : statut, axe (collaboration ou numérique), dates, budget, "
            "communes concernées, actions du PST auxquelles ils contribuent, objectifs et "
            "cibles de développement durable (ODD) de l'ONU.",
            "en": "The GAL's projects: status, focus, dates, budget, communes, PST actions, and "
            "the UN Sustainable Development Goals and targets they serve.",
        },
        keywords={"fr": ("projets", "PST", "smart territoire"), "en": ("projects",)},
        theme=Theme.GOVE,
        fields=fields(
            ("id", i, "Identifiant"),
            ("title_fr", s, "Titre en français"),
            ("title_nl", s, "Titre en néerlandais"),
            ("title_de", s, "Titre en allemand"),
            ("title_en", s, "Titre en anglais"),
            ("status", s, "Statut (idea, planned, in_progress, done, abandoned)"),
            ("focus", s, "Axe (collaboration : vert ; digital : bleu)"),
            ("start_date", d, "Début"),
            ("end_date", d, "Fin"),
            ("budget", n, "Budget (EUR)"),
            ("communes", s, "Codes INS des communes concernées"),
            ("pst_actions", s, "Codes des actions du PST"),
            ("sdgs", s, "Objectifs de développement durable (ODD de l'ONU, 1 à 17)"),
            (
                "sdg_targets",
                s,
                "Cibles des ODD (codes officiels de l'ONU, p. ex. 11.3 ou 1.a, dans l'ordre "
                "officiel) ; l'objectif de chaque cible est dans sdgs",
            ),
            ("longitude", n, PLACE_LONGITUDE),
            ("latitude", n, PLACE_LATITUDE),
            ("updated_at", dt_, "Dernière modification"),
        ),
        query=select(
            Project.id,
            _text(Project.title, "fr"),
            _text(Project.title, "nl"),
            _text(Project.title, "de"),
            _text(Project.title, "en"),
            Project.status,
            Project.focus,
            Project.start_date,
            Project.end_date,
            Project.budget,
            _codes(
                project_commune.join(Commune, Commune.id == project_commune.c.commune_id),
                project_commune.c.project_id,
                Project.id,
                Commune.nis_code,
                Commune.deleted_at.is_(None),
            ).label("communes"),
            pst_codes.label("pst_actions"),
            JoinedCodes(Project.sdgs, by_number=True).label("sdgs"),
            JoinedCodes(Project.sdg_targets).label("sdg_targets"),
            *_place_centre(Project),
            Project.updated_at,
        ).where(Project.deleted_at.is_(None)),
        coordinates=("longitude", "latitude"),
        modified=select(func.max(Project.updated_at)),
        issued_query=select(func.min(Project.created_at)),
        coverage=select(func.min(Project.start_date), func.max(Project.end_date)).where(
            Project.deleted_at.is_(None)
        ),
    )

    stakeholders = Dataset(
        identifier="stakeholders",
        title={
            "fr": "Acteurs du territoire",
            "nl": "Actoren van het grondgebied",
            "de": "Akteure des Gebiets",
            "en": "Stakeholders of the territory",
        },
        description={
            "fr": "Les organisations actives sur le territoire (administrations, entreprises, "
            "associations, initiatives citoyennes, organismes publics). Aucune personne de "
            "contact n'est publiée.",
            "en": "Organisations active in the territory. No contact person is published.",
        },
        keywords={"fr": ("acteurs", "organisations"), "en": ("organisations",)},
        theme=Theme.ECON,
        fields=fields(
            ("id", i, "Identifiant"),
            ("name", s, "Nom"),
            ("kind", s, "Type d'organisation"),
            ("enterprise_number", s, "Numéro d'entreprise (BCE)"),
            ("website", s, "Site web"),
            ("communes", s, "Codes INS des communes où elle agit"),
            ("longitude", n, PLACE_LONGITUDE),
            ("latitude", n, PLACE_LATITUDE),
            ("updated_at", dt_, "Dernière modification"),
        ),
        query=select(
            Stakeholder.id,
            Stakeholder.name,
            Stakeholder.kind,
            Stakeholder.enterprise_number,
            Stakeholder.website,
            _codes(
                stakeholder_commune.join(Commune, Commune.id == stakeholder_commune.c.commune_id),
                stakeholder_commune.c.stakeholder_id,
                Stakeholder.id,
                Commune.nis_code,
                Commune.deleted_at.is_(None),
            ).label("communes"),
            *_place_centre(Stakeholder),
            Stakeholder.updated_at,
        ).where(Stakeholder.deleted_at.is_(None)),
        coordinates=("longitude", "latitude"),
        modified=select(func.max(Stakeholder.updated_at)),
        issued_query=select(func.min(Stakeholder.created_at)),
        # A register: it describes the territory from its first entry to its latest change.
        coverage=select(func.min(Stakeholder.created_at), func.max(Stakeholder.updated_at)),
    )

    indicators = Dataset(
        identifier="indicator-values",
        title={
            "fr": "Indicateurs des projets et leurs mesures",
            "nl": "Indicatoren van de projecten en hun metingen",
            "de": "Indikatoren der Projekte und ihre Messungen",
            "en": "Project indicators and their measurements",
        },
        description={
            "fr": "Chaque mesure datée d'un indicateur de projet, avec sa valeur de référence "
            "et sa cible.",
            "en": "Every dated measurement of a project indicator, with baseline and target.",
        },
        keywords={"fr": ("indicateurs", "suivi"), "en": ("indicators",)},
        theme=Theme.GOVE,
        fields=fields(
            ("id", i, "Identifiant de la mesure"),
            ("indicator_id", i, "Identifiant de l'indicateur"),
            ("project_id", i, "Identifiant du projet"),
            ("indicator_fr", s, "Indicateur"),
            ("unit", s, "Unité"),
            ("baseline", n, "Valeur de référence"),
            ("target", n, "Cible"),
            ("measured_on", d, "Date de la mesure"),
            ("value", n, "Valeur mesurée"),
        ),
        query=select(
            IndicatorValue.id,
            IndicatorValue.indicator_id,
            Indicator.project_id,
            Indicator.name["fr"].as_string().label("indicator_fr"),
            Indicator.unit,
            Indicator.baseline,
            Indicator.target,
            IndicatorValue.measured_on,
            IndicatorValue.value,
        )
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .join(Project, Project.id == Indicator.project_id)
        .where(Indicator.deleted_at.is_(None), Project.deleted_at.is_(None)),
        modified=select(func.max(IndicatorValue.updated_at)),
        issued_query=select(func.min(IndicatorValue.created_at)),
        coverage=select(func.min(IndicatorValue.measured_on), func.max(IndicatorValue.measured_on)),
    )
    # The public media: described by the core's media side (bocage.core.media.publication),
    # the plugins' objects' included when their owners say which are public.
    return [communes, projects, stakeholders, indicators, media_dataset(media_owners)]
