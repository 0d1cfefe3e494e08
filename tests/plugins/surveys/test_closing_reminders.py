"""Reminders before a survey closes (issue 15): opening a survey with a closing date, or moving
the date, schedules a job ``BOCAGE_SURVEYS_CLOSING_REMINDER_HOURS`` before it closes; the job
e-mails (caught by the test SMTP sink) a fresh link to each invited contact who has not
answered and was not reminded lately, as ``remindSurveyInvitees`` does."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pydantic
import pytest
from sqlalchemy import select

from bocage.core.api import JobContext
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import reminders
from bocage.plugins.surveys.settings import SurveysSettings

INVITE = """
mutation($input: InviteToSurveyInput!) {
  inviteToSurvey(input: $input) { invitations { token contact emailed } errors { code } }
}"""
UPDATE = """
mutation($input: UpdateSurveyInput!) {
  updateSurvey(input: $input) { survey { id version closesOn } errors { field code message } }
}"""
VERSION = "query($id: ID!) { survey(id: $id) { version } }"
INVITATIONS = """query($s: ID!) {
  surveyInvitations(survey: $s) { contact submitted remindedAt } }"""
JOBS = """query($kind: String) { jobs(kind: $kind, first: 20) {
  nodes { kind status runAt payload } } }"""
KIND = "surveys.remind_before_close"


@pytest.fixture
def bocage_setting_overrides(bocage_smtp: Any) -> dict[str, Any]:
    return {**bocage_smtp.settings}


def _gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _reminders(sink: Any) -> list[Any]:
    return [m for m in sink.messages() if str(m["Subject"]).startswith("Rappel : ")]


async def _contacts(world: Any, n: int) -> list[tuple[int, str]]:
    """``n`` contacts of associations (the test survey's audience) with an address."""
    contact = sm.Base.metadata.tables["contact"]
    stakeholder = sm.Base.metadata.tables["stakeholder"]
    async with world.sessionmaker() as session:
        rows = await session.execute(
            select(contact.c.id, contact.c.email)
            .join(stakeholder, stakeholder.c.id == contact.c.stakeholder_id)
            .where(stakeholder.c.kind == "association", contact.c.email.is_not(None))
            .order_by(contact.c.id)
            .limit(n)
        )
        found = [(key, email) for key, email in rows.all()]
    assert len(found) == n
    return found


async def _closes_on(run: Any, sv: Any, survey: str, day: dt.date) -> None:
    current = await run(VERSION, {"id": survey}, principal=sv.ADMIN)
    version = current["data"]["survey"]["version"]
    moved = await run(
        UPDATE,
        {"input": {"id": survey, "version": version, "closesOn": day.isoformat()}},
        principal=sv.ADMIN,
    )
    assert moved["data"]["updateSurvey"]["errors"] == [], moved


async def _drain(drain_jobs: Any) -> None:
    """Run the due jobs, then the e-mails they enqueued (due after the first run began)."""
    await drain_jobs()
    await drain_jobs()


async def _queued(run: Any, sv: Any) -> list[dict[str, Any]]:
    jobs = await run(JOBS, {"kind": KIND}, principal=sv.ADMIN)
    return [j for j in jobs["data"]["jobs"]["nodes"] if j["status"] == "QUEUED"]


async def test_invitees_who_have_not_answered_are_reminded_before_the_survey_closes(
    run: Any, sv: Any, world: Any, bocage_smtp: Any, bocage_drain_jobs: Any
) -> None:
    survey = await sv.create(anonymous=False, public=False)
    (ann, ann_mail), (bob, bob_mail), (cid, cid_mail) = await _contacts(world, 3)
    invited = await run(
        INVITE,
        {
            "input": {
                "survey": survey["id"],
                "contacts": [_gid("Contact", key) for key in (ann, bob, cid)],
            }
        },
        principal=sv.ADMIN,
    )
    tokens = {i["contact"]: i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]}
    answered = await run(
        sv.SUBMIT, {"input": {"token": tokens[_gid("Contact", ann)], "answers": sv.VALID}}
    )
    assert answered["data"]["submitSurveyResponse"]["submitted"] is True
    await _drain(bocage_drain_jobs)
    assert _reminders(bocage_smtp) == []  # no closing date: no reminder

    # It closes at the end of the day after next (UTC): more than 48 hours away, the
    # reminder waits for its time.
    today = dt.datetime.now(dt.UTC).date()
    later = today + dt.timedelta(days=2)
    await _closes_on(run, sv, survey["id"], later)
    [job] = await _queued(run, sv)
    run_at = dt.datetime.fromisoformat(job["runAt"])
    closes = dt.datetime.combine(later + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    assert (run_at if run_at.tzinfo else run_at.replace(tzinfo=dt.UTC)) == closes - dt.timedelta(
        hours=48
    )
    await _drain(bocage_drain_jobs)
    assert _reminders(bocage_smtp) == []

    # Moved to today: within 48 hours, the reminder goes at once, to Bob and Cid, not Ann who
    # answered; the job left behind by the first date does nothing when its time comes.
    await _closes_on(run, sv, survey["id"], today)
    await _drain(bocage_drain_jobs)
    reminders = _reminders(bocage_smtp)
    assert sorted(str(m["To"]) for m in reminders) == sorted([bob_mail, cid_mail])
    state = await run(INVITATIONS, {"s": survey["id"]}, principal=sv.ADMIN)
    reminded = {i["contact"]: i["remindedAt"] for i in state["data"]["surveyInvitations"]}
    assert reminded[_gid("Contact", ann)] == []
    assert len(reminded[_gid("Contact", bob)]) == 1 and len(reminded[_gid("Contact", cid)]) == 1

    # Moving the date again schedules another run, but nobody reminded within
    # BOCAGE_SURVEYS_REMINDER_INTERVAL_HOURS is reminded twice.
    await _closes_on(run, sv, survey["id"], today + dt.timedelta(days=1))
    await _drain(bocage_drain_jobs)
    assert len(_reminders(bocage_smtp)) == 2


async def test_the_job_of_a_survey_closed_meanwhile_reminds_nobody(
    run: Any, sv: Any, world: Any, bocage_smtp: Any, bocage_drain_jobs: Any
) -> None:
    [(ann, _)] = await _contacts(world, 1)
    survey = await sv.create(anonymous=False, public=False)
    invited = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", ann)]}},
        principal=sv.ADMIN,
    )
    assert invited["data"]["inviteToSurvey"]["errors"] == []
    await _drain(bocage_drain_jobs)
    # Scheduled far ahead, then the survey is closed by hand: the job finds it closed.
    today = dt.datetime.now(dt.UTC).date()
    await _closes_on(run, sv, survey["id"], today + dt.timedelta(days=10))
    assert len(await _queued(run, sv)) == 1
    current = await run(VERSION, {"id": survey["id"]}, principal=sv.ADMIN)
    closed = await run(
        sv.CLOSE,
        {"input": {"id": survey["id"], "version": current["data"]["survey"]["version"]}},
        principal=sv.ADMIN,
    )
    assert closed["data"]["closeSurvey"]["errors"] == []
    [job] = await _queued(run, sv)
    context = JobContext(
        job_id=0,
        kind=KIND,
        attempt=1,
        max_attempts=1,
        next_attempt_at=None,
        settings=world.settings,
        host=world.host,
        sessionmaker=world.sessionmaker,
    )
    await reminders.remind_before_close(context, job["payload"])  # its time come early
    await _drain(bocage_drain_jobs)
    assert _reminders(bocage_smtp) == []


@pytest.mark.parametrize(("hours", "valid"), [(0, True), (720, True), (721, False), (-1, False)])
def test_the_closing_reminder_setting_is_bounded(hours: int, valid: bool) -> None:
    if valid:
        assert SurveysSettings(closing_reminder_hours=hours).closing_reminder_hours == hours
    else:
        with pytest.raises(pydantic.ValidationError, match="closing_reminder_hours"):
            SurveysSettings(closing_reminder_hours=hours)
