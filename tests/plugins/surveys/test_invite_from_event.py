"""Inviting the people an object of another plugin gathers (``inviteToSurvey(from: ...)``,
hook ``bocage_recipient_sources``): a workshops event's registrants holding a seat, e-mailed
their personal link like invited contacts, and never shown to the survey manager."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import func, select

from bocage.core.testing import Principals
from bocage.plugins.surveys import models as sm

INVITE = """
mutation($input: InviteToSurveyInput!) {
  inviteToSurvey(input: $input) {
    invitations { token stakeholder contact emailed } errors { field code message }
  }
}"""
CREATE_EVENT = """
mutation($input: CreateWorkshopsEventInput!) {
  createWorkshopsEvent(input: $input) { event { id version } errors { field code message } }
}"""
PUBLISH_EVENT = """
mutation($input: WorkshopsEventVersionInput!) {
  publishWorkshopsEvent(input: $input) { errors { field code message } }
}"""
REGISTER = """
mutation($input: RegisterForWorkshopsEventInput!) {
  registerForWorkshopsEvent(input: $input) {
    registration { status } cancelToken errors { field code message }
  }
}"""
CANCEL = """
mutation($input: CancelWorkshopsRegistrationInput!) {
  cancelWorkshopsRegistration(input: $input) { errors { field code message } }
}"""

principals = Principals()
HANNUT = "64034"


def _gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _event_in(run: Any, admin: Any, nis_code: str) -> str:
    """A published event in the commune ``nis_code``, with room for everyone."""
    commune = await run("query($n: String!) { commune(nisCode: $n) { id } }", {"n": nis_code})
    created = await run(
        CREATE_EVENT,
        {
            "input": {
                "kind": "TRAINING",
                "title": {"fr": "Formation"},
                "startsAt": "2099-03-28T09:00:00",
                "endsAt": "2099-03-28T12:00:00",
                "commune": commune["data"]["commune"]["id"],
                "capacity": 10,
            }
        },
        principal=admin,
    )
    event = created["data"]["createWorkshopsEvent"]
    assert event["errors"] == [], event
    published = await run(
        PUBLISH_EVENT,
        {"input": {"id": event["event"]["id"], "version": event["event"]["version"]}},
        principal=admin,
    )
    assert published["data"]["publishWorkshopsEvent"]["errors"] == []
    return str(event["event"]["id"])


async def _register(run: Any, event: str, name: str, email: str, language: str = "FR") -> str:
    body = await run(
        REGISTER,
        {"input": {"event": event, "name": name, "email": email, "language": language}},
    )
    payload = body["data"]["registerForWorkshopsEvent"]
    assert payload["errors"] == [] and payload["registration"]["status"] == "CONFIRMED", payload
    return str(payload["cancelToken"])


async def _invitations(world: Any) -> int:
    async with world.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(sm.Invitation)) or 0)


async def test_an_events_registrants_are_invited_by_email_and_never_shown(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=False, public=False)
    event = await _event_in(run, sv.ADMIN, HANNUT)
    await _register(run, event, "Ann", "ann@example.org")
    await _register(run, event, "Bert", "bert@example.org", language="NL")
    gone = await _register(run, event, "Cleo", "cleo@example.org")
    cancelled = await run(CANCEL, {"input": {"token": gone}})
    assert cancelled["data"]["cancelWorkshopsRegistration"]["errors"] == []
    await sv.drain()
    before = len(sink.envelopes)  # the registrations' own e-mails
    invitations_before = await _invitations(world)

    # An organiser of another commune may not read this event's registrants: refused, and
    # nothing is written or sent.
    communes = await run("{ communes(first: 5) { edges { node { nisCode } } } }")
    elsewhere = next(
        edge["node"]["nisCode"]
        for edge in communes["data"]["communes"]["edges"]
        if edge["node"]["nisCode"] != HANNUT
    )
    other_organiser = principals.integrator(
        "surveys:manage", "workshops:organise", communes=[elsewhere], client_id="elsewhere"
    )
    refused = await run(
        INVITE, {"input": {"survey": survey["id"], "from": event}}, principal=other_organiser
    )
    assert refused["data"]["inviteToSurvey"]["invitations"] == []
    [error] = refused["data"]["inviteToSurvey"]["errors"]
    assert (error["field"], error["code"]) == ("from", "FORBIDDEN"), error
    assert "workshops:organise" in error["message"]
    # A survey manager who organises nothing is refused too.
    manager = principals.integrator("surveys:manage", client_id="manager")
    refused = await run(
        INVITE, {"input": {"survey": survey["id"], "from": event}}, principal=manager
    )
    [error] = refused["data"]["inviteToSurvey"]["errors"]
    assert (error["field"], error["code"]) == ("from", "FORBIDDEN"), error
    # An ID of a type no plugin declares people for.
    unknown = await run(
        INVITE,
        {"input": {"survey": survey["id"], "from": _gid("Contact", 1)}},
        principal=sv.ADMIN,
    )
    [error] = unknown["data"]["inviteToSurvey"]["errors"]
    assert (error["field"], error["code"]) == ("from", "INVALID"), error
    assert "WorkshopsEvent" in error["message"]
    # An event that does not exist.
    missing = await run(
        INVITE,
        {"input": {"survey": survey["id"], "from": _gid("WorkshopsEvent", 999999)}},
        principal=sv.ADMIN,
    )
    [error] = missing["data"]["inviteToSurvey"]["errors"]
    assert (error["field"], error["code"]) == ("from", "NOT_FOUND"), error
    await sv.drain()
    assert len(sink.envelopes) == before
    assert await _invitations(world) == invitations_before

    # An organiser of the event's commune (here an administrator) invites its registrants
    # holding a seat: Ann and Bert, not Cleo, who cancelled.
    invited = await run(
        INVITE, {"input": {"survey": survey["id"], "from": event}}, principal=sv.ADMIN
    )
    payload = invited["data"]["inviteToSurvey"]
    assert payload["errors"] == []
    assert len(payload["invitations"]) == 2
    assert all(i["emailed"] and i["contact"] is None for i in payload["invitations"])
    assert "@example.org" not in json.dumps(invited)  # no address is ever returned
    assert await _invitations(world) == invitations_before + 2
    await sv.drain()
    messages = {m["To"]: m for m in sink.messages()[before:]}
    assert set(messages) == {"ann@example.org", "bert@example.org"}
    assert messages["ann@example.org"]["Subject"].startswith("Votre avis compte : ")
    assert messages["bert@example.org"]["Subject"].startswith("Uw mening telt: ")
    # Each personal link is one of the returned tokens (the survey is not anonymous) and
    # answers the survey.
    tokens = {i["token"] for i in payload["invitations"]}
    body = str(messages["ann@example.org"].get_body(("plain",)).get_content())
    [token] = [t for t in tokens if f"token={t}" in body]
    answered = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
    assert answered["data"]["submitSurveyResponse"] == {"submitted": True, "errors": []}


async def test_addresses_are_invited_once_and_sealed_when_anonymous(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=True, public=False)
    contact = sm.Base.metadata.tables["contact"]
    stakeholder = sm.Base.metadata.tables["stakeholder"]
    async with world.sessionmaker() as session:
        ann, ann_mail = (
            await session.execute(
                select(contact.c.id, contact.c.email)
                .join(stakeholder, stakeholder.c.id == contact.c.stakeholder_id)
                .where(stakeholder.c.kind == "association", contact.c.email.is_not(None))
                .order_by(contact.c.id)
                .limit(1)
            )
        ).one()
    event = await _event_in(run, sv.ADMIN, HANNUT)
    await _register(run, event, "Ann", ann_mail.upper())  # the contact, registered too
    await _register(run, event, "Dirk", "dirk@example.org")
    await sv.drain()
    before = len(sink.envelopes)

    # Without sendEmail the registrants could not be reached (their addresses stay hidden).
    silent = await run(
        INVITE,
        {"input": {"survey": survey["id"], "from": event, "sendEmail": False}},
        principal=sv.ADMIN,
    )
    [error] = silent["data"]["inviteToSurvey"]["errors"]
    assert (error["field"], error["code"]) == ("sendEmail", "INVALID"), error

    invited = await run(
        INVITE,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", ann)], "from": event}},
        principal=sv.ADMIN,
    )
    payload = invited["data"]["inviteToSurvey"]
    assert payload["errors"] == []
    # Ann once (as the contact), Dirk; both links sealed: the manager holds neither.
    assert [(i["contact"], i["token"], i["emailed"]) for i in payload["invitations"]] == [
        (_gid("Contact", ann), None, True),
        (None, None, True),
    ]
    await sv.drain()
    sent = [m["To"].lower() for m in sink.messages()[before:]]
    assert sorted(sent) == sorted([ann_mail.lower(), "dirk@example.org"])


CARD_WORKSHOP = """
mutation($input: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $input) { workshop { id } errors { field code message } }
}"""
JOIN = """
mutation($input: JoinWorkshopsCardWorkshopInput!) {
  joinWorkshopsCardWorkshop(input: $input) { errors { field code message } }
}"""
PAPER = """
mutation($input: AddWorkshopsParticipantsInput!) {
  addWorkshopsParticipants(input: $input) { errors { field code message } }
}"""
INVITE_COUNTED = """
mutation($input: InviteToSurveyInput!) {
  inviteToSurvey(input: $input) {
    invitations { token stakeholder contact emailed } skipped errors { field code message }
  }
}"""


async def _card_workshop(run: Any, admin: Any, event: str | None) -> str:
    created = await run(
        CARD_WORKSHOP,
        {"input": {"title": {"fr": "Défis du territoire"}, "event": event}},
        principal=admin,
    )
    payload = created["data"]["createWorkshopsCardWorkshop"]
    assert payload["errors"] == [], payload
    return str(payload["workshop"]["id"])


async def test_a_workshops_participants_are_invited_and_those_without_address_counted(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    """A challenge-card workshop's participants are known by their account: each is reached
    at the address of their seat at the workshop's event (registered signed in). Paper
    participants, people who did not register, or registered elsewhere, are counted as
    skipped, never named."""
    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=False, public=False)
    event = await _event_in(run, sv.ADMIN, HANNUT)
    other_event = await _event_in(run, sv.ADMIN, HANNUT)
    workshop = await _card_workshop(run, sv.ADMIN, event)
    people = {name: principals.person(f"subject-{name}") for name in ("ann", "bob", "cat", "dan")}
    # Ann and Bob registered for the event signed in (Bob in Dutch); Cat registered for
    # another event only; Dan did not register; two paper participants have no account.
    for name, language in (("ann", "FR"), ("bob", "NL")):
        body = await run(
            REGISTER,
            {"input": {"event": event, "email": f"{name}@example.org", "language": language}},
            principal=people[name],
        )
        assert body["data"]["registerForWorkshopsEvent"]["errors"] == [], body
    body = await run(
        REGISTER,
        {"input": {"event": other_event, "email": "cat@example.org"}},
        principal=people["cat"],
    )
    assert body["data"]["registerForWorkshopsEvent"]["errors"] == [], body
    for name, who in people.items():
        joined = await run(
            JOIN, {"input": {"workshop": workshop, "alias": name.title()}}, principal=who
        )
        assert joined["data"]["joinWorkshopsCardWorkshop"]["errors"] == [], joined
    paper = await run(
        PAPER,
        {"input": {"workshop": workshop, "participants": [{"alias": "Eve"}, {"alias": "Fay"}]}},
        principal=sv.ADMIN,
    )
    assert paper["data"]["addWorkshopsParticipants"]["errors"] == [], paper
    await sv.drain()
    before = len(sink.envelopes)
    invitations_before = await _invitations(world)

    # Participants are personal data: an organiser of another commune, a participant, a
    # survey manager who organises nothing are refused, and nothing is written or sent.
    communes = await run("{ communes(first: 5) { edges { node { nisCode } } } }")
    elsewhere = next(
        edge["node"]["nisCode"]
        for edge in communes["data"]["communes"]["edges"]
        if edge["node"]["nisCode"] != HANNUT
    )
    refused_callers = [
        principals.integrator(
            "surveys:manage", "workshops:organise", communes=[elsewhere], client_id="elsewhere"
        ),
        principals.integrator("surveys:manage", client_id="manager"),
    ]
    for caller in refused_callers:
        refused = await run(
            INVITE_COUNTED, {"input": {"survey": survey["id"], "from": workshop}}, principal=caller
        )
        payload = refused["data"]["inviteToSurvey"]
        assert (payload["invitations"], payload["skipped"]) == ([], 0)
        [error] = payload["errors"]
        assert (error["field"], error["code"]) == ("from", "FORBIDDEN"), error
        assert "Ann" not in json.dumps(refused) and "@" not in json.dumps(refused)
    refused = await run(
        INVITE_COUNTED,
        {"input": {"survey": survey["id"], "from": workshop}},
        principal=people["ann"],
    )
    assert refused["data"]["inviteToSurvey"]["errors"][0]["code"] == "FORBIDDEN", refused
    missing = await run(
        INVITE_COUNTED,
        {"input": {"survey": survey["id"], "from": _gid("WorkshopsCardWorkshop", 999999)}},
        principal=sv.ADMIN,
    )
    [error] = missing["data"]["inviteToSurvey"]["errors"]
    assert (error["field"], error["code"]) == ("from", "NOT_FOUND"), error
    await sv.drain()
    assert len(sink.envelopes) == before
    assert await _invitations(world) == invitations_before

    # An organiser of the event's commune: Ann and Bob e-mailed in their language, the four
    # others counted.
    invited = await run(
        INVITE_COUNTED, {"input": {"survey": survey["id"], "from": workshop}}, principal=sv.ADMIN
    )
    payload = invited["data"]["inviteToSurvey"]
    assert payload["errors"] == [], payload
    assert payload["skipped"] == 4
    assert [i["emailed"] for i in payload["invitations"]] == [True, True]
    text = json.dumps(invited)
    assert "@example.org" not in text and "subject-" not in text and "Eve" not in text
    assert await _invitations(world) == invitations_before + 2
    await sv.drain()
    messages = {m["To"]: m for m in sink.messages()[before:]}
    assert set(messages) == {"ann@example.org", "bob@example.org"}
    assert messages["bob@example.org"]["Subject"].startswith("Uw mening telt: ")


async def test_a_workshop_without_event_is_for_organisers_of_every_commune(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    """Its participants have no seat to take an address from: all skipped (an INVALID that
    says how many), and only an organiser of every commune may ask."""
    world.settings = world.settings.model_copy(update=bocage_smtp.settings)
    survey = await sv.create(anonymous=False, public=False)
    workshop = await _card_workshop(run, sv.ADMIN, None)
    joined = await run(
        JOIN, {"input": {"workshop": workshop, "alias": "Gil"}}, principal=principals.person("gil")
    )
    assert joined["data"]["joinWorkshopsCardWorkshop"]["errors"] == [], joined
    hannut_organiser = principals.integrator(
        "surveys:manage", "workshops:organise", communes=[HANNUT], client_id="hannut"
    )
    refused = await run(
        INVITE_COUNTED,
        {"input": {"survey": survey["id"], "from": workshop}},
        principal=hannut_organiser,
    )
    [error] = refused["data"]["inviteToSurvey"]["errors"]
    assert (error["field"], error["code"]) == ("from", "FORBIDDEN"), error
    nobody = await run(
        INVITE_COUNTED, {"input": {"survey": survey["id"], "from": workshop}}, principal=sv.ADMIN
    )
    [error] = nobody["data"]["inviteToSurvey"]["errors"]
    assert (error["field"], error["code"]) == ("from", "INVALID"), error
    assert "1 without an e-mail address" in error["message"]
