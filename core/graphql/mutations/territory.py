"""Mutations of communes (administrators) and of a commune's PST (its editors)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.domain import rules
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
)
from bocage.core.graphql.nodes import RowType
from bocage.core.graphql.types import (
    Commune,
    OperationalObjective,
    PstAction,
    StrategicObjective,
    StrategicPlan,
    Territory,
)
from bocage.core.hookspecs import Permission
from bocage.core.reference import UnknownNisCode, municipality

#: Create, change and archive communes (territory administrators).
COMMUNES_WRITE = Permission("communes:write", "Create, change and archive communes.")
#: Change a commune's PST: plans, objectives and actions.
PST_WRITE = Permission("pst:write", "Change a commune's PST (plans, objectives, actions).")

TerritoryErrorCode = error_codes("TerritoryErrorCode", "Why a commune or PST mutation failed.")


@strawberry.type(description="A problem with a commune or PST mutation's input.")
class TerritoryError:
    field: str | None
    code: TerritoryErrorCode  # type: ignore[valid-type]  # built by error_codes()
    message: str


@strawberry.type(description="The commune, or the errors that prevented the change.")
class CommunePayload:
    commune: Commune | None
    errors: list[TerritoryError]


@strawberry.type(description="The PST element changed (one of the four), or the errors.")
class PstPayload:
    plan: StrategicPlan | None = None
    strategic_objective: StrategicObjective | None = None
    operational_objective: OperationalObjective | None = None
    action: PstAction | None = None
    errors: list[TerritoryError] = strawberry.field(default_factory=list)


@strawberry.input(description="A commune from Statbel's list, by NIS code.")
class CreateCommuneInput:
    nis_code: str
    territory: strawberry.ID | None = None
    population: int | None = None
    area_km2: Decimal | None = None


@strawberry.input(description="Changes to a commune; names come from Statbel and stay.")
class UpdateCommuneInput:
    id: strawberry.ID
    version: int
    territory: strawberry.ID | None = strawberry.UNSET
    population: int | None = strawberry.UNSET
    area_km2: Decimal | None = strawberry.UNSET


@strawberry.input(description="The object to archive, at the version you read.")
class ArchiveVersionedInput:
    id: strawberry.ID
    version: int


@strawberry.input(description="A new PST: the commune's plan for a legislature.")
class CreateStrategicPlanInput:
    commune: strawberry.ID
    title: TranslationsInput
    start_year: int
    end_year: int
    adopted_on: dt.date | None = None


@strawberry.input(
    description="A new element under `parent`: a strategic objective under a plan, an "
    "operational objective under a strategic objective, an action under an operational one."
)
class CreatePstElementInput:
    parent: strawberry.ID
    code: str
    title: TranslationsInput
    position: int = 0
    budget: Decimal | None = strawberry.field(default=None, description="Actions only.")


@strawberry.input(description="Changes to a PST element; omitted fields stay as they are.")
class UpdatePstElementInput:
    id: strawberry.ID
    version: int
    code: str | None = strawberry.UNSET
    title: TranslationsInput | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    budget: Decimal | None = strawberry.UNSET


PST_TYPES = (StrategicPlan, StrategicObjective, OperationalObjective, PstAction)
CHILD_OF: dict[type[RowType], type[RowType]] = {
    StrategicPlan: StrategicObjective,
    StrategicObjective: OperationalObjective,
    OperationalObjective: PstAction,
}
PARENT_KEY = {
    StrategicObjective: "plan_id",
    OperationalObjective: "strategic_objective_id",
    PstAction: "operational_objective_id",
}
PAYLOAD_FIELD = {
    StrategicPlan: "plan",
    StrategicObjective: "strategic_objective",
    OperationalObjective: "operational_objective",
    PstAction: "action",
}


def _errors(outcome: Any) -> list[TerritoryError]:
    return [
        TerritoryError(field=e.field, code=TerritoryErrorCode[e.code.name], message=e.message)
        for e in outcome.errors or []
    ]


async def _plan_of(session: Any, type_: type[RowType], row: Any) -> m.StrategicPlan:
    """Walk up the PST to its plan."""
    while type_ is not StrategicPlan:
        parent_type = next(t for t, child in CHILD_OF.items() if child is type_)
        row = await session.get(parent_type.model, getattr(row, PARENT_KEY[type_]))
        type_ = parent_type
    return row  # type: ignore[no-any-return]


async def _commune_of(session: Any, type_: type[RowType], row: Any) -> m.Commune:
    """Walk up the PST to its commune."""
    plan = await _plan_of(session, type_, row)
    return await session.get(m.Commune, plan.commune_id)


#: What each level of a PST is called in messages.
LEVEL_NAMES = {
    StrategicObjective: "a strategic objective",
    OperationalObjective: "an operational objective",
    PstAction: "an action",
}


async def _refuse_taken_code(
    session: Any, plan_id: int, type_: type[RowType], code: str, itself: int | None = None
) -> None:
    """A code names one element of its level in a plan (projects and the import find actions
    by it): refuse one that a live element of the level already has (other than ``itself``)."""
    so, oo, action = m.StrategicObjective, m.OperationalObjective, m.PstAction
    model = type_.model
    statement = select(model.id).where(model.code == code, model.deleted_at.is_(None))
    if type_ is not StrategicObjective:
        if type_ is PstAction:
            statement = statement.join(oo, oo.id == action.operational_objective_id)
            statement = statement.where(oo.deleted_at.is_(None))
        statement = statement.join(so, so.id == oo.strategic_objective_id)
    statement = statement.where(so.plan_id == plan_id, so.deleted_at.is_(None))
    if itself is not None:
        statement = statement.where(model.id != itself)
    if (await session.execute(statement.limit(1))).first() is not None:
        what = LEVEL_NAMES[type_]
        raise Invalid(
            Code.DUPLICATE,
            f"the plan already has {what} with code {code!r}: give this one another code "
            "(codes name an element of the plan, e.g. in an import's pst_actions column)",
            "code",
        )


def _authorise_pst(principal: Any, commune: m.Commune, field: str) -> None:
    rules.authorise_pst(principal, commune.nis_code, commune.name, field)


def _pst_payload(outcome: Any, type_: type[RowType] | None) -> PstPayload:
    payload = PstPayload(errors=_errors(outcome))
    if outcome.row is not None and type_ is not None:
        setattr(payload, PAYLOAD_FIELD[type_], type_.from_row(outcome.row))
    return payload


@strawberry.type
class TerritoryMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Add a commune from Statbel's list (communes:write)."
    )
    async def create_commune(self, info: Info, input: CreateCommuneInput) -> CommunePayload:
        async def change(session: Any, principal: Any) -> Change:
            try:
                record = municipality(input.nis_code.strip())
            except UnknownNisCode as error:
                raise Invalid(Code.NOT_FOUND, str(error), "nisCode") from None
            exists = await session.execute(
                select(m.Commune.id).where(m.Commune.nis_code == record.nis_code)
            )
            if exists.first() is not None:
                raise Invalid(
                    Code.DUPLICATE, f"commune {record.nis_code} already exists", "nisCode"
                )
            territory_id = None
            if input.territory is not None:
                _, territory_id = key_of(input.territory, (Territory,), "territory")
                await load_live(session, m.Territory, territory_id, "territory")
            if input.population is not None and input.population < 0:
                raise Invalid(Code.INVALID, "population cannot be negative", "population")
            commune = m.Commune(
                nis_code=record.nis_code,
                name=record.name,
                province_nis_code=record.province_nis_code,
                province=record.province,
                region=record.region,
                population=input.population,
                area_km2=input.area_km2,
                territory_id=territory_id,
            )
            session.add(commune)
            await session.flush()
            return Change(
                row=commune, action="created", changes=column_changes(commune, created=True)
            )

        outcome = await mutate(
            info,
            permission=COMMUNES_WRITE,
            operation="createCommune",
            change=change,
            model=m.Commune,
        )
        return CommunePayload(
            commune=Commune.from_row(outcome.row) if outcome.row else None, errors=_errors(outcome)
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Change a commune's figures or GAL (communes:write)."
    )
    async def update_commune(self, info: Info, input: UpdateCommuneInput) -> CommunePayload:
        async def change(session: Any, principal: Any) -> Change:
            _, key = key_of(input.id, (Commune,), "id")
            commune = await load_live(session, m.Commune, key)
            check_version(commune, input.version)
            if given(input.population):
                if input.population is not None and input.population < 0:
                    raise Invalid(Code.INVALID, "population cannot be negative", "population")
                commune.population = input.population
            if given(input.area_km2):
                commune.area_km2 = input.area_km2
            if given(input.territory):
                territory_id = None
                if input.territory is not None:
                    _, territory_id = key_of(input.territory, (Territory,), "territory")
                    await load_live(session, m.Territory, territory_id, "territory")
                commune.territory_id = territory_id
            return Change(row=commune, action="updated", changes=column_changes(commune))

        outcome = await mutate(
            info,
            permission=COMMUNES_WRITE,
            operation="updateCommune",
            change=change,
            model=m.Commune,
        )
        return CommunePayload(
            commune=Commune.from_row(outcome.row) if outcome.row else None, errors=_errors(outcome)
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Archive a commune (communes:write)."
    )
    async def archive_commune(self, info: Info, input: ArchiveVersionedInput) -> CommunePayload:
        async def change(session: Any, principal: Any) -> Change:
            _, key = key_of(input.id, (Commune,), "id")
            commune = await load_live(session, m.Commune, key)
            check_version(commune, input.version)
            return archive(commune)

        outcome = await mutate(
            info,
            permission=COMMUNES_WRITE,
            operation="archiveCommune",
            change=change,
            model=m.Commune,
        )
        return CommunePayload(
            commune=Commune.from_row(outcome.row) if outcome.row else None, errors=_errors(outcome)
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Create a commune's PST for a legislature (pst:write).",
    )
    async def create_strategic_plan(
        self, info: Info, input: CreateStrategicPlanInput
    ) -> PstPayload:
        async def change(session: Any, principal: Any) -> Change:
            _, key = key_of(input.commune, (Commune,), "commune")
            commune = await load_live(session, m.Commune, key, "commune")
            _authorise_pst(principal, commune, "commune")
            rules.plan_years(input.start_year, input.end_year)
            plan = m.StrategicPlan(
                commune_id=commune.id,
                start_year=input.start_year,
                end_year=input.end_year,
                adopted_on=input.adopted_on,
                title=rules.plan_title(input.title.as_dict()),
            )
            session.add(plan)
            await session.flush()
            return Change(row=plan, action="created", changes=column_changes(plan, created=True))

        outcome = await mutate(
            info,
            permission=PST_WRITE,
            operation="createStrategicPlan",
            change=change,
            model=m.StrategicPlan,
        )
        return _pst_payload(outcome, StrategicPlan)

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Add an objective or action under a PST element (pst:write).",
    )
    async def create_pst_element(self, info: Info, input: CreatePstElementInput) -> PstPayload:
        created: list[type[RowType]] = []

        async def change(session: Any, principal: Any) -> Change:
            parent_type, key = key_of(input.parent, tuple(CHILD_OF), "parent")
            parent = await load_live(session, parent_type.model, key, "parent")
            _authorise_pst(principal, await _commune_of(session, parent_type, parent), "parent")
            child_type = CHILD_OF[parent_type]
            code = rules.pst_code(input.code)
            plan = await _plan_of(session, parent_type, parent)
            await _refuse_taken_code(session, plan.id, child_type, code)
            values: dict[str, Any] = {
                PARENT_KEY[child_type]: parent.id,
                "code": code,
                "position": input.position,
                "title": rules.pst_title(input.title.as_dict() if input.title else None),
            }
            if input.budget is not None:
                values["budget"] = rules.pst_budget(input.budget, is_action=child_type is PstAction)
            row = child_type.model(**values)
            session.add(row)
            await session.flush()
            created.append(child_type)
            return Change(row=row, action="created", changes=column_changes(row, created=True))

        outcome = await mutate(
            info,
            permission=PST_WRITE,
            operation="createPstElement",
            change=change,
            model=m.PstAction,
        )
        return _pst_payload(outcome, created[0] if created else None)

    @strawberry.mutation(metadata=cost(WRITE_COST), description="Change a PST element (pst:write).")
    async def update_pst_element(self, info: Info, input: UpdatePstElementInput) -> PstPayload:
        changed: list[type] = []

        async def change(session: Any, principal: Any) -> Change:
            type_, key = key_of(input.id, PST_TYPES, "id")
            row = await load_live(session, type_.model, key)
            _authorise_pst(principal, await _commune_of(session, type_, row), "id")
            check_version(row, input.version)
            if given(input.title):
                row.title = rules.pst_title(input.title.as_dict() if input.title else None)
            if given(input.code) and type_ is not StrategicPlan:
                code = rules.pst_code(input.code or "")
                if code != row.code:
                    plan = await _plan_of(session, type_, row)
                    await _refuse_taken_code(session, plan.id, type_, code, itself=row.id)
                row.code = code
            if given(input.position) and type_ is not StrategicPlan:
                row.position = input.position or 0
            if given(input.budget):
                if type_ is not PstAction:
                    raise Invalid(Code.INVALID, "only actions have a budget", "budget")
                row.budget = rules.pst_budget(input.budget, is_action=True)
            changed.append(type_)
            return Change(row=row, action="updated", changes=column_changes(row))

        outcome = await mutate(
            info,
            permission=PST_WRITE,
            operation="updatePstElement",
            change=change,
            model=m.PstAction,
        )
        return _pst_payload(outcome, changed[0] if changed else None)

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Archive a PST element; what hangs under it leaves the tree too (pst:write).",
    )
    async def archive_pst_element(self, info: Info, input: ArchiveVersionedInput) -> PstPayload:
        changed: list[type] = []

        async def change(session: Any, principal: Any) -> Change:
            type_, key = key_of(input.id, PST_TYPES, "id")
            row = await load_live(session, type_.model, key)
            _authorise_pst(principal, await _commune_of(session, type_, row), "id")
            check_version(row, input.version)
            changed.append(type_)
            return archive(row)

        outcome = await mutate(
            info,
            permission=PST_WRITE,
            operation="archivePstElement",
            change=change,
            model=m.PstAction,
        )
        return _pst_payload(outcome, changed[0] if changed else None)
