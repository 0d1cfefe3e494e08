"""Importing projects: one row per project, with its communes, stakeholders and PST actions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select

from bocage.core import models as m
from bocage.core.domain import rules, sdgs
from bocage.core.domain.changes import column_changes
from bocage.core.domain.errors import Code
from bocage.core.graphql.mutations.projects import PROJECTS_WRITE
from bocage.core.imports import cells
from bocage.core.imports.base import Context, Kind, Row, chunks, external_id, insert_new
from bocage.core.imports.lookups import Communes, Stakeholders
from bocage.core.imports.mapping import Field

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

STATUS = cells.vocabulary(
    {
        "idea": ("idée", "idee", "idee de projet", "idee", "project idea"),
        "planned": ("planifié", "prévu", "à venir", "gepland", "planned"),
        "in_progress": ("en cours", "in progress", "lopend", "bezig", "in uitvoering"),
        "done": ("terminé", "réalisé", "fini", "achevé", "afgerond", "voltooid", "completed"),
        "abandoned": ("abandonné", "annulé", "stopgezet", "cancelled", "canceled"),
    }
)
FOCUS = cells.vocabulary(
    {
        "collaboration": ("vert", "verte", "green", "groen", "participation", "collaboratif"),
        "digital": ("bleu", "bleue", "blue", "blauw", "numérique", "digitaal", "technologie"),
    }
)
ROLES = {"lead": "lead", "partners": "partner", "funders": "funder"}

FIELDS = (
    Field(
        "external_id",
        ("id externe", "identifiant", "référence", "reference", "ref", "id", "external id"),
        required=True,
    ),
    Field("title", ("titre", "intitulé", "nom du projet", "projet", "titel", "project"), True),
    Field("summary", ("résumé", "samenvatting", "résumé court"), True),
    Field("description", ("beschrijving", "descriptif"), True),
    Field("status", ("statut", "état", "etat", "toestand")),
    Field("focus", ("axe", "couleur", "color", "colour", "kleur")),
    Field("communes", ("commune", "gemeente", "gemeenten", "code ins", "nis", "code nis")),
    Field("themes", ("thèmes", "thème", "thématiques", "thema", "themas", "theme")),
    Field("sdgs", ("odd", "sdg", "objectifs de développement durable", "sdg's")),
    Field(
        "sdg_targets",
        ("cibles odd", "cibles", "cible odd", "sdg target", "targets", "subdoelen", "unterziele"),
    ),
    Field("start_date", ("date de début", "début", "debut", "start", "startdatum", "start date")),
    Field("end_date", ("date de fin", "fin", "end", "einddatum", "end date")),
    Field("budget", ("montant", "begroting", "budget (eur)", "budget €")),
    Field("lead", ("porteur", "chef de file", "porteur de projet", "trekker", "lead stakeholder")),
    Field("partners", ("partenaires", "partenaire", "partner", "partners")),
    Field("funders", ("financeurs", "financeur", "funder", "financiers")),
    Field("pst_actions", ("actions pst", "action pst", "pst", "pst action", "actions")),
)

SCALARS = ("status", "focus", "themes", "sdgs", "sdg_targets", "start_date", "end_date", "budget")
TEXTS = ("title", "summary", "description")


@dataclass
class ProjectPlan:
    row: Row
    external_id: str
    values: dict[str, Any]
    communes: list[int] | None
    #: ``{role: [stakeholder ids]}`` for the roles whose column the file has.
    stakeholders: dict[str, list[int]] | None
    pst_actions: list[int] | None
    existing: Any = None
    links: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Existing:
    project: Any
    communes: set[int] = field(default_factory=set)
    stakeholders: set[tuple[int, str]] = field(default_factory=set)
    pst_actions: set[int] = field(default_factory=set)


class ProjectKind(Kind):
    name = "projects"
    permission = PROJECTS_WRITE
    model = m.Project
    fields = FIELDS

    async def plan(
        self, session: AsyncSession, rows: list[Row], context: Context
    ) -> list[ProjectPlan]:
        communes = context.communes = await Communes.load(session)
        refs = {ref for row in rows for role in ROLES for ref in cells.items(row.raw(role))}
        stakeholders = await Stakeholders.load(session, refs, context.source)
        self.archived: set[str] = set()
        existing = await self._existing(session, rows, context)
        actions = await _actions(session, rows)
        plans: list[ProjectPlan] = []
        seen: dict[str, int] = {}
        for row in rows:
            plan = self._plan(row, context, communes, stakeholders, actions, existing, seen)
            if plan is not None and not row.errors:
                plans.append(plan)
        return plans

    def _plan(
        self,
        row: Row,
        context: Context,
        communes: Communes,
        stakeholders: Stakeholders,
        actions: dict[tuple[int, str], list[tuple[int, int]]],
        existing: dict[str, _Existing],
        seen: dict[str, int],
    ) -> ProjectPlan | None:
        key = external_id(row, seen, self.archived)
        current = existing.get(key) if key else None
        values: dict[str, Any] = {}
        for name in TEXTS:
            texts = row.texts(name, context.languages)
            if texts is not None or (current is None and name == "title"):
                checked = row.check(
                    [f"{name}_{lang}" for lang in context.languages],
                    rules.project_texts,
                    name,
                    texts,
                )
                if checked is not None:
                    values[name] = checked
        status = row.read("status", lambda v: cells.choice(v, STATUS, "project status"))
        if status is not None:
            values["status"] = m.ProjectStatus(status)
        elif current is None:
            values["status"] = m.ProjectStatus.IDEA
        focus = row.read("focus", lambda v: cells.choice(v, FOCUS, "focus"))
        if focus is not None:
            values["focus"] = m.ProjectFocus(focus)
        elif row.has("focus") or current is None:
            if not any(e.column == row.cells.get("focus", ("focus",))[0] for e in row.errors):
                row.fail(
                    "focus", Code.REQUIRED.value, "focus is empty: write vert/green or bleu/blue"
                )
        if row.has("themes"):
            values["themes"] = rules.project_themes(cells.items(row.raw("themes")))
        values.update(_sdg_values(row, current))
        for name, parser in (
            ("start_date", cells.date),
            ("end_date", cells.date),
            ("budget", cells.decimal),
        ):
            if row.has(name):
                parsed = row.read(name, parser)
                if parsed is not None or not any(
                    e.column == row.cells[name][0] for e in row.errors
                ):
                    values[name] = parsed
        merged = {
            "start_date": current.project.start_date if current else None,
            "end_date": current.project.end_date if current else None,
            **values,
        }
        # One check per field, so that a row's every problem is reported at once.
        for names in (("themes",), ("sdgs",), ("budget",), ("start_date", "end_date")):
            row.check(
                ["end_date", *names],
                rules.check_project_values,
                {name: merged.get(name) for name in names},
            )

        commune_ids = self._communes(row, context, communes, current)
        pairs = self._stakeholders(row, stakeholders)
        action_ids = None
        if row.has("pst_actions"):
            project_communes = set(
                commune_ids if commune_ids is not None else current.communes if current else ()
            )
            action_ids = _resolve_actions(row, actions, project_communes, communes)
        if row.errors or key is None:
            return None
        return ProjectPlan(
            row=row,
            external_id=key,
            values=values,
            communes=commune_ids,
            stakeholders=pairs,
            pst_actions=action_ids,
            existing=current,
        )

    def _communes(
        self, row: Row, context: Context, communes: Communes, current: _Existing | None
    ) -> list[int] | None:
        if current is not None:
            current_codes = {
                communes.by_id[c].nis_code for c in current.communes if c in communes.by_id
            }
            row.check(
                "external_id", rules.authorise_project, context.principal, current_codes, "id"
            )
        if row.has("communes"):
            names = cells.items(row.raw("communes"))
        elif current is None:
            names = [context.commune.nis_code] if context.commune is not None else []
        else:
            return None
        found = []
        for name in names:
            ref = communes.find(name)
            if ref is None:
                row.fail(
                    "communes",
                    Code.NOT_FOUND.value,
                    f"no commune {name!r}: write its NIS code (e.g. 64034) or its name as Statbel "
                    "spells it",
                )
                return None
            found.append(ref)
        before = len(row.errors)
        row.check("communes", rules.require_project_communes, found)
        if len(row.errors) == before:
            codes = {c.nis_code for c in found}
            row.check("communes", rules.authorise_project, context.principal, codes)
        return sorted({c.id for c in found})

    def _stakeholders(self, row: Row, stakeholders: Stakeholders) -> dict[str, list[int]] | None:
        if not any(row.has(column) for column in ROLES):
            return None
        pairs: dict[str, list[int]] = {}
        for column, role in ROLES.items():
            if not row.has(column):
                continue
            ids = []
            for ref in cells.items(row.raw(column)):
                found = stakeholders.find(ref)
                if found is None:
                    row.fail(
                        column,
                        Code.NOT_FOUND.value,
                        f"no organisation {ref!r}: give its enterprise number (0207.000.000) or "
                        "its external_id from the stakeholders import",
                    )
                else:
                    ids.append(found)
            pairs[role] = sorted(set(ids))
        row.check(
            list(ROLES), rules.check_project_roles, [r for r, ids in pairs.items() for _ in ids]
        )
        return pairs

    async def _existing(
        self, session: AsyncSession, rows: list[Row], context: Context
    ) -> dict[str, _Existing]:
        keys = {str(k).strip() for row in rows if (k := row.raw("external_id")) is not None}
        found: dict[str, _Existing] = {}
        for batch in chunks(sorted(keys)):
            projects = await session.execute(
                select(m.Project).where(
                    m.Project.external_source == context.source,
                    m.Project.external_id.in_(batch),
                )
            )
            for project in projects.scalars():
                if project.external_id is None:  # matched by external_id: never
                    continue
                if project.deleted_at is None:
                    found[project.external_id] = _Existing(project)
                else:
                    self.archived.add(project.external_id)
        by_id = {e.project.id: e for e in found.values()}
        for batch in chunks(sorted(by_id)):
            link = m.project_commune
            for project_id, commune_id in await session.execute(
                select(link.c.project_id, link.c.commune_id).where(link.c.project_id.in_(batch))
            ):
                by_id[project_id].communes.add(commune_id)
            for project_id, stakeholder_id, role in await session.execute(
                select(
                    m.ProjectStakeholder.project_id,
                    m.ProjectStakeholder.stakeholder_id,
                    m.ProjectStakeholder.role,
                ).where(m.ProjectStakeholder.project_id.in_(batch))
            ):
                by_id[project_id].stakeholders.add(
                    (stakeholder_id, str(getattr(role, "value", role)))
                )
            link = m.project_pst_action
            for project_id, action_id in await session.execute(
                select(link.c.project_id, link.c.pst_action_id).where(link.c.project_id.in_(batch))
            ):
                by_id[project_id].pst_actions.add(action_id)
        return found

    async def write(
        self, session: AsyncSession, plans: list[ProjectPlan], context: Context
    ) -> list[tuple[Any, str, dict[str, Any]]]:
        done: list[tuple[Any, str, dict[str, Any]]] = []
        new: list[tuple[ProjectPlan, Any]] = []
        linked: list[tuple[ProjectPlan, Any]] = []
        for plan in plans:
            current = plan.existing
            if current is None:
                project = m.Project(
                    external_source=context.source,
                    external_id=plan.external_id,
                    territory_id=_territory(plan.communes or [], context),
                    **plan.values,
                )
                new.append((plan, project))
                continue
            project = current.project
            changed = {k: v for k, v in plan.values.items() if getattr(project, k) != v}
            for name, value in changed.items():
                setattr(project, name, value)
            changes = column_changes(project) if changed else {}
            plan.links = _link_changes(plan, current)
            if not changes and not plan.links:
                context.unchanged += 1
                continue
            if not changes:
                project.updated_at = dt.datetime.now(dt.UTC)  # links changed: bump for syncing
            if plan.links:
                linked.append((plan, project))
            done.append((project, "updated", {**changes, **plan.links}))
        await session.flush()
        await insert_new(session, m.Project, [project for _, project in new])
        for plan, project in new:
            plan.links = _link_changes(plan, None)
            linked.append((plan, project))
            done.append(
                (project, "created", {**column_changes(project, created=True), **plan.links})
            )
        await _replace_links(session, [(plan, project.id) for plan, project in linked])
        return done


def _territory(commune_ids: list[int], context: Context) -> int | None:
    territories = {
        context.communes.by_id[c].territory_id for c in commune_ids if c in context.communes.by_id
    }
    return territories.pop() if len(territories) == 1 else None


#: An SDG target's code in a cell: "11.3", "ODD 1.a", "cible 17.10".
TARGET_CODE = re.compile(r"(\d{1,2})\s*\.\s*(\d{1,2}|[a-z])\b", re.IGNORECASE)


def _sdg_values(row: Row, current: _Existing | None) -> dict[str, Any]:
    """``sdgs`` and ``sdg_targets`` from the row's SDG columns. The ``sdgs`` column takes goals
    and target codes ('11; 7.2'), the ``sdg_targets`` column target codes: either replaces the
    project's targets, and a target's goal joins the goals (the rule of ``updateProject``)."""
    if not (row.has("sdgs") or row.has("sdg_targets")):
        return {}
    goals = row.read("sdgs", _sdg_items)
    more = row.read("sdg_targets", lambda v: [_target(item) for item in cells.items(_text(v))])
    if (row.has("sdgs") and goals is None) or (row.has("sdg_targets") and more is None):
        return {}  # the bad cell is reported
    numbers = [n for n in goals or [] if isinstance(n, int)]
    if goals is None:
        numbers = list(current.project.sdgs) if current else []
    targets = [*(c for c in goals or [] if isinstance(c, str)), *(more or [])]
    codes = row.check(["sdg_targets", "sdgs"], rules.project_sdg_targets, targets)
    return (
        {} if codes is None else {"sdgs": rules.project_sdgs(numbers, codes), "sdg_targets": codes}
    )


def _text(value: Any) -> Any:
    """A cell of SDG codes as text; a number cell would turn target 17.10 into 17.1."""
    if isinstance(value, float) and not value.is_integer():
        raise cells.CellError(
            f"{value!r} is a number: format the cell as text so that a target such as 17.10 "
            "keeps its code"
        )
    return value


def _sdg_items(value: Any) -> list[int | str]:
    """Goal numbers and target codes of an ``sdgs`` cell."""
    return [
        _target(item) if TARGET_CODE.search(item) else _sdg(item)
        for item in cells.items(_text(value))
    ]


def _target(value: str) -> str:
    match = TARGET_CODE.search(value)
    if match is None:
        raise cells.CellError(
            f"{value!r} is not an SDG target: write its official code, e.g. '11.3; 1.a'"
        )
    code = f"{int(match.group(1))}.{match.group(2).lower()}"
    if sdgs.target(code) is None:
        raise cells.CellError(str(sdgs.UnknownTarget(value)))
    return code


def _sdg(value: str) -> int:
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        raise cells.CellError(f"{value!r} is not an SDG number: write 1 to 17, e.g. '3; 11'")
    return int(digits)


def _link_changes(plan: ProjectPlan, current: _Existing | None) -> dict[str, Any]:
    """The links of ``plan`` that differ from the project's, before and after (as
    ``updateProject`` records them)."""
    changes: dict[str, Any] = {}
    communes = current.communes if current else set()
    if plan.communes is not None and set(plan.communes) != communes:
        changes["communes"] = {"before": sorted(communes), "after": sorted(set(plan.communes))}
    if plan.stakeholders is not None:
        had = current.stakeholders if current else set()
        kept = {(s, r) for s, r in had if r not in plan.stakeholders}
        wanted = kept | {(s, role) for role, ids in plan.stakeholders.items() for s in ids}
        if wanted != had:
            changes["stakeholders"] = {
                "before": sorted([s, r] for s, r in had),
                "after": sorted([s, r] for s, r in wanted),
            }
    actions = current.pst_actions if current else set()
    if plan.pst_actions is not None and set(plan.pst_actions) != actions:
        changes["pst_actions"] = {"before": sorted(actions), "after": sorted(set(plan.pst_actions))}
    return changes


async def _replace_links(session: AsyncSession, plans: list[tuple[ProjectPlan, int]]) -> None:
    """Replace the links listed in each plan's ``links``: one DELETE and one INSERT per kind
    of link for the whole file."""
    tables = {
        "communes": (m.project_commune, "commune_id"),
        "pst_actions": (m.project_pst_action, "pst_action_id"),
    }
    for name, (table, column) in tables.items():
        changed = [(plan, key) for plan, key in plans if name in plan.links]
        for batch in chunks([key for plan, key in changed if plan.existing is not None]):
            await session.execute(delete(table).where(table.c.project_id.in_(batch)))
        values = [
            {"project_id": key, column: value}
            for plan, key in changed
            for value in plan.links[name]["after"]
        ]
        if values:
            await session.execute(insert(table), values)
    changed = [(plan, key) for plan, key in plans if "stakeholders" in plan.links]
    for batch in chunks([key for plan, key in changed if plan.existing is not None]):
        await session.execute(
            delete(m.ProjectStakeholder).where(m.ProjectStakeholder.project_id.in_(batch))
        )
    values = [
        {"project_id": key, "stakeholder_id": s, "role": m.StakeholderRole(r)}
        for plan, key in changed
        for s, r in plan.links["stakeholders"]["after"]
    ]
    if values:
        await session.execute(insert(m.ProjectStakeholder), values)


async def _actions(
    session: AsyncSession, rows: list[Row]
) -> dict[tuple[int, str], list[tuple[int, int]]]:
    """Live PST actions named in the file: ``(commune id, code) -> [(action id, plan start)]``."""
    codes = {
        ref.split(":")[-1].strip() for row in rows for ref in cells.items(row.raw("pst_actions"))
    }
    found: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for batch in chunks(sorted(codes)):
        result = await session.execute(
            select(
                m.PstAction.id,
                m.PstAction.code,
                m.StrategicPlan.commune_id,
                m.StrategicPlan.start_year,
            )
            .join(
                m.OperationalObjective,
                m.OperationalObjective.id == m.PstAction.operational_objective_id,
            )
            .join(
                m.StrategicObjective,
                m.StrategicObjective.id == m.OperationalObjective.strategic_objective_id,
            )
            .join(m.StrategicPlan, m.StrategicPlan.id == m.StrategicObjective.plan_id)
            .where(
                m.PstAction.code.in_(batch),
                m.PstAction.deleted_at.is_(None),
                m.OperationalObjective.deleted_at.is_(None),
                m.StrategicObjective.deleted_at.is_(None),
                m.StrategicPlan.deleted_at.is_(None),
            )
        )
        for action_id, code, commune_id, start in result.all():
            found.setdefault((commune_id, code), []).append((action_id, start))
    return found


def _resolve_actions(
    row: Row,
    actions: dict[tuple[int, str], list[tuple[int, int]]],
    project_communes: set[int],
    communes: Communes,
) -> list[int]:
    """Each action code, in the PST of one of the project's communes (``64034:A1.2`` names
    the commune); the most recent plan wins when a commune has several."""
    ids = []
    for ref in cells.items(row.raw("pst_actions")):
        commune_part, _, code = ref.rpartition(":")
        scope = project_communes
        if commune_part:
            named = communes.find(commune_part.strip())
            scope = {named.id} if named else set()
        candidates = [hit for c in sorted(scope) for hit in actions.get((c, code.strip()), [])]
        if not candidates:
            names = ", ".join(communes.by_id[c].name for c in sorted(scope) if c in communes.by_id)
            row.fail(
                "pst_actions",
                Code.NOT_FOUND.value,
                f"no PST action {code.strip()!r} in the PST of {names or 'the project’s communes'}"
                ": check the code, or import the PST first",
            )
            continue
        latest = max(start for _, start in candidates)
        best = [a for a, start in candidates if start == latest]
        if len(best) > 1:
            row.fail(
                "pst_actions",
                Code.INVALID.value,
                f"PST action {code.strip()!r} exists in several communes' PST: prefix it with the "
                "commune's NIS code, e.g. 64034:A1.2.3",
            )
            continue
        ids.append(best[0])
    return sorted(set(ids))
