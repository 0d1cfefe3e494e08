"""Regression tests of races and edge dates found in review: each forces the interleaving
(by wrapping a function the code under test calls) and asserts the fixed behaviour."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sqlalchemy import select

from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import reminders as reminding
from bocage.plugins.surveys import store

UPDATE = """
mutation($input: UpdateSurveyInput!) {
  updateSurvey(input: $input) {
    survey { id version closesOn status } errors { field code message }
  }
}"""
RESULTS = "query($id: ID!) { surveyResults(id: $id) { respondents pending } }"
STATUS = "query($id: ID!) { survey(id: $id) { status } }"
INVITE = """mutation($input: InviteToSurveyInput!) { inviteToSurvey(input: $input) {
    invitations { token contact emailed } errors { field code message } } }"""
REMIND = """mutation($input: RemindSurveyInviteesInput!) { remindSurveyInvitees(input: $input) {
    reminded skipped errors { field code message } } }"""


def _gid(kind: str, key: int) -> str:
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


async def _token(run: Any, sv: Any, survey: dict[str, Any]) -> str:
    out = await run(sv.INVITE, {"input": {"survey": survey["id"], "count": 1}}, principal=sv.ADMIN)
    return str(out["data"]["inviteToSurvey"]["invitations"][0]["token"])


async def _invitation(world: Any, survey: dict[str, Any]) -> sm.Invitation:
    key = int(base64.b64decode(survey["id"]).decode().split(":")[1])
    async with world.sessionmaker() as session:
        return (
            (
                await session.execute(
                    select(sm.Invitation)
                    .where(sm.Invitation.survey_id == key)
                    .order_by(sm.Invitation.id.desc())
                )
            )
            .scalars()
            .first()
        )


async def _a_contact(world: Any) -> int:
    contact = sm.Base.metadata.tables["contact"]
    stakeholder = sm.Base.metadata.tables["stakeholder"]
    async with world.sessionmaker() as session:
        return int(
            (
                await session.execute(
                    select(contact.c.id)
                    .join(stakeholder, stakeholder.c.id == contact.c.stakeholder_id)
                    .where(stakeholder.c.kind == "association", contact.c.email.is_not(None))
                    .order_by(contact.c.id)
                    .limit(1)
                )
            ).scalar_one()
        )


async def test_a_draft_saved_while_the_same_token_submits_is_refused(
    run: Any, sv: Any, world: Any, monkeypatch: Any
) -> None:
    survey = await sv.create()
    token = await _token(run, sv, survey)
    original = store.lock_survey
    armed = [True]

    async def racing(session: Any, survey_id: int) -> None:
        if armed.pop() if armed else False:
            # The draft has read the invitation (not submitted yet); the submission lands now.
            out = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
            assert out["data"]["submitSurveyResponse"]["submitted"], out
        await original(session, survey_id)

    monkeypatch.setattr(store, "lock_survey", racing)
    draft = await run(sv.SAVE, {"input": {"token": token, "answers": sv.VALID}})
    errors = draft["data"]["saveSurveyDraft"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", "token")]
    invitation = await _invitation(world, survey)
    assert invitation.submitted and invitation.draft_answers is None


async def test_a_submission_racing_the_close_is_refused_not_stranded_in_the_pool(
    run: Any, sv: Any, world: Any, monkeypatch: Any
) -> None:
    survey = await sv.create()
    token = await _token(run, sv, survey)
    original = store.lock_survey
    armed = [True]

    async def racing(session: Any, survey_id: int) -> None:
        if armed.pop() if armed else False:
            # The submission has read the survey, open; the close commits before its lock.
            out = await run(
                sv.CLOSE,
                {"input": {"id": survey["id"], "version": survey["version"]}},
                principal=sv.ADMIN,
            )
            assert out["data"]["closeSurvey"]["errors"] == [], out
        await original(session, survey_id)

    monkeypatch.setattr(store, "lock_survey", racing)
    out = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
    payload = out["data"]["submitSurveyResponse"]
    assert not payload["submitted"]
    assert "pas ouverte aux réponses : elle est closed" in payload["errors"][0]["message"]
    async with world.sessionmaker() as session:
        assert (await session.execute(select(sm.PendingResponse))).scalars().all() == []
    assert not (await _invitation(world, survey)).submitted


QUOTA_QUESTIONS = [
    {
        "key": "commune",
        "type": "SINGLE_CHOICE",
        "title": {"fr": "Commune"},
        "required": True,
        "segment": "COMMUNE",
        "options": [
            {"value": "64034", "label": {"fr": "A"}},
            {"value": "64047", "label": {"fr": "B"}},
        ],
    },
]
QUOTAS = "query($id: ID!) { survey(id: $id) { quotas { value filled full } } }"


async def test_an_anonymous_quota_fills_by_batches_never_by_one_response(run: Any, sv: Any) -> None:
    """Only responses out of the holding pool count against an anonymous survey's quota:
    a quota turning full on one response (or refusing a probe) would tell its segment. It
    may be overrun by the responses waiting when a batch fills it (documented)."""
    created = await run(
        sv.CREATE,
        {
            "input": {
                "title": {"fr": "Q"},
                "anonymous": True,
                "questions": QUOTA_QUESTIONS,
                "quotas": [
                    {"segment": "COMMUNE", "value": "64034", "limit": 50},
                    {"segment": "COMMUNE", "value": "64047", "limit": 1},
                ],
            }
        },
        principal=sv.ADMIN,
    )
    survey = created["data"]["createSurvey"]["survey"]
    await run(
        sv.OPEN, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    token = await _token(run, sv, survey)
    before = await run(QUOTAS, {"id": survey["id"]}, principal=sv.ADMIN)
    answer = [{"question": "commune", "choices": ["64047"]}]
    out = await run(sv.SUBMIT, {"input": {"token": token, "answers": answer}})
    assert out["data"]["submitSurveyResponse"]["submitted"]
    after = await run(QUOTAS, {"id": survey["id"]}, principal=sv.ADMIN)
    quotas = after["data"]["survey"]["quotas"]
    assert [q["filled"] for q in quotas] == [
        q["filled"] for q in before["data"]["survey"]["quotas"]
    ]
    assert [q["filled"] for q in quotas] == [0, 0]
    assert [q["full"] for q in quotas] == [False, False]
    second = await run(
        sv.SUBMIT, {"input": {"token": await _token(run, sv, survey), "answers": answer}}
    )
    assert second["data"]["submitSurveyResponse"]["submitted"]  # overrun while in the pool
    await sv.settle()  # moved out of the pool: now they count
    moved = await run(QUOTAS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert [(q["filled"], q["full"]) for q in moved["data"]["survey"]["quotas"]] == [
        (0, False),
        (2, True),
    ]
    third = await run(
        sv.SUBMIT, {"input": {"token": await _token(run, sv, survey), "answers": answer}}
    )
    assert "est atteint" in third["data"]["submitSurveyResponse"]["errors"][0]["message"]


async def test_a_close_job_running_before_its_time_is_rescheduled(
    run: Any, sv: Any, monkeypatch: Any
) -> None:
    survey = await sv.create()
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    out = await run(
        UPDATE,
        {"input": {"id": survey["id"], "version": survey["version"], "closesOn": str(yesterday)}},
        principal=sv.ADMIN,
    )
    assert out["data"]["updateSurvey"]["errors"] == []
    real = store.today
    calls = [yesterday]  # the first look at the clock: a second before midnight of closing day

    monkeypatch.setattr(store, "today", lambda: calls.pop() if calls else real())
    await sv.drain()
    jobs = await sv.jobs("surveys.close_due")
    assert [j.status for j in jobs] == ["succeeded", "queued"]  # tried again, not given up
    assert jobs[1].payload == jobs[0].payload
    open_still = await run(STATUS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert open_still["data"]["survey"]["status"] == "OPEN"
    await sv.due_now("surveys.close_due")
    await sv.drain()
    jobs = await sv.jobs("surveys.close_due")
    assert [j.status for j in jobs] == ["succeeded", "succeeded"]
    status = await run(STATUS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert status["data"]["survey"]["status"] == "CLOSED"


async def test_a_closing_date_too_far_ahead_is_a_typed_error(run: Any, sv: Any) -> None:
    survey = await sv.create()
    out = await run(
        UPDATE,
        {"input": {"id": survey["id"], "version": survey["version"], "closesOn": "9999-12-31"}},
        principal=sv.ADMIN,
    )
    errors = out["data"]["updateSurvey"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("closesOn", "INVALID")]
    assert "2999-12-31" in errors[0]["message"]


async def test_a_reminder_racing_a_submission_skips_who_just_answered(
    run: Any, sv: Any, world: Any, monkeypatch: Any
) -> None:
    # Attributed: an anonymous survey's reminder counts and records whoever it names, answered
    # or not (test_anonymity.py); only the e-mail skips them, as here.
    contact = await _a_contact(world)
    survey = await sv.create(anonymous=False)
    out = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", contact)]}},
        principal=sv.ADMIN,
    )
    token = out["data"]["inviteToSurvey"]["invitations"][0]["token"]
    emails_before = len(await sv.jobs("email"))
    original = reminding.reissue
    armed = [True]

    async def racing(session: Any, invitation: sm.Invitation, token_hash: str) -> bool:
        if armed.pop() if armed else False:
            # The reminder has picked the invitee (not submitted yet); the submission lands.
            out = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
            assert out["data"]["submitSurveyResponse"]["submitted"], out
        return await original(session, invitation, token_hash)

    monkeypatch.setattr(reminding, "reissue", racing)
    reminded = await run(
        REMIND,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", contact)]}},
        principal=sv.ADMIN,
    )
    assert reminded["data"]["remindSurveyInvitees"]["reminded"] == 0
    assert len(await sv.jobs("email")) == emails_before
    invitation = await _invitation(world, survey)
    assert invitation.submitted and invitation.token_hash == store.token_hash(token)
    async with world.sessionmaker() as session:
        reminders = await session.execute(
            select(sm.Reminder).where(sm.Reminder.invitation_id == invitation.id)
        )
        assert reminders.scalars().all() == []


async def test_invitations_are_not_emailed_after_the_closing_day(
    run: Any, sv: Any, world: Any
) -> None:
    contact = await _a_contact(world)
    survey = await sv.create()
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    out = await run(
        UPDATE,
        {"input": {"id": survey["id"], "version": survey["version"], "closesOn": str(yesterday)}},
        principal=sv.ADMIN,
    )
    assert out["data"]["updateSurvey"]["errors"] == []
    emails_before = len(await sv.jobs("email"))
    out = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", contact)]}},
        principal=sv.ADMIN,
    )
    payload = out["data"]["inviteToSurvey"]
    assert payload["invitations"] == []
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("sendEmail", "INVALID")]
    assert "closing date" in payload["errors"][0]["message"]
    assert len(await sv.jobs("email")) == emails_before
