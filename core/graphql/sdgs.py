"""The UN Sustainable Development Goals in GraphQL: the ``Sdg`` and ``SdgTarget`` types, the
reference list (``sdgGoals``, ``sdgTarget``) and the checks of the projects' SDG filters.

The goals and targets are the vendored reference of :mod:`bocage.core.domain.sdgs`, not rows:
their titles are in English, French and German, and a Dutch request falls back as any
multilingual text does (:func:`bocage.core.graphql.i18n.pick`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
from strawberry.types import Info

from bocage.core.domain import sdgs
from bocage.core.graphql.errors import BadInput
from bocage.core.graphql.i18n import Language, remember_language, translated
from bocage.core.graphql.limits import cost


@strawberry.type(
    name="SdgTarget",
    description="A target of a UN Sustainable Development Goal (169 in all), by its official "
    "code: `11.3`, `1.a`.",
)
class SdgTarget:
    row: strawberry.Private[sdgs.Target]
    code: str = strawberry.field(description="The official code: goal, dot, number or letter.")
    goal_number: int = strawberry.field(description="The number of its goal (1-17).")
    title, title_translations = translated("title", "The target's official wording.", required=True)

    @strawberry.field(description="Its goal.", metadata=cost(0))
    def goal(self) -> Sdg:
        found = sdgs.goal(self.goal_number)
        assert found is not None  # every target's goal is one of the 17 (tests/unit/test_sdgs)
        return Sdg.of(found)

    @classmethod
    def of(cls, target: sdgs.Target) -> SdgTarget:
        return cls(row=target, code=target.code, goal_number=target.goal)


@strawberry.type(
    name="Sdg", description="A UN Sustainable Development Goal (ODD in French), 1 to 17."
)
class Sdg:
    row: strawberry.Private[sdgs.Goal]
    number: int = strawberry.field(description="Its number, 1 to 17.")
    title, title_translations = translated("title", "The goal's official wording.", required=True)
    short_title, short_title_translations = translated(
        "short_title", "The goal's short name ('Climate action').", required=True
    )

    @strawberry.field(description="Its targets, in the official order.", metadata=cost(0, items=10))
    def targets(self) -> list[SdgTarget]:
        return [SdgTarget.of(t) for t in self.row.targets]

    @classmethod
    def of(cls, goal: sdgs.Goal) -> Sdg:
        return cls(row=goal, number=goal.number)


def goals_of(numbers: Iterable[int]) -> list[Sdg]:
    """The ``Sdg`` of each known goal number, in order."""
    return [Sdg.of(g) for n in numbers if (g := sdgs.goal(n)) is not None]


def targets_of(codes: Iterable[str]) -> list[SdgTarget]:
    """The ``SdgTarget`` of each known code, in the order given (the stored, official one)."""
    return [SdgTarget.of(t) for code in codes if (t := sdgs.target(code)) is not None]


def goal_numbers(values: Iterable[int], field: str) -> list[int]:
    """The goal numbers of a filter, each checked."""
    numbers = sorted(set(values))
    for number in numbers:
        if sdgs.goal(number) is None:
            raise BadInput(f"{field}: SDG {number} does not exist: use 1 to 17", field=field)
    return numbers


def target_codes(values: Iterable[str], field: str) -> list[str]:
    """The official codes of a filter's targets, each checked."""
    try:
        return sdgs.project_targets(values)
    except sdgs.UnknownTarget as error:
        raise BadInput(f"{field}: {error}", field=field) from None


Lang = Annotated[
    Language | None,
    strawberry.argument(description="The language of the titles (a field's own `lang` wins)."),
]


@strawberry.type
class SdgQuery:
    @strawberry.field(
        description="The 17 UN Sustainable Development Goals with their 169 targets, in order: "
        "the codes `sdgs`, `sdgTargetCodes` and the projects' SDG filters use.",
        metadata=cost(0),
    )
    def sdg_goals(self, info: Info, lang: Lang = None) -> list[Sdg]:
        remember_language(info, lang)
        return [Sdg.of(g) for g in sdgs.goals()]

    @strawberry.field(
        description="A target by its official code (`11.3`, `1.a`), or null.", metadata=cost(0)
    )
    def sdg_target(self, info: Info, code: str, lang: Lang = None) -> SdgTarget | None:
        remember_language(info, lang)
        found = sdgs.target(code)
        return SdgTarget.of(found) if found else None
