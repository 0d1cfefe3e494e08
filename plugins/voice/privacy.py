"""The voice plugin's part of a person's GDPR rights (hook ``bocage_personal_data``), by the
subject of their account (commenting, supporting, reporting and subscribing need one) or the
address their subscriptions send to:

- ``voice.comments``: what they wrote. Erasure replaces the text and the alias with
  ``[erased]`` and unties the account; the thread's replies by others stay;
- ``voice.supports``: what they support. Erasure removes the supports (the counts drop);
- ``voice.reports``: the comments they reported. Erasure unties the reports (they still count);
- ``voice.subscriptions``: what they follow, where to, with their consent. Erasure removes
  the subscriptions (no digest is sent again);
- ``voice.moderation``: the moderation decisions they took. Erasure unties them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, false, func, or_, select

from bocage.core.api import PersonalData, PersonIdentity, global_id
from bocage.plugins.voice.models import (
    Comment,
    CommentReport,
    FollowScope,
    ModerationEntry,
    Subscription,
    Support,
    SupportWithdrawal,
)
from bocage.plugins.voice.subscriptions import TYPE_OF

ERASED = "[erased]"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _by_subject(session: Any, person: PersonIdentity, column: Any) -> list[Any]:
    """The rows whose ``column`` is the person's account (none without an account)."""
    if person.subject is None:
        return []
    model = column.class_
    rows = await session.execute(select(model).where(column == person.subject).order_by(model.id))
    return list(rows.scalars())


async def export_comments(session: Any, person: PersonIdentity) -> list[dict[str, Any]]:
    return [
        {
            "comment": global_id("VoiceComment", c.id),
            "target": global_id(c.target_type, c.target_key),
            "alias": c.alias,
            "body": c.body,
            "createdAt": _iso(c.created_at),
            "editedAt": _iso(c.edited_at),
            "hidden": c.hidden_at is not None,
            "hiddenReason": c.hidden_reason,
        }
        for c in await _by_subject(session, person, Comment.author_subject)
    ]


async def erase_comments(session: Any, person: PersonIdentity) -> int:
    rows = await _by_subject(session, person, Comment.author_subject)
    for row in rows:
        row.body, row.alias, row.author_subject = ERASED, ERASED, None
    await session.flush()
    return len(rows)


async def export_supports(session: Any, person: PersonIdentity) -> list[dict[str, Any]]:
    return [
        {"target": global_id(s.target_type, s.target_key), "createdAt": _iso(s.created_at)}
        for s in await _by_subject(session, person, Support.supporter_subject)
    ]


async def erase_supports(session: Any, person: PersonIdentity) -> int:
    rows = await _by_subject(session, person, Support.supporter_subject)
    for row in rows:
        await session.delete(row)
        # nobody's: the open-data dataset's counts went down (publication.py)
        session.add(SupportWithdrawal(target_type=row.target_type, target_key=row.target_key))
    await session.flush()
    return len(rows)


async def export_reports(session: Any, person: PersonIdentity) -> list[dict[str, Any]]:
    return [
        {
            "comment": global_id("VoiceComment", r.comment_id),
            "reason": r.reason,
            "details": r.details,
            "createdAt": _iso(r.created_at),
        }
        for r in await _by_subject(session, person, CommentReport.reporter_subject)
    ]


async def erase_reports(session: Any, person: PersonIdentity) -> int:
    rows = await _by_subject(session, person, CommentReport.reporter_subject)
    for row in rows:
        row.reporter_subject, row.details = None, None
    await session.flush()
    return len(rows)


def _subscriptions_of(person: PersonIdentity) -> Any:
    return or_(
        func.lower(Subscription.email) == person.email if person.email else false(),
        Subscription.owner_subject == person.subject if person.subject else false(),
    )


async def export_subscriptions(session: Any, person: PersonIdentity) -> list[dict[str, Any]]:

    rows = await session.execute(
        select(Subscription).where(_subscriptions_of(person)).order_by(Subscription.id)
    )
    return [
        {
            "subscription": global_id("VoiceSubscription", s.id),
            "follow": global_id(TYPE_OF[FollowScope(s.scope)], s.scope_key),
            "email": s.email,
            "language": s.language,
            "consentAt": _iso(s.consent_at),
            "consentVersion": s.consent_version,
            "confirmedAt": _iso(s.confirmed_at),
            "unsubscribedAt": _iso(s.unsubscribed_at),
            "lastDigestAt": _iso(s.last_digest_at),
        }
        for s in rows.scalars()
    ]


async def erase_subscriptions(session: Any, person: PersonIdentity) -> int:
    result = await session.execute(delete(Subscription).where(_subscriptions_of(person)))
    return int(result.rowcount or 0)


async def export_moderation(session: Any, person: PersonIdentity) -> list[dict[str, Any]]:
    return [
        {
            "comment": global_id("VoiceComment", m.comment_id),
            "action": m.action,
            "reason": m.reason,
            "at": _iso(m.at),
        }
        for m in await _by_subject(session, person, ModerationEntry.moderator_subject)
    ]


async def erase_moderation(session: Any, person: PersonIdentity) -> int:
    rows = await _by_subject(session, person, ModerationEntry.moderator_subject)
    for row in rows:
        row.moderator_subject = None
    await session.flush()
    return len(rows)


PARTS = (
    PersonalData("voice.comments", export_comments, erase_comments),
    PersonalData("voice.supports", export_supports, erase_supports),
    PersonalData("voice.reports", export_reports, erase_reports),
    PersonalData("voice.subscriptions", export_subscriptions, erase_subscriptions),
    PersonalData("voice.moderation", export_moderation, erase_moderation),
)
