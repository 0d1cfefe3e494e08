"""The core's public types and root lists, declared for the read compiler.

Each declaration mirrors a resolver of :mod:`bocage.core.graphql.types` or
:mod:`bocage.core.graphql.query` (same rows, same order, same formats); contacts are personal
data and stay with the resolver path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, select

from bocage.core import models as m
from bocage.core.graphql import query, types
from bocage.core.graphql.compiler import sdgs as sdg_fields
from bocage.core.graphql.compiler.build import PARENT, Build, Level, Selection
from bocage.core.graphql.compiler.spec import (
    Column,
    CompiledReads,
    Custom,
    Embed,
    NodeId,
    Page,
    Registry,
    RootList,
    RootOne,
    ToMany,
    ToOne,
    TypeSpec,
    translated_spec,
)
from bocage.core.graphql.places import location_spec


def _external(b: Build, level: Level, selection: Selection) -> Any:
    source, key = level.rows.c.external_source, level.rows.c.external_id

    def value(name: str, _sub: Selection) -> Any:
        return {"source": source, "id": key}[name]

    return case(
        (source.is_(None) | key.is_(None), None),
        else_=b.object_of(selection, value, "ExternalReference"),
    )


def _common(type_name: str) -> dict[str, Any]:
    """Fields of every row type: ID, version, timestamps."""
    return {
        "id": NodeId(type_name),
        "version": Column("version"),
        "createdAt": Column("created_at", "datetime"),
        "updatedAt": Column("updated_at", "datetime"),
    }


EXTERNAL = {"externalReference": Custom(_external, columns=("external_source", "external_id"))}


def _alive(model: Any) -> Any:
    return model.deleted_at.is_(None)


def _linked(model: Any, link: Any, source: str, target: str) -> Any:
    """``rows`` of a many-to-many relation: live ``model`` rows linked to the parents."""

    def rows(parents: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
        return (
            select(model, link.c[source].label(PARENT))
            .join(link, link.c[target] == model.id)
            .where(link.c[source].in_(parents), _alive(model))
        )

    return rows


def _children(model: Any, foreign_key: str) -> Any:
    """``rows`` of a one-to-many relation: live ``model`` rows of the parents."""

    def rows(parents: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
        column = getattr(model, foreign_key)
        return select(model, column.label(PARENT)).where(column.in_(parents), _alive(model))

    return rows


def _by(*columns: str, descending: bool = False) -> Any:
    def order(source: Any) -> list[Any]:
        return [source.c[c].desc() if descending else source.c[c].asc() for c in columns]

    return order


_ROLE_ORDER = list(m.StakeholderRole)


def _project_stakeholder_rows(parents: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    link = m.ProjectStakeholder.__table__
    return (
        select(m.Stakeholder, link.c.project_id.label(PARENT), link.c.role.label("link_role"))
        .join(link, link.c.stakeholder_id == m.Stakeholder.id)
        .where(link.c.project_id.in_(parents), _alive(m.Stakeholder))
    )


def _project_stakeholder_order(source: Any) -> list[Any]:
    position = case(
        *((source.c.link_role == role.value, index) for index, role in enumerate(_ROLE_ORDER)),
        else_=len(_ROLE_ORDER),
    )
    return [position, source.c.name, source.c.id]


def _strategic_plans() -> ToMany:
    return ToMany(
        "StrategicPlan",
        _children(m.StrategicPlan, "commune_id"),
        lambda s: [s.c.start_year.desc(), s.c.id.desc()],
    )


def registry() -> Registry:
    """A registry of the core's declarations alone."""
    return Registry.of([("core", compiled_reads())])


def compiled_reads() -> CompiledReads:
    """The core's declarations (its ``bocage_compiled_reads``)."""
    r = Registry()
    r.add(
        TypeSpec(
            "Territory",
            m.Territory,
            {
                **_common("Territory"),
                "slug": Column("slug"),
                "website": Column("website"),
                **translated_spec("name", "name", required=True),
                **translated_spec("description", "description"),
                "communes": ToMany(
                    "Commune", _children(m.Commune, "territory_id"), _by("nis_code")
                ),
            },
        ),
        TypeSpec(
            "Commune",
            m.Commune,
            {
                **_common("Commune"),
                "nisCode": Column("nis_code"),
                "provinceNisCode": Column("province_nis_code"),
                "population": Column("population"),
                "areaKm2": Column("area_km2", "decimal", scale=2),
                **translated_spec("name", "name", required=True),
                **translated_spec("province", "province"),
                **translated_spec("region", "region"),
                "territory": ToOne("Territory", "territory_id"),
                "projects": Page("Project", types.COMMUNE_PROJECTS),
                "stakeholders": Page("Stakeholder", types.COMMUNE_STAKEHOLDERS),
                "strategicPlans": _strategic_plans(),
                "strategicPlan": ToMany(
                    "StrategicPlan",
                    _children(m.StrategicPlan, "commune_id"),
                    lambda s: [s.c.start_year.desc(), s.c.id.desc()],
                    first_only=True,
                ),
            },
        ),
        TypeSpec(
            "Stakeholder",
            m.Stakeholder,
            {
                **_common("Stakeholder"),
                **EXTERNAL,
                "kind": Column("kind", "enum", enum=m.StakeholderKind),
                "name": Column("name"),
                "website": Column("website"),
                "enterpriseNumber": Column("enterprise_number"),
                "needs": Custom(_needs, columns=("needs",)),
                "location": location_spec(),
                **translated_spec("description", "description"),
                "communes": ToMany(
                    "Commune",
                    _linked(m.Commune, m.stakeholder_commune, "stakeholder_id", "commune_id"),
                    _by("nis_code"),
                ),
                "projects": Page("Project", types.STAKEHOLDER_PROJECTS),
            },
        ),
        TypeSpec(
            "ProjectStakeholder",
            None,
            {
                "role": Column("link_role", "enum", enum=m.StakeholderRole),
                "stakeholder": Embed("Stakeholder"),
            },
        ),
        TypeSpec(
            "IndicatorValue",
            m.IndicatorValue,
            {
                "measuredOn": Column("measured_on", "date"),
                "value": Column("value", "decimal", scale=4),
                "note": Column("note"),
            },
        ),
        TypeSpec(
            "Indicator",
            m.Indicator,
            {
                **_common("Indicator"),
                "unit": Column("unit"),
                "baseline": Column("baseline", "decimal", scale=4),
                "target": Column("target", "decimal", scale=4),
                **translated_spec("name", "name", required=True),
                "values": ToMany(
                    "IndicatorValue",
                    _values,
                    _by("measured_on", "id"),
                ),
                "latestValue": ToMany(
                    "IndicatorValue",
                    _values,
                    _by("measured_on", "id", descending=True),
                    first_only=True,
                ),
            },
        ),
        TypeSpec(
            "Project",
            m.Project,
            {
                **_common("Project"),
                **EXTERNAL,
                "status": Column("status", "enum", enum=m.ProjectStatus),
                "focus": Column("focus", "enum", enum=m.ProjectFocus),
                "themes": Column("themes", "json"),
                "sdgs": Column("sdgs", "json"),
                "sdgTargetCodes": Column("sdg_targets", "json"),
                "sdgGoals": Custom(sdg_fields.project_goals, columns=("sdgs",)),
                "sdgTargets": Custom(sdg_fields.project_targets, columns=("sdg_targets",)),
                "startDate": Column("start_date", "date"),
                "endDate": Column("end_date", "date"),
                "location": location_spec(),
                "budget": Column("budget", "decimal", scale=2),
                **translated_spec("title", "title", required=True),
                **translated_spec("summary", "summary"),
                **translated_spec("description", "description"),
                "communes": ToMany(
                    "Commune",
                    _linked(m.Commune, m.project_commune, "project_id", "commune_id"),
                    _by("nis_code"),
                ),
                "stakeholders": ToMany(
                    "ProjectStakeholder", _project_stakeholder_rows, _project_stakeholder_order
                ),
                "indicators": ToMany("Indicator", _children(m.Indicator, "project_id"), _by("id")),
                "pstActions": ToMany(
                    "PstAction",
                    _linked(m.PstAction, m.project_pst_action, "project_id", "pst_action_id"),
                    _by("code", "id"),
                ),
                "territory": ToOne("Territory", "territory_id"),
            },
        ),
        TypeSpec(
            "StrategicPlan",
            m.StrategicPlan,
            {
                **_common("StrategicPlan"),
                **EXTERNAL,
                "startYear": Column("start_year"),
                "endYear": Column("end_year"),
                "adoptedOn": Column("adopted_on", "date"),
                **translated_spec("title", "title", required=True),
                "commune": ToOne("Commune", "commune_id"),
                "strategicObjectives": ToMany(
                    "StrategicObjective",
                    _children(m.StrategicObjective, "plan_id"),
                    _by("position", "code", "id"),
                ),
            },
        ),
        TypeSpec(
            "StrategicObjective",
            m.StrategicObjective,
            {
                **_common("StrategicObjective"),
                **EXTERNAL,
                "code": Column("code"),
                **translated_spec("title", "title", required=True),
                "plan": ToOne("StrategicPlan", "plan_id"),
                "operationalObjectives": ToMany(
                    "OperationalObjective",
                    _children(m.OperationalObjective, "strategic_objective_id"),
                    _by("position", "code", "id"),
                ),
            },
        ),
        TypeSpec(
            "OperationalObjective",
            m.OperationalObjective,
            {
                **_common("OperationalObjective"),
                **EXTERNAL,
                "code": Column("code"),
                **translated_spec("title", "title", required=True),
                "strategicObjective": ToOne("StrategicObjective", "strategic_objective_id"),
                "actions": ToMany(
                    "PstAction",
                    _children(m.PstAction, "operational_objective_id"),
                    _by("position", "code", "id"),
                ),
            },
        ),
        TypeSpec(
            "PstAction",
            m.PstAction,
            {
                **_common("PstAction"),
                **EXTERNAL,
                "code": Column("code"),
                "budget": Column("budget", "decimal", scale=2),
                **translated_spec("title", "title", required=True),
                "operationalObjective": ToOne("OperationalObjective", "operational_objective_id"),
                "projects": Page("Project", types.ACTION_PROJECTS),
            },
        ),
    )
    r.roots.update(
        {
            "territories": RootList("Territory", query.territories_source),
            "communes": RootList("Commune", query.communes_source),
            "stakeholders": RootList("Stakeholder", query.stakeholders_source),
            "projects": RootList("Project", query.projects_source),
            "territory": RootOne("Territory", query.territory_source),
            "commune": RootOne("Commune", query.commune_source),
        }
    )
    return CompiledReads(types=list(r.types.values()), roots=r.roots)


def _values(parents: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    column = m.IndicatorValue.indicator_id
    return select(m.IndicatorValue, column.label(PARENT)).where(column.in_(parents))


def _needs(b: Build, level: Level, selection: Selection) -> Any:
    """``needs``: a stored JSON list of enum values, answered as the enum's names."""
    return b.json.enum_list(level.rows.c.needs, m.StakeholderNeed)
