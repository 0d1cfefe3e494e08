"""A project's ``sdgGoals`` and ``sdgTargets``, compiled.

Their items are not rows but the vendored reference (:mod:`bocage.core.domain.sdgs`): each
item's JSON is written here, in Python, for the request's selection and language, exactly as
the resolvers of :mod:`bocage.core.graphql.sdgs` answer it (the differential tests check it).
The statement then maps each code stored on the project to its item's JSON (a ``CASE`` over
the 17 goals or 169 targets: no parsing per row), in the stored order, and leaves out a code
the reference does not know, as the resolvers do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from sqlalchemy import ColumnElement, String, case, cast, func, literal, null, select
from sqlalchemy.dialects.postgresql import JSON, JSONB

from bocage.core.domain import sdgs
from bocage.core.graphql.compiler.build import Build, Level, NotCompilable, Selection
from bocage.core.graphql.i18n import Language, pick
from bocage.core.settings import LANGUAGES


def _language(b: Build, selection: Selection) -> str:
    lang = selection.args.get("lang")
    return lang.value if isinstance(lang, Language) else b.language


def _translations(b: Build, selection: Selection, values: Mapping[str, str]) -> dict[str, Any]:
    type_ = b.object_type(selection)
    found: dict[str, Any] = {}
    for sub in b.selections(type_, selection.nodes):
        if sub.name == "__typename":
            found[sub.key] = type_.name
        elif sub.name in LANGUAGES:
            found[sub.key] = values.get(sub.name) or None
        else:
            raise NotCompilable(f"{type_.name}.{sub.name}")
    return found


def _object(
    b: Build,
    selection: Selection,
    texts: Mapping[str, Mapping[str, str]],
    values: Mapping[str, Callable[[Selection], Any]],
) -> dict[str, Any]:
    """The JSON object of ``selection``: ``texts`` are its multilingual fields (``title``
    and ``titleTranslations``...), ``values`` compute the others from their selection."""
    type_ = b.object_type(selection)
    found: dict[str, Any] = {}
    for sub in b.selections(type_, selection.nodes):
        name = sub.name
        if name == "__typename":
            found[sub.key] = type_.name
        elif name in texts:
            found[sub.key] = pick(texts[name], _language(b, sub)) or ""
        elif name.endswith("Translations") and name[: -len("Translations")] in texts:
            found[sub.key] = _translations(b, sub, texts[name[: -len("Translations")]])
        elif name in values:
            found[sub.key] = values[name](sub)
        else:
            raise NotCompilable(f"{type_.name}.{name}")
    return found


def goal_json(b: Build, selection: Selection, goal: sdgs.Goal) -> dict[str, Any]:
    """What the ``Sdg`` resolvers answer for ``goal``."""
    return _object(
        b,
        selection,
        {"title": goal.title, "shortTitle": goal.short_title},
        {
            "number": lambda _sub: goal.number,
            "targets": lambda sub: [target_json(b, sub, t) for t in goal.targets],
        },
    )


def target_json(b: Build, selection: Selection, target: sdgs.Target) -> dict[str, Any]:
    """What the ``SdgTarget`` resolvers answer for ``target``."""

    def its_goal(sub: Selection) -> dict[str, Any]:
        found = sdgs.goal(target.goal)
        assert found is not None  # every target's goal is one of the 17
        return goal_json(b, sub, found)

    return _object(
        b,
        selection,
        {"title": target.title},
        {
            "code": lambda _sub: target.code,
            "goalNumber": lambda _sub: target.goal,
            "goal": its_goal,
        },
    )


def _listed(b: Build, column: ColumnElement[Any], items: Mapping[str, str]) -> Any:
    """The JSON array of the ``items`` (JSON texts by code) of the codes stored in ``column``
    (a JSON list), in its order, unknown codes left out (``[]`` for no list)."""
    j = b.json

    def item(code: ColumnElement[Any]) -> ColumnElement[Any]:
        return case(
            *((code == literal(key, String), literal(text, String)) for key, text in items.items()),
            else_=null(),
        )

    if j.pg:
        stored = cast(column, JSONB)
        array = case((func.jsonb_typeof(stored) == "array", stored), else_=null())
        codes = (
            func.jsonb_array_elements_text(array)
            .table_valued("value", with_ordinality="position")
            .render_derived()
        )
        found = item(codes.c.value)
        return (
            select(
                j.array(cast(found, JSON), order_by=[codes.c.position], where=found.is_not(None))
            )
            .select_from(codes)
            .scalar_subquery()
        )
    array = case((func.json_type(column) == "array", column), else_=null())
    codes = func.json_each(array).table_valued("value", "key")
    found = item(cast(codes.c.value, String))
    ordered = select(found.label("v")).where(found.is_not(None)).order_by(codes.c.key).subquery()
    return func.json(
        select(func.json_group_array(func.json(ordered.c.v))).select_from(ordered).scalar_subquery()
    )


def _text(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()


def project_goals(b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
    """``Project.sdgGoals``: the goals of ``sdgs``."""
    items = {str(g.number): _text(goal_json(b, selection, g)) for g in sdgs.goals()}
    return _listed(b, level.rows.c.sdgs, items)


def project_targets(b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
    """``Project.sdgTargets``: the targets of ``sdg_targets``."""
    items = {t.code: _text(target_json(b, selection, t)) for t in sdgs.targets()}
    return _listed(b, level.rows.c.sdg_targets, items)
