"""Importing a commune's PST: one row per action (or per objective without actions yet),
with its operational and strategic objectives; codes (OS1, OO1.2, A1.2.3) are the keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bocage.core import models as m
from bocage.core.domain import rules
from bocage.core.domain.changes import column_changes
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.permissions import PST_WRITE
from bocage.core.imports import cells
from bocage.core.imports.base import Context, Kind, Row, insert_new
from bocage.core.imports.mapping import Field

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

FIELDS = (
    Field("plan_start_year", ("début du plan", "plan start", "année de début", "van")),
    Field("plan_end_year", ("fin du plan", "plan end", "année de fin", "tot")),
    Field("plan_title", ("titre du plan", "pst", "plan", "intitulé du pst"), True),
    Field("os_code", ("code os", "os", "n° os", "code so", "so code"), required=True),
    Field(
        "os_title", ("objectif stratégique", "intitulé os", "os titre", "strategic objective"), True
    ),
    Field("oo_code", ("code oo", "oo", "n° oo", "code od", "od code")),
    Field(
        "oo_title",
        ("objectif opérationnel", "intitulé oo", "oo titre", "operational objective"),
        True,
    ),
    Field("action_code", ("code action", "n° action", "action code", "code actie")),
    Field("action_title", ("action", "intitulé action", "action titre", "actie"), True),
    Field("budget", ("budget action", "montant", "begroting", "budget (eur)")),
)

LEVELS: tuple[tuple[str, Any, str], ...] = (
    ("os", m.StrategicObjective, "plan_id"),
    ("oo", m.OperationalObjective, "strategic_objective_id"),
    ("action", m.PstAction, "operational_objective_id"),
)


@dataclass
class Node:
    """A PST element as the file describes it (first row that names it)."""

    level: str
    code: str
    parent: Node | None
    row: Row
    values: dict[str, Any]
    position: int
    existing: Any = None
    children: dict[str, Node] = field(default_factory=dict)


@dataclass
class PstPlan:
    plan: Any
    plan_values: dict[str, Any]
    roots: dict[str, Node]


class PstKind(Kind):
    name = "pst"
    permission = PST_WRITE
    model = m.PstAction
    fields = FIELDS

    def missing_columns(self, keys: set[str], context: Context) -> list[tuple[str, str]]:
        missing = super().missing_columns(keys, context)
        if context.commune is None:
            missing.append(
                ("commune", "a PST belongs to a commune: give its NIS code with --commune")
            )
        return missing

    async def plan(self, session: AsyncSession, rows: list[Row], context: Context) -> list[Any]:
        commune = context.commune
        try:
            rules.authorise_pst(context.principal, commune.nis_code, commune.name, "commune")
        except Invalid as error:
            from bocage.core.imports.runner import ImportRefused

            raise ImportRefused(403, "forbidden", error.message) from None
        plan, plan_values = await self._plan_row(session, rows, context)
        if plan is None and not plan_values:
            return []
        tree = await _tree(session, plan) if plan is not None else {}
        roots: dict[str, Node] = {}
        for row in rows:
            self._row(row, context, roots, tree)
        context.source = _source(commune.nis_code, plan, plan_values)
        return [PstPlan(plan, plan_values, roots)]

    async def _plan_row(
        self, session: AsyncSession, rows: list[Row], context: Context
    ) -> tuple[Any, dict[str, Any]]:
        """The plan the file fills: the one of its years (created if need be), else the
        commune's latest."""
        commune = context.commune
        plans = (
            (
                await session.execute(
                    select(m.StrategicPlan).where(
                        m.StrategicPlan.commune_id == commune.id,
                        m.StrategicPlan.deleted_at.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        first = rows[0] if rows else None
        if first is None:
            return None, {}
        if not (first.has("plan_start_year") or first.has("plan_end_year")):
            if not plans:
                first.fail(
                    "plan_start_year",
                    Code.REQUIRED.value,
                    f"{commune.name.get('fr')} has no PST yet: add the columns plan_start_year, "
                    "plan_end_year and plan_title to create it",
                )
                return None, {}
            return max(plans, key=lambda p: p.start_year), {}
        years = [
            (row.read("plan_start_year", cells.integer), row.read("plan_end_year", cells.integer))
            for row in rows
        ]
        start, end = years[0]
        if start is None or end is None:
            first.fail(
                ["plan_start_year", "plan_end_year"],
                Code.REQUIRED.value,
                "give both years of the plan, e.g. 2025 and 2030",
            )
            return None, {}
        if (
            first.check(["plan_end_year", "plan_start_year"], rules.plan_years, start, end) is None
            and first.errors
        ):
            return None, {}
        for row, pair in zip(rows[1:], years[1:], strict=True):
            if pair != (None, None) and pair != (start, end):
                row.fail(
                    "plan_start_year",
                    Code.INVALID.value,
                    f"one PST per file: this row says {pair[0]}-{pair[1]}, row {first.number} "
                    f"says {start}-{end}",
                )
        plan = next((p for p in plans if (p.start_year, p.end_year) == (start, end)), None)
        values: dict[str, Any] = {"start_year": start, "end_year": end}
        texts = first.texts("plan_title", context.languages)
        if texts is not None or plan is None:
            title = first.check(
                [f"plan_title_{lang}" for lang in context.languages], rules.plan_title, texts
            )
            if title is not None:
                values["title"] = title
        return plan, values

    def _row(
        self, row: Row, context: Context, roots: dict[str, Node], tree: dict[Any, Any]
    ) -> None:
        parent: Node | None = None
        siblings = roots
        for level, _model, _key in LEVELS:
            code_value = cells.text(row.raw(f"{level}_code"))
            texts = row.texts(f"{level}_title", context.languages)
            if code_value is None:
                if texts:
                    row.fail(
                        f"{level}_code",
                        Code.REQUIRED.value,
                        f"{level}_code is empty: give the code of this {_what(level)}",
                    )
                break
            code = row.check(f"{level}_code", rules.pst_code, code_value)
            if code is None:
                return
            node = siblings.get(code)
            if node is None:
                parent_id = None if parent is None else getattr(parent.existing, "id", -1)
                existing = tree.get((level, parent_id, code))
                values: dict[str, Any] = {}
                if texts or existing is None:
                    title = row.check(
                        [f"{level}_title_{lang}" for lang in context.languages],
                        rules.pst_title,
                        texts,
                    )
                    if title is None:
                        return
                    values["title"] = title
                node = Node(level, code, parent, row, values, len(siblings) + 1, existing)
                siblings[code] = node
            elif texts and node.values.get("title") not in (None, texts):
                row.fail(
                    [f"{level}_title_{lang}" for lang in context.languages],
                    Code.INVALID.value,
                    f"{_what(level)} {code} has another title on row {node.row.number}: "
                    "give it the same title on every row",
                )
            parent = node
            siblings = node.children
        if parent is None:
            if not row.errors:
                row.fail(
                    "os_code",
                    Code.REQUIRED.value,
                    "os_code is empty: every row names its strategic objective",
                )
            return
        if row.has("budget"):
            budget = row.read("budget", cells.decimal)
            is_action = parent.level == "action"
            checked = row.check("budget", rules.pst_budget, budget, is_action=is_action)
            if is_action:
                parent.values["budget"] = checked

    async def write(
        self, session: AsyncSession, plans: list[PstPlan], context: Context
    ) -> list[tuple[Any, str, dict[str, Any]]]:
        if not plans:
            return []
        (work,) = plans
        done: list[tuple[Any, str, dict[str, Any]]] = []
        plan = work.plan
        if plan is None:
            plan = m.StrategicPlan(
                commune_id=context.commune.id,
                external_source=context.source,
                external_id="plan",
                **work.plan_values,
            )
            session.add(plan)
            await session.flush()
            done.append((plan, "created", column_changes(plan, created=True)))
        else:
            _apply(
                plan,
                {"external_source": context.source, "external_id": "plan", **work.plan_values},
                done,
                context,
            )
        level_nodes = list(work.roots.values())
        parents: dict[int, Any] = {id(node): plan for node in level_nodes}
        for level, model, parent_key in LEVELS:
            new = []
            for node in level_nodes:
                values = {
                    "code": node.code,
                    "position": node.position,
                    "external_source": context.source,
                    "external_id": f"{level}:{node.code}",
                    **node.values,
                }
                if node.existing is None:
                    node.existing = model(**{parent_key: parents[id(node)].id}, **values)
                    new.append(node.existing)
                else:
                    _apply(node.existing, values, done, context)
            await session.flush()
            await insert_new(session, model, new)
            done.extend((row, "created", column_changes(row, created=True)) for row in new)
            children = []
            for node in level_nodes:
                for child in node.children.values():
                    parents[id(child)] = node.existing
                    children.append(child)
            level_nodes = children
        return done


def _apply(row: Any, values: dict[str, Any], done: list[Any], context: Context) -> None:
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    for name, value in changed.items():
        setattr(row, name, value)
    changes = column_changes(row) if changed else {}
    if changes:
        done.append((row, "updated", changes))
    else:
        context.unchanged += 1


def _what(level: str) -> str:
    return {"os": "strategic objective", "oo": "operational objective", "action": "action"}[level]


def _source(nis_code: str, plan: Any, values: dict[str, Any]) -> str:
    start = values.get("start_year", getattr(plan, "start_year", ""))
    end = values.get("end_year", getattr(plan, "end_year", ""))
    return f"pst:{nis_code}:{start}-{end}"


async def _tree(session: AsyncSession, plan: Any) -> dict[tuple[str, int | None, str], Any]:
    """The plan's live elements: ``(level, parent id, code) -> row`` (OS with parent None)."""
    tree: dict[tuple[str, int | None, str], Any] = {}
    parent_ids = [plan.id]
    for level, model, parent_key in LEVELS:
        column = getattr(model, parent_key)
        result = await session.execute(
            select(model).where(column.in_(parent_ids), model.deleted_at.is_(None))
        )
        rows = result.scalars().all()
        for row in rows:
            parent = None if level == "os" else getattr(row, parent_key)
            tree[(level, parent, row.code)] = row
        parent_ids = [row.id for row in rows] or [-1]
    return tree
