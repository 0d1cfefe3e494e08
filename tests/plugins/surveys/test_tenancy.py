"""Surveys under tenancy (docs/tenancy.md): a survey belongs to a territory; each GAL's
managers run theirs and read their drafts, results, responses and invitations, never the other
GAL's; an operator reaches both; the public answers as before."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bocage.core.api import node_key
from bocage.plugins.surveys import models as sm

CREATE = """
mutation($input: CreateSurveyInput!) {
  createSurvey(input: $input) { survey { id version } errors { field code message } }
}"""
UPDATE = """
mutation($input: UpdateSurveyInput!) {
  updateSurvey(input: $input) { survey { id version } errors { field code message } }
}"""
OPEN = """
mutation($input: SurveyVersionInput!) {
  openSurvey(input: $input) { survey { id version } errors { field code message } }
}"""
INVITE = """
mutation($input: InviteToSurveyInput!) {
  inviteToSurvey(input: $input) { invitations { token } errors { field code message } }
}"""
SUBMIT = """
mutation($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { submitted errors { field code message } }
}"""
SURVEY = "query($id: ID!) { survey(id: $id) { id publicKey responseCount } }"
LIST = "{ surveys(first: 100) { edges { node { id } } } }"
RESPONSES = "query($id: ID!) { surveyResponses(survey: $id) { edges { node { id } } } }"
INVITATIONS = "query($id: ID!) { surveyInvitations(survey: $id) { invitedAt } }"
RESULTS = "query($id: ID!) { surveyResults(id: $id) { respondents } }"

QUESTION = {
    "key": "q",
    "type": "SINGLE_CHOICE",
    "title": {"fr": "Oui ?"},
    "options": [{"value": v, "label": {"fr": v}} for v in ("yes", "no")],
}


def survey_input(**overrides: Any) -> dict[str, Any]:
    return {"title": {"fr": "Enquête"}, "questions": [QUESTION], **overrides}


async def created(gals: Any, caller: Any, **overrides: Any) -> dict[str, Any]:
    body = await gals.gql(caller, CREATE, {"input": survey_input(**overrides)})
    assert gals.errors(body, "createSurvey") == []
    survey: dict[str, Any] = body["data"]["createSurvey"]["survey"]
    return survey


async def row(gals: Any, survey_id: str) -> sm.Survey:
    async with gals.app.state.sessionmaker() as session:
        return await session.get_one(sm.Survey, node_key(survey_id, "Survey", "id"))


def codes(gals: Any, body: dict[str, Any], payload: str) -> list[str]:
    return [e["code"] for e in gals.errors(body, payload)]


async def listed(gals: Any, caller: Any) -> set[str]:
    body = await gals.gql(caller, LIST)
    return {edge["node"]["id"] for edge in body["data"]["surveys"]["edges"]}


async def test_a_gal_s_drafts_are_its_managers_only(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    admin_a, admin_b, operator = two_gals.admin(a), two_gals.admin(b), two_gals.operator
    draft = await created(two_gals, admin_a)
    assert (await row(two_gals, draft["id"])).territory_id == a.key

    assert draft["id"] in await listed(two_gals, admin_a)
    assert draft["id"] in await listed(two_gals, operator)
    assert draft["id"] not in await listed(two_gals, admin_b)
    seen = await two_gals.gql(admin_b, SURVEY, {"id": draft["id"]})
    assert seen["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    change = {"id": draft["id"], "version": draft["version"], "title": {"fr": "B"}}
    refused = await two_gals.gql(admin_b, UPDATE, {"input": change})
    assert codes(two_gals, refused, "updateSurvey") == ["NOT_FOUND"]
    assert (await row(two_gals, draft["id"])).title == {"fr": "Enquête"}  # nothing written
    done = await two_gals.gql(admin_a, UPDATE, {"input": change | {"title": {"fr": "A"}}})
    assert codes(two_gals, done, "updateSurvey") == []
    version = done["data"]["updateSurvey"]["survey"]["version"]
    change = {"id": draft["id"], "version": version, "title": {"fr": "operator"}}
    done = await two_gals.gql(operator, UPDATE, {"input": change})
    assert codes(two_gals, done, "updateSurvey") == []

    types = ["survey.created", "survey.updated"]
    assert draft["id"] in await two_gals.changes(admin_a, types)
    assert draft["id"] not in await two_gals.changes(admin_b, types)


async def test_responses_invitations_and_exports_stay_within_the_gal(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    admin_a, admin_b, operator = two_gals.admin(a), two_gals.admin(b), two_gals.operator
    survey = await created(two_gals, admin_a, anonymous=False)
    opened = await two_gals.gql(
        admin_a, OPEN, {"input": {"id": survey["id"], "version": survey["version"]}}
    )
    assert codes(two_gals, opened, "openSurvey") == []

    refused = await two_gals.gql(admin_b, INVITE, {"input": {"survey": survey["id"], "count": 1}})
    assert codes(two_gals, refused, "inviteToSurvey") == ["NOT_FOUND"]
    key = node_key(survey["id"], "Survey", "id")
    async with two_gals.app.state.sessionmaker() as session:
        invitations = select(func.count()).where(sm.Invitation.survey_id == key)
        assert await session.scalar(invitations) == 0
    invited = await two_gals.gql(admin_a, INVITE, {"input": {"survey": survey["id"], "count": 1}})
    assert codes(two_gals, invited, "inviteToSurvey") == []
    token = invited["data"]["inviteToSurvey"]["invitations"][0]["token"]
    answer = [{"question": "q", "choices": ["yes"]}]
    submitted = await two_gals.gql(None, SUBMIT, {"input": {"token": token, "answers": answer}})
    assert codes(two_gals, submitted, "submitSurveyResponse") == []

    # Responses (personal data), invitations: A's managers and the operator, never B's.
    for query, field in ((RESPONSES, "surveyResponses"), (INVITATIONS, "surveyInvitations")):
        refused = await two_gals.gql(admin_b, query, {"id": survey["id"]})
        assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND", refused
        for caller in (admin_a, operator):
            body = await two_gals.gql(caller, query, {"id": survey["id"]})
            assert "errors" not in body, body
            found = body["data"][field]
            assert len(found["edges"] if isinstance(found, dict) else found) == 1
    # Its results while open: A's managers read them; to B's it is any public survey.
    refused = await two_gals.gql(admin_b, RESULTS, {"id": survey["id"]})
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
    assert "errors" not in await two_gals.gql(admin_a, RESULTS, {"id": survey["id"]})
    seen = await two_gals.gql(admin_b, SURVEY, {"id": survey["id"]})
    assert seen["data"]["survey"]["publicKey"] is None
    seen = await two_gals.gql(admin_a, SURVEY, {"id": survey["id"]})
    assert seen["data"]["survey"]["publicKey"] is not None

    for what in ("results", "responses"):
        path = f"/api/surveys/{key}/{what}.csv"
        assert (await two_gals.get(admin_b, path)).status_code == 404
        assert (await two_gals.get(admin_a, path)).status_code == 200
        assert (await two_gals.get(operator, path)).status_code == 200


async def test_a_new_survey_belongs_to_one_of_its_manager_s_territories(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    of_both = two_gals.admin(a, b, subject="admin-both")
    refused = await two_gals.gql(of_both, CREATE, {"input": survey_input()})
    assert [(e["field"], e["code"]) for e in two_gals.errors(refused, "createSurvey")] == [
        ("territory", "REQUIRED")
    ]
    # The territory of its audience's communes, or the one given.
    to_b = await created(two_gals, of_both, audienceCommunes=[b.nis])
    assert (await row(two_gals, to_b["id"])).territory_id == b.key
    given = await created(two_gals, of_both, territory=a.id)
    assert (await row(two_gals, given["id"])).territory_id == a.key
    refused = await two_gals.gql(two_gals.admin(a), CREATE, {"input": survey_input(territory=b.id)})
    assert [(e["field"], e["code"]) for e in two_gals.errors(refused, "createSurvey")] == [
        ("territory", "FORBIDDEN")
    ]


async def test_a_survey_shows_its_territory(two_gals: Any) -> None:
    a, b = two_gals.a, two_gals.b
    of_both = two_gals.admin(a, b, subject="admin-both")
    survey = await created(two_gals, of_both, territory=b.id)
    # Resolved, and read by the compiled list, alike.
    one = "query($id: ID!) { survey(id: $id) { id territory { slug name } } }"
    listed = "{ surveys(first: 100) { edges { node { id territory { slug } } } } }"
    seen = await two_gals.gql(two_gals.admin(b), one, {"id": survey["id"]})
    assert seen["data"]["survey"]["territory"] == {"slug": b.slug, "name": "GAL B"}
    nodes = (await two_gals.gql(two_gals.admin(b), listed))["data"]["surveys"]["edges"]
    assert {"id": survey["id"], "territory": {"slug": b.slug}} in [e["node"] for e in nodes]
    # The draft stays B's: A's administrator sees neither it nor its territory.
    nodes = (await two_gals.gql(two_gals.admin(a), listed))["data"]["surveys"]["edges"]
    assert survey["id"] not in {e["node"]["id"] for e in nodes}
    seen = await two_gals.gql(two_gals.admin(a), one, {"id": survey["id"]})
    assert seen["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert seen["data"] is None


GRANT = """mutation($input: PermissionGrantInput!) {
  grantPermission(input: $input) { errors { field code message } }
}"""
REVOKE = """mutation($input: PermissionGrantInput!) {
  revokePermission(input: $input) { errors { field code message } }
}"""
EDITORS_MANAGE = {"role": "commune_editor", "permission": "surveys:manage"}
TYPES = ["survey.created", "survey.updated"]


async def editors_manage(gals: Any, caller: Any, *, granted: bool = True) -> None:
    """Commune editors hold surveys:manage wherever they reach (granted by ``caller``), or no
    longer do (revoked)."""
    document, payload = (GRANT, "grantPermission") if granted else (REVOKE, "revokePermission")
    body = await gals.gql(caller, document, {"input": EDITORS_MANAGE})
    assert gals.errors(body, payload) == []


async def retitled(gals: Any, caller: Any, survey: dict[str, Any]) -> list[str]:
    """The error codes of ``caller`` giving ``survey`` (as created) another title."""
    change = {"id": survey["id"], "version": survey["version"], "title": {"fr": caller.subject}}
    return codes(gals, await gals.gql(caller, UPDATE, {"input": change}), "updateSurvey")


async def test_a_commune_editor_who_manages_surveys_learns_of_them(one_gal: Any) -> None:
    """On an installation of one GAL, a commune editor granted surveys:manage runs every
    survey (they belong to no commune), and learns of them in the change feed."""
    admin, editor = one_gal.admin(), one_gal.editor(one_gal.a)
    await editors_manage(one_gal, admin)
    survey = await created(one_gal, admin)
    assert await retitled(one_gal, editor, survey) == []
    assert survey["id"] in await one_gal.changes(editor, TYPES)
    # Without the permission, a commune editor learns nothing of them.
    await editors_manage(one_gal, admin, granted=False)
    assert survey["id"] not in await one_gal.changes(editor, TYPES)


async def test_only_the_gal_s_commune_editors_who_manage_surveys_learn_of_its_surveys(
    two_gals: Any,
) -> None:
    a, b = two_gals.a, two_gals.b
    await editors_manage(two_gals, two_gals.operator)
    survey = await created(two_gals, two_gals.admin(a))
    editor_a, editor_b = two_gals.editor(a), two_gals.editor(b)
    assert await retitled(two_gals, editor_b, survey) == ["NOT_FOUND"]
    assert await retitled(two_gals, editor_a, survey) == []
    assert survey["id"] in await two_gals.changes(editor_a, TYPES)
    assert survey["id"] not in await two_gals.changes(editor_b, TYPES)
    assert survey["id"] not in await two_gals.changes(two_gals.admin(b), TYPES)
