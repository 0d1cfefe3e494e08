"""A person's surveys data (hook ``bocage_personal_data``): the invitations sent to their
contact address, their drafts and their attributed answers are exported and erased; an
anonymous answer never is (nothing links it to them). The audit trail names surveys as
GraphQL does."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select

from bocage.plugins.surveys import models as sm

EXPORT = """query($email: String, $subject: String) {
  exportPersonData(email: $email, subject: $subject) { plugins } }"""
ERASE = """mutation($input: ErasePersonInput!) {
  erasePerson(input: $input) { erasedContacts erasedRecords errors { code field message } } }"""
CREATE_CONTACT = """mutation($input: CreateContactInput!) { createContact(input: $input) {
  contact { id } errors { code message } } }"""
TRAIL = """query($id: ID) { auditTrail(object: $id) { edges { node {
  action objectType objectId changes } } } }"""


def key(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


async def _rita(run: Any, sv: Any) -> str:
    stakeholder = (await run("{ stakeholders(first: 1) { edges { node { id } } } }"))["data"][
        "stakeholders"
    ]["edges"][0]["node"]["id"]
    created = (
        await run(
            CREATE_CONTACT,
            {
                "input": {
                    "stakeholder": stakeholder,
                    "givenName": "Rita",
                    "familyName": "Lambert",
                    "email": "rita.lambert@example.org",
                }
            },
            principal=sv.ADMIN,
        )
    )["data"]["createContact"]
    assert created["errors"] == []
    contact: str = created["contact"]["id"]
    return contact


async def _invite(run: Any, sv: Any, survey: dict[str, Any], contact: str) -> str:
    invited = (
        await run(
            sv.INVITE,
            {
                "input": {
                    "survey": survey["id"],
                    "contacts": [contact],
                    "sendEmail": False,
                    "outsideAudience": True,
                }
            },
            principal=sv.ADMIN,
        )
    )["data"]["inviteToSurvey"]
    assert invited["errors"] == [], invited
    token: str = invited["invitations"][0]["token"]
    return token


async def _ritas_surveys(run: Any, sv: Any) -> dict[str, Any]:
    """Rita answers an attributed survey, keeps a draft of an anonymous one and answers
    another anonymous one."""
    contact = await _rita(run, sv)
    attributed = await sv.create(anonymous=False, public=False)
    drafted = await sv.create()
    answered = await sv.create()
    token = await _invite(run, sv, attributed, contact)
    submitted = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
    assert submitted["data"]["submitSurveyResponse"]["errors"] == [], submitted
    token = await _invite(run, sv, drafted, contact)
    saved = await run(
        sv.SAVE, {"input": {"token": token, "answers": [{"question": "members", "number": 7}]}}
    )
    assert saved["data"]["saveSurveyDraft"]["errors"] == [], saved
    token = await _invite(run, sv, answered, contact)
    secret = [*sv.VALID[:2], {"question": "members", "number": 4242}, *sv.VALID[3:]]
    anonymous = await run(sv.SUBMIT, {"input": {"token": token, "answers": secret}})
    assert anonymous["data"]["submitSurveyResponse"]["errors"] == [], anonymous
    await sv.settle()
    return {"attributed": attributed, "drafted": drafted, "answered": answered}


async def test_invitations_drafts_and_attributed_answers_never_anonymous_ones(
    run: Any, sv: Any
) -> None:
    surveys = await _ritas_surveys(run, sv)
    body = await run(EXPORT, {"email": "Rita.Lambert@example.org"}, principal=sv.ADMIN)
    assert "errors" not in body, body
    records = body["data"]["exportPersonData"]["plugins"]["surveys.invitations"]
    by_survey = {r["survey"]: r for r in records}
    assert set(by_survey) == {s["id"] for s in surveys.values()}
    attributed = by_survey[surveys["attributed"]["id"]]
    assert attributed["anonymous"] is False and attributed["submitted"] is True
    assert {a["question"]: a for a in attributed["answers"]}["members"]["number"] == 42
    drafted = by_survey[surveys["drafted"]["id"]]
    assert drafted["submitted"] is False
    assert [(a["question"], a["number"]) for a in drafted["draft"]] == [("members", 7)]
    answered = by_survey[surveys["answered"]["id"]]
    assert answered["anonymous"] is True and answered["submitted"] is True
    assert answered["answers"] == [] and "4242" not in str(records)
    # Nothing of it is tied to an account.
    by_account = await run(EXPORT, {"subject": "rita-account"}, principal=sv.ADMIN)
    assert by_account["data"]["exportPersonData"]["plugins"]["surveys.invitations"] == []


async def test_erasure_unlinks_the_answers_and_drops_the_drafts(
    run: Any, sv: Any, world: Any
) -> None:
    surveys = await _ritas_surveys(run, sv)
    async with world.sessionmaker() as session:
        responses = await session.execute(
            select(sm.Response.id).where(sm.Response.survey_id == key(surveys["answered"]["id"]))
        )
        anonymous_before = set(responses.scalars())
    erased = (
        await run(ERASE, {"input": {"email": "rita.lambert@example.org"}}, principal=sv.ADMIN)
    )["data"]["erasePerson"]
    assert erased["errors"] == [] and erased["erasedContacts"] == 1
    assert erased["erasedRecords"]["surveys.invitations"] == 3
    async with world.sessionmaker() as session:
        invitations = (
            (
                await session.execute(
                    select(sm.Invitation).where(
                        sm.Invitation.survey_id.in_([key(s["id"]) for s in surveys.values()])
                    )
                )
            )
            .scalars()
            .all()
        )
        assert [(i.contact_id, i.draft_answers) for i in invitations] == [(None, None)] * 3
        attributions = (
            (
                await session.execute(
                    select(sm.Attribution).where(
                        sm.Attribution.invitation_id.in_([i.id for i in invitations])
                    )
                )
            )
            .scalars()
            .all()
        )
        assert attributions == []
        responses = await session.execute(
            select(sm.Response.id).where(sm.Response.survey_id == key(surveys["answered"]["id"]))
        )
        assert set(responses.scalars()) == anonymous_before  # anonymous answers untouched
    again = await run(EXPORT, {"email": "rita.lambert@example.org"}, principal=sv.ADMIN)
    assert again["data"]["exportPersonData"]["plugins"]["surveys.invitations"] == []


async def test_the_audit_trail_finds_a_survey_by_its_id(run: Any, sv: Any) -> None:
    survey = await sv.create()
    trail = await run(TRAIL, {"id": survey["id"]}, principal=sv.ADMIN)
    entries = [edge["node"] for edge in trail["data"]["auditTrail"]["edges"]]
    assert [e["action"] for e in entries] == ["opened", "created"]
    assert {(e["objectType"], e["objectId"]) for e in entries} == {("Survey", survey["id"])}
    # Opening flushed before the change was read: the change is recorded all the same.
    assert entries[0]["changes"]["status"] == {"before": "draft", "after": "open"}
