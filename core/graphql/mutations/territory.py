"""Mutations of communes (administrators) and of a commune's PST (its editors): their inputs
and payloads; what they change is :mod:`bocage.core.domain.territory`'s."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.domain import territory as domain
from bocage.core.domain.permissions import COMMUNES_WRITE, PST_WRITE
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import (
    WRITE_COST,
    Change,
    TranslationsInput,
    error_codes,
    given,
    mutate,
)
from bocage.core.graphql.nodes import RowType
from bocage.core.graphql.types import (
    Commune,
    OperationalObjective,
    PstAction,
    StrategicObjective,
    StrategicPlan,
)

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
    territory_since: dt.date | None = strawberry.field(
        default=None,
        description="The first day the commune belongs to `territory` (today if not given).",
    )


@strawberry.input(description="Changes to a commune; names come from Statbel and stay.")
class UpdateCommuneInput:
    id: strawberry.ID
    version: int
    territory: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The GAL the commune belongs to from `territorySince` on (its earlier GALs "
        "stay in `memberships`); on an installation of several GALs, operators only.",
    )
    population: int | None = strawberry.UNSET
    area_km2: Decimal | None = strawberry.UNSET
    territory_since: dt.date | None = strawberry.field(
        default=None,
        description="The first day in the new `territory` (today if not given; not in the future).",
    )


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


#: The GraphQL type of each PST level's rows.
PST_TYPE_OF: dict[type[Any], type[RowType]] = {
    t.model: t for t in (StrategicPlan, StrategicObjective, OperationalObjective, PstAction)
}
#: The payload field of each PST level.
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


def _given(input: Any, *names: str) -> dict[str, Any]:
    """The fields ``names`` of ``input`` the client gave (translations as ``{lang: text}``),
    by their Python names."""
    values = {name: getattr(input, name) for name in names if given(getattr(input, name))}
    return {
        name: value.as_dict() if isinstance(value, TranslationsInput) else value
        for name, value in values.items()
    }


def _commune_payload(info: Info, outcome: Any) -> CommunePayload:
    """The payload of a change of communes; once it committed, this worker reads the
    territories' communes again at its next request (others within
    ``BOCAGE_AUTH_TENANCY_CACHE_TTL``), so that who is confined to what follows at once."""
    request = info.context.request
    if not outcome.errors and request is not None:
        request.app.state.authenticator.tenancy.forget()
    return CommunePayload(
        commune=Commune.from_row(outcome.row) if outcome.row else None, errors=_errors(outcome)
    )


def _pst_payload(outcome: Any) -> PstPayload:
    payload = PstPayload(errors=_errors(outcome))
    if outcome.row is not None:
        type_ = PST_TYPE_OF[type(outcome.row)]
        setattr(payload, PAYLOAD_FIELD[type_], type_.from_row(outcome.row))
    return payload


@strawberry.type
class TerritoryMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Add a commune from Statbel's list (communes:write)."
    )
    async def create_commune(self, info: Info, input: CreateCommuneInput) -> CommunePayload:
        async def change(session: Any, principal: Any) -> Change:
            return await domain.create_commune(
                session,
                input.nis_code,
                territory=input.territory,
                population=input.population,
                area_km2=input.area_km2,
                principal=principal,
                territory_since=input.territory_since,
            )

        return _commune_payload(
            info,
            await mutate(
                info,
                permission=COMMUNES_WRITE,
                operation="createCommune",
                change=change,
                model=m.Commune,
            ),
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Change a commune's figures or GAL (communes:write)."
    )
    async def update_commune(self, info: Info, input: UpdateCommuneInput) -> CommunePayload:
        async def change(session: Any, principal: Any) -> Change:
            changes = _given(input, "population", "area_km2", "territory")
            return await domain.update_commune(
                session,
                input.id,
                input.version,
                principal=principal,
                territory_since=input.territory_since,
                followers=domain.commune_followers(info.context.host),
                **changes,
            )

        return _commune_payload(
            info,
            await mutate(
                info,
                permission=COMMUNES_WRITE,
                operation="updateCommune",
                change=change,
                model=m.Commune,
            ),
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST), description="Archive a commune (communes:write)."
    )
    async def archive_commune(self, info: Info, input: ArchiveVersionedInput) -> CommunePayload:
        async def change(session: Any, principal: Any) -> Change:
            return await domain.archive_commune(
                session, input.id, input.version, principal=principal
            )

        return _commune_payload(
            info,
            await mutate(
                info,
                permission=COMMUNES_WRITE,
                operation="archiveCommune",
                change=change,
                model=m.Commune,
            ),
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Create a commune's PST for a legislature (pst:write).",
    )
    async def create_strategic_plan(
        self, info: Info, input: CreateStrategicPlanInput
    ) -> PstPayload:
        async def change(session: Any, principal: Any) -> Change:
            return await domain.create_strategic_plan(
                session,
                principal,
                input.commune,
                title=input.title.as_dict(),
                start_year=input.start_year,
                end_year=input.end_year,
                adopted_on=input.adopted_on,
            )

        return _pst_payload(
            await mutate(
                info,
                permission=PST_WRITE,
                operation="createStrategicPlan",
                change=change,
                model=m.StrategicPlan,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Add an objective or action under a PST element (pst:write).",
    )
    async def create_pst_element(self, info: Info, input: CreatePstElementInput) -> PstPayload:
        async def change(session: Any, principal: Any) -> Change:
            return await domain.create_pst_element(
                session,
                principal,
                input.parent,
                code=input.code,
                title=input.title.as_dict() if input.title else None,
                position=input.position,
                budget=input.budget,
            )

        return _pst_payload(
            await mutate(
                info,
                permission=PST_WRITE,
                operation="createPstElement",
                change=change,
                model=m.PstAction,
            )
        )

    @strawberry.mutation(metadata=cost(WRITE_COST), description="Change a PST element (pst:write).")
    async def update_pst_element(self, info: Info, input: UpdatePstElementInput) -> PstPayload:
        async def change(session: Any, principal: Any) -> Change:
            changes = _given(input, "title", "code", "position", "budget")
            return await domain.update_pst_element(
                session, principal, input.id, input.version, **changes
            )

        return _pst_payload(
            await mutate(
                info,
                permission=PST_WRITE,
                operation="updatePstElement",
                change=change,
                model=m.PstAction,
            )
        )

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Archive a PST element; what hangs under it leaves the tree too (pst:write).",
    )
    async def archive_pst_element(self, info: Info, input: ArchiveVersionedInput) -> PstPayload:
        async def change(session: Any, principal: Any) -> Change:
            return await domain.archive_pst_element(session, principal, input.id, input.version)

        return _pst_payload(
            await mutate(
                info,
                permission=PST_WRITE,
                operation="archivePstElement",
                change=change,
                model=m.PstAction,
            )
        )
