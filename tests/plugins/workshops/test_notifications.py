"""E-mails to registrants, through GraphQL and the job worker, to a local SMTP sink: the
confirmation (or the waiting list), promotions in order, the cancellation, an organiser's
changes and cancellation; one message per person, in their language, nothing on rollback."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import icalendar
import pytest

from bocage.core.api import Code, Invalid
from bocage.core.auth.principal import ANONYMOUS, Principal
from bocage.core.db import create_engine, sessionmaker
from bocage.core.host import PluginHost
from bocage.plugins.workshops import notify

BASE = "https://api.gal-condroz.be"
CANCEL_PAGE = "https://www.gal-condroz.be/ateliers/annuler?t={token}"


@pytest.fixture
async def mail(
    databases: Any, small_demo_url: str, make_settings: Any, bocage_smtp: Any, monkeypatch: Any
) -> AsyncIterator[Any]:
    """A demo world whose e-mails go to the SMTP sink, GraphQL on it, and a worker to start."""
    from bocage.core.graphql.context import Context
    from bocage.core.graphql.schema import build_schema

    sink = bocage_smtp
    monkeypatch.setenv("BOCAGE_WORKSHOPS_BASE_URL", BASE)
    monkeypatch.setenv("BOCAGE_WORKSHOPS_CANCEL_URL", CANCEL_PAGE)
    settings = make_settings(
        await databases.clone(small_demo_url),
        jobs_poll_interval=0.05,
        jobs_concurrency=1,  # one e-mail at a time: the sink sees them in order
        **sink.settings,
    )
    host = PluginHost(settings)
    engine = create_engine(settings)
    schema = build_schema(host)
    factory = sessionmaker(engine)

    async def run(
        query: str, variables: dict[str, Any] | None = None, *, principal: Principal = ANONYMOUS
    ) -> dict[str, Any]:
        context = Context(
            settings=settings, host=host, sessionmaker=factory, language="fr", principal=principal
        )
        try:
            result = await schema.execute(query, variable_values=variables, context_value=context)
        finally:
            await context.close()
        assert not result.errors, result.errors
        assert result.data is not None
        return result.data

    @contextlib.asynccontextmanager
    async def worker() -> AsyncIterator[None]:
        from bocage.core.jobs.worker import Worker

        running = Worker(settings, host, engine)
        task = asyncio.create_task(running.run())
        try:
            yield
        finally:
            running.stop()
            await asyncio.wait_for(task, 20)

    async def delivered(count: int) -> list[Any]:
        """Start a worker until the sink holds ``count`` messages; then no more come."""
        async with worker():
            for _ in range(400):
                if len(sink.envelopes) >= count:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
        assert len(sink.envelopes) == count, [m["Subject"] for m in sink.messages()]
        for envelope in sink.envelopes:  # one registrant per message, never a list
            assert len(envelope.rcpt_tos) == 1
        return list(zip(sink.envelopes, sink.messages(), strict=True))

    yield SimpleNamespace(run=run, delivered=delivered, sink=sink)
    await engine.dispose()


def body(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content()).replace("\r\n", "\n")


def invitation(message: Any) -> Any:
    """The single VEVENT of the message's ``.ics`` attachment, or None when it has none."""
    files = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    if not files:
        return None
    [file] = files
    assert file.get_filename() == "event.ics"
    [vevent] = icalendar.Calendar.from_ical(file.get_content()).walk("VEVENT")
    return vevent


async def register(mail: Any, ws: Any, event: dict[str, Any], n: int, **extra: Any) -> Any:
    data = await mail.run(
        ws.REGISTER,
        {
            "input": {
                "event": event["id"],
                "name": f"Personne {n}",
                "email": f"personne{n}@example.org",
                **extra,
            }
        },
    )
    payload = data["registerForWorkshopsEvent"]
    assert payload["errors"] == [], payload
    return payload


async def publish(mail: Any, ws: Any, **overrides: Any) -> dict[str, Any]:
    created = await mail.run(
        ws.CREATE, {"input": ws.event_input(**overrides)}, principal=ws.ORGANISER
    )
    event = created["createWorkshopsEvent"]["event"]
    published = await mail.run(
        ws.PUBLISH,
        {"input": {"id": event["id"], "version": event["version"]}},
        principal=ws.ORGANISER,
    )
    return {**event, **published["publishWorkshopsEvent"]["event"]}


async def test_confirmation_and_waiting_list_mails_and_nothing_on_rollback(
    mail: Any, ws: Any, monkeypatch: Any
) -> None:
    event = await publish(mail, ws, capacity=1)
    seat = await register(mail, ws, event, 1)
    waiting = await register(mail, ws, event, 2, language="EN")
    assert waiting["registration"]["waitlistPosition"] == 1

    # Refused registrations send nothing: a duplicate, and one whose transaction fails after
    # its e-mail was enqueued.
    duplicate = await mail.run(
        ws.REGISTER,
        {"input": {"event": event["id"], "name": "X", "email": "personne1@example.org"}},
    )
    assert duplicate["registerForWorkshopsEvent"]["errors"][0]["code"] == "DUPLICATE"
    real = notify.registered

    async def then_fail(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        raise Invalid(Code.INVALID, "the database said no", "event")

    monkeypatch.setattr(notify, "registered", then_fail)
    failed = await mail.run(
        ws.REGISTER,
        {"input": {"event": event["id"], "name": "Eve", "email": "eve@example.org"}},
    )
    assert failed["registerForWorkshopsEvent"]["errors"][0]["message"] == "the database said no"
    monkeypatch.setattr(notify, "registered", real)

    (env1, confirmed), (env2, waitlisted) = await mail.delivered(2)
    assert env1.rcpt_tos == ["personne1@example.org"]
    assert confirmed["To"] == "personne1@example.org"
    assert confirmed["Subject"] == "Inscription confirmée : Formation : outils collaboratifs"
    assert confirmed["Auto-Submitted"] == "auto-generated"
    text = body(confirmed)
    assert text.startswith("Bonjour Personne 1,\n")
    assert "le 28/03/2099 de 09:00 à 12:00 (heure de Bruxelles)" in text
    assert "Où : Rue de la Station 1, Hannut" in text
    assert f"Votre code d'entrée, à montrer à l'accueil : {seat['checkInCode']}" in text
    link = re.search(r"Pour vous désinscrire : (\S+)", text)
    assert link is not None
    assert link.group(1) == CANCEL_PAGE.replace("{token}", seat["cancelToken"])
    ics = quote(event["id"], safe="")  # the ID GraphQL gives, as icalUrl has it
    assert f"{BASE}/api/workshops/events/{ics}.ics?lang=fr" in text
    assert "personne2" not in text
    # A seat comes with the event for the calendar, in Brussels time.
    vevent = invitation(confirmed)
    assert str(vevent["STATUS"]) == "CONFIRMED"
    starts = vevent.decoded("DTSTART")
    assert (starts.isoformat(), str(starts.tzinfo)) == (
        "2099-03-28T09:00:00+01:00",
        "Europe/Brussels",
    )
    assert invitation(waitlisted) is None  # no seat, nothing to put in a calendar

    assert env2.rcpt_tos == ["personne2@example.org"]
    assert waitlisted["Subject"] == "Waiting list (1): Formation : outils collaboratifs"
    text = body(waitlisted)
    assert text.startswith("Hello Personne 2,\n")
    assert "on the waiting list, at position 1" in text
    assert "on 28/03/2099 from 09:00 to 12:00 (Brussels time)" in text
    assert "check-in code" not in text  # no seat yet
    assert CANCEL_PAGE.replace("{token}", waiting["cancelToken"]) in text
    assert "lang=en" in text
    assert "personne1" not in text


async def test_promotions_go_out_in_order(mail: Any, ws: Any) -> None:
    event = await publish(mail, ws, capacity=1)
    done = [await register(mail, ws, event, n) for n in range(4)]
    cancelled = await mail.run(ws.CANCEL, {"input": {"token": done[0]["cancelToken"]}})
    assert cancelled["cancelWorkshopsRegistration"]["errors"] == []
    # Two more seats: the next two on the waiting list move up, in their order.
    seen = await mail.run(ws.REGISTRATIONS, {"id": event["id"]}, principal=ws.ORGANISER)
    assert seen["workshopsEvent"]["waitlistCount"] == 2
    version = (
        await mail.run(
            "query($id: ID!) { workshopsEvent(id: $id) { version } }", {"id": event["id"]}
        )
    )["workshopsEvent"]["version"]
    updated = await mail.run(
        ws.UPDATE,
        {"input": {"id": event["id"], "version": version, "capacity": 3}},
        principal=ws.ORGANISER,
    )
    assert updated["updateWorkshopsEvent"]["errors"] == []
    seen = await mail.run(ws.REGISTRATIONS, {"id": event["id"]}, principal=ws.ORGANISER)
    assert [r["status"] for r in seen["workshopsEvent"]["registrations"]] == [
        "CANCELLED",
        "CONFIRMED",
        "CONFIRMED",
        "CONFIRMED",
    ]

    sent = [(env.rcpt_tos[0], m["Subject"].split(" :")[0]) for env, m in await mail.delivered(8)]
    assert sent == [
        ("personne0@example.org", "Inscription confirmée"),
        ("personne1@example.org", "Liste d'attente (1)"),
        ("personne2@example.org", "Liste d'attente (2)"),
        ("personne3@example.org", "Liste d'attente (3)"),
        ("personne0@example.org", "Désinscription enregistrée"),
        ("personne1@example.org", "Une place s'est libérée"),
        ("personne2@example.org", "Une place s'est libérée"),
        ("personne3@example.org", "Une place s'est libérée"),
    ]
    promoted = mail.sink.messages()[5]
    text = body(promoted)
    assert "est maintenant confirmée" in text
    assert "Votre code d'entrée" in text
    assert "utilisez le lien reçu lors de votre inscription" in text  # the token is not kept


async def test_registrants_hear_of_changes_and_cancellation_one_message_each(
    mail: Any, ws: Any
) -> None:
    event = await publish(mail, ws, capacity=2)
    one = await register(mail, ws, event, 1)
    await register(mail, ws, event, 2, language="NL")
    await register(mail, ws, event, 3)  # waiting list
    gone = await register(mail, ws, event, 4)  # waiting list, then cancelled
    await mail.run(ws.CANCEL, {"input": {"token": gone["cancelToken"]}})
    # A signed-in person without an e-mail address gets no message.
    signed = await mail.run(ws.REGISTER, {"input": {"event": event["id"]}}, principal=ws.PERSON)
    assert signed["registerForWorkshopsEvent"]["errors"] == []

    async def version() -> int:
        data = await mail.run(
            "query($id: ID!) { workshopsEvent(id: $id) { version } }", {"id": event["id"]}
        )
        return int(data["workshopsEvent"]["version"])

    # A new title is not a change registrants are told of; a new time is.
    retitled = await mail.run(
        ws.UPDATE,
        {"input": {"id": event["id"], "version": await version(), "title": {"fr": "Outils"}}},
        principal=ws.ORGANISER,
    )
    assert retitled["updateWorkshopsEvent"]["errors"] == []
    moved = await mail.run(
        ws.UPDATE,
        {
            "input": {
                "id": event["id"],
                "version": await version(),
                "startsAt": "2099-04-04T13:30:00",
                "endsAt": "2099-04-04T16:00:00",
            }
        },
        principal=ws.ORGANISER,
    )
    assert moved["updateWorkshopsEvent"]["errors"] == []
    cancelled = await mail.run(
        ws.CANCEL_EVENT,
        {"input": {"id": event["id"], "version": await version()}},
        principal=ws.ORGANISER,
    )
    assert cancelled["cancelWorkshopsEvent"]["errors"] == []

    # 5 registrations with an address (4 confirmations or waiting lists, 1 cancellation), then
    # 3 notices of the change and 3 of the cancellation (to those still registered).
    delivered = await mail.delivered(11)
    notices = [(env.rcpt_tos[0], m) for env, m in delivered[5:]]
    assert [(to, m["Subject"]) for to, m in notices] == [
        ("personne1@example.org", "Changement de date ou de lieu : Outils"),
        ("personne2@example.org", "Nieuwe datum of plaats: Outils"),
        ("personne3@example.org", "Changement de date ou de lieu : Outils"),
        ("personne1@example.org", "Annulé : Outils"),
        ("personne2@example.org", "Geannuleerd: Outils"),
        ("personne3@example.org", "Annulé : Outils"),
    ]
    for to, message in notices:
        assert message["To"] == to and message["Cc"] is None and message["Bcc"] is None
        assert "example.org" not in body(message)  # nobody else's address
    changed = body(notices[0][1])
    assert "le 04/04/2099 de 13:30 à 16:00 (heure de Bruxelles)" in changed
    assert f"Votre code d'entrée, à montrer à l'accueil : {one['checkInCode']}" in changed
    assert "op 04/04/2099 van 13:30 tot 16:00 (Brusselse tijd)" in body(notices[1][1])
    assert "Nous sommes désolés : « Outils » est annulé." in body(notices[3][1])
    # Calendars update the seat holders' entry: same UID, a higher SEQUENCE, then cancelled.
    first = invitation(delivered[0][1])
    moved_entry = invitation(notices[0][1])
    gone_entry = invitation(notices[3][1])
    assert first["UID"] == moved_entry["UID"] == gone_entry["UID"]
    assert first["SEQUENCE"] < moved_entry["SEQUENCE"] < gone_entry["SEQUENCE"]
    assert moved_entry.decoded("DTSTART").isoformat() == "2099-04-04T13:30:00+02:00"
    assert str(gone_entry["STATUS"]) == "CANCELLED"
    assert invitation(notices[2][1]) is None  # still waiting


async def test_a_seat_given_up_by_an_erasure_is_offered_to_the_next_in_line(
    mail: Any, ws: Any
) -> None:
    event = await publish(mail, ws, capacity=1)
    await register(mail, ws, event, 1)
    await register(mail, ws, event, 2)
    erased = await mail.run(
        """mutation($input: ErasePersonInput!) { erasePerson(input: $input) {
             errors { code message } } }""",
        {"input": {"email": "personne1@example.org"}},
        principal=ws.ORGANISER,
    )
    assert erased["erasePerson"]["errors"] == []
    sent = [(env.rcpt_tos[0], m["Subject"].split(" :")[0]) for env, m in await mail.delivered(3)]
    assert sent == [
        ("personne1@example.org", "Inscription confirmée"),
        ("personne2@example.org", "Liste d'attente (1)"),
        ("personne2@example.org", "Une place s'est libérée"),  # nothing to the erased person
    ]
    assert f"{BASE}/api/workshops/events/" in body(mail.sink.messages()[2])
