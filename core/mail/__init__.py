"""E-mail through the job queue: :func:`enqueue_email` in the caller's transaction, sent by the
``email.send`` job over SMTP (``BOCAGE_SMTP_*``), retried like any job.

An e-mail that is rolled back with its change is never sent; one whose SMTP server is down is
retried with exponential backoff, then kept as a dead job an administrator can replay.
"""

from __future__ import annotations

import base64
import email.utils
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import aiosmtplib

from bocage.core.hookspecs import JobContext, JobKind
from bocage.core.jobs import enqueue_job

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.models import Job
    from bocage.core.settings import Settings

SEND = "email.send"


class MailNotConfigured(Exception):
    """``BOCAGE_SMTP_HOST`` is not set."""


def _addresses(value: str | Sequence[str], field: str) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    if not items and field == "to":
        raise ValueError("an e-mail needs at least one recipient")
    for item in items:
        _name, address = email.utils.parseaddr(item)
        if "@" not in address or any(c in item for c in "\r\n"):
            raise ValueError(f"{field}: {item!r} is not an e-mail address")
    return items


@dataclass(frozen=True)
class Attachment:
    """A file joined to an e-mail: its name, media type (``text/calendar``...) and content."""

    filename: str
    content_type: str
    content: bytes


def _attachment(file: Attachment) -> dict[str, str]:
    maintype, _, subtype = file.content_type.partition("/")
    if not maintype or not subtype or any(c in file.content_type for c in "\r\n;"):
        raise ValueError(f"attachment {file.filename!r}: {file.content_type!r} is not a media type")
    if not file.filename or any(c in file.filename for c in "\r\n/\\"):
        raise ValueError(f"attachment {file.filename!r}: not a plain file name")
    return {
        "filename": file.filename,
        "content_type": file.content_type,
        "content": base64.b64encode(file.content).decode("ascii"),
    }


async def enqueue_email(
    session: AsyncSession,
    *,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: str | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> Job:
    """Send an e-mail once ``session``'s transaction commits (never if it rolls back).

    ``text`` is the plain-text body; ``html``, if given, an alternative. ``to``, ``cc``,
    ``bcc`` and ``reply_to`` take addresses with or without a name (``"Ann <ann@x.be>"``).
    ``attachments`` are files joined to it (an event's ``.ics``...). Raises ``ValueError`` on
    a malformed address, a subject with a line break or a bad attachment.
    """
    if "\n" in subject or "\r" in subject:
        raise ValueError("the subject must be one line")
    files = [_attachment(a) for a in attachments]
    payload: dict[str, Any] = {
        "to": _addresses(to, "to"),
        "cc": _addresses(cc, "cc"),
        "bcc": _addresses(bcc, "bcc"),
        "subject": subject,
        "text": text,
        "html": html,
        "reply_to": _addresses(reply_to, "reply_to")[0] if reply_to else None,
        "headers": dict(headers or {}),
    }
    if files:
        payload["attachments"] = files
    return await enqueue_job(session, SEND, payload)


def build_message(settings: Settings, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(payload["to"])
    if payload.get("cc"):
        message["Cc"] = ", ".join(payload["cc"])
    if payload.get("reply_to"):
        message["Reply-To"] = payload["reply_to"]
    message["Subject"] = payload["subject"]
    message["Date"] = email.utils.formatdate(localtime=False)
    domain = email.utils.parseaddr(settings.mail_from)[1].rpartition("@")[2] or None
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    for name, value in (payload.get("headers") or {}).items():
        message[name] = value
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    for file in payload.get("attachments") or ():
        maintype, _, subtype = file["content_type"].partition("/")
        message.add_attachment(
            base64.b64decode(file["content"]),
            maintype=maintype,
            subtype=subtype,
            filename=file["filename"],
        )
    return message


async def send(context: JobContext, payload: dict[str, Any]) -> None:
    settings: Settings = context.settings
    if not settings.smtp_host:
        raise MailNotConfigured("set BOCAGE_SMTP_HOST (and the other BOCAGE_SMTP_* settings)")
    message = build_message(settings, payload)
    recipients = [*payload["to"], *payload.get("cc", []), *payload.get("bcc", [])]
    await aiosmtplib.send(
        message,
        recipients=[email.utils.parseaddr(r)[1] for r in recipients],
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        use_tls=settings.smtp_tls == "tls",
        start_tls=True if settings.smtp_tls == "starttls" else False,
        timeout=settings.smtp_timeout_seconds,
    )


def job_kind() -> JobKind:
    return JobKind(name=SEND, handler=send, description="Send one e-mail over SMTP.", personal=True)


__all__ = ["Attachment", "MailNotConfigured", "build_message", "enqueue_email", "job_kind"]
