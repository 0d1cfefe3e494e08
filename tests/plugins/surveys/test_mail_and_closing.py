"""E-mailed invitations and reminders, the audience of invitations, closing at the closing
date, and the events the plugin records (what webhook subscribers receive)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import select

from bocage.core.api import JobContext
from bocage.core.models import EventRecord
from bocage.plugins.surveys import lifecycle
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys.plugin import bocage_webhook_events

REMIND = """
mutation($input: RemindSurveyInviteesInput!) {
  remindSurveyInvitees(input: $input) {
    reminded skipped nextReminderAt errors { field code message }
  }
}"""
INVITE = """
mutation($input: InviteToSurveyInput!) {
  inviteToSurvey(input: $input) {
    invitations { token stakeholder contact emailed } errors { field code message }
  }
}"""
INVITATIONS = """query($s: ID!) {
  surveyInvitations(survey: $s) { contact submitted remindedAt } }"""
UPDATE = """
mutation($input: UpdateSurveyInput!) {
  updateSurvey(input: $input) { survey { id version closesOn } errors { field code message } }
}"""
RESULTS = "query($id: ID!) { surveyResults(id: $id) { respondents pending } }"
TOKEN = re.compile(r"token=([\w-]+)")


def _gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _key(gid: str) -> int:
    return int(base64.b64decode(gid).decode().split(":")[1])


async def _contacts(world: Any, kind: str, n: int) -> list[tuple[int, str]]:
    """``n`` contacts with an address, of organisations of ``kind``."""
    contact = sm.Base.metadata.tables["contact"]
    stakeholder = sm.Base.metadata.tables["stakeholder"]
    async with world.sessionmaker() as session:
        rows = await session.execute(
            select(contact.c.id, contact.c.email)
            .join(stakeholder, stakeholder.c.id == contact.c.stakeholder_id)
            .where(stakeholder.c.kind == kind, contact.c.email.is_not(None))
            .order_by(contact.c.id)
            .limit(n)
        )
        found = [(key, email) for key, email in rows.all()]
    assert len(found) == n, f"the demo has too few {kind} contacts with an address"
    return found


def _body(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content()).replace("\r\n", "\n")


async def test_invitations_and_reminders_are_emailed_in_the_invitees_language(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=False, public=False)
    (ann, ann_mail), (bob, bob_mail), (cid, cid_mail) = await _contacts(world, "association", 3)
    [(ent, ent_mail)] = await _contacts(world, "enterprise", 1)

    english = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", ann)], "language": "EN"}},
        principal=sv.ADMIN,
    )
    [ann_invitation] = english["data"]["inviteToSurvey"]["invitations"]
    assert ann_invitation["emailed"] and ann_invitation["contact"] == _gid("Contact", ann)
    french = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", bob)]}},
        principal=sv.ADMIN,
    )
    assert french["data"]["inviteToSurvey"]["errors"] == []
    # Outside the audience (an enterprise, the survey is for associations): refused with
    # why, unless the manager says so explicitly.
    outside = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", ent)]}},
        principal=sv.ADMIN,
    )
    [error] = outside["data"]["inviteToSurvey"]["errors"]
    assert error["code"] == "INVALID" and error["field"] == "contacts"
    assert _gid("Contact", ent) in error["message"] and "'enterprise'" in error["message"]
    assert "outsideAudience: true" in error["message"] and ent_mail not in error["message"]
    forced = await run(
        INVITE,
        {
            "input": {
                "survey": survey["id"],
                "contacts": [_gid("Contact", ent)],
                "outsideAudience": True,
                "language": "DE",
            }
        },
        principal=sv.ADMIN,
    )
    assert forced["data"]["inviteToSurvey"]["invitations"][0]["emailed"]
    # A mutation that fails after the e-mail was enqueued sends nothing (rolled back).
    failed = await run(
        INVITE,
        {
            "input": {
                "survey": survey["id"],
                "contacts": [_gid("Contact", cid)],
                "stakeholders": [_gid("Stakeholder", 999999)],
            }
        },
        principal=sv.ADMIN,
    )
    assert failed["data"]["inviteToSurvey"]["errors"][0]["code"] == "NOT_FOUND"

    await sv.drain()
    messages = {m["To"]: m for m in sink.messages()}
    assert set(messages) == {ann_mail, bob_mail, ent_mail}  # one each, none to the rolled back
    assert messages[ann_mail]["Subject"].startswith("Your views count: ")
    assert messages[bob_mail]["Subject"].startswith("Votre avis compte : Besoins des associations")
    assert messages[ent_mail]["Subject"].startswith("Ihre Meinung zählt: ")
    ann_token = TOKEN.search(_body(messages[ann_mail]))
    assert ann_token and ann_token.group(1) == ann_invitation["token"]
    assert "http://localhost:8000/surveys/answer?token=" in _body(messages[ann_mail])
    # The link answers the survey.
    answered = await run(sv.SUBMIT, {"input": {"token": ann_token.group(1), "answers": sv.VALID}})
    assert answered["data"]["submitSurveyResponse"] == {"submitted": True, "errors": []}

    # Reminders: to whoever has not answered (Bob, the enterprise's contact), never to Ann.
    before = len(sink.envelopes)
    reminded = await run(REMIND, {"input": {"survey": survey["id"]}}, principal=sv.ADMIN)
    assert reminded["data"]["remindSurveyInvitees"] == {
        "reminded": 2,
        "skipped": 0,
        "nextReminderAt": None,
        "errors": [],
    }
    await sv.drain()
    reminders = {m["To"]: m for m in sink.messages()[before:]}
    assert set(reminders) == {bob_mail, ent_mail}
    assert reminders[bob_mail]["Subject"].startswith("Rappel : ")
    assert reminders[ent_mail]["Subject"].startswith("Erinnerung: ")
    # Only a hash of a token is kept: a reminder carries a fresh link, the old one is void.
    fresh = TOKEN.search(_body(reminders[bob_mail]))
    assert fresh
    old = TOKEN.search(_body(messages[bob_mail]))
    assert old and old.group(1) != fresh.group(1)
    void = await run(sv.SUBMIT, {"input": {"token": old.group(1), "answers": sv.VALID}})
    assert void["data"]["submitSurveyResponse"]["errors"][0]["code"] == "NOT_FOUND"
    # Too soon for another one: refused, saying when it is allowed.
    again = await run(REMIND, {"input": {"survey": survey["id"]}}, principal=sv.ADMIN)
    [too_soon] = again["data"]["remindSurveyInvitees"]["errors"]
    assert (
        too_soon["code"] == "CONFLICT"
        and "the next reminder is allowed from" in too_soon["message"]
    )
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=72)
    assert soon.date().isoformat() in too_soon["message"]
    # Someone who answered is never reminded.
    done = await run(
        REMIND,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", ann)]}},
        principal=sv.ADMIN,
    )
    [answered_error] = done["data"]["remindSurveyInvitees"]["errors"]
    assert answered_error["field"] == "contacts" and "already answered" in answered_error["message"]
    # The record of reminders.
    listed = await run(INVITATIONS, {"s": survey["id"]}, principal=sv.ADMIN)
    by_contact = {i["contact"]: i for i in listed["data"]["surveyInvitations"]}
    assert by_contact[_gid("Contact", ann)]["remindedAt"] == []
    assert len(by_contact[_gid("Contact", bob)]["remindedAt"]) == 1
    # The fresh link answers.
    fresh_answer = await run(sv.SUBMIT, {"input": {"token": fresh.group(1), "answers": sv.VALID}})
    assert fresh_answer["data"]["submitSurveyResponse"]["submitted"]
    await sv.drain()
    assert len(sink.envelopes) == before + 2  # nothing more was sent

    # Without the manager role: refused, and no address anywhere in what comes back.
    for principal in (sv.EDITOR, None):
        extra = {} if principal is None else {"principal": principal}
        seen = [
            await run(REMIND, {"input": {"survey": survey["id"]}}, **extra),
            await run(INVITATIONS, {"s": survey["id"]}, **extra),
            await run(
                INVITE,
                {"input": {"survey": survey["id"], "contacts": [_gid("Contact", cid)]}},
                **extra,
            ),
        ]
        text = json.dumps(seen)
        assert "@" not in text, text
        assert "FORBIDDEN" in text or "UNAUTHENTICATED" in text


async def test_a_draft_survey_sends_no_email_and_says_so(run: Any, sv: Any, world: Any) -> None:
    created = await run(
        sv.CREATE,
        {"input": {"title": {"fr": "Brouillon"}, "questions": sv.QUESTIONS[:1]}},
        principal=sv.ADMIN,
    )
    survey = created["data"]["createSurvey"]["survey"]
    [(ann, _mail)] = await _contacts(world, "association", 1)
    refused = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", ann)]}},
        principal=sv.ADMIN,
    )
    [error] = refused["data"]["inviteToSurvey"]["errors"]
    assert error["field"] == "sendEmail" and "open it" in error["message"]
    quiet = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", ann)], "sendEmail": False}},
        principal=sv.ADMIN,
    )
    [invitation] = quiet["data"]["inviteToSurvey"]["invitations"]
    assert invitation["emailed"] is False and invitation["token"]
    assert await sv.jobs("email.send") == []


def _context(world: Any, kind: str) -> JobContext:
    return JobContext(
        job_id=0,
        kind=kind,
        attempt=1,
        max_attempts=1,
        next_attempt_at=None,
        settings=world.settings,
        host=world.host,
        sessionmaker=world.sessionmaker,
    )


async def _events(world: Any, survey_key: int) -> list[tuple[str, str | None, dict[str, Any]]]:
    async with world.sessionmaker() as session:
        rows = await session.execute(
            select(EventRecord.type, EventRecord.permission, EventRecord.data)
            .where(EventRecord.object_type == "Survey", EventRecord.object_id == survey_key)
            .order_by(EventRecord.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_a_survey_closes_itself_at_its_closing_date(run: Any, sv: Any, world: Any) -> None:
    today = dt.datetime.now(dt.UTC).date()
    created = await run(
        sv.CREATE,
        {
            "input": {
                "title": {"fr": "Fermeture automatique"},
                "questions": sv.QUESTIONS,
                "public": True,
                "closesOn": (today + dt.timedelta(days=10)).isoformat(),
            }
        },
        principal=sv.ADMIN,
    )
    survey = created["data"]["createSurvey"]["survey"]
    opened = await run(
        sv.OPEN, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    survey = opened["data"]["openSurvey"]["survey"]
    for _ in range(5):  # a batch of k: closing moves it
        body = await run(
            sv.SUBMIT,
            {
                "input": {
                    "publicKey": created["data"]["createSurvey"]["survey"]["publicKey"],
                    "answers": sv.VALID,
                }
            },
        )
        assert body["data"]["submitSurveyResponse"]["submitted"]
    key = _key(survey["id"])
    [first] = await sv.jobs(lifecycle.CLOSE_DUE)
    assert first.run_at == dt.datetime.combine(
        today + dt.timedelta(days=11), dt.time.min, tzinfo=dt.UTC
    )
    # The closing date moves to yesterday: answers are refused at once, before any job ran.
    moved = await run(
        UPDATE,
        {
            "input": {
                "id": survey["id"],
                "version": survey["version"],
                "closesOn": (today - dt.timedelta(days=1)).isoformat(),
            }
        },
        principal=sv.ADMIN,
    )
    assert moved["data"]["updateSurvey"]["errors"] == []
    late = await run(
        sv.SUBMIT,
        {
            "input": {
                "publicKey": created["data"]["createSurvey"]["survey"]["publicKey"],
                "answers": sv.VALID,
            }
        },
    )
    assert (
        "pas ouverte aux réponses" in late["data"]["submitSurveyResponse"]["errors"][0]["message"]
    )
    no_reminder = await run(REMIND, {"input": {"survey": survey["id"]}}, principal=sv.ADMIN)
    assert (
        "not open for answers"
        in (no_reminder["data"]["remindSurveyInvitees"]["errors"][0]["message"])
    )
    # The job scheduled for the old date is stale: it does nothing.
    await lifecycle.close_due(_context(world, lifecycle.CLOSE_DUE), first.payload)
    async with world.sessionmaker() as session:
        assert (await session.get(sm.Survey, key)).status == "open"  # type: ignore[union-attr]
    # The worker runs the one for the new date (due): closed as by hand.
    await sv.drain()
    async with world.sessionmaker() as session:
        closed = await session.get(sm.Survey, key)
        assert closed is not None and closed.status == "closed"
        cells = (
            (
                await session.execute(
                    select(sm.PublishedCell).where(sm.PublishedCell.survey_id == key)
                )
            )
            .scalars()
            .all()
        )
    jobs = await sv.jobs(lifecycle.CLOSE_DUE)
    assert [j.status for j in jobs] == ["queued", "succeeded"]  # the stale one is not due
    assert cells  # the suppressed results are published
    results = await run(RESULTS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert results["data"]["surveyResults"] == {"respondents": 5, "pending": None}
    public = await run(RESULTS, {"id": survey["id"]})
    assert "errors" not in public  # public once closed
    events = await _events(world, key)
    assert [e[0] for e in events][-2:] == ["survey.results_published", "survey.closed"]
    assert events[-1][2]["automatic"] is True
    # Idempotent: running either job again changes nothing.
    for job in jobs:
        await lifecycle.close_due(_context(world, lifecycle.CLOSE_DUE), job.payload)
    assert await _events(world, key) == events
    # A survey whose closing date has passed is not opened again without a later date.
    async with world.sessionmaker() as session:
        version = (await session.get(sm.Survey, key)).version  # type: ignore[union-attr]
    reopened = await run(
        sv.OPEN, {"input": {"id": survey["id"], "version": version}}, principal=sv.ADMIN
    )
    [error] = reopened["data"]["openSurvey"]["errors"]
    assert "has passed" in error["message"]
    later = await run(
        UPDATE,
        {
            "input": {
                "id": survey["id"],
                "version": version,
                "closesOn": (today + dt.timedelta(days=3)).isoformat(),
            }
        },
        principal=sv.ADMIN,
    )
    assert later["data"]["updateSurvey"]["errors"] == []
    wording = await run(
        UPDATE,
        {"input": {"id": survey["id"], "version": version + 1, "title": {"fr": "Autre"}}},
        principal=sv.ADMIN,
    )
    assert "cannot change but its dates" in wording["data"]["updateSurvey"]["errors"][0]["message"]
    again = await run(
        sv.OPEN, {"input": {"id": survey["id"], "version": version + 1}}, principal=sv.ADMIN
    )
    assert again["data"]["openSurvey"]["errors"] == []


async def test_every_event_is_declared_and_recorded_with_its_permission(
    run: Any, sv: Any, world: Any
) -> None:
    declared = {t.type: t.permission for t in bocage_webhook_events()}
    assert {
        "survey.created",
        "survey.opened",
        "survey.closed",
        "survey.results_published",
        "survey.invited",
        "survey.reminded",
    } <= set(declared)
    assert declared["survey.invited"] == "surveys:manage"
    assert declared["survey.closed"] is None
    survey = await sv.create(anonymous=True)
    invited = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "count": 2}}, principal=sv.ADMIN
    )
    token = invited["data"]["inviteToSurvey"]["invitations"][0]["token"]
    answers = [dict(a) for a in sv.VALID]
    answers[2] = {"question": "members", "number": 4242}
    await run(sv.SUBMIT, {"input": {"token": token, "answers": answers}})
    await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    events = await _events(world, _key(survey["id"]))
    assert [e[0] for e in events] == [
        "survey.created",
        "survey.opened",
        "survey.invited",
        "survey.results_published",
        "survey.closed",
    ]
    for kind, permission, data in events:
        assert permission == declared[kind], kind
        text = json.dumps(data)
        assert "4242" not in text and token not in text and "association" not in text, data
    # The core lists them for subscribers.
    listed = await run("{ webhookEventTypes { type permission } }", principal=sv.ADMIN)
    types = {t["type"]: t["permission"] for t in listed["data"]["webhookEventTypes"]}
    assert types["survey.results_published"] is None
    assert types["survey.reminded"] == "surveys:manage"


async def test_an_invitation_that_fails_after_its_email_was_queued_sends_nothing(
    run: Any, sv: Any, world: Any, bocage_smtp: Any, monkeypatch: Any
) -> None:
    """The e-mail is queued in the mutation's transaction: a failure after it rolls it back."""
    from bocage.plugins.surveys import mutations

    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=False, public=False)
    (ann, _a), (bob, _b) = await _contacts(world, "association", 2)
    real = mutations.survey_mail.send
    calls: list[str] = []

    async def send_then_fail(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        calls.append(kwargs["address"])
        if len(calls) == 2:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(mutations.survey_mail, "send", send_then_fail)
    failed = await run(
        INVITE,
        {
            "input": {
                "survey": survey["id"],
                "contacts": [_gid("Contact", ann), _gid("Contact", bob)],
            }
        },
        principal=sv.ADMIN,
    )
    assert failed["data"] is None and failed["errors"]  # an unexpected failure: nothing kept
    assert len(calls) == 2
    monkeypatch.setattr(mutations.survey_mail, "send", real)
    await sv.drain()
    assert sink.envelopes == []
    assert await sv.jobs("email.send") == []
    async with world.sessionmaker() as session:
        assert not (
            await session.execute(
                select(sm.Invitation).where(sm.Invitation.survey_id == _key(survey["id"]))
            )
        ).all()


async def test_invitations_by_contact_respect_the_audiences_communes(
    run: Any, sv: Any, world: Any
) -> None:
    contact = sm.Base.metadata.tables["contact"]
    link = sm.Base.metadata.tables["stakeholder_commune"]
    commune = sm.Base.metadata.tables["commune"]
    async with world.sessionmaker() as session:
        nis, organisation = (
            await session.execute(
                select(commune.c.nis_code, link.c.stakeholder_id)
                .join(link, link.c.commune_id == commune.c.id)
                .order_by(link.c.stakeholder_id)
                .limit(1)
            )
        ).one()
        inside = (
            await session.execute(
                select(contact.c.id).where(contact.c.stakeholder_id == organisation).limit(1)
            )
        ).scalar_one()
        in_commune = (
            select(link.c.stakeholder_id)
            .join(commune, commune.c.id == link.c.commune_id)
            .where(commune.c.nis_code == nis)
        )
        outside = (
            await session.execute(
                select(contact.c.id).where(contact.c.stakeholder_id.not_in(in_commune)).limit(1)
            )
        ).scalar_one()
    created = await run(
        sv.CREATE,
        {
            "input": {
                "title": {"fr": "Commune"},
                "questions": sv.QUESTIONS[:1],
                "audienceCommunes": [nis],
            }
        },
        principal=sv.ADMIN,
    )
    survey = created["data"]["createSurvey"]["survey"]

    async def invite(key: int, **extra: Any) -> dict[str, Any]:
        body = await run(
            INVITE,
            {
                "input": {
                    "survey": survey["id"],
                    "contacts": [_gid("Contact", key)],
                    "sendEmail": False,
                    **extra,
                }
            },
            principal=sv.ADMIN,
        )
        return dict(body["data"]["inviteToSurvey"])

    assert (await invite(inside))["errors"] == []
    [error] = (await invite(outside))["errors"]
    assert _gid("Contact", outside) in error["message"]
    assert f"the audience is {nis}" in error["message"]
    assert (await invite(outside, outsideAudience=True))["errors"] == []


def test_the_answer_url_must_say_where_the_token_goes() -> None:
    import pydantic
    import pytest

    from bocage.plugins.surveys.plugin import SurveysSettings

    with pytest.raises(pydantic.ValidationError, match=r"put \{token\} where"):
        SurveysSettings(answer_url="https://enquetes.gal.be/repondre")
    ok = SurveysSettings(answer_url="https://enquetes.gal.be/r/{token}")
    assert ok.answer_url.endswith("{token}")
