"""The core's GraphQL object types: territories, communes, stakeholders, projects, indicators and
the PST tree. Every relation is loaded through a DataLoader or a batched nested page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

import strawberry
from sqlalchemy import Table, select
from strawberry import relay
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.graphql import loaders
from bocage.core.graphql.enums import (
    ProjectFocus,
    ProjectStatus,
    StakeholderKind,
    StakeholderNeed,
    StakeholderRole,
)
from bocage.core.graphql.external import ExternallyReferenced
from bocage.core.graphql.filters import project_ordering, stakeholder_ordering
from bocage.core.graphql.i18n import NodesLanguage, Translations, remember_language, translated
from bocage.core.graphql.limits import cost
from bocage.core.graphql.media import LogoField, MediaFields
from bocage.core.graphql.nodes import RowType, load_children, load_one
from bocage.core.graphql.pagination import Before, Connection, Last, NestedList, paginate_nested
from bocage.core.graphql.personal import Contact, Forbidden, may_read_contacts
from bocage.core.graphql.places import Location, location_of
from bocage.core.graphql.sdgs import Sdg, SdgTarget, goals_of, targets_of


def _nested_projects(name: str, link: Any, column: str) -> NestedList:
    statement = (
        select(m.Project)
        .join(link, link.c.project_id == m.Project.id)
        .where(m.Project.deleted_at.is_(None))
    )
    return NestedList(name, m.Project, statement, link.c[column], project_ordering())


def _distinct_project_stakeholders() -> Any:
    link = m.ProjectStakeholder.__table__
    return select(link.c.project_id, link.c.stakeholder_id).distinct().subquery("project_links")


COMMUNE_PROJECTS = _nested_projects("commune.projects", m.project_commune, "commune_id")
ACTION_PROJECTS = _nested_projects("action.projects", m.project_pst_action, "pst_action_id")
STAKEHOLDER_PROJECTS = _nested_projects(
    "stakeholder.projects", _distinct_project_stakeholders(), "stakeholder_id"
)
COMMUNE_STAKEHOLDERS = NestedList(
    "commune.stakeholders",
    m.Stakeholder,
    select(m.Stakeholder)
    .join(m.stakeholder_commune, m.stakeholder_commune.c.stakeholder_id == m.Stakeholder.id)
    .where(m.Stakeholder.deleted_at.is_(None)),
    m.stakeholder_commune.c.commune_id,
    stakeholder_ordering(),
)


@strawberry.interface(description="Creation and last-change times (UTC).")
class Timestamps:
    created_at: dt.datetime
    updated_at: dt.datetime


@strawberry.type(description="A GAL (Groupe d'Action Locale): a partnership of rural communes.")
class Territory(RowType, Timestamps, relay.Node):
    model = m.Territory
    row: strawberry.Private[m.Territory]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    slug: str
    website: str | None
    name, name_translations = translated("name", "The GAL's name.", required=True)
    description, description_translations = translated("description", "What the GAL does.")

    @strawberry.field(
        description="The territory's communes, by NIS code.", metadata=cost(1, items=20)
    )
    async def communes(self, info: Info) -> list[Commune]:
        return await load_children(
            info, Commune, m.Commune.territory_id, self.id, m.Commune.nis_code
        )


@strawberry.type(
    description="A Belgian municipality. Names and codes: Statbel (REFNIS 2025), CC BY 4.0."
)
class Commune(RowType, Timestamps, relay.Node):
    model = m.Commune
    row: strawberry.Private[m.Commune]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    nis_code: str = strawberry.field(description="Statbel's five-digit NIS (REFNIS) code.")
    province_nis_code: str | None
    population: int | None
    area_km2: Decimal | None
    name, name_translations = translated("name", "The commune's name.", required=True)
    province, province_translations = translated("province", "The province.")
    region, region_translations = translated("region", "The region.")

    @strawberry.field(description="The GAL the commune belongs to now.", metadata=cost(1))
    async def territory(self, info: Info) -> Territory | None:
        return await load_one(info, Territory, self.row.territory_id)

    @strawberry.field(
        description="The GALs the commune belonged to over time, oldest first (the open "
        "period last): `updateCommune(territory:, territorySince:)` closes one and opens the "
        "next.",
        metadata=cost(1, items=5),
    )
    async def memberships(self, info: Info) -> list[TerritoryMembership]:
        rows = await loaders.children(
            info.context,
            m.TerritoryMembership,
            m.TerritoryMembership.commune_id,
            m.TerritoryMembership.joined_on.is_(None).desc(),
            m.TerritoryMembership.joined_on,
            m.TerritoryMembership.id,
        ).load(self.id)
        return [
            TerritoryMembership(
                joined_on=row.joined_on, left_on=row.left_on, territory_id=row.territory_id
            )
            for row in rows
        ]

    @strawberry.field(
        description="Projects the commune takes part in, newest first.", metadata=cost(1)
    )
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
    ) -> Connection[Project]:
        remember_language(info, lang)
        return await paginate_nested(
            info.context,
            COMMUNE_PROJECTS,
            self.id,
            first=first,
            after=after,
            last=last,
            before=before,
            to_node=Project.from_row,
        )

    @strawberry.field(description="Organisations acting in the commune, by name.", metadata=cost(1))
    async def stakeholders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
    ) -> Connection[Stakeholder]:
        remember_language(info, lang)
        return await paginate_nested(
            info.context,
            COMMUNE_STAKEHOLDERS,
            self.id,
            first=first,
            after=after,
            last=last,
            before=before,
            to_node=Stakeholder.from_row,
        )

    @strawberry.field(
        description="The commune's PSTs, the most recent legislature first.",
        metadata=cost(1, items=2),
    )
    async def strategic_plans(self, info: Info) -> list[StrategicPlan]:
        return await load_children(
            info,
            StrategicPlan,
            m.StrategicPlan.commune_id,
            self.id,
            m.StrategicPlan.start_year.desc(),
            m.StrategicPlan.id.desc(),
        )

    @strawberry.field(
        description="The commune's current PST (the latest legislature's).", metadata=cost(1)
    )
    async def strategic_plan(self, info: Info) -> StrategicPlan | None:
        plans = await self.strategic_plans(info)
        return plans[0] if plans else None


@strawberry.type(description="A period a commune belonged to a GAL.")
class TerritoryMembership:
    joined_on: dt.date | None = strawberry.field(
        description="Its first day in the GAL (null: from before Bocage knew)."
    )
    left_on: dt.date | None = strawberry.field(
        description="Its first day out of the GAL (null: it still belongs)."
    )
    territory_id: strawberry.Private[int]

    @strawberry.field(description="The GAL.", metadata=cost(1))
    async def territory(self, info: Info) -> Territory | None:
        return await load_one(info, Territory, self.territory_id)


@strawberry.type(description="An organisation: administration, enterprise, association...")
class Stakeholder(RowType, Timestamps, ExternallyReferenced, MediaFields, LogoField, relay.Node):
    model = m.Stakeholder
    row: strawberry.Private[m.Stakeholder]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    kind: StakeholderKind
    name: str
    website: str | None
    enterprise_number: str | None = strawberry.field(
        description="Belgian enterprise number (BCE/KBO), e.g. 0207.000.000."
    )
    needs: list[StakeholderNeed]
    description, description_translations = translated("description", "What it does.")

    @strawberry.field(
        description="Where the organisation is (its seat), if it is on the map.",
        metadata=cost(0),
    )
    def location(self) -> Location | None:
        return location_of(self.row)

    @strawberry.field(description="Communes the organisation acts in.", metadata=cost(1, items=5))
    async def communes(self, info: Info) -> list[Commune]:
        rows = await loaders.linked(
            info.context,
            m.Commune,
            m.stakeholder_commune,
            "stakeholder_id",
            "commune_id",
            m.Commune.nis_code,
        ).load(self.id)
        return [Commune.from_row(r) for r in rows]

    @strawberry.field(
        description="Projects the organisation takes part in, newest first.", metadata=cost(1)
    )
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
    ) -> Connection[Project]:
        remember_language(info, lang)
        return await paginate_nested(
            info.context,
            STAKEHOLDER_PROJECTS,
            self.id,
            first=first,
            after=after,
            last=last,
            before=before,
            to_node=Project.from_row,
        )

    @strawberry.field(
        description="People at the organisation: personal data, needs contacts:read on it.",
        metadata=cost(1, items=5),
    )
    async def contacts(self, info: Info) -> list[Contact]:
        if not await may_read_contacts(info, self.id):
            raise Forbidden(
                "contacts are personal data: this needs contacts:read on the organisation"
            )
        return await load_children(
            info, Contact, m.Contact.stakeholder_id, self.id, m.Contact.family_name, m.Contact.id
        )


@strawberry.type(description="A stakeholder and its role in a project.")
class ProjectStakeholder:
    role: StakeholderRole
    stakeholder: Stakeholder


@strawberry.type(description="A dated measurement of an indicator.")
class IndicatorValue:
    row: strawberry.Private[m.IndicatorValue]
    measured_on: dt.date
    value: Decimal
    note: str | None


@strawberry.type(description="Something a project measures, with its dated values.")
class Indicator(RowType, Timestamps, relay.Node):
    model = m.Indicator
    row: strawberry.Private[m.Indicator]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    unit: str | None
    baseline: Decimal | None
    target: Decimal | None
    name, name_translations = translated("name", "What is measured.", required=True)

    @strawberry.field(description="Measurements, oldest first.", metadata=cost(1, items=10))
    async def values(self, info: Info) -> list[IndicatorValue]:
        rows = await loaders.children(
            info.context,
            m.IndicatorValue,
            m.IndicatorValue.indicator_id,
            m.IndicatorValue.measured_on,
            m.IndicatorValue.id,
        ).load(self.id)
        return [
            IndicatorValue(row=r, measured_on=r.measured_on, value=r.value, note=r.note)
            for r in rows
        ]

    @strawberry.field(description="The most recent measurement.", metadata=cost(1))
    async def latest_value(self, info: Info) -> IndicatorValue | None:
        values = await self.values(info)
        return values[-1] if values else None


@strawberry.type(description="A project of the territory.")
class Project(RowType, Timestamps, ExternallyReferenced, MediaFields, relay.Node):
    model = m.Project
    row: strawberry.Private[m.Project]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    status: ProjectStatus
    focus: ProjectFocus
    themes: list[str]
    sdgs: list[int] = strawberry.field(
        description="UN Sustainable Development Goals (1-17), with the goal of each target."
    )
    start_date: dt.date | None
    end_date: dt.date | None
    budget: Decimal | None = strawberry.field(description="Budget in euros.")
    title, title_translations = translated("title", "The project's title.", required=True)
    summary, summary_translations = translated("summary", "One-paragraph summary.")
    description, description_translations = translated("description", "Full description.")

    @strawberry.field(
        description="Where the project takes place, if it is on the map.", metadata=cost(0)
    )
    def location(self) -> Location | None:
        return location_of(self.row)

    @strawberry.field(description="Communes involved.", metadata=cost(1, items=5))
    async def communes(self, info: Info) -> list[Commune]:
        rows = await loaders.linked(
            info.context,
            m.Commune,
            m.project_commune,
            "project_id",
            "commune_id",
            m.Commune.nis_code,
        ).load(self.id)
        return [Commune.from_row(r) for r in rows]

    @strawberry.field(
        description="Stakeholders with their roles (lead first).", metadata=cost(1, items=5)
    )
    async def stakeholders(self, info: Info) -> list[ProjectStakeholder]:
        link = cast(Table, m.ProjectStakeholder.__table__)
        rows = await loaders.linked(
            info.context,
            m.Stakeholder,
            link,
            "project_id",
            "stakeholder_id",
            link.c.role,
            m.Stakeholder.name,
            m.Stakeholder.id,
            extra=("role",),
        ).load(self.id)
        order = list(m.StakeholderRole)
        rows = sorted(rows, key=lambda r: order.index(m.StakeholderRole(r[1])))
        return [
            ProjectStakeholder(role=m.StakeholderRole(role), stakeholder=Stakeholder.from_row(s))
            for s, role in rows
        ]

    @strawberry.field(description="What the project measures.", metadata=cost(1, items=5))
    async def indicators(self, info: Info) -> list[Indicator]:
        return await load_children(info, Indicator, m.Indicator.project_id, self.id, m.Indicator.id)

    @strawberry.field(description="PST actions the project carries out.", metadata=cost(1, items=5))
    async def pst_actions(self, info: Info) -> list[PstAction]:
        rows = await loaders.linked(
            info.context,
            m.PstAction,
            m.project_pst_action,
            "project_id",
            "pst_action_id",
            m.PstAction.code,
            m.PstAction.id,
        ).load(self.id)
        return [PstAction.from_row(r) for r in rows]

    @strawberry.field(description="The GAL that carries the project.", metadata=cost(1))
    async def territory(self, info: Info) -> Territory | None:
        return await load_one(info, Territory, self.row.territory_id)

    @strawberry.field(
        description="Official codes of the UN SDG targets the project serves ('11.3', '1.a'), "
        "in the official order; each one's goal is in `sdgs`."
    )
    def sdg_target_codes(self) -> list[str]:
        return list(self.row.sdg_targets)

    @strawberry.field(
        description="The UN SDGs of `sdgs`, with their titles.", metadata=cost(0, items=3)
    )
    def sdg_goals(self) -> list[Sdg]:
        return goals_of(self.row.sdgs)

    @strawberry.field(
        description="The UN SDG targets of `sdgTargetCodes`, with their titles.",
        metadata=cost(0, items=3),
    )
    def sdg_targets(self) -> list[SdgTarget]:
        return targets_of(self.row.sdg_targets)


@strawberry.type(description="A commune's PST (Programme Stratégique Transversal).")
class StrategicPlan(RowType, Timestamps, ExternallyReferenced, relay.Node):
    model = m.StrategicPlan
    row: strawberry.Private[m.StrategicPlan]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    start_year: int
    end_year: int
    adopted_on: dt.date | None
    title, title_translations = translated("title", "The plan's title.", required=True)

    @strawberry.field(description="The commune that adopted the plan.", metadata=cost(1))
    async def commune(self, info: Info) -> Commune | None:
        return await load_one(info, Commune, self.row.commune_id)

    @strawberry.field(
        description="Strategic objectives (OS), in the plan's order.", metadata=cost(1, items=6)
    )
    async def strategic_objectives(self, info: Info) -> list[StrategicObjective]:
        return await load_children(
            info,
            StrategicObjective,
            m.StrategicObjective.plan_id,
            self.id,
            m.StrategicObjective.position,
            m.StrategicObjective.code,
            m.StrategicObjective.id,
        )


@strawberry.type(description="A strategic objective (OS) of a PST.")
class StrategicObjective(RowType, Timestamps, ExternallyReferenced, relay.Node):
    model = m.StrategicObjective
    row: strawberry.Private[m.StrategicObjective]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    code: str
    title, title_translations = translated("title", "The objective.", required=True)

    @strawberry.field(description="The plan it belongs to.", metadata=cost(1))
    async def plan(self, info: Info) -> StrategicPlan | None:
        return await load_one(info, StrategicPlan, self.row.plan_id)

    @strawberry.field(
        description="Operational objectives (OO), in order.", metadata=cost(1, items=4)
    )
    async def operational_objectives(self, info: Info) -> list[OperationalObjective]:
        return await load_children(
            info,
            OperationalObjective,
            m.OperationalObjective.strategic_objective_id,
            self.id,
            m.OperationalObjective.position,
            m.OperationalObjective.code,
            m.OperationalObjective.id,
        )


@strawberry.type(description="An operational objective (OO) of a PST.")
class OperationalObjective(RowType, Timestamps, ExternallyReferenced, relay.Node):
    model = m.OperationalObjective
    row: strawberry.Private[m.OperationalObjective]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    code: str
    title, title_translations = translated("title", "The objective.", required=True)

    @strawberry.field(description="The strategic objective it serves.", metadata=cost(1))
    async def strategic_objective(self, info: Info) -> StrategicObjective | None:
        return await load_one(info, StrategicObjective, self.row.strategic_objective_id)

    @strawberry.field(description="Actions, in order.", metadata=cost(1, items=5))
    async def actions(self, info: Info) -> list[PstAction]:
        return await load_children(
            info,
            PstAction,
            m.PstAction.operational_objective_id,
            self.id,
            m.PstAction.position,
            m.PstAction.code,
            m.PstAction.id,
        )


@strawberry.type(description="An action of a PST; projects link to actions.")
class PstAction(RowType, Timestamps, ExternallyReferenced, relay.Node):
    model = m.PstAction
    row: strawberry.Private[m.PstAction]
    id: relay.NodeID[int]
    version: int = strawberry.field(description="Send it back when changing this object.")
    code: str
    budget: Decimal | None = strawberry.field(description="Budget in euros.")
    title, title_translations = translated("title", "The action.", required=True)

    @strawberry.field(description="The operational objective it serves.", metadata=cost(1))
    async def operational_objective(self, info: Info) -> OperationalObjective | None:
        return await load_one(info, OperationalObjective, self.row.operational_objective_id)

    @strawberry.field(
        description="Projects carrying out this action, newest first.", metadata=cost(1)
    )
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
    ) -> Connection[Project]:
        remember_language(info, lang)
        return await paginate_nested(
            info.context,
            ACTION_PROJECTS,
            self.id,
            first=first,
            after=after,
            last=last,
            before=before,
            to_node=Project.from_row,
        )


__all__ = [
    "Commune",
    "Indicator",
    "IndicatorValue",
    "OperationalObjective",
    "Project",
    "ProjectStakeholder",
    "PstAction",
    "Stakeholder",
    "StrategicObjective",
    "StrategicPlan",
    "Territory",
    "Translations",
]
