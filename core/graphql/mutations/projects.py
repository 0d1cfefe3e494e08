"""Mutations of projects and their indicators."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.domain import projects, rules
from bocage.core.domain.permissions import PROJECTS_WRITE
from bocage.core.graphql.enums import ProjectFocus, ProjectStatus, StakeholderRole
from bocage.core.graphql.external import ExternalReferenceInput, set_external_reference
from bocage.core.graphql.limits import cost
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
    translations,
)
from bocage.core.graphql.places import LocationInput, geocoded, set_location
from bocage.core.graphql.types import Indicator, Project

ProjectErrorCode = error_codes("ProjectErrorCode", "Why a project mutation failed.")


@strawberry.type(description="A problem with a project mutation's input.")
class ProjectError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: ProjectErrorCode  # type: ignore[valid-type]  # built by error_codes()
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
    sdg_targets: list[str] = strawberry.field(
        default_factory=list,
        description="Official codes of UN SDG targets ('11.3', '1.a'); their goals join `sdgs`.",
    )
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget: Decimal | None = None
    stakeholders: list[ProjectStakeholderInput] = strawberry.field(default_factory=list)
    pst_actions: list[strawberry.ID] = strawberry.field(default_factory=list)
    territory: strawberry.ID | None = None
    location: LocationInput | None = strawberry.field(
        default=None, description="Where it takes place (see docs/places.md)."
    )
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
    sdg_targets: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Official codes of UN SDG targets ('11.3', '1.a'); their goals join `sdgs` "
        "(a goal stays while one of its targets does).",
    )
    start_date: dt.date | None = strawberry.UNSET
    end_date: dt.date | None = strawberry.UNSET
    budget: Decimal | None = strawberry.UNSET
    stakeholders: list[ProjectStakeholderInput] | None = strawberry.UNSET
    pst_actions: list[strawberry.ID] | None = strawberry.UNSET
    location: LocationInput | None = strawberry.field(
        default=strawberry.UNSET, description="Its new place; null removes it."
    )
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


async def _set_links(
    session: Any, project: m.Project, data: UpdateProjectInput, commune_ids: list[int] | None
) -> None:
    """Replace the links an update gives (unset or null leaves them as they are)."""
    stakeholders = data.stakeholders if given(data.stakeholders) else None
    pst_actions = data.pst_actions if given(data.pst_actions) else None
    await projects.set_links(
        session,
        project,
        communes=commune_ids,
        stakeholders=None
        if stakeholders is None
        else [(item.stakeholder, item.role.value) for item in stakeholders],
        pst_actions=pst_actions,
        creating=False,
    )


def _scalars(data: Any, *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in (
        "status",
        "focus",
        "themes",
        "sdgs",
        "sdg_targets",
        "start_date",
        "end_date",
        "budget",
    ):
        value = getattr(data, name)
        if given(value):
            if value is None and name in ("status", "focus", "themes", "sdgs", "sdg_targets"):
                field = "sdgTargets" if name == "sdg_targets" else name
                raise Invalid(Code.REQUIRED, f"{field} cannot be null", field)
            values[name] = value
    if "status" in values:
        values["status"] = m.ProjectStatus(values["status"].value)
    if "focus" in values:
        values["focus"] = m.ProjectFocus(values["focus"].value)
    if "themes" in values:
        values["themes"] = rules.project_themes(values["themes"])
    if "sdg_targets" in values:
        values["sdg_targets"] = rules.project_sdg_targets(values["sdg_targets"])
    for name, (required, _limit) in rules.PROJECT_TEXTS.items():
        value = getattr(data, name)
        if creating or given(value):
            if value is None and required and not creating:
                raise Invalid(Code.REQUIRED, f"{name} cannot be null", name)
            values[name] = rules.project_texts(name, value.as_dict() if value else None)
    return values


async def new_project(
    session: Any, principal: Any, input: CreateProjectInput, location: Any
) -> Change:
    """Add the project ``input`` describes in ``session`` (see :func:`projects.create_project`;
    ``createProject`` runs it inside ``mutate``), at the ``location`` :func:`geocoded` made of
    its input."""
    reference = input.external_reference
    return await projects.create_project(
        session,
        principal,
        projects.NewProject(
            title=input.title.as_dict() if input.title else {},
            focus=m.ProjectFocus(input.focus.value),
            communes=list(input.communes),
            status=m.ProjectStatus(input.status.value),
            summary=input.summary.as_dict() if input.summary else None,
            description=input.description.as_dict() if input.description else None,
            themes=list(input.themes),
            sdgs=list(input.sdgs),
            sdg_targets=list(input.sdg_targets),
            start_date=input.start_date,
            end_date=input.end_date,
            budget=input.budget,
            stakeholders=[(item.stakeholder, item.role.value) for item in input.stakeholders],
            pst_actions=list(input.pst_actions),
            territory=input.territory,
            external_reference=None if reference is None else (reference.source, reference.id),
            location=location,
        ),
    )


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
    rules.authorise_project(principal, await projects.current_communes(session, project.id), "id")
    check_version(project, version)
    return project


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Create a project (permission projects:write)."
    )
    async def create_project(self, info: Info, input: CreateProjectInput) -> ProjectPayload:
        location = await geocoded(info, input.location, PROJECTS_WRITE)

        async def change(session: Any, principal: Any) -> Change:
            return await new_project(session, principal, input, location)

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
        location = await geocoded(info, input.location, PROJECTS_WRITE)

        async def change(session: Any, principal: Any) -> Change:
            project = await _project_for_change(session, principal, input.id, input.version)
            values = _scalars(input, creating=False)
            if "sdgs" in values or "sdg_targets" in values:
                # A target implies its goal: the goals keep those of the targets.
                values["sdgs"] = rules.project_sdgs(
                    values.get("sdgs", project.sdgs),
                    values.get("sdg_targets", project.sdg_targets),
                )
            merged = {
                "start_date": project.start_date,
                "end_date": project.end_date,
                **values,
            }
            rules.check_project_values(merged)
            for name, value in values.items():
                setattr(project, name, value)
            await set_external_reference(session, project, input.external_reference, "Project")
            await set_location(session, project, location)
            commune_ids = None
            if given(input.communes):
                commune_ids, _ = await projects.resolve_communes(
                    session, principal, input.communes or []
                )
            await _set_links(session, project, input, commune_ids)
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
                principal, await projects.current_communes(session, project.id), "project"
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
                principal,
                await projects.current_communes(session, indicator.project_id),
                "indicator",
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
