"""Comments and replies on projects and on a closed workshop's challenges (issue 16, part 4):
anyone reads, a signed-in person writes, threads go ``BOCAGE_VOICE_MAX_DEPTH`` deep, comments
are at most ``BOCAGE_VOICE_COMMENT_MAX_LENGTH`` long, ``BOCAGE_VOICE_COMMENTS_PER_HOUR`` per
person, editable for ``BOCAGE_VOICE_EDIT_MINUTES``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from bocage.plugins.voice.models import Comment
from bocage.plugins.workshops.models import CardWorkshop, Phase


async def test_a_thread_on_a_project_read_by_anyone(run: Any, voice: Any) -> None:
    project = (await voice.projects())[0]["id"]
    first = await voice.comment(project, "Il faut la fibre partout.")
    assert first["depth"] == 1 and first["mine"] and first["editableUntil"]
    reply = await voice.comment(None, "D'accord !", by=voice.BOB, parent=first["id"], alias="Bob")
    assert reply["depth"] == 2 and reply["parent"] == first["id"] and reply["target"] == project

    body = await run(voice.DISCUSSION, {"target": project})
    discussion = voice.payload(body, "voiceDiscussion")
    assert discussion["open"] is True and discussion["commentCount"] == 2
    [thread] = discussion["comments"]["nodes"]
    assert thread["body"] == "Il faut la fibre partout." and thread["alias"] == "Ann"
    assert thread["mine"] is False and thread["reportCount"] is None  # anonymous reader
    assert [(r["body"], r["depth"]) for r in thread["replies"]] == [("D'accord !", 2)]


async def test_signing_in_is_needed_and_bad_targets_are_typed_errors(run: Any, voice: Any) -> None:
    project = (await voice.projects())[0]["id"]
    anonymous = await run(voice.COMMENT, {"input": {"target": project, "body": "x", "alias": "A"}})
    result = voice.payload(anonymous, "postVoiceComment")
    assert voice.codes(result) == [(None, "UNAUTHENTICATED")] and result["comment"] is None

    machine = voice.payload(
        await run(
            voice.COMMENT,
            {"input": {"target": project, "body": "x", "alias": "A"}},
            principal=voice.CLIENT,
        ),
        "postVoiceComment",
    )
    assert voice.codes(machine) == [(None, "FORBIDDEN")]

    commune = "Q29tbXVuZTox"  # Commune:1: not something people comment on
    refused = voice.payload(
        await run(
            voice.COMMENT,
            {"input": {"target": commune, "body": "x", "alias": "A"}},
            principal=voice.ANN,
        ),
        "postVoiceComment",
    )
    assert voice.codes(refused) == [("target", "INVALID")]
    assert "WorkshopsChallenge" in refused["errors"][0]["message"]
    missing = voice.payload(
        await run(
            voice.COMMENT,
            {"input": {"target": "UHJvamVjdDo5OTk5OTk=", "body": "x", "alias": "A"}},
            principal=voice.ANN,
        ),
        "postVoiceComment",
    )
    assert voice.codes(missing) == [("target", "NOT_FOUND")]
    unknown = await run(voice.DISCUSSION, {"target": "UHJvamVjdDo5OTk5OTk="})
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_challenges_open_once_their_workshop_closed(run: Any, voice: Any, world: Any) -> None:
    challenge = await voice.challenge()
    comment = await voice.comment(challenge, "Un défi qui compte.")
    assert comment["target"] == challenge
    async with world.sessionmaker() as session, session.begin():
        await session.execute(update(CardWorkshop).values(phase=Phase.CONCLUSION.value))
    discussion = voice.payload(
        await run(voice.DISCUSSION, {"target": challenge}), "voiceDiscussion"
    )
    assert discussion["open"] is False
    assert discussion["closedReason"] == "its workshop has not closed yet"
    refused = voice.payload(
        await run(
            voice.COMMENT,
            {"input": {"target": challenge, "body": "Trop tôt", "alias": "Ann"}},
            principal=voice.ANN,
        ),
        "postVoiceComment",
    )
    assert voice.codes(refused) == [("target", "INVALID")]
    assert "not open for comments" in refused["errors"][0]["message"]
    supported = voice.payload(
        await run(voice.SUPPORT, {"input": {"target": challenge}}, principal=voice.ANN),
        "supportVoiceTarget",
    )
    assert voice.codes(supported) == [("target", "INVALID")]


async def test_comment_length_just_under_and_over(run: Any, voice: Any) -> None:
    voice.tune(comment_max_length=50)
    project = (await voice.projects())[0]["id"]
    await voice.comment(project, "a" * 50)
    over = voice.payload(
        await run(
            voice.COMMENT,
            {"input": {"target": project, "body": "a" * 51, "alias": "Ann"}},
            principal=voice.ANN,
        ),
        "postVoiceComment",
    )
    assert voice.codes(over) == [("body", "INVALID")]
    assert "BOCAGE_VOICE_COMMENT_MAX_LENGTH" in over["errors"][0]["message"]


async def test_thread_depth_just_under_and_over(run: Any, voice: Any) -> None:
    voice.tune(max_depth=2)
    project = (await voice.projects())[0]["id"]
    top = await voice.comment(project)
    reply = await voice.comment(None, "Réponse", parent=top["id"])
    assert reply["depth"] == 2
    deeper = voice.payload(
        await run(
            voice.COMMENT,
            {"input": {"parent": reply["id"], "body": "Trop profond", "alias": "Ann"}},
            principal=voice.ANN,
        ),
        "postVoiceComment",
    )
    assert voice.codes(deeper) == [("parent", "INVALID")]
    assert "BOCAGE_VOICE_MAX_DEPTH" in deeper["errors"][0]["message"]


async def test_comments_per_hour_just_under_and_over(run: Any, voice: Any) -> None:
    voice.tune(comments_per_hour=3)
    project = (await voice.projects())[0]["id"]
    for n in range(3):
        await voice.comment(project, f"Commentaire {n}")
    over = voice.payload(
        await run(
            voice.COMMENT,
            {"input": {"target": project, "body": "Un de trop", "alias": "Ann"}},
            principal=voice.ANN,
        ),
        "postVoiceComment",
    )
    assert voice.codes(over) == [("body", "INVALID")]
    assert "BOCAGE_VOICE_COMMENTS_PER_HOUR" in over["errors"][0]["message"]
    # Someone else may still comment.
    await voice.comment(project, "Moi aussi", by=voice.BOB)


async def test_edit_window_just_under_and_over(run: Any, voice: Any, world: Any) -> None:
    voice.tune(edit_minutes=10)
    project = (await voice.projects())[0]["id"]
    comment = await voice.comment(project, "Premier jet")
    edited = voice.payload(
        await run(
            voice.EDIT,
            {"input": {"comment": comment["id"], "body": "Mieux dit"}},
            principal=voice.ANN,
        ),
        "editVoiceComment",
    )
    assert edited["errors"] == [] and edited["comment"]["body"] == "Mieux dit"
    assert edited["comment"]["editedAt"]
    not_mine = voice.payload(
        await run(
            voice.EDIT, {"input": {"comment": comment["id"], "body": "Piraté"}}, principal=voice.BOB
        ),
        "editVoiceComment",
    )
    assert voice.codes(not_mine) == [("comment", "FORBIDDEN")]

    async def posted_ago(minutes: float) -> None:
        at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
        async with world.sessionmaker() as session, session.begin():
            await session.execute(update(Comment).values(created_at=at))

    await posted_ago(9.5)
    late_but_in = voice.payload(
        await run(
            voice.EDIT, {"input": {"comment": comment["id"], "body": "Encore"}}, principal=voice.ANN
        ),
        "editVoiceComment",
    )
    assert late_but_in["errors"] == []
    await posted_ago(10.5)
    too_late = voice.payload(
        await run(
            voice.EDIT,
            {"input": {"comment": comment["id"], "body": "Trop tard"}},
            principal=voice.ANN,
        ),
        "editVoiceComment",
    )
    assert voice.codes(too_late) == [("comment", "INVALID")]
    assert "BOCAGE_VOICE_EDIT_MINUTES" in too_late["errors"][0]["message"]
