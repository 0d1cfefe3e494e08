"""Who reads what: free text and attributed answers are for survey managers and
administrators only; everyone else sees suppressed aggregates of closed surveys."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import column, select, table

from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role

INTEGRATOR = Principal(
    kind=PrincipalKind.CLIENT,
    subject="client-city",
    client_id="client-city",
    roles=frozenset({Role.INTEGRATOR}),
    scopes=frozenset({"projects:write"}),
)

RESPONSES = """
query($s: ID!) {
  surveyResponses(survey: $s, first: 10) {
    edges { node { id submittedOn questionsVersion stakeholder organisation { id }
      answers { question text } } }
  }
}"""
RESULTS = """
query($id: ID!) {
  surveyResults(id: $id) { respondents questions { key texts } }
}"""
INVITATIONS = "query($s: ID!) { surveyInvitations(survey: $s) { stakeholder submitted } }"
DEFINITION = "query($id: ID!) { survey(id: $id) { publicKey } }"


@pytest.fixture
async def answered(run: Any, sv: Any, world: Any) -> dict[str, Any]:
    """A closed attributed survey: 6 organisations answered, one free text among them."""
    stakeholder = table("stakeholder", column("id"))
    async with world.sessionmaker() as session:
        keys = (await session.execute(select(stakeholder.c.id).limit(6))).scalars().all()
    survey = await sv.create(anonymous=False, public=False)  # by invitation only
    ids = [base64.b64encode(f"Stakeholder:{k}".encode()).decode() for k in keys]
    invited = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "stakeholders": ids}}, principal=sv.ADMIN
    )
    for index, invitation in enumerate(invited["data"]["inviteToSurvey"]["invitations"]):
        answers = [dict(a) for a in sv.VALID]
        if index == 0:  # no website: says why, in free text
            answers[1] = {"question": "channels", "choices": ["facebook"]}
            answers.append({"question": "website_wish", "text": "Jean Dupont s'en occupe"})
        body = await run(sv.SUBMIT, {"input": {"token": invitation["token"], "answers": answers}})
        assert body["data"]["submitSurveyResponse"]["submitted"], body
    closed = await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    assert closed["data"]["closeSurvey"]["errors"] == []
    return {"id": survey["id"], "stakeholders": set(ids)}


@pytest.mark.parametrize(
    ("who", "manager"),
    [
        ("anonymous", False),
        ("commune editor", False),
        ("integrator without surveys:manage", False),
        ("client with surveys:manage", True),
        ("territory administrator", True),
    ],
)
async def test_only_managers_read_free_text_and_attributed_answers(
    run: Any, sv: Any, answered: dict[str, Any], who: str, manager: bool
) -> None:
    principal = {
        "anonymous": ANONYMOUS,
        "commune editor": sv.EDITOR,
        "integrator without surveys:manage": INTEGRATOR,
        "client with surveys:manage": sv.MANAGER_CLIENT,
        "territory administrator": sv.ADMIN,
    }[who]
    responses = await run(RESPONSES, {"s": answered["id"]}, principal=principal)
    invitations = await run(INVITATIONS, {"s": answered["id"]}, principal=principal)
    results = await run(RESULTS, {"id": answered["id"]}, principal=principal)
    definition = await run(DEFINITION, {"id": answered["id"]}, principal=principal)
    texts = {q["key"]: q["texts"] for q in results["data"]["surveyResults"]["questions"]}
    if manager:
        edges = responses["data"]["surveyResponses"]["edges"]
        assert len(edges) == 6
        assert {e["node"]["stakeholder"] for e in edges} == answered["stakeholders"]
        assert {e["node"]["organisation"]["id"] for e in edges} == answered["stakeholders"]
        written = [
            a["text"]
            for e in edges
            for a in e["node"]["answers"]
            if a["question"] == "website_wish"
        ]
        assert written == ["Jean Dupont s'en occupe"]
        assert len(invitations["data"]["surveyInvitations"]) == 6
        assert texts["website_wish"] == ["Jean Dupont s'en occupe"]
        assert definition["data"]["survey"]["publicKey"]
    else:
        assert responses["data"] is None
        assert responses["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert invitations["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert all(value is None for value in texts.values())
        assert definition["data"]["survey"]["publicKey"] is None


async def test_the_responses_export_names_the_invited_organisations(
    answered: dict[str, Any], world: Any
) -> None:
    from bocage.plugins.surveys import models as sm
    from bocage.plugins.surveys.exports import response_table

    key = int(base64.b64decode(answered["id"]).decode().split(":")[1])
    async with world.sessionmaker() as session:
        survey = await session.get(sm.Survey, key)
        header, lines = await response_table(session, survey)
    assert header[:4] == ["response", "submitted_on", "questions_version", "stakeholder"]
    assert {line[3] for line in lines} == answered["stakeholders"]
    wishes = [line[header.index("website_wish")] for line in lines]
    assert sorted(w for w in wishes if w) == ["Jean Dupont s'en occupe"]
