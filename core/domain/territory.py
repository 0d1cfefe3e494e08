"""Communes (territory administrators) and a commune's PST (its editors): adding, changing and
archiving them, whoever asks (``createCommune``..., ``createPstElement``...). Objects are named
by their global IDs, as clients send them; every failure is an :class:`Invalid` naming the
input field. Permission, transaction, audit and event are the unit of work's
(:mod:`bocage.core.domain.work`); these functions check the rest and change rows in the
session they are given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bocage.core import models as m
from bocage.core.auth import policy
from bocage.core.domain import rules
from bocage.core.domain.changes import Change, archive, check_version, column_changes, load_live
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.ids import key_of
from bocage.core.reference import UnknownNisCode, move_commune, municipality

if TYPE_CHECKING:
    from bocage.core.hookspecs import CommuneFollower
    from bocage.core.host_protocol import Host

#: The levels of a PST, from the plan down to its actions.
PST_LEVELS: tuple[type[Any], ...] = (
    m.StrategicPlan,
    m.StrategicObjective,
    m.OperationalObjective,
    m.PstAction,
)
#: The level under each level.
CHILD_OF: dict[type[Any], type[Any]] = dict(zip(PST_LEVELS, PST_LEVELS[1:], strict=False))
#: The column of each level below the plan that names its parent.
PARENT_KEY: dict[type[Any], str] = {
    m.StrategicObjective: "plan_id",
    m.OperationalObjective: "strategic_objective_id",
    m.PstAction: "operational_objective_id",
}
#: What each level below the plan is called in messages.
LEVEL_NAMES: dict[type[Any], str] = {
    m.StrategicObjective: "a strategic objective",
    m.OperationalObjective: "an operational objective",
    m.PstAction: "an action",
}
#: The levels by the name their global IDs carry (the GraphQL types have the models' names).
LEVEL_BY_NAME = {level.__name__: level for level in PST_LEVELS}


def commune_followers(host: Host) -> list[CommuneFollower]:
    """The plugins' rows that follow a commune to another GAL (``bocage_commune_followers``),
    for :func:`update_commune` and :func:`bocage.core.reference.setup_territory`."""
    return [follower for _, follower in host.contributions("bocage_commune_followers")]


def _population(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise Invalid(Code.INVALID, "population cannot be negative", "population")
    return value


async def _territory(session: Any, value: Any) -> int | None:
    """The key of the live territory ``value`` (a global ID), or ``None`` for none."""
    if value is None:
        return None
    _, key = key_of(value, "Territory", "territory")
    await load_live(session, m.Territory, key, "territory")
    return key


def _refuse_outside(principal: Any, territory_id: int | None, field: str) -> None:
    """On an installation of several GALs, an administrator confined to some of them adds
    communes to those only (docs/tenancy.md)."""
    if principal is not None and territory_id is None and principal.confined:
        raise Invalid(
            Code.FORBIDDEN,
            "give one of your territories: you administer the communes of your GALs only",
            field,
        )
    if principal is not None:
        rules.authorise_territory(principal, territory_id, field)


def _refuse_foreign_commune(principal: Any, commune: m.Commune, field: str) -> None:
    if principal is not None and not policy.may_touch_communes(principal, {commune.nis_code}):
        raise Invalid(
            Code.FORBIDDEN,
            f"commune {commune.nis_code} is not in your territories: ask its GAL or an operator",
            field,
        )


async def create_commune(
    session: Any,
    nis_code: str,
    *,
    territory: Any = None,
    population: int | None = None,
    area_km2: Decimal | None = None,
    principal: Any = None,
    territory_since: dt.date | None = None,
) -> Change:
    """Add the commune ``nis_code`` of Statbel's list (its names, province and region come
    from the list), unless it is already there; with a ``territory``, it belongs to that GAL
    from ``territory_since`` (today if not given)."""
    try:
        record = municipality(nis_code.strip())
    except UnknownNisCode as error:
        raise Invalid(Code.NOT_FOUND, str(error), "nisCode") from None
    exists = await session.execute(
        select(m.Commune.id).where(m.Commune.nis_code == record.nis_code)
    )
    if exists.first() is not None:
        raise Invalid(Code.DUPLICATE, f"commune {record.nis_code} already exists", "nisCode")
    territory_id = await _territory(session, territory)
    _refuse_outside(principal, territory_id, "territory")
    commune = m.Commune(
        nis_code=record.nis_code,
        name=record.name,
        province_nis_code=record.province_nis_code,
        province=record.province,
        region=record.region,
        population=_population(population),
        area_km2=area_km2,
    )
    session.add(commune)
    await session.flush()
    await move_commune(session, commune, territory_id, territory_since or dt.date.today())
    return Change(row=commune, action="created", changes=column_changes(commune, created=True))


async def update_commune(
    session: Any,
    id: Any,
    version: int,
    *,
    principal: Any = None,
    territory_since: dt.date | None = None,
    followers: Sequence[CommuneFollower] = (),
    **changes: Any,
) -> Change:
    """Change the figures (``population``, ``area_km2``) or the GAL (``territory``: a global
    ID, ``None`` for none; from ``territory_since``, today if not given: the commune's earlier
    GALs stay in its memberships) of the commune ``id`` read at ``version``; a key left out of
    ``changes`` stays as it is. Names come from Statbel and stay. Moving a commune between
    GALs changes who administers it: on an installation of several GALs, operators only; the
    plugins' rows that keep its territory follow it in this transaction (``followers``: the
    plugins' ``bocage_commune_followers``)."""
    unknown = set(changes) - {"population", "area_km2", "territory"}
    if unknown:
        raise TypeError(f"a commune has no changeable {', '.join(sorted(unknown))}")
    _, key = key_of(id, "Commune", "id")
    commune = await load_live(session, m.Commune, key)
    _refuse_foreign_commune(principal, commune, "id")
    check_version(commune, version)
    if "population" in changes:
        commune.population = _population(changes["population"])
    if "area_km2" in changes:
        commune.area_km2 = changes["area_km2"]
    if "territory" in changes:
        territory_id = await _territory(session, changes["territory"])
        if territory_id != commune.territory_id:
            if principal is not None and principal.confined:
                raise Invalid(
                    Code.FORBIDDEN,
                    "moving a commune to another GAL is an operator's change on an "
                    "installation of several GALs",
                    "territory",
                )
            if territory_since is not None and territory_since > dt.date.today():
                raise Invalid(
                    Code.INVALID, "territorySince cannot be in the future", "territorySince"
                )
            joined = await session.scalar(
                select(m.TerritoryMembership.joined_on).where(
                    m.TerritoryMembership.commune_id == commune.id,
                    m.TerritoryMembership.left_on.is_(None),
                )
            )
            since = territory_since or dt.date.today()
            if joined is not None and since <= joined:
                raise Invalid(
                    Code.INVALID,
                    f"territorySince must come after {joined.isoformat()}, the day the commune "
                    "joined its present GAL",
                    "territorySince",
                )
            await move_commune(session, commune, territory_id, since, followers)
    return Change(row=commune, action="updated", changes=column_changes(commune))


async def archive_commune(session: Any, id: Any, version: int, *, principal: Any = None) -> Change:
    """Archive the commune ``id`` read at ``version``."""
    _, key = key_of(id, "Commune", "id")
    commune = await load_live(session, m.Commune, key)
    _refuse_foreign_commune(principal, commune, "id")
    check_version(commune, version)
    return archive(commune)


async def plan_of(session: Any, row: Any) -> m.StrategicPlan:
    """The plan a PST element (of any level) belongs to."""
    level = type(row)
    while level is not m.StrategicPlan:
        parent = next(upper for upper, lower in CHILD_OF.items() if lower is level)
        row = await session.get(parent, getattr(row, PARENT_KEY[level]))
        level = parent
    return row  # type: ignore[no-any-return]


async def commune_of(session: Any, row: Any) -> m.Commune:
    """The commune whose PST holds ``row``."""
    plan = await plan_of(session, row)
    return await session.get(m.Commune, plan.commune_id)  # type: ignore[no-any-return]


async def _authorise(session: Any, principal: Any, row: Any, field: str) -> None:
    """Refuse a principal who may not change the PST ``row`` belongs to (the plan, or any
    element under it)."""
    commune = row if isinstance(row, m.Commune) else await commune_of(session, row)
    rules.authorise_pst(principal, commune.nis_code, commune.name, field)


async def _refuse_taken_code(
    session: Any, plan_id: int, level: type[Any], code: str, itself: int | None = None
) -> None:
    """A code names one element of its level in a plan (projects and the import find actions
    by it): refuse one that a live element of the level already has (other than ``itself``)."""
    so, oo, action = m.StrategicObjective, m.OperationalObjective, m.PstAction
    statement = select(level.id).where(level.code == code, level.deleted_at.is_(None))
    if level is not so:
        if level is action:
            statement = statement.join(oo, oo.id == action.operational_objective_id)
            statement = statement.where(oo.deleted_at.is_(None))
        statement = statement.join(so, so.id == oo.strategic_objective_id)
    statement = statement.where(so.plan_id == plan_id, so.deleted_at.is_(None))
    if itself is not None:
        statement = statement.where(level.id != itself)
    if (await session.execute(statement.limit(1))).first() is not None:
        raise Invalid(
            Code.DUPLICATE,
            f"the plan already has {LEVEL_NAMES[level]} with code {code!r}: give this one "
            "another code (codes name an element of the plan, e.g. in an import's pst_actions "
            "column)",
            "code",
        )


async def create_strategic_plan(
    session: Any,
    principal: Any,
    commune: Any,
    *,
    title: Mapping[str, str] | None,
    start_year: int,
    end_year: int,
    adopted_on: dt.date | None = None,
) -> Change:
    """Add a PST to the commune ``commune`` (a global ID) for a legislature."""
    _, key = key_of(commune, "Commune", "commune")
    row = await load_live(session, m.Commune, key, "commune")
    await _authorise(session, principal, row, "commune")
    rules.plan_years(start_year, end_year)
    plan = m.StrategicPlan(
        commune_id=row.id,
        start_year=start_year,
        end_year=end_year,
        adopted_on=adopted_on,
        title=rules.plan_title(title),
    )
    session.add(plan)
    await session.flush()
    return Change(row=plan, action="created", changes=column_changes(plan, created=True))


async def create_pst_element(
    session: Any,
    principal: Any,
    parent: Any,
    *,
    code: str,
    title: Mapping[str, str] | None,
    position: int = 0,
    budget: Decimal | None = None,
) -> Change:
    """Add the element under ``parent`` (a global ID): a strategic objective under a plan, an
    operational objective under a strategic objective, an action under an operational one.
    The new row's type is the level's model."""
    parent_name, key = key_of(parent, tuple(level.__name__ for level in CHILD_OF), "parent")
    parent_level = LEVEL_BY_NAME[parent_name]
    parent_row = await load_live(session, parent_level, key, "parent")
    await _authorise(session, principal, parent_row, "parent")
    level = CHILD_OF[parent_level]
    code = rules.pst_code(code)
    plan = await plan_of(session, parent_row)
    await _refuse_taken_code(session, plan.id, level, code)
    values: dict[str, Any] = {
        PARENT_KEY[level]: parent_row.id,
        "code": code,
        "position": position,
        "title": rules.pst_title(title),
    }
    if budget is not None:
        values["budget"] = rules.pst_budget(budget, is_action=level is m.PstAction)
    row = level(**values)
    session.add(row)
    await session.flush()
    return Change(row=row, action="created", changes=column_changes(row, created=True))


async def _live_element(session: Any, principal: Any, id: Any, version: int) -> Any:
    """The live PST element ``id`` (any level), which the principal may change, at ``version``."""
    name, key = key_of(id, tuple(LEVEL_BY_NAME), "id")
    row = await load_live(session, LEVEL_BY_NAME[name], key)
    await _authorise(session, principal, row, "id")
    check_version(row, version)
    return row


async def update_pst_element(
    session: Any, principal: Any, id: Any, version: int, **changes: Any
) -> Change:
    """Change the PST element ``id`` read at ``version``: its ``title`` (``{lang: text}``),
    ``code``, ``position`` or, for an action, ``budget``; a key left out of ``changes`` stays
    as it is. A plan has neither code nor position: those are ignored for it."""
    unknown = set(changes) - {"title", "code", "position", "budget"}
    if unknown:
        raise TypeError(f"a PST element has no changeable {', '.join(sorted(unknown))}")
    row = await _live_element(session, principal, id, version)
    level = type(row)
    if "title" in changes:
        row.title = rules.pst_title(changes["title"])
    if "code" in changes and level is not m.StrategicPlan:
        code = rules.pst_code(changes["code"] or "")
        if code != row.code:
            plan = await plan_of(session, row)
            await _refuse_taken_code(session, plan.id, level, code, itself=row.id)
        row.code = code
    if "position" in changes and level is not m.StrategicPlan:
        row.position = changes["position"] or 0
    if "budget" in changes:
        if level is not m.PstAction:
            raise Invalid(Code.INVALID, "only actions have a budget", "budget")
        row.budget = rules.pst_budget(changes["budget"], is_action=True)
    return Change(row=row, action="updated", changes=column_changes(row))


async def archive_pst_element(session: Any, principal: Any, id: Any, version: int) -> Change:
    """Archive the PST element ``id`` read at ``version``; what hangs under it leaves the tree
    too."""
    return archive(await _live_element(session, principal, id, version))
