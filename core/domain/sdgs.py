"""The UN Sustainable Development Goals (SDGs, ODD in French): the 17 goals and their 169
targets, with their official codes (``1.1`` ... ``1.5``, ``1.a``, ``1.b`` ... ``17.19``) and
titles in English, French and German.

The data is vendored in ``data/sdgs.json`` from the Open SDG project's sdg-translations (MIT;
source, commit and how it was made in ``data/README.md``): nothing here is typed by hand.

A project names goals (``sdgs``) and targets (``sdg_targets``); a target implies its goal, so
:func:`project_goals` adds the goals of the targets to the goals given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "ATTRIBUTION",
    "Goal",
    "Target",
    "UnknownTarget",
    "goal",
    "goals",
    "project_goals",
    "project_targets",
    "target",
    "targets",
]

#: Credit to give wherever the goals' and targets' titles are republished.
ATTRIBUTION = (
    "United Nations, Transforming our world: the 2030 Agenda for Sustainable Development "
    "(A/RES/70/1); titles via Open SDG's sdg-translations "
    "(https://github.com/open-sdg/sdg-translations), MIT"
)


@dataclass(frozen=True)
class Target:
    """A target: its official ``code`` (``"11.3"``, ``"1.a"``), its goal's number, its
    ``title`` by language (``en``, ``fr``, ``de``) and its ``position`` in the official order."""

    code: str
    goal: int
    title: dict[str, str]
    position: int

    def __hash__(self) -> int:
        return hash(self.code)


@dataclass(frozen=True)
class Goal:
    """A goal: its ``number`` (1-17), titles by language, and its targets in order."""

    number: int
    title: dict[str, str]
    short_title: dict[str, str]
    targets: tuple[Target, ...]

    def __hash__(self) -> int:
        return self.number


class UnknownTarget(ValueError):
    """A code that no SDG target has."""

    def __init__(self, code: object) -> None:
        self.code = code
        super().__init__(
            f"{code!r} is not an SDG target: write its official code, the goal's number, a "
            "dot and the target's number or letter (e.g. '11.3', '7.2', '1.a')"
        )


@cache
def goals() -> tuple[Goal, ...]:
    """The 17 goals, in order, each with its targets."""
    text = resources.files(__package__).joinpath("data/sdgs.json").read_text(encoding="utf-8")
    found: list[Goal] = []
    position = 0
    for item in json.loads(text)["goals"]:
        items: list[Target] = []
        for raw in item["targets"]:
            items.append(Target(raw["code"], item["number"], dict(raw["title"]), position))
            position += 1
        found.append(
            Goal(item["number"], dict(item["title"]), dict(item["short_title"]), tuple(items))
        )
    return tuple(found)


@cache
def _by_code() -> dict[str, Target]:
    return {t.code: t for g in goals() for t in g.targets}


def targets() -> tuple[Target, ...]:
    """The 169 targets, in the official order."""
    return tuple(_by_code().values())


def goal(number: int) -> Goal | None:
    """The goal ``number`` (1-17), or None."""
    return goals()[number - 1] if 1 <= number <= len(goals()) else None


def target(code: str) -> Target | None:
    """The target of the official ``code`` (spaces around it and a letter's case ignored), or
    None."""
    return _by_code().get(code.strip().lower())


def project_targets(codes: Iterable[str]) -> list[str]:
    """The official codes of ``codes``, each once, in the official order; an unknown code
    raises :class:`UnknownTarget`."""
    found: set[Target] = set()
    for code in codes:
        item = target(code)
        if item is None:
            raise UnknownTarget(code)
        found.add(item)
    return [t.code for t in sorted(found, key=lambda t: t.position)]


def project_goals(numbers: Iterable[int], target_codes: Iterable[str] = ()) -> list[int]:
    """The goals ``numbers`` with those of the targets ``target_codes`` (known codes), each
    once, in order."""
    implied = {item.goal for code in target_codes if (item := target(code)) is not None}
    return sorted({*numbers, *implied})
