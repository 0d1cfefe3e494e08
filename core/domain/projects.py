"""Projects: creating one and replacing its links (communes, stakeholders with their roles,
PST actions), whoever asks: ``createProject`` and ``updateProject``, and plugins through
``bocage.core.api.create_project``. Objects are named by their global IDs, as clients send
them; every failure is an :class:`Invalid` naming the input field (``createProject``'s)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select

from bocage.core import models as m
from bocage.core.domain import places, rules
from bocage.core.domain.changes import (
    Change,
    column_changes,
    linked_communes,
    load_live,
    record_link,
    require_ids,
)
from bocage.core.domain.external import set_reference
from bocage.core.domain.ids import key_of


@dataclass
class NewProject:
    """What a new project is made of: multilingual texts as ``{lang: text}``, communes,
    stakeholders, PST actions and territory as global IDs; the communes decide who may edit it."""

    title: Mapping[str, str]
    focus: m.ProjectFocus
    communes: Sequence[Any]
    status: m.ProjectStatus = m.ProjectStatus.IDEA
    summary: Mapping[str, str] | None = None
    description: Mapping[str, str] | None = None
    themes: Sequence[str] = ()
    sdgs: Sequence[int] = ()
    #: Official codes of SDG targets (``"11.3"``); their goals join ``sdgs``.
    sdg_targets: Sequence[str] = ()
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget: Decimal | None = None
    #: ``(stakeholder's global ID, role)`` pairs.
    stakeholders: Sequence[tuple[Any, m.StakeholderRole | str]] = field(default_factory=list)
    pst_actions: Sequence[Any] = ()
    territory: Any = None
    #: ``(source, key)`` of the project in another system.
    external_reference: tuple[str, str] | None = None
    #: Where it takes place (see :mod:`bocage.core.domain.places`).
    location: places.PlaceRequest | None = None


def keys(values: Sequence[Any], type_name: str, field: str) -> list[int]:
    """The database keys of the global IDs ``values`` of ``type_name`` sent in ``field``."""
    return [key_of(value, type_name, field)[1] for value in values]


async def current_communes(session: Any, project_id: int) -> set[str]:
    """The NIS codes of the project's communes."""
    return await linked_communes(session, m.project_commune.c.project_id, project_id)


async def resolve_communes(
    session: Any, principal: Any, ids: Sequence[Any]
) -> tuple[list[int], set[str]]:
    """The keys and NIS codes of the communes ``ids`` (global IDs): at least one, all live,
    all among the principal's."""
    rules.require_project_communes(ids)
    found = sorted(set(keys(ids, "Commune", "communes")))
    rows = await session.execute(
        select(m.Commune.id, m.Commune.nis_code).where(
            m.Commune.id.in_(found), m.Commune.deleted_at.is_(None)
        )
    )
    codes = dict(rows.all())
    require_ids(found, codes, "communes", "communes")
    rules.authorise_project(principal, set(codes.values()))
    return found, set(codes.values())


async def _linked(session: Any, column: Any, project_id: int, *more: Any) -> list[Any]:
    """The current links of a project in ``column``'s table (with ``more`` columns: tuples)."""
    rows = await session.execute(
        select(column, *more).where(column.table.c.project_id == project_id)
    )
    if more:
        return [[key, getattr(value, "value", value)] for key, value in rows.all()]
    return list(rows.scalars())


async def set_links(
    session: Any,
    project: m.Project,
    *,
    communes: Sequence[int] | None = None,
    stakeholders: Sequence[tuple[Any, m.StakeholderRole | str]] | None = None,
    pst_actions: Sequence[Any] | None = None,
    creating: bool,
) -> None:
    """Replace the links given (``None``: left as they are) that differ from the project's,
    recording each change (:func:`record_link`) for the audit and the event. ``communes`` are
    keys already resolved; stakeholders and PST actions are global IDs."""
    link = m.project_commune
    if communes is not None:
        current = [] if creating else await _linked(session, link.c.commune_id, project.id)
        if record_link(project, "communes", current, set(communes)):
            await session.execute(delete(link).where(link.c.project_id == project.id))
            await session.execute(
                insert(link), [{"project_id": project.id, "commune_id": c} for c in communes]
            )
    if stakeholders is not None:
        pairs = [
            (keys([stakeholder], "Stakeholder", "stakeholders")[0], m.StakeholderRole(role))
            for stakeholder, role in stakeholders
        ]
        rules.check_project_roles(role for _, role in pairs)
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
    if pst_actions is not None:
        actions_keys = keys(pst_actions, "PstAction", "pstActions")
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
            .where(m.PstAction.id.in_(actions_keys), m.PstAction.deleted_at.is_(None))
        )
        plan_communes = dict(rows.all())
        require_ids(actions_keys, plan_communes, "PST actions", "pstActions")
        project_communes = set(await _linked(session, link.c.commune_id, project.id))
        rules.check_actions_in_communes(plan_communes.values(), project_communes)
        actions = m.project_pst_action
        current = [] if creating else await _linked(session, actions.c.pst_action_id, project.id)
        if record_link(project, "pst_actions", current, set(actions_keys)):
            await session.execute(delete(actions).where(actions.c.project_id == project.id))
            if actions_keys:
                await session.execute(
                    insert(actions),
                    [{"project_id": project.id, "pst_action_id": k} for k in set(actions_keys)],
                )


async def create_project(session: Any, principal: Any, new: NewProject) -> Change:
    """Check ``new`` and add the project in ``session`` (no permission check, no audit: the
    unit of work that runs it does both)."""
    values: dict[str, Any] = {
        "status": m.ProjectStatus(new.status),
        "focus": m.ProjectFocus(new.focus),
        "themes": rules.project_themes(new.themes),
        "sdg_targets": (targets := rules.project_sdg_targets(new.sdg_targets)),
        "sdgs": rules.project_sdgs(new.sdgs, targets),
        "start_date": new.start_date,
        "end_date": new.end_date,
        "budget": None if new.budget is None else rules.money(new.budget, "budget"),
    }
    for name in rules.PROJECT_TEXTS:
        values[name] = rules.project_texts(name, getattr(new, name))
    rules.check_project_values(values)
    commune_ids, _codes = await resolve_communes(session, principal, new.communes)
    territory_id = None
    if new.territory is not None:
        territory_id = keys([new.territory], "Territory", "territory")[0]
        await load_live(session, m.Territory, territory_id, "territory")
        rules.authorise_territory(principal, territory_id, "territory")
    place = await places.place_columns(session, new.location) if new.location else {}
    project = m.Project(territory_id=territory_id, **values, **place)
    if new.external_reference is not None:
        await set_reference(session, project, new.external_reference, "Project")
    session.add(project)
    await session.flush()
    await set_links(
        session,
        project,
        communes=commune_ids,
        stakeholders=new.stakeholders,
        pst_actions=new.pst_actions,
        creating=True,
    )
    return Change(row=project, action="created", changes=column_changes(project, created=True))
