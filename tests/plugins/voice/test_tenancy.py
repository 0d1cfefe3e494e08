"""Moderation under tenancy (docs/tenancy.md): each GAL's moderators read the reports on, and
hide or show, the comments about objects of their communes (or of their territory, for an
object of no commune: a project of the GAL, the challenge of a card workshop held without an
event), and read their report counts, never the other GAL's; an operator moderates both."""

from __future__ import annotations

from typing import Any

from bocage.core.api import Project, global_id, node_key
from bocage.core.models import ProjectFocus, ProjectStatus
from bocage.plugins.voice.models import Comment
from bocage.plugins.workshops.models import CardWorkshop, Challenge, Phase

CREATE_PROJECT = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id } errors { field code message } } }"""
COMMENT = """mutation($input: PostVoiceCommentInput!) {
  postVoiceComment(input: $input) { comment { id } errors { field code message } }
}"""
REPORT = """mutation($input: ReportVoiceCommentInput!) {
  reportVoiceComment(input: $input) { reported errors { field code message } }
}"""
HIDE = """mutation($input: ModerateVoiceCommentInput!) {
  hideVoiceComment(input: $input) { comment { id hidden } errors { field code message } }
}"""
REPORTS = "{ voiceReports(first: 100) { nodes { comment { id } } } }"
LOG = "{ voiceModerationLog(first: 100) { nodes { comment } } }"


async def project(gals: Any, commune: str) -> str:
    values = {"title": {"fr": "Projet"}, "focus": "COLLABORATION", "communes": [commune]}
    body = await gals.gql(gals.operator, CREATE_PROJECT, {"input": values})
    assert gals.errors(body, "createProject") == []
    return str(body["data"]["createProject"]["project"]["id"])


async def project_of_no_commune(gals: Any, territory: int) -> str:
    """A project of the GAL itself (one whose communes were all taken off, or imported so)."""
    async with gals.app.state.sessionmaker() as session, session.begin():
        row = Project(
            title={"fr": "Projet du GAL"},
            status=ProjectStatus.IDEA,
            focus=ProjectFocus.COLLABORATION,
            territory_id=territory,
        )
        session.add(row)
        await session.flush()
        return global_id("Project", row.id)


async def reported_comment(gals: Any, target: str) -> str:
    ann = gals.person("ann-account")
    body = await gals.gql(ann, COMMENT, {"input": {"target": target, "body": "Non.", "alias": "A"}})
    assert gals.errors(body, "postVoiceComment") == []
    comment = str(body["data"]["postVoiceComment"]["comment"]["id"])
    report = {"comment": comment, "reason": "OFFENSIVE"}
    body = await gals.gql(gals.person("bob-account"), REPORT, {"input": report})
    assert gals.errors(body, "reportVoiceComment") == []
    return comment


async def reports(gals: Any, caller: Any) -> set[str]:
    body = await gals.gql(caller, REPORTS)
    assert "errors" not in body, body
    return {node["comment"]["id"] for node in body["data"]["voiceReports"]["nodes"]}


async def hidden(gals: Any, comment: str) -> bool:
    async with gals.app.state.sessionmaker() as session:
        row = await session.get_one(Comment, node_key(comment, "VoiceComment", "comment"))
        return row.hidden_at is not None


async def test_moderators_moderate_their_gal_s_comments_only(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    admin_a, admin_b, operator = two_gals.admin(a), two_gals.admin(b), two_gals.operator
    on_a = await reported_comment(two_gals, await project(two_gals, a.commune_id))
    on_b = await reported_comment(two_gals, await project(two_gals, b.commune_id))
    # A project of no commune is its territory's.
    of_a = await reported_comment(two_gals, await project_of_no_commune(two_gals, a.key))

    assert {on_a, of_a} <= await reports(two_gals, admin_a)
    assert on_b not in await reports(two_gals, admin_a)
    assert on_b in await reports(two_gals, admin_b)
    assert not {on_a, of_a} & await reports(two_gals, admin_b)
    assert {on_a, on_b, of_a} <= await reports(two_gals, operator)

    for comment in (on_a, of_a):
        hide = {"input": {"comment": comment, "reason": "Insultant."}}
        refused = await two_gals.gql(admin_b, HIDE, hide)
        assert [e["code"] for e in two_gals.errors(refused, "hideVoiceComment")] == ["NOT_FOUND"]
        assert not await hidden(two_gals, comment)  # nothing written
        done = await two_gals.gql(admin_a, HIDE, hide)
        assert two_gals.errors(done, "hideVoiceComment") == []
        assert await hidden(two_gals, comment)
    done = await two_gals.gql(operator, HIDE, {"input": {"comment": on_b, "reason": "Hors sujet."}})
    assert two_gals.errors(done, "hideVoiceComment") == []

    body = await two_gals.gql(admin_b, LOG)
    logged = {node["comment"] for node in body["data"]["voiceModerationLog"]["nodes"]}
    assert on_b in logged and not {on_a, of_a} & logged


COUNTS = """query($target: ID!) {
  voiceDiscussion(target: $target) { comments(first: 10) { nodes { id reportCount } } }
}"""


async def report_counts(gals: Any, caller: Any, target: str) -> dict[str, int | None]:
    body = await gals.gql(caller, COUNTS, {"target": target})
    assert "errors" not in body, body
    nodes = body["data"]["voiceDiscussion"]["comments"]["nodes"]
    return {node["id"]: node["reportCount"] for node in nodes}


async def test_a_comment_s_report_count_is_for_its_gal_s_moderators(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    for target in (
        await project(two_gals, a.commune_id),
        await project_of_no_commune(two_gals, a.key),
    ):
        comment = await reported_comment(two_gals, target)
        assert await report_counts(two_gals, two_gals.admin(a), target) == {comment: 1}
        assert await report_counts(two_gals, two_gals.operator, target) == {comment: 1}
        assert await report_counts(two_gals, two_gals.admin(b), target) == {comment: None}
        assert await report_counts(two_gals, None, target) == {comment: None}


CARD_WORKSHOP = """mutation($input: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $input) { workshop { id } errors { field code message } }
}"""


async def closed_challenge(gals: Any, caller: Any) -> str:
    """A challenge of a card workshop held without an event by ``caller``, closed (its
    conclusion is the game's business: tests/plugins/workshops/test_card_workshop.py)."""
    body = await gals.gql(caller, CARD_WORKSHOP, {"input": {"title": {"fr": "Défis"}}})
    assert gals.errors(body, "createWorkshopsCardWorkshop") == []
    workshop = node_key(
        body["data"]["createWorkshopsCardWorkshop"]["workshop"]["id"], "WorkshopsCardWorkshop", "id"
    )
    async with gals.app.state.sessionmaker() as session, session.begin():
        row = await session.get_one(CardWorkshop, workshop)
        row.phase = Phase.CLOSED.value
        challenge = Challenge(
            workshop_id=workshop, text="Un wifi public", colour="blue", axis="territory", position=1
        )
        session.add(challenge)
        await session.flush()
        return global_id("WorkshopsChallenge", challenge.id)


async def test_a_challenge_of_a_workshop_without_an_event_is_its_gal_s_to_moderate(
    two_gals: Any,
) -> None:
    a, b, operator = two_gals.a, two_gals.b, two_gals.operator
    admin_a, admin_b = two_gals.admin(a), two_gals.admin(b)
    challenge = await closed_challenge(two_gals, admin_a)
    comment = await reported_comment(two_gals, challenge)

    assert comment in await reports(two_gals, admin_a)
    assert comment in await reports(two_gals, operator)
    assert comment not in await reports(two_gals, admin_b)
    assert await report_counts(two_gals, admin_a, challenge) == {comment: 1}
    assert await report_counts(two_gals, admin_b, challenge) == {comment: None}

    hide = {"input": {"comment": comment, "reason": "Insultant."}}
    refused = await two_gals.gql(admin_b, HIDE, hide)
    assert [e["code"] for e in two_gals.errors(refused, "hideVoiceComment")] == ["NOT_FOUND"]
    assert not await hidden(two_gals, comment)
    done = await two_gals.gql(admin_a, HIDE, hide)
    assert two_gals.errors(done, "hideVoiceComment") == []
    assert await hidden(two_gals, comment)
    logged = await two_gals.gql(admin_b, LOG)
    assert comment not in {n["comment"] for n in logged["data"]["voiceModerationLog"]["nodes"]}
    logged = await two_gals.gql(admin_a, LOG)
    assert comment in {n["comment"] for n in logged["data"]["voiceModerationLog"]["nodes"]}
