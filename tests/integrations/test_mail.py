"""E-mail through the queue, against a local SMTP server started by the test (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import socket
from typing import Any

import pytest

from bocage.core.api import EmailAttachment, enqueue_email


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_email_enqueued_with_a_change_is_sent_after_commit(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any, bocage_smtp: Any
) -> None:
    sink = bocage_smtp
    world = await kit.make_world(databases, small_demo_url, make_settings, **sink.settings)
    try:
        async with world.sessionmaker() as session, session.begin():
            await enqueue_email(
                session,
                to=["Ann Dupont <ann@example.be>"],
                cc=["bob@example.be"],
                bcc=["archive@gal-condroz.be"],
                subject="Inscription confirmée : atelier compost",
                text="Bonjour Ann,\nvotre inscription est confirmée.",
                html="<p>Bonjour Ann,<br>votre inscription est <b>confirmée</b>.</p>",
                reply_to="animation@gal-condroz.be",
                attachments=[EmailAttachment("programme.pdf", "application/pdf", b"%PDF-1.7 x")],
            )
        with pytest.raises(RuntimeError):
            async with world.sessionmaker() as session, session.begin():
                await enqueue_email(session, to="eve@example.be", subject="Never", text="x")
                raise RuntimeError("rolled back")
        async with kit.running_worker(world):
            await kit.wait_for(lambda: len(sink.envelopes) == 1)

            async def finished() -> bool:
                return [j.status for j in await world.jobs(kind="email.send")] == ["succeeded"]

            await kit.wait_for(finished)
        [job] = await world.jobs(kind="email.send")
        assert job.payload == {}  # the addresses and the text are not kept once sent
        [envelope] = sink.envelopes
        assert envelope.mail_from == "noreply@gal-condroz.be"
        assert sorted(envelope.rcpt_tos) == [
            "ann@example.be",
            "archive@gal-condroz.be",
            "bob@example.be",
        ]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["Subject"] == "Inscription confirmée : atelier compost"
        assert message["To"] == "Ann Dupont <ann@example.be>"
        assert message["Cc"] == "bob@example.be"
        assert message["Bcc"] is None  # never shown to the other recipients
        assert message["Reply-To"] == "animation@gal-condroz.be"
        assert message["Message-ID"].endswith("@gal-condroz.be>")
        plain = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert (
            plain.get_content().replace("\r\n", "\n").startswith("Bonjour Ann,\nvotre inscription")
        )
        assert "<b>confirmée</b>" in html.get_content()
        [attached] = message.iter_attachments()
        assert attached.get_filename() == "programme.pdf"
        assert attached.get_content_type() == "application/pdf"
        assert attached.get_content() == b"%PDF-1.7 x"
    finally:
        await world.engine.dispose()


async def test_an_unreachable_server_is_retried_then_the_job_is_dead(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any, bocage_smtp: Any
) -> None:
    sink = bocage_smtp
    unreachable = {**sink.settings, "smtp_port": _free_port()}  # nothing listens there
    world = await kit.make_world(
        databases, small_demo_url, make_settings, jobs_max_attempts=2, **unreachable
    )
    try:
        async with world.sessionmaker() as session, session.begin():
            await enqueue_email(session, to="ann@example.be", subject="Hello", text="Hi")
        async with kit.running_worker(world):

            async def dead() -> bool:
                return [j.status for j in await world.jobs(kind="email.send")] == ["dead"]

            await kit.wait_for(dead)
        [job] = await world.jobs(kind="email.send")
        assert job.attempts == 2
        assert "SMTPConnect" in job.last_error
    finally:
        await world.engine.dispose()


async def test_without_smtp_settings_the_job_says_what_to_set(
    hooks: Any, worker: Any, kit: Any
) -> None:
    async with hooks.sessionmaker() as session, session.begin():
        job = await enqueue_email(session, to="ann@example.be", subject="Hello", text="Hi")
        job.max_attempts = 1

    async def dead() -> bool:
        return [j.status for j in await hooks.jobs(kind="email.send")] == ["dead"]

    await kit.wait_for(dead)
    [row] = await hooks.jobs(kind="email.send")
    assert "set BOCAGE_SMTP_HOST" in row.last_error


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"to": []}, "at least one recipient"),
        ({"to": "not an address"}, "is not an e-mail address"),
        ({"to": "ann@example.be\r\nBcc: eve@example.be"}, "is not an e-mail address"),
        ({"to": "ann@example.be", "subject": "Two\nlines"}, "one line"),
        ({"to": "ann@example.be", "reply_to": "nobody"}, "reply_to"),
        (
            {"to": "a@example.be", "attachments": [EmailAttachment("a.ics", "calendar", b"")]},
            "not a media type",
        ),
        (
            {"to": "a@example.be", "attachments": [EmailAttachment("../a", "text/plain", b"")]},
            "not a plain file name",
        ),
    ],
)
async def test_malformed_e_mails_are_refused_when_enqueued(
    hooks: Any, kwargs: dict[str, Any], message: str
) -> None:
    arguments = {"subject": "Hello", "text": "Hi", **kwargs}
    async with hooks.sessionmaker() as session:
        with pytest.raises(ValueError, match=message):
            await enqueue_email(session, **arguments)
