"""Following a project, a commune or the territory: the subscription with its consent, the
confirmation of the address (double opt-in), and the one-click unsubscribe.

A signed-in person subscribes an address they give, accepting the consent wording of
``BOCAGE_VOICE_CONSENT_VERSION`` (recorded with the time). The address gets one e-mail, to
confirm it; digests go only to confirmed, not unsubscribed subscriptions. Every e-mail carries
the signed unsubscribe link (and RFC 8058's one-click headers).
"""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from strawberry import relay

from bocage.core.api import (
    LANGUAGES,
    Code,
    Commune,
    Invalid,
    Project,
    Territory,
    UnitOfWork,
    as_utc,
    enqueue_email,
    enqueue_job,
    last_event_sequence,
    node_key,
    pick_text,
    utcnow,
)
from bocage.plugins.voice import links, rates
from bocage.plugins.voice.comments import signed_in
from bocage.plugins.voice.models import FollowScope, Subscription
from bocage.plugins.voice.settings import VoiceSettings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

EMAIL_MAX = 320
#: The job that sends the digests (``digest.py``).
DIGEST_JOB = "voice.digest"
#: The GraphQL type of each kind of followed object.
SCOPES = {
    "Project": FollowScope.PROJECT,
    "Commune": FollowScope.COMMUNE,
    "Territory": FollowScope.TERRITORY,
}
TYPE_OF = {scope: type_name for type_name, scope in SCOPES.items()}
MODELS: dict[FollowScope, Any] = {
    FollowScope.PROJECT: Project,
    FollowScope.COMMUNE: Commune,
    FollowScope.TERRITORY: Territory,
}


def check_email(value: str) -> str:
    address = value.strip().lower()
    _, parsed = email.utils.parseaddr(address)
    if (
        parsed != address
        or address.count("@") != 1
        or len(address) > EMAIL_MAX
        or "." not in address.rpartition("@")[2]
    ):
        raise Invalid(Code.INVALID, f"{value!r} is not an e-mail address", "email")
    return address


async def followed(
    session: AsyncSession, value: str, field: str = "follow"
) -> tuple[FollowScope, int, str]:
    """The scope, key and title of the object of the global ID ``value``."""
    try:
        type_name = relay.GlobalID.from_id(value).type_name
    except Exception:
        type_name = ""
    scope = SCOPES.get(type_name)
    if scope is None:
        raise Invalid(
            Code.INVALID,
            f"{value!r}: follow the `id` of a Project, a Commune or a Territory",
            field,
        )
    key = node_key(value, type_name, field)
    model = MODELS[scope]
    row = (await session.execute(select(model).where(model.id == key))).scalar_one_or_none()
    if row is None or row.deleted_at is not None:
        raise Invalid(Code.NOT_FOUND, f"no {type_name} has the ID {value!r}", field)
    title = row.title if scope is FollowScope.PROJECT else row.name
    return scope, key, pick_text(title, "fr") or ""


async def subscribe(
    work: UnitOfWork,
    settings: VoiceSettings,
    *,
    follow: str,
    email_address: str,
    language: str,
    consent_version: str,
) -> Subscription:
    """Subscribe the signed-in caller's ``email_address`` to digests about ``follow``."""
    session, subject = work.session, signed_in(work.principal)
    if consent_version != settings.consent_version:
        raise Invalid(
            Code.INVALID,
            f"the consent wording is at version {settings.consent_version!r} "
            f"(voiceConsentVersion): show it and send that version",
            "consentVersion",
        )
    if language not in LANGUAGES:
        raise Invalid(Code.INVALID, f"language: one of {', '.join(LANGUAGES)}", "language")
    address = check_email(email_address)
    scope, key, title = await followed(session, follow)
    row = (
        await session.execute(
            select(Subscription).where(
                Subscription.owner_subject == subject,
                Subscription.scope == scope.value,
                Subscription.scope_key == key,
            )
        )
    ).scalar_one_or_none()
    if row is not None and row.unsubscribed_at is None:
        raise Invalid(Code.DUPLICATE, "you already follow this: unsubscribe first", "follow")
    await _within_rate(session, subject, settings, again=row)
    now = utcnow()
    if row is None:
        row = Subscription(owner_subject=subject, scope=scope.value, scope_key=key)
        session.add(row)
    row.email, row.language = address, language
    row.consent_at, row.consent_version = now, settings.consent_version
    row.confirmed_at, row.unsubscribed_at, row.last_digest_at = None, None, None
    row.nonce = links.new_nonce()
    # Digests tell what happens from now on.
    row.last_sequence = await last_event_sequence(session)
    await session.flush()
    await _confirmation(session, settings, row, title)
    return row


async def _within_rate(
    session: AsyncSession, subject: str, settings: VoiceSettings, again: Subscription | None
) -> None:
    """At most ``subscriptions_per_hour`` confirmation e-mails caused by one person; and one
    an hour for the same object (``again``: its cancelled subscription), so that cancelling
    and subscribing in turn cannot flood an address either."""
    since = utcnow() - dt.timedelta(hours=1)
    if again is not None and as_utc(again.consent_at) > since:
        raise Invalid(
            Code.INVALID,
            "you subscribed to this less than an hour ago: subscribe again after "
            f"{as_utc(again.consent_at) + dt.timedelta(hours=1):%H:%M} UTC",
            "follow",
        )
    await rates.within_hour(
        session,
        at=Subscription.consent_at,
        owner=Subscription.owner_subject,
        subject=subject,
        limit=settings.subscriptions_per_hour,
        setting="BOCAGE_VOICE_SUBSCRIPTIONS_PER_HOUR",
        done="subscribed {count} times",
        field="follow",
    )


async def _confirmation(
    session: AsyncSession, settings: VoiceSettings, row: Subscription, title: str
) -> None:
    assert row.email is not None
    value = links.token(settings, row.id, row.nonce)
    text = (
        f"Bonjour,\n\nVous avez demandé à suivre « {title} » et à recevoir un résumé de ses "
        f"nouveautés par e-mail.\n\nConfirmez votre adresse :\n{links.confirm_url(settings, value)}"
        "\n\nSans confirmation, vous ne recevrez rien. Vous pourrez vous désabonner en un clic "
        f"à tout moment :\n{links.unsubscribe_url(settings, value)}\n"
    )
    await enqueue_email(
        session,
        to=row.email,
        subject=f"Confirmez votre abonnement : {title}",
        text=text,
        headers=links.list_unsubscribe_headers(settings, value),
    )


async def by_token(session: AsyncSession, settings: VoiceSettings, value: str) -> Subscription:
    found = links.read(settings, value)
    row = await session.get(Subscription, found[0]) if found is not None else None
    if row is None or found is None or row.nonce != found[1] or row.email is None:
        raise Invalid(Code.NOT_FOUND, "this link is not valid (or no longer)", "token")
    return row


async def confirm(session: AsyncSession, settings: VoiceSettings, value: str) -> Subscription:
    """Confirm the address of the subscription of the token (again: nothing changes)."""
    row = await by_token(session, settings, value)
    if row.unsubscribed_at is not None:
        raise Invalid(Code.INVALID, "this subscription was cancelled: subscribe again", "token")
    if row.confirmed_at is None:
        row.confirmed_at = utcnow()
        await schedule_digest(session, settings)
    return row


async def unsubscribe(session: AsyncSession, settings: VoiceSettings, value: str) -> Subscription:
    """Stop the subscription of the token (again: nothing changes)."""
    row = await by_token(session, settings, value)
    if row.unsubscribed_at is None:
        row.unsubscribed_at = utcnow()
    return row


async def unsubscribe_mine(work: UnitOfWork, subscription: str) -> Subscription:
    """The signed-in person stops one of their subscriptions."""
    session, subject = work.session, signed_in(work.principal)
    key = node_key(subscription, "VoiceSubscription", "subscription")
    row = await session.get(Subscription, key)
    if row is None or row.owner_subject != subject:
        raise Invalid(Code.NOT_FOUND, f"you have no subscription {subscription!r}", "subscription")
    if row.unsubscribed_at is None:
        row.unsubscribed_at = utcnow()
    return row


async def schedule_digest(session: AsyncSession, settings: VoiceSettings) -> None:
    """Make sure the digest job is queued (once), ``digest_hours`` from now."""
    await enqueue_job(
        session,
        DIGEST_JOB,
        {},
        run_at=utcnow() + dt.timedelta(hours=settings.digest_hours),
        unless_queued=True,
    )
