"""The core's query fields, contributed to ``Query`` through the same hook plugins use."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, select
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
    StakeholderOrder,
    commune_ordering,
    filter_communes,
    filter_projects,
    filter_stakeholders,
    project_ordering,
    searched,
    stakeholder_ordering,
    territory_ordering,
)
from bocage.core.graphql.i18n import Language, NodesLanguage
from bocage.core.graphql.limits import cost
from bocage.core.graphql.pagination import Before, Connection, Last, Ordering, paginate_field
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


# -- what each root field reads: shared by its resolver and the read compiler ------------------


def territories_source(
    context: Any, lang: Language | None = None
) -> tuple[Select[*tuple[Any, ...]], Ordering]:
    return select(m.Territory).where(m.Territory.deleted_at.is_(None)), territory_ordering()


def territory_source(context: Any, slug: str) -> Select[*tuple[Any, ...]]:
    return select(m.Territory).where(m.Territory.slug == slug, m.Territory.deleted_at.is_(None))


def communes_source(
    context: Any, filter: CommuneFilter | None = None, lang: Language | None = None
) -> tuple[Select[*tuple[Any, ...]], Ordering]:
    return filter_communes(context, select(m.Commune), filter), commune_ordering()


def commune_source(context: Any, nis_code: str) -> Select[*tuple[Any, ...]]:
    return select(m.Commune).where(
        m.Commune.nis_code == nis_code.strip(), m.Commune.deleted_at.is_(None)
    )


def stakeholders_source(
    context: Any,
    filter: StakeholderFilter | None = None,
    lang: Language | None = None,
    order_by: StakeholderOrder | None = None,
) -> tuple[Select[*tuple[Any, ...]], Ordering]:
    statement = filter_stakeholders(context, select(m.Stakeholder), filter)
    return statement, stakeholder_ordering(order_by, searched(context, filter))


def projects_source(
    context: Any,
    filter: ProjectFilter | None = None,
    order_by: ProjectOrder | None = None,
    lang: Language | None = None,
) -> tuple[Select[*tuple[Any, ...]], Ordering]:
    language = lang.value if lang is not None else context.language
    statement = filter_projects(context, select(m.Project), filter)
    return statement, project_ordering(order_by, language, searched(context, filter))


@strawberry.type
class CoreQuery:
    @strawberry.field(description="The GALs.", metadata=cost(1))
    async def territories(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
    ) -> Connection[Territory]:
        return await paginate_field(
            info,
            *territories_source(info.context, lang),
            first=first,
            after=after,
            last=last,
            before=before,
            lang=lang,
            to_node=Territory.from_row,
        )

    @strawberry.field(description="A GAL by its slug.", metadata=cost(1))
    async def territory(self, info: Info, slug: str) -> Territory | None:
        row = (
            await info.context.execute(territory_source(info.context, slug))
        ).scalar_one_or_none()
        return Territory.from_row(row) if row else None

    @strawberry.field(description="Communes, by NIS code.", metadata=cost(1))
    async def communes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: CommuneFilter | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
    ) -> Connection[Commune]:
        return await paginate_field(
            info,
            *communes_source(info.context, filter, lang),
            first=first,
            after=after,
            last=last,
            before=before,
            lang=lang,
            to_node=Commune.from_row,
        )

    @strawberry.field(
        description="A commune by its NIS (REFNIS) code, e.g. 64034 for Hannut.", metadata=cost(1)
    )
    async def commune(self, info: Info, nis_code: str) -> Commune | None:
        statement = commune_source(info.context, nis_code)
        row = (await info.context.execute(statement)).scalar_one_or_none()
        return Commune.from_row(row) if row else None

    @strawberry.field(
        description="Organisations of the territory, by name unless `orderBy` says otherwise "
        "(with a `filter.search`: the most relevant first).",
        metadata=cost(1),
    )
    async def stakeholders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: StakeholderFilter | None = None,
        last: Last = None,
        before: Before = None,
        lang: NodesLanguage = None,
        order_by: StakeholderOrder | None = None,
    ) -> Connection[Stakeholder]:
        return await paginate_field(
            info,
            *stakeholders_source(info.context, filter, lang, order_by),
            first=first,
            after=after,
            last=last,
            before=before,
            lang=lang,
            to_node=Stakeholder.from_row,
        )

    @strawberry.field(
        description="Projects; newest first unless `orderBy` says otherwise (with a "
        "`filter.search`: the most relevant first).",
        metadata=cost(1),
    )
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ProjectFilter | None = None,
        order_by: ProjectOrder | None = None,
        lang: Annotated[
            Language | None,
            strawberry.argument(
                description="The language of the multilingual fields of the items and of what "
                "is under them (a field's own `lang` wins), and of TITLE ordering; default: "
                "Accept-Language."
            ),
        ] = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Project]:
        return await paginate_field(
            info,
            *projects_source(info.context, filter, order_by, lang),
            first=first,
            after=after,
            last=last,
            before=before,
            lang=lang,
            to_node=Project.from_row,
        )

    @strawberry.field(
        description="The plugins this server runs, the core included.", metadata=cost(0, items=10)
    )
    def plugins(self, info: Info) -> list[PluginInfo]:
        return [PluginInfo(name=p.name, version=p.version) for p in info.context.host.plugins]
