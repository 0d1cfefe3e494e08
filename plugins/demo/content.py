"""The demo's content, read from the JSON files of ``data/`` (package data): the territory and
who acts in it (``organisations.json``), the kinds of project and their indicators
(``projects.json``), the PST the communes draw from (``pst.json``).

The files hold the names and texts; this module gives them the shapes the seeder draws from.
Texts are French, often with Dutch or English; most are patterns that the seeder fills per
commune: ``{de}`` ('de Hannut', 'd'Andenne'), ``{a}`` ('à Hannut'), ``{commune}`` (French
name), ``{commune_nl}`` (Dutch name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bocage.core.api import ProjectFocus, StakeholderKind, StakeholderNeed

T = dict[str, str]  # a multilingual text (or text pattern)

#: The content files (package data).
DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Sector:
    """A kind of local business: name prefix and description (fr, sometimes nl/en)."""

    prefix: str
    description: T
    forms: tuple[str, ...]
    needs: tuple[StakeholderNeed, ...]


@dataclass(frozen=True)
class Organisation:
    """An association, citizen initiative or public body: a name and a description pattern
    ({de}, {a}, {commune}, {commune_nl}), and whether it also gets a BCE number."""

    name: str
    description: T
    needs: tuple[StakeholderNeed, ...] = ()
    numbered: bool = True


@dataclass(frozen=True)
class IndicatorTemplate:
    name: T
    unit: str
    baseline: tuple[float, float]
    target: tuple[float, float]
    decimals: int = 0


@dataclass(frozen=True)
class ProjectTemplate:
    """A kind of project. Texts are patterns: {de} ('de Hannut'), {a} ('à Hannut'),
    {commune} (French name), {commune_nl} (Dutch name)."""

    focus: ProjectFocus
    title: T
    summary: T
    description: T
    themes: tuple[str, ...]
    sdgs: tuple[int, ...]
    #: Official codes of SDG targets ('11.3'), each of a goal in ``sdgs``.
    sdg_targets: tuple[str, ...]
    lead: tuple[StakeholderKind, ...]
    partners: tuple[StakeholderKind, ...]
    budget: tuple[int, int]
    months: tuple[int, int]
    pst: tuple[str, ...]
    indicators: tuple[IndicatorTemplate, ...] = ()
    #: Held again every year: a second one in the same commune is an "édition".
    recurring: bool = False


def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _needs(values: list[str]) -> tuple[StakeholderNeed, ...]:
    return tuple(StakeholderNeed(v) for v in values)


def _kinds(values: list[str]) -> tuple[StakeholderKind, ...]:
    return tuple(StakeholderKind(v) for v in values)


def _organisation(item: dict[str, Any]) -> Organisation:
    return Organisation(item["name"], item["description"], _needs(item["needs"]), item["numbered"])


def _indicator(item: dict[str, Any]) -> IndicatorTemplate:
    return IndicatorTemplate(
        item["name"],
        item["unit"],
        tuple(item["baseline"]),  # type: ignore[arg-type]
        tuple(item["target"]),  # type: ignore[arg-type]
        item["decimals"],
    )


def _template(item: dict[str, Any]) -> ProjectTemplate:
    return ProjectTemplate(
        focus=ProjectFocus(item["focus"]),
        title=item["title"],
        summary=item["summary"],
        description=item["description"],
        themes=tuple(item["themes"]),
        sdgs=tuple(item["sdgs"]),
        sdg_targets=tuple(item.get("sdg_targets", ())),
        lead=_kinds(item["lead"]),
        partners=_kinds(item["partners"]),
        budget=tuple(item["budget"]),  # type: ignore[arg-type]
        months=tuple(item["months"]),  # type: ignore[arg-type]
        pst=tuple(item["pst"]),
        indicators=tuple(_indicator(i) for i in item["indicators"]),
        recurring=item["recurring"],
    )


_ORGANISATIONS = _read("organisations")
_PROJECTS = _read("projects")
_PST = _read("pst")

#: The demo GAL.
TERRITORY_NAME: T = _ORGANISATIONS["territory_name"]
TERRITORY_DESCRIPTION: T = _ORGANISATIONS["territory_description"]
SECTORS: tuple[Sector, ...] = tuple(
    Sector(s["prefix"], s["description"], tuple(s["forms"]), _needs(s["needs"]))
    for s in _ORGANISATIONS["sectors"]
)
#: Places that businesses are named after ('Boulangerie du Geer').
PLACES: tuple[str, ...] = tuple(_ORGANISATIONS["places"])
ASSOCIATIONS = tuple(_organisation(o) for o in _ORGANISATIONS["associations"])
CITIZEN_INITIATIVES = tuple(_organisation(o) for o in _ORGANISATIONS["citizen_initiatives"])
#: Public bodies and partners: (name, description, NIS codes it acts in, numbered).
PUBLIC_BODIES: tuple[tuple[str, T, tuple[str, ...], bool], ...] = tuple(
    (b["name"], b["description"], tuple(b["communes"]), b["numbered"])
    for b in _ORGANISATIONS["public_bodies"]
)
ADMINISTRATION: T = _ORGANISATIONS["administration"]
GIVEN_NAMES_F: tuple[str, ...] = tuple(_ORGANISATIONS["given_names_f"])
GIVEN_NAMES_M: tuple[str, ...] = tuple(_ORGANISATIONS["given_names_m"])
FAMILY_NAMES: tuple[str, ...] = tuple(_ORGANISATIONS["family_names"])
#: Job titles by kind of organisation, (masculine, feminine); the first is the usual first contact.
JOB_TITLES: dict[StakeholderKind, tuple[tuple[str, str], ...]] = {
    StakeholderKind(kind): tuple((m, f) for m, f in titles)
    for kind, titles in _ORGANISATIONS["job_titles"].items()
}
#: Andenne has a smart city manager (see the glossary).
SMART_CITY_MANAGER_COMMUNE: str = _ORGANISATIONS["smart_city_manager_commune"]

TEMPLATES: tuple[ProjectTemplate, ...] = tuple(_template(t) for t in _PROJECTS["templates"])
VALUE_NOTES: tuple[str, ...] = tuple(_PROJECTS["value_notes"])

#: Theme -> (strategic objective, ((operational objective, (action, ...)), ...)). Each commune's
#: PST takes the administration theme and two or three others.
THEMES: dict[str, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    theme: (objective, tuple((oo, tuple(actions)) for oo, actions in operational))
    for theme, (objective, operational) in _PST["themes"].items()
}
#: PST actions that are works or equipment (bigger budgets).
WORKS: tuple[str, ...] = tuple(_PST["works"])
