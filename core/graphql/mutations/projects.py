"""Mutations of projects and their indicators."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import delete, insert, select
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.graphql.enums import ProjectFocus, ProjectStatus, StakeholderRole
from bocage.core.graphql.external import ExternalReferenceInput, set_external_reference
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations import rules
from bocage.core.graphql.mutations.kit import (
    WRITE_COST,
    Change,
    Code,
    Invalid,
    TranslationsInput,
    archive,
    check_version,
    column_changes,
    error_codes,
    given,
    key_of,
    load_live,
    mutate,
    record_link,
    require_ids,
    translations,
)
from bocage.core.graphql.types import Commune, Indicator, Project, PstAction, Stakeholder, Territory
from bocage.core.hookspecs import Permission

#: Create, change and archive projects, their indicators and measurements.
PROJECTS_WRITE = Permission(
    "projects:write", "Create, change and archive projects and their indicators."
)

ProjectErrorCode = error_codes("ProjectErrorCode", "Why a project mutation failed.")


@strawberry.type(description="A problem with a project mutation's input.")
class ProjectError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: ProjectErrorCode
    message: str = strawberry.field(description="What is wrong and what to do.")


@strawberry.type(description="The project, or the errors that prevented the change.")
class ProjectPayload:
    project: Project | None
    errors: list[ProjectError]


@strawberry.type(description="The indicator, or the errors that prevented the change.")
class IndicatorPayload:
    indicator: Indicator | None
    errors: list[ProjectError]


@strawberry.input(description="A stakeholder and its role in the project.")
class ProjectStakeholderInput:
    stakeholder: strawberry.ID
    role: StakeholderRole


@strawberry.input(description="A new project. `communes` decides who may edit it.")
class CreateProjectInput:
    title: TranslationsInput
    focus: ProjectFocus
    communes: list[strawberry.ID]
    status: ProjectStatus = ProjectStatus.IDEA  # type: ignore[assignment]
    summary: TranslationsInput | None = None
    description: TranslationsInput | None = None
    themes: list[str] = strawberry.field(default_factory=list)
    sdgs: list[int] = strawberry.field(default_factory=list)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget: Decimal | None = None
    stakeholders: list[ProjectStakeholderInput] = strawberry.field(default_factory=list)
    pst_actions: list[strawberry.ID] = strawberry.field(default_factory=list)
    territory: strawberry.ID | None = None
    external_reference: ExternalReferenceInput | None = strawberry.field(
        default=None, description="Its key in your system; unique per source."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any unique string: retrying with the same key returns the same project.",
    )


@strawberry.input(description="Changes to a project; omitted fields stay as they are.")
class UpdateProjectInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The `version` you read; a stale one is refused.")
    title: TranslationsInput | None = strawberry.UNSET
    focus: ProjectFocus | None = strawberry.UNSET
    communes: list[strawberry.ID] | None = strawberry.UNSET
    status: ProjectStatus | None = strawberry.UNSET
    summary: TranslationsInput | None = strawberry.UNSET
    description: TranslationsInput | None = strawberry.UNSET
    themes: list[str] | None = strawberry.UNSET
    sdgs: list[int] | None = strawberry.UNSET
    start_date: dt.date | None = strawberry.UNSET
    end_date: dt.date | None = strawberry.UNSET
    budget: Decimal | None = strawberry.UNSET
    stakeholders: list[ProjectStakeholderInput] | None = strawberry.UNSET
    pst_actions: list[strawberry.ID] | None = strawberry.UNSET
    external_reference: ExternalReferenceInput | None = strawberry.field(
        default=strawberry.UNSET, description="Its key in your system; null removes it."
    )


@strawberry.input(description="The project to archive, at the version you read.")
class ArchiveInput:
    id: strawberry.ID
    version: int


@strawberry.input(description="A new indicator of a project.")
class CreateIndicatorInput:
    project: strawberry.ID
    name: TranslationsInput
    unit: str | None = None
    baseline: Decimal | None = None
    target: Decimal | None = None


@strawberry.input(description="A measurement of an indicator.")
class AddIndicatorValueInput:
    indicator: strawberry.ID
    measured_on: dt.date
    value: Decimal
    note: str | None = None


# -- validation -------------------------------------------------------------------------------


def _ids(values: list[Any], type_: type, field: str) -> list[int]:
    return [key_of(value, type_, field)[1] for value in values]


async def _commune_codes(session: Any, ids: list[int]) -> dict[int, str]:
    rows = await session.execute(
        select(m.Commune.id, m.Commune.nis_code).where(
            m.Commune.id.in_(ids), m.Commune.deleted_at.is_(None)
        )
    )
    return dict(rows.all())


async def _current_communes(session: Any, project_id: int) -> set[str]:
    rows = await session.execute(
        select(m.Commune.nis_code)
        .join(m.project_commune, m.project_commune.c.commune_id == m.Commune.id)
        .where(m.project_commune.c.project_id == project_id)
    )
    return set(rows.scalars())


async def _linked(session: Any, column: Any, project_id: int, *more: Any) -> list[Any]:
    """The current links of a project in ``column``'s table (with ``more`` columns: tuples)."""
    rows = await session.execute(
        select(column, *more).where(column.table.c.project_id == project_id)
    )
    if more:
        return [[key, getattr(value, "value", value)] for key, value in rows.all()]
    return list(rows.scalars())


async def _set_links(
    session: Any, project: m.Project, data: Any, commune_ids: list[int] | None, *, creating: bool
) -> None:
    """Replace the communes, stakeholders and PST actions given in ``data`` that differ from
    the project's, recording each change (:func:`record_link`) for the audit and the event."""
    link = m.project_commune
    if commune_ids is not None:
        current = [] if creating else await _linked(session, link.c.commune_id, project.id)
        if record_link(project, "communes", current, set(commune_ids)):
            await session.execute(delete(link).where(link.c.project_id == project.id))
            await session.execute(
                insert(link), [{"project_id": project.id, "commune_id": c} for c in commune_ids]
            )
    if given(data.stakeholders) and data.stakeholders is not None:
        pairs = []
        for item in data.stakeholders:
            key = _ids(
                [item.stakeholder],
                Stakeholder,
                "stakeholders",
            )[0]
            pairs.append((key, item.role))
        rules.check_project_roles(role.value for _, role in pairs)
        found = (
            (
                await session.execute(
                    select(m.Stakeholder.id).where(
                        m.Stakeholder.id.in_([k for k, _ in pairs]),
                        m.Stakeholder.deleted_at.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        require_ids([k for k, _ in pairs], found, "stakeholders", "stakeholders")
        roles = m.ProjectStakeholder.__table__.c
        wanted = {(key, role.value) for key, role in pairs}
        current = (
            [] if creating else await _linked(session, roles.stakeholder_id, project.id, roles.role)
        )
        if record_link(project, "stakeholders", current, [list(pair) for pair in wanted]):
            await session.execute(
                delete(m.ProjectStakeholder).where(m.ProjectStakeholder.project_id == project.id)
            )
            for key, role in sorted(wanted):
                session.add(
                    m.ProjectStakeholder(
                        project_id=project.id, stakeholder_id=key, role=m.StakeholderRole(role)
                    )
                )
    if given(data.pst_actions) and data.pst_actions is not None:
        keys = _ids(data.pst_actions, PstAction, "pstActions")
        rows = await session.execute(
            select(m.PstAction.id, m.StrategicPlan.commune_id)
            .join(
                m.OperationalObjective,
                m.OperationalObjective.id == m.PstAction.operational_objective_id,
            )
            .join(
                m.StrategicObjective,
                m.StrategicObjective.id == m.OperationalObjective.strategic_objective_id,
            )
            .join(m.StrategicPlan, m.StrategicPlan.id == m.StrategicObjective.plan_id)
            .where(m.PstAction.id.in_(keys), m.PstAction.deleted_at.is_(None))
        )
        plan_communes = dict(rows.all())
        require_ids(keys, plan_communes, "PST actions", "pstActions")
        project_communes = set(await _linked(session, link.c.commune_id, project.id))
        rules.check_actions_in_communes(plan_communes.values(), project_communes)
        actions = m.project_pst_action
        current = [] if creating else await _linked(session, actions.c.pst_action_id, project.id)
        if record_link(project, "pst_actions", current, set(keys)):
            await session.execute(delete(actions).where(actions.c.project_id == project.id))
            if keys:
                await session.execute(
                    insert(actions),
                    [{"project_id": project.id, "pst_action_id": k} for k in set(keys)],
                )


async def _resolve_communes(
    session: Any, principal: Any, ids: list[Any]
) -> tuple[list[int], set[str]]:
    rules.require_project_communes(ids)
    keys = sorted(set(_ids(ids, Commune, "communes")))
    codes = await _commune_codes(session, keys)
    require_ids(keys, codes, "communes", "communes")
    rules.authorise_project(principal, set(codes.values()))
    return keys, set(codes.values())


def _scalars(data: Any, *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("status", "focus", "themes", "sdgs", "start_date", "end_date", "budget"):
        value = getattr(data, name)
        if given(value):
            if value is None and name in ("status", "focus", "themes", "sdgs"):
                raise Invalid(Code.REQUIRED, f"{name} cannot be null", name)
            values[name] = value
    if "status" in values:
        values["status"] = m.ProjectStatus(values["status"].value)
    if "focus" in values:
        values["focus"] = m.ProjectFocus(values["focus"].value)
    if "themes" in values:
        values["themes"] = rules.project_themes(values["themes"])
    if "sdgs" in values:
        values["sdgs"] = rules.project_sdgs(values["sdgs"])
    for name, (required, _limit) in rules.PROJECT_TEXTS.items():
        value = getattr(data, name)
        if creating or given(value):
            if value is None and required and not creating:
                raise Invalid(Code.REQUIRED, f"{name} cannot be null", name)
            values[name] = rules.project_texts(name, value.as_dict() if value else None)
    return values


async def new_project(session: Any, principal: Any, input: CreateProjectInput) -> Change:
    """Validate ``input`` and add the project in ``session`` (no permission check, no audit:
    ``createProject`` runs it inside ``mutate``, ``core.api.create_project`` for plugins)."""
    values = _scalars(input, creating=True)
    rules.check_project_values(values)
    commune_ids, _codes = await _resolve_communes(session, principal, input.communes)
    territory_id = None
    if input.territory is not None:
        territory_id = _ids([input.territory], Territory, "territory")[0]
        await load_live(session, m.Territory, territory_id, "territory")
    project = m.Project(territory_id=territory_id, **values)
    await set_external_reference(session, project, input.external_reference, "Project")
    session.add(project)
    await session.flush()
    await _set_links(session, project, input, commune_ids, creating=True)
    return Change(row=project, action="created", changes=column_changes(project, created=True))


# -- the mutations ----------------------------------------------------------------------------


def _payload(outcome: Any) -> ProjectPayload:
    errors = [
        ProjectError(field=e.field, code=ProjectErrorCode[e.code.name], message=e.message)
        for e in outcome.errors or []
    ]
    return ProjectPayload(
        project=Project.from_row(outcome.row) if outcome.row else None, errors=errors
    )


def _indicator_payload(outcome: Any) -> IndicatorPayload:
    errors = [
        ProjectError(field=e.field, code=ProjectErrorCode[e.code.name], message=e.message)
        for e in outcome.errors or []
    ]
    return IndicatorPayload(
        indicator=Indicator.from_row(outcome.row) if outcome.row else None, errors=errors
    )


async def _project_for_change(session: Any, principal: Any, raw_id: Any, version: int) -> m.Project:
    key = _ids([raw_id], Project, "id")[0]
    project = await load_live(session, m.Project, key)
    rules.authorise_project(principal, await _current_communes(session, project.id), "id")
    check_version(project, version)
    return project


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Create a project (permission projects:write)."
    )
    async def create_project(self, info: Info, input: CreateProjectInput) -> ProjectPayload:
        async def change(session: Any, principal: Any) -> Change:
            return await new_project(session, principal, input)

        return _payload(
            await mutate(
                info,
                permission=PROJECTS_WRITE,
                operation="createProject",
                change=change,
                model=m.Project,
                idempotency_key=input.idempotency_key,
                request=strawberry.asdict(input),
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Change a project (permission projects:write)."
    )
    async def update_project(self, info: Info, input: UpdateProjectInput) -> ProjectPayload:
        async def change(session: Any, principal: Any) -> Change:
            project = await _project_for_change(session, principal, input.id, input.version)
            values = _scalars(input, creating=False)
            merged = {
                "start_date": project.start_date,
                "end_date": project.end_date,
                **values,
            }
            rules.check_project_values(merged)
            for name, value in values.items():
                setattr(project, name, value)
            await set_external_reference(session, project, input.external_reference, "Project")
            commune_ids = None
            if given(input.communes):
                commune_ids, _ = await _resolve_communes(session, principal, input.communes or [])
            await _set_links(session, project, input, commune_ids, creating=False)
            return Change(row=project, action="updated", changes=column_changes(project))

        return _payload(
            await mutate(
                info,
                permission=PROJECTS_WRITE,
                operation="updateProject",
                change=change,
                model=m.Project,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Archive a project: it disappears from lists (permission projects:write).",
    )
    async def archive_project(self, info: Info, input: ArchiveInput) -> ProjectPayload:
        async def change(session: Any, principal: Any) -> Change:
            return archive(await _project_for_change(session, principal, input.id, input.version))

        return _payload(
            await mutate(
                info,
                permission=PROJECTS_WRITE,
                operation="archiveProject",
                change=change,
                model=m.Project,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Add an indicator to a project (permission projects:write).",
    )
    async def create_indicator(self, info: Info, input: CreateIndicatorInput) -> IndicatorPayload:
        async def change(session: Any, principal: Any) -> Change:
            key = _ids([input.project], Project, "project")[0]
            project = await load_live(session, m.Project, key, "project")
            rules.authorise_project(
                principal, await _current_communes(session, project.id), "project"
            )
            name = translations(input.name, "name", required=True, max_length=300)
            indicator = m.Indicator(
                project_id=project.id,
                name=name,
                unit=input.unit,
                baseline=input.baseline,
                target=input.target,
            )
            session.add(indicator)
            await session.flush()
            return Change(
                row=indicator, action="created", changes=column_changes(indicator, created=True)
            )

        return _indicator_payload(
            await mutate(
                info,
                permission=PROJECTS_WRITE,
                operation="createIndicator",
                change=change,
                model=m.Indicator,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Record a measurement of an indicator (permission projects:write).",
    )
    async def add_indicator_value(
        self, info: Info, input: AddIndicatorValueInput
    ) -> IndicatorPayload:
        async def change(session: Any, principal: Any) -> Change:
            key = _ids([input.indicator], Indicator, "indicator")[0]
            indicator = await load_live(session, m.Indicator, key, "indicator")
            rules.authorise_project(
                principal, await _current_communes(session, indicator.project_id), "indicator"
            )
            if input.note is not None and len(input.note) > 500:
                raise Invalid(Code.INVALID, "note is longer than 500 characters", "note")
            value = m.IndicatorValue(
                indicator_id=indicator.id,
                measured_on=input.measured_on,
                value=input.value,
                note=input.note,
            )
            session.add(value)
            indicator.updated_at = dt.datetime.now(dt.UTC)
            await session.flush()
            return Change(
                row=indicator,
                action="updated",
                changes={"values": {"after": column_changes(value)}},
            )

        return _indicator_payload(
            await mutate(
                info,
                permission=PROJECTS_WRITE,
                operation="addIndicatorValue",
                change=change,
                model=m.Indicator,
            )
        )
