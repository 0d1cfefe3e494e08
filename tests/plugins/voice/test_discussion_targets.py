"""The hook ``bocage_discussion_targets``: another plugin's objects become discussable (as the
workshops plugin's challenges are), without the voice plugin knowing that plugin."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bocage.core.api import DiscussionState, DiscussionTarget, global_id, hookimpl
from bocage.core.testing import World, runner, settings_for

from .conftest import ANN, COMMENT, DISCUSSION, SUPPORT


async def _state(session: Any, key: int) -> DiscussionState | None:
    if key == 1:
        return DiscussionState(open=True, title="Une idée", communes=frozenset({"64034"}))
    if key == 2:
        return DiscussionState(open=False, title="Fermée", closed_reason="the vote is over")
    return None


@hookimpl
def bocage_discussion_targets() -> list[DiscussionTarget]:
    return [DiscussionTarget("IdeasIdea", _state)]


async def test_a_plugins_type_is_discussed_by_its_global_id(
    bocage_databases: Any, bocage_small_demo_url: str
) -> None:
    url = await bocage_databases.clone(bocage_small_demo_url)
    plugin = SimpleNamespace(bocage_discussion_targets=bocage_discussion_targets)
    world = World.open(url, settings_for(url), extra=[("ideas", plugin)])
    run = runner(world)
    try:
        idea, closed, missing = (global_id("IdeasIdea", key) for key in (1, 2, 3))
        posted = await run(
            COMMENT, {"input": {"target": idea, "body": "Oui", "alias": "Ann"}}, principal=ANN
        )
        assert posted["data"]["postVoiceComment"]["errors"] == []
        supported = await run(SUPPORT, {"input": {"target": idea}}, principal=ANN)
        assert supported["data"]["supportVoiceTarget"]["discussion"]["supportCount"] == 1
        discussion = (await run(DISCUSSION, {"target": idea}))["data"]["voiceDiscussion"]
        assert discussion["open"] and discussion["commentCount"] == 1

        refused = await run(
            COMMENT, {"input": {"target": closed, "body": "Non", "alias": "Ann"}}, principal=ANN
        )
        [error] = refused["data"]["postVoiceComment"]["errors"]
        assert error["code"] == "INVALID" and "the vote is over" in error["message"]
        gone = await run(
            COMMENT, {"input": {"target": missing, "body": "?", "alias": "Ann"}}, principal=ANN
        )
        assert gone["data"]["postVoiceComment"]["errors"][0]["code"] == "NOT_FOUND"
    finally:
        await world.close()
