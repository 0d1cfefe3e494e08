"""The vendored SDG reference (core/domain/data/sdgs.json): 17 goals, 169 targets, each under
its goal, every title in English, French and German."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from bocage.core.domain import sdgs

CODE = re.compile(r"^(\d{1,2})\.(\d{1,2}|[a-z])$")


def test_seventeen_goals_and_one_hundred_sixty_nine_targets() -> None:
    assert [g.number for g in sdgs.goals()] == list(range(1, 18))
    assert len(sdgs.targets()) == 169
    assert len({t.code for t in sdgs.targets()}) == 169
    # The targets' official count per goal, as the 2030 Agenda lists them.
    assert [len(g.targets) for g in sdgs.goals()] == [
        7, 8, 13, 10, 9, 8, 5, 12, 8, 10, 10, 11, 5, 10, 12, 12, 19
    ]  # fmt: skip


def test_each_target_belongs_to_its_goal_in_the_official_order() -> None:
    for goal in sdgs.goals():
        codes = [t.code for t in goal.targets]
        for target in goal.targets:
            match = CODE.match(target.code)
            assert match, target.code
            assert int(match.group(1)) == goal.number == target.goal
        numbered = [c for c in codes if c.split(".")[1].isdigit()]
        lettered = [c for c in codes if c.split(".")[1].isalpha()]
        # Numbered targets 1..n first, then lettered ones a, b, c...
        assert numbered == [f"{goal.number}.{i}" for i in range(1, len(numbered) + 1)]
        assert lettered == [f"{goal.number}.{chr(97 + i)}" for i in range(len(lettered))]
        assert codes == numbered + lettered
    positions = [t.position for t in sdgs.targets()]
    assert positions == sorted(positions) == list(range(169))


def test_every_title_in_english_french_and_german() -> None:
    for goal in sdgs.goals():
        for texts in (goal.title, goal.short_title, *(t.title for t in goal.targets)):
            assert set(texts) == {"en", "fr", "de"}
            assert all(
                text.strip() == text and "  " not in text and text for text in texts.values()
            )


def test_the_file_carries_its_source_and_licence() -> None:
    data = resources.files("bocage.core.domain").joinpath("data")
    readme = data.joinpath("README.md").read_text(encoding="utf-8")
    assert "open-sdg/sdg-translations" in readme and "MIT" in readme
    assert "MIT License" in data.joinpath("LICENSE.sdg-translations").read_text(encoding="utf-8")
    assert set(json.loads(data.joinpath("sdgs.json").read_text(encoding="utf-8"))) == {"goals"}


def test_lookups_and_a_projects_codes() -> None:
    assert sdgs.target(" 11.A ") is sdgs.target("11.a")
    assert sdgs.target("11.8") is None and sdgs.target("18.1") is None
    assert sdgs.goal(0) is None and sdgs.goal(18) is None
    assert sdgs.project_targets(["11.a", "11.3", "1.b", "11.3", "17.10", "17.2"]) == [
        "1.b",
        "11.3",
        "11.a",
        "17.2",
        "17.10",
    ]
    assert sdgs.project_goals([13, 7], ["11.3", "7.2"]) == [7, 11, 13]
    with pytest.raises(sdgs.UnknownTarget, match="'11.12' is not an SDG target.*'11.3'"):
        sdgs.project_targets(["11.3", "11.12"])
