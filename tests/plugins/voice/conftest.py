"""Fixtures of the voice tests, on the test kit (``bocage.core.testing``): a fresh copy of the
small demo per test, GraphQL run as a given principal, and the documents the tests share."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bocage.core.testing import Principals

principals = Principals()
ADMIN = principals.admin
ANN = principals.person("ann-account")
BOB = principals.person("bob-account")
EDITOR = principals.editor("64034", subject="hannut-editor")
CLIENT = principals.integrator("projects:write", client_id="site")

COMMENT = """mutation($input: PostVoiceCommentInput!) {
  postVoiceComment(input: $input) {
    comment { id target parent depth alias body hidden moderationNotice mine editableUntil }
    errors { field code message }
  }
}"""
EDIT = """mutation($input: EditVoiceCommentInput!) {
  editVoiceComment(input: $input) {
    comment { id body editedAt } errors { field code message }
  }
}"""
REPORT = """mutation($input: ReportVoiceCommentInput!) {
  reportVoiceComment(input: $input) { reported errors { field code message } }
}"""
HIDE = """mutation($input: ModerateVoiceCommentInput!) {
  hideVoiceComment(input: $input) {
    comment { id body hidden moderationNotice } errors { field code message }
  }
}"""
SHOW = """mutation($input: ModerateVoiceCommentInput!) {
  showVoiceComment(input: $input) {
    comment { id body hidden moderationNotice } errors { field code message }
  }
}"""
SUPPORT = """mutation($input: VoiceSupportInput!) {
  supportVoiceTarget(input: $input) {
    discussion { supportCount supportedByMe } errors { field code message }
  }
}"""
WITHDRAW = """mutation($input: VoiceSupportInput!) {
  withdrawVoiceSupport(input: $input) {
    discussion { supportCount supportedByMe } errors { field code message }
  }
}"""
DISCUSSION = """query($target: ID!, $first: Int) {
  voiceDiscussion(target: $target) {
    target open closedReason supportCount supportedByMe commentCount
    comments(first: $first) {
      nodes {
        id alias body hidden moderationNotice depth mine reportCount
        replies { id body depth replies { id body depth } }
      }
    }
  }
}"""
SUBSCRIBE = """mutation($input: SubscribeToVoiceDigestInput!) {
  subscribeToVoiceDigest(input: $input) {
    subscription { id scope follow consentVersion confirmed active }
    errors { field code message }
  }
}"""
PROJECTS = "{ projects(first: 3) { nodes { id title version communes { nisCode } } } }"
CHALLENGES = "{ workshopsCardWorkshops { title phase challenges { id text } } }"


def payload(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


def codes(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


@pytest.fixture
def voice(run: Any, world: Any) -> Any:
    """The documents and principals above, and helpers for test modules."""

    async def projects() -> list[dict[str, Any]]:
        return list((await run(PROJECTS))["data"]["projects"]["nodes"])

    async def challenge() -> str:
        body = await run(CHALLENGES)
        demo = next(
            w
            for w in body["data"]["workshopsCardWorkshops"]
            if w["title"] == "Les défis smart de nos communes"
        )
        return str(demo["challenges"][0]["id"])

    async def comment(target: str, text: str = "Bonne idée !", *, by: Any = ANN, **more: Any):
        values = {"target": target, "body": text, "alias": "Ann", **more}
        result = payload(await run(COMMENT, {"input": values}, principal=by), "postVoiceComment")
        assert result["errors"] == [], result
        return result["comment"]

    def tune(**values: Any) -> None:
        settings = world.host.plugin_settings("voice")
        for name, value in values.items():
            setattr(settings, name, value)

    return SimpleNamespace(
        projects=projects,
        challenge=challenge,
        comment=comment,
        tune=tune,
        **{
            name: value
            for name, value in globals().items()
            if name.isupper() or name in ("payload", "codes")
        },
    )


@pytest.fixture
def http(bocage_client: Any) -> Any:
    """The kit's HTTP client of an app over ``world``'s database."""
    return bocage_client
