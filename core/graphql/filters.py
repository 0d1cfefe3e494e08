"""Filter and ordering inputs of the core's lists, and the SQL they translate to."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

import strawberry
from sqlalchemy import ColumnElement, Select, exists, false, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from bocage.core import models as m
from bocage.core.graphql import sdgs
from bocage.core.graphql.enums import ProjectFocus, ProjectStatus, StakeholderKind, StakeholderNeed
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.external import ExternalReferenceInput, external_reference_filter
from bocage.core.graphql.pagination import Ordering, SortKey, load_date, load_datetime
from bocage.core.graphql.places import BoundingBoxInput, NearInput, place_filters
from bocage.core.search import matches, relevance
from bocage.core.settings import LANGUAGES

if TYPE_CHECKING:
    from bocage.core.graphql.context import Context


@strawberry.enum(description="Sort direction.")
class OrderDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


RELEVANCE_DESCRIPTION = (
    "How well the item matches `filter.search` (PostgreSQL's ts_rank, SQLite's bm25): the "
    "default order when a search is given. Needs `filter.search`."
)


@strawberry.enum(description="What to sort projects by (ties are broken by ID).")
class ProjectOrderField(enum.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    START_DATE = "start_date"
    TITLE = "title"
    RELEVANCE = strawberry.enum_value("relevance", description=RELEVANCE_DESCRIPTION)


@strawberry.input(
    description="Project ordering; the default is newest first, or the most relevant first "
    "with a `filter.search`."
)
class ProjectOrder:
    field: ProjectOrderField = ProjectOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.enum(description="What to sort organisations by (ties are broken by ID).")
class StakeholderOrderField(enum.Enum):
    NAME = "name"
    RELEVANCE = strawberry.enum_value("relevance", description=RELEVANCE_DESCRIPTION)


@strawberry.input(
    description="Organisation ordering; the default is by name (A to Z), or the most relevant "
    "first with a `filter.search`."
)
class StakeholderOrder:
    field: StakeholderOrderField = StakeholderOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Project filters; all given conditions must hold.")
class ProjectFilter:
    territory: strawberry.ID | None = strawberry.UNSET
    communes: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Projects in any of these communes (IDs)."
    )
    commune_nis_codes: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Projects in any of these communes (NIS codes)."
    )
    status: list[ProjectStatus] | None = strawberry.field(
        default=strawberry.UNSET, description="Any of these statuses."
    )
    focus: ProjectFocus | None = strawberry.UNSET
    theme: str | None = strawberry.UNSET
    sdg: int | None = strawberry.field(default=strawberry.UNSET, description="SDG number 1-17.")
    sdg_goals: list[int] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Projects serving any of these SDGs (1-17), directly or through one of "
        "their targets.",
    )
    sdg_targets: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Projects serving any of these SDG targets, by official code ('11.3', "
        "'1.a'; see `sdgGoals`).",
    )
    stakeholder: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Projects this stakeholder takes part in."
    )
    pst_action: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Projects linked to this PST action."
    )
    search: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Full-text search over titles, summaries, descriptions (every language) "
        "and themes; accent-insensitive.",
    )
    updated_since: dt.datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Only projects changed at or after this instant."
    )
    external_reference: ExternalReferenceInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The object with this key in another system (see `externalReference`).",
    )
    within: BoundingBoxInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Only those whose place (its bounding box) meets this box.",
    )
    near: NearInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Only those whose place is within this distance of a point.",
    )


@strawberry.input(description="Stakeholder filters; all given conditions must hold.")
class StakeholderFilter:
    territory: strawberry.ID | None = strawberry.UNSET
    kind: list[StakeholderKind] | None = strawberry.field(
        default=strawberry.UNSET, description="Any of these kinds."
    )
    commune: strawberry.ID | None = strawberry.UNSET
    commune_nis_code: str | None = strawberry.UNSET
    need: StakeholderNeed | None = strawberry.UNSET
    search: str | None = strawberry.field(
        default=strawberry.UNSET, description="Full-text search over name and description."
    )
    updated_since: dt.datetime | None = strawberry.UNSET
    external_reference: ExternalReferenceInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The object with this key in another system (see `externalReference`).",
    )
    within: BoundingBoxInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Only those whose place (its bounding box) meets this box.",
    )
    near: NearInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Only those whose place is within this distance of a point.",
    )


@strawberry.input(description="Commune filters.")
class CommuneFilter:
    territory: strawberry.ID | None = strawberry.UNSET
    nis_codes: list[str] | None = strawberry.UNSET
    province_nis_code: str | None = strawberry.UNSET
    updated_since: dt.datetime | None = strawberry.UNSET


T = TypeVar("T")


def _given(value: T | None) -> TypeGuard[T]:
    """A filter field the client set (neither null nor left out)."""
    return value is not None and value is not strawberry.UNSET


def json_array_contains(dialect: str, column: Any, value: Any) -> ColumnElement[bool]:
    """``value`` is an element of the JSON array in ``column``."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB).contains([value])
    each = func.json_each(column).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == value))


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise BadInput(f"{field} needs a time zone, e.g. 2025-01-31T00:00:00Z", field=field)
    return value


def _global_id(value: str, model_type: str, field: str) -> int:
    from bocage.core.graphql import nodes, types

    return nodes.decode_id(value, getattr(types, model_type), field)


def _common(statement: Select[*tuple[Any, ...]], model: Any, f: Any) -> Select[*tuple[Any, ...]]:
    """What every list shares: live rows only, and the territory and updatedSince filters."""
    statement = statement.where(model.deleted_at.is_(None))
    if f is None:
        return statement
    if _given(f.territory):
        key = _global_id(f.territory, "Territory", "territory")
        statement = statement.where(model.territory_id == key)
    if _given(f.updated_since):
        statement = statement.where(model.updated_at >= _aware(f.updated_since, "updatedSince"))
    return statement


def filter_projects(
    context: Context, statement: Select[*tuple[Any, ...]], f: ProjectFilter | None
) -> Select[*tuple[Any, ...]]:
    P = m.Project
    statement = _common(statement, P, f)
    if f is None:
        return statement
    if _given(f.communes) or _given(f.commune_nis_codes):
        link = m.project_commune
        condition = link.c.project_id == P.id
        ids = [_global_id(c, "Commune", "communes") for c in f.communes or []]
        codes = list(f.commune_nis_codes or [])
        commune_cond = []
        if ids:
            commune_cond.append(link.c.commune_id.in_(ids))
        if codes:
            commune_cond.append(
                link.c.commune_id.in_(select(m.Commune.id).where(m.Commune.nis_code.in_(codes)))
            )
        statement = statement.where(exists().where(condition, or_(false(), *commune_cond)))
    if _given(f.status):
        statement = statement.where(P.status.in_(f.status))
    if _given(f.focus):
        statement = statement.where(P.focus == f.focus)
    if _given(f.theme):
        statement = statement.where(json_array_contains(context.dialect, P.themes, f.theme))
    if _given(f.sdg):
        if not 1 <= f.sdg <= 17:
            raise BadInput(f"sdg must be between 1 and 17; got {f.sdg}", field="sdg")
        statement = statement.where(json_array_contains(context.dialect, P.sdgs, f.sdg))
    if _given(f.sdg_goals):
        numbers = sdgs.goal_numbers(f.sdg_goals, "sdgGoals")
        statement = statement.where(
            or_(false(), *(json_array_contains(context.dialect, P.sdgs, n) for n in numbers))
        )
    if _given(f.sdg_targets):
        codes = sdgs.target_codes(f.sdg_targets, "sdgTargets")
        statement = statement.where(
            or_(false(), *(json_array_contains(context.dialect, P.sdg_targets, c) for c in codes))
        )
    if _given(f.stakeholder):
        role = m.ProjectStakeholder
        key = _global_id(f.stakeholder, "Stakeholder", "stakeholder")
        statement = statement.where(
            exists().where(role.project_id == P.id, role.stakeholder_id == key)
        )
    if _given(f.pst_action):
        link = m.project_pst_action
        key = _global_id(f.pst_action, "PstAction", "pstAction")
        statement = statement.where(
            exists().where(link.c.project_id == P.id, link.c.pst_action_id == key)
        )
    if _given(f.search) and f.search.strip():
        statement = statement.where(matches(context.dialect, P.__table__, f.search))
    statement = statement.where(*place_filters(context, P, f.within, f.near))
    return statement.where(*external_reference_filter(P, f.external_reference))


def filter_stakeholders(
    context: Context, statement: Select[*tuple[Any, ...]], f: StakeholderFilter | None
) -> Select[*tuple[Any, ...]]:
    S = m.Stakeholder
    statement = _common(statement, S, f)
    if f is None:
        return statement
    if _given(f.kind):
        statement = statement.where(S.kind.in_(f.kind))
    if _given(f.commune) or _given(f.commune_nis_code):
        link = m.stakeholder_commune
        commune: ColumnElement[bool]
        if _given(f.commune):
            commune = link.c.commune_id == _global_id(f.commune, "Commune", "commune")
        else:
            commune = link.c.commune_id.in_(
                select(m.Commune.id).where(m.Commune.nis_code == f.commune_nis_code)
            )
        statement = statement.where(exists().where(link.c.stakeholder_id == S.id, commune))
    if _given(f.need):
        statement = statement.where(json_array_contains(context.dialect, S.needs, f.need.value))
    if _given(f.search) and f.search.strip():
        statement = statement.where(matches(context.dialect, S.__table__, f.search))
    statement = statement.where(*place_filters(context, S, f.within, f.near))
    return statement.where(*external_reference_filter(S, f.external_reference))


def filter_communes(
    context: Context, statement: Select[*tuple[Any, ...]], f: CommuneFilter | None
) -> Select[*tuple[Any, ...]]:
    C = m.Commune
    statement = _common(statement, C, f)
    if f is None:
        return statement
    if _given(f.nis_codes):
        statement = statement.where(C.nis_code.in_(f.nis_codes))
    if _given(f.province_nis_code):
        statement = statement.where(C.province_nis_code == f.province_nis_code)
    return statement


def _id_key(model: Any, descending: bool) -> SortKey:
    return SortKey(model.id, descending, int)


def searched(context: Context, f: ProjectFilter | StakeholderFilter | None) -> Any:
    """The relevance of each row to the filter's ``search`` (see ``search.relevance``), or
    None without a search."""
    search = f.search if f is not None else None
    if not isinstance(search, str) or not search.strip():
        return None
    table = (m.Project if isinstance(f, ProjectFilter) else m.Stakeholder).__table__
    return relevance(context.dialect, table, search)


def _relevance_key(score: Any, descending: bool) -> SortKey:
    if score is None:
        raise BadInput(
            "RELEVANCE orders the results of a search: give `filter.search`, or order by "
            "another field",
            field="orderBy",
        )
    return SortKey(score, descending, int)


def project_ordering(
    order: ProjectOrder | None = None, lang: str = "fr", score: Any = None
) -> Ordering:
    """``order``, else the most relevant first when there is a search (``score``: its
    relevance, see :func:`searched`), else the newest first."""
    if order is None and score is not None:
        order = ProjectOrder(field=ProjectOrderField.RELEVANCE)
    order = order or ProjectOrder()
    desc = order.direction is OrderDirection.DESC
    P = m.Project
    match order.field:
        case ProjectOrderField.CREATED_AT:
            key = SortKey(P.created_at, desc, load_datetime)
        case ProjectOrderField.UPDATED_AT:
            key = SortKey(P.updated_at, desc, load_datetime)
        case ProjectOrderField.START_DATE:
            key = SortKey(func.coalesce(P.start_date, literal(dt.date.min)), desc, load_date)
        case ProjectOrderField.TITLE:
            languages = [lang, *(lg for lg in LANGUAGES if lg != lang)]
            title = func.lower(
                func.coalesce(*(P.title[lg].as_string() for lg in languages), literal(""))
            )
            key = SortKey(title, desc)
        case ProjectOrderField.RELEVANCE:
            key = _relevance_key(score, desc)
    return Ordering((key, _id_key(P, desc)))


def stakeholder_ordering(order: StakeholderOrder | None = None, score: Any = None) -> Ordering:
    """``order``, else the most relevant first when there is a search, else by name."""
    if order is None and score is not None:
        order = StakeholderOrder(
            field=StakeholderOrderField.RELEVANCE, direction=OrderDirection.DESC
        )
    order = order or StakeholderOrder()
    desc = order.direction is OrderDirection.DESC
    S = m.Stakeholder
    if order.field is StakeholderOrderField.RELEVANCE:
        return Ordering((_relevance_key(score, desc), _id_key(S, desc)))
    return Ordering((SortKey(func.lower(S.name), desc), _id_key(S, desc)))


def commune_ordering() -> Ordering:
    C = m.Commune
    return Ordering((SortKey(C.nis_code, False), _id_key(C, False)))


def territory_ordering() -> Ordering:
    T = m.Territory
    return Ordering((SortKey(T.slug, False), _id_key(T, False)))
