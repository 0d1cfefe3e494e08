"""The core's query fields, contributed to ``Query`` through the same hook plugins use."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.filters import (
    CommuneFilter,
    ProjectFilter,
    ProjectOrder,
    StakeholderFilter,
    commune_ordering,
    filter_communes,
    filter_projects,
    filter_stakeholders,
    project_ordering,
    stakeholder_ordering,
    territory_ordering,
)
from bocage.core.graphql.i18n import Language, request_language
from bocage.core.graphql.limits import cost
from bocage.core.graphql.pagination import Connection, paginate
from bocage.core.graphql.types import Commune, Project, Stakeholder, Territory


@strawberry.type(description="An installed, enabled plugin.")
class PluginInfo:
    name: str
    version: str


class NodeIdErrors(FieldExtension):
    """``node``/``nodes`` given the ID of a type that is not a node (or unknown): a typed
    BAD_USER_INPUT instead of an unexpected error."""

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            return next_(source, info, **kwargs)
        except GlobalIDValueError as error:
            raise BadInput(f"{error}: pass the `id` of an object", field="id") from None

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            result = next_(source, info, **kwargs)
            return await result if inspect.isawaitable(result) else result
        except GlobalIDValueError as error:
            raise BadInput(f"{error}: pass the `id` of an object", field="id") from None


def node_query() -> type:
    """``node``/``nodes`` fields, made anew for each schema (strawberry's node extension
    binds itself to the field object, so one field cannot serve two schemas)."""

    @strawberry.type
    class NodeQuery:
        node: relay.Node | None = relay.node(
            description="Any object by its global ID.",
            metadata=cost(1),
            extensions=[NodeIdErrors()],
        )
        nodes: list[relay.Node | None] = relay.node(
            description="Objects by their global IDs.",
            metadata=cost(1, items="ids"),
            extensions=[NodeIdErrors()],
        )

    return NodeQuery


@strawberry.type
class CoreQuery:
    @strawberry.field(description="The GALs.", metadata=cost(1))
    async def territories(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Territory]:
        statement = select(m.Territory).where(m.Territory.deleted_at.is_(None))
        return await paginate(
            info.context,
            statement,
            territory_ordering(),
            first=first,
            after=after,
            to_node=Territory.from_row,
        )

    @strawberry.field(description="A GAL by its slug.", metadata=cost(1))
    async def territory(self, info: Info, slug: str) -> Territory | None:
        statement = select(m.Territory).where(
            m.Territory.slug == slug, m.Territory.deleted_at.is_(None)
        )
        row = (await info.context.execute(statement)).scalar_one_or_none()
        return Territory.from_row(row) if row else None

    @strawberry.field(description="Communes, by NIS code.", metadata=cost(1))
    async def communes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: CommuneFilter | None = None,
    ) -> Connection[Commune]:
        statement = filter_communes(info.context, select(m.Commune), filter)
        return await paginate(
            info.context,
            statement,
            commune_ordering(),
            first=first,
            after=after,
            to_node=Commune.from_row,
        )

    @strawberry.field(
        description="A commune by its NIS (REFNIS) code, e.g. 64034 for Hannut.", metadata=cost(1)
    )
    async def commune(self, info: Info, nis_code: str) -> Commune | None:
        statement = select(m.Commune).where(
            m.Commune.nis_code == nis_code.strip(), m.Commune.deleted_at.is_(None)
        )
        row = (await info.context.execute(statement)).scalar_one_or_none()
        return Commune.from_row(row) if row else None

    @strawberry.field(description="Organisations of the territory, by name.", metadata=cost(1))
    async def stakeholders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: StakeholderFilter | None = None,
    ) -> Connection[Stakeholder]:
        statement = filter_stakeholders(info.context, select(m.Stakeholder), filter)
        return await paginate(
            info.context,
            statement,
            stakeholder_ordering(),
            first=first,
            after=after,
            to_node=Stakeholder.from_row,
        )

    @strawberry.field(
        description="Projects; newest first unless `orderBy` says otherwise.", metadata=cost(1)
    )
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ProjectFilter | None = None,
        order_by: ProjectOrder | None = None,
        lang: Annotated[
            Language | None, strawberry.argument(description="Language that TITLE ordering uses.")
        ] = None,
    ) -> Connection[Project]:
        statement = filter_projects(info.context, select(m.Project), filter)
        ordering = project_ordering(order_by, request_language(info, lang))
        return await paginate(
            info.context, statement, ordering, first=first, after=after, to_node=Project.from_row
        )

    @strawberry.field(
        description="The plugins this server runs, the core included.", metadata=cost(0, items=10)
    )
    def plugins(self, info: Info) -> list[PluginInfo]:
        return [PluginInfo(name=p.name, version=p.version) for p in info.context.host.plugins]
