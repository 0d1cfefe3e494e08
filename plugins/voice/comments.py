"""Comments, supports, reports and moderation: the rules, run in the caller's unit of work.

Everyone reads; a signed-in person comments (within the bounds of :class:`VoiceSettings`:
length, thread depth, comments per hour), edits their own comment for a few minutes, supports
an object once, reports a comment once. A moderator (``voice:moderate``) hides a comment with
a reason, which everyone then sees in its place ("hidden by moderation"), or shows it again;
each such decision is kept in the moderation log.

Every write records a public event of the change feed (``comment.created``...), with no
personal data: the comment's ID and the names of the fields that changed; the comment's events
carry the communes of what it is about. Reports are known to moderators only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from bocage.core.api import (
    Change,
    Code,
    Host,
    Invalid,
    Principal,
    PrincipalKind,
    UnitOfWork,
    as_utc,
    can,
    global_id,
    node_key,
    utcnow,
)
from bocage.plugins.voice import moderation, rates, targets
from bocage.plugins.voice.models import (
    Comment,
    CommentReport,
    ModerationEntry,
    ReportReason,
    Support,
    SupportWithdrawal,
)
from bocage.plugins.voice.permissions import VOICE_MODERATE
from bocage.plugins.voice.settings import VoiceSettings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: What a hidden comment says in place of its text.
HIDDEN_NOTICE = "hidden by moderation"
ALIAS_MAX = 60
REASON_MAX = 500
DETAILS_MAX = 500


def signed_in(principal: Principal) -> str:
    """The account of a signed-in person, or :class:`Invalid`: ``UNAUTHENTICATED`` for the
    public, ``FORBIDDEN`` for a machine client (people speak for themselves: one voice, one
    support each)."""
    if principal.is_anonymous or not principal.subject:
        raise Invalid(Code.UNAUTHENTICATED, "sign in: send an Authorization: Bearer token")
    if principal.kind is not PrincipalKind.PERSON:
        raise Invalid(
            Code.FORBIDDEN, "only people comment, support, report and follow: sign in as one"
        )
    return principal.subject


def is_moderator(principal: Principal) -> bool:
    return not principal.is_anonymous and can(principal, VOICE_MODERATE.code)


def _moderator(principal: Principal) -> None:
    if principal.is_anonymous:
        raise Invalid(Code.UNAUTHENTICATED, "sign in: send an Authorization: Bearer token")
    if not is_moderator(principal):
        raise Invalid(Code.FORBIDDEN, f"this needs the {VOICE_MODERATE.code} permission")


def _text(value: str, field: str, limit: int, setting: str | None = None) -> str:
    text = value.strip()
    if not text:
        raise Invalid(Code.REQUIRED, f"{field} is empty: write something", field)
    if len(text) > limit:
        where = f" ({setting})" if setting else ""
        raise Invalid(
            Code.INVALID, f"{field} is {len(text)} characters: at most {limit}{where}", field
        )
    return text


def _created(**values: Any) -> dict[str, dict[str, Any]]:
    return {name: {"before": None, "after": value} for name, value in values.items()}


async def _comment(session: AsyncSession, value: str, field: str = "comment") -> Comment:
    key = node_key(value, "VoiceComment", field)
    row = await session.get(Comment, key)
    if row is None:
        raise Invalid(Code.NOT_FOUND, f"no VoiceComment has the ID {value!r}", field)
    return row


async def _target_of(session: AsyncSession, host: Host, comment: Comment) -> targets.Target:
    return await targets.find(session, host, global_id(comment.target_type, comment.target_key))


# -- comments ----------------------------------------------------------------------------------


async def post(
    work: UnitOfWork,
    host: Host,
    settings: VoiceSettings,
    *,
    target: str | None,
    parent: str | None,
    body: str,
    alias: str,
) -> Comment:
    """A new comment on ``target``, or a reply to ``parent`` (on the same object)."""
    session, subject = work.session, signed_in(work.principal)
    text = _text(body, "body", settings.comment_max_length, "BOCAGE_VOICE_COMMENT_MAX_LENGTH")
    name = _text(alias, "alias", ALIAS_MAX)
    depth, parent_row = 1, None
    if parent is not None:
        parent_row = await _comment(session, parent, "parent")
        if parent_row.hidden_at is not None:
            raise Invalid(Code.INVALID, "the comment replied to was hidden by moderation", "parent")
        depth = parent_row.depth + 1
        if depth > settings.max_depth:
            raise Invalid(
                Code.INVALID,
                f"a reply here would be at depth {depth}: threads go {settings.max_depth} "
                "deep (BOCAGE_VOICE_MAX_DEPTH); reply to a comment higher up",
                "parent",
            )
        found = await _target_of(session, host, parent_row)
        if target is not None and target != found.id:
            raise Invalid(Code.INVALID, "the parent comment is about another object", "target")
    elif target is not None:
        found = await targets.find(session, host, target)
    else:
        raise Invalid(Code.REQUIRED, "give the `target` commented on, or the `parent`", "target")
    targets.must_be_open(found)
    await _within_rate(session, subject, settings)
    row = Comment(
        target_type=found.type_name,
        target_key=found.key,
        parent_id=parent_row.id if parent_row is not None else None,
        depth=depth,
        author_subject=subject,
        alias=name,
        body=text,
    )
    session.add(row)
    await session.flush()
    await work.record(
        Change(
            row=row,
            action="created",
            changes=_created(target=found.id, depth=depth),
            scope=moderation.scope_of(found),
        )
    )
    return row


async def _within_rate(session: AsyncSession, subject: str, settings: VoiceSettings) -> None:
    await rates.within_hour(
        session,
        at=Comment.created_at,
        owner=Comment.author_subject,
        subject=subject,
        limit=settings.comments_per_hour,
        setting="BOCAGE_VOICE_COMMENTS_PER_HOUR",
        done="posted {count} comments",
        field="body",
    )


def editable_until(row: Comment, settings: VoiceSettings) -> dt.datetime:
    return as_utc(row.created_at) + dt.timedelta(minutes=settings.edit_minutes)


async def edit(
    work: UnitOfWork, host: Host, settings: VoiceSettings, *, comment: str, body: str
) -> Comment:
    """The author changes their comment's text within the edit window."""
    session, subject = work.session, signed_in(work.principal)
    row = await _comment(session, comment)
    if row.author_subject != subject:
        raise Invalid(Code.FORBIDDEN, "only its author may edit a comment", "comment")
    if row.hidden_at is not None:
        raise Invalid(Code.INVALID, "a comment hidden by moderation cannot be edited", "comment")
    if utcnow() > editable_until(row, settings):
        raise Invalid(
            Code.INVALID,
            f"a comment may be edited for {settings.edit_minutes} minutes after it was posted "
            "(BOCAGE_VOICE_EDIT_MINUTES): post another comment instead",
            "comment",
        )
    text = _text(body, "body", settings.comment_max_length, "BOCAGE_VOICE_COMMENT_MAX_LENGTH")
    if text == row.body:
        return row
    row.body, row.edited_at = text, utcnow()
    await session.flush()
    found = await _target_of(session, host, row)
    await work.record(
        Change(
            row=row,
            action="edited",
            # What changed, not the text: the audit trail keeps no copy of what people write.
            changes={"body": {"before": None, "after": None}},
            scope=moderation.scope_of(found),
        )
    )
    return row


# -- moderation ---------------------------------------------------------------------------------


async def report(
    work: UnitOfWork, *, comment: str, reason: ReportReason, details: str | None
) -> CommentReport:
    """A signed-in person reports a comment (once)."""
    session, subject = work.session, signed_in(work.principal)
    row = await _comment(session, comment)
    already = (
        await session.execute(
            select(CommentReport.id).where(
                CommentReport.comment_id == row.id, CommentReport.reporter_subject == subject
            )
        )
    ).first()
    if already is not None:
        raise Invalid(Code.DUPLICATE, "you already reported this comment", "comment")
    text = details.strip() if details else None
    if text and len(text) > DETAILS_MAX:
        raise Invalid(Code.INVALID, f"details: at most {DETAILS_MAX} characters", "details")
    entry = CommentReport(
        comment_id=row.id, reporter_subject=subject, reason=reason.value, details=text or None
    )
    session.add(entry)
    await session.flush()
    await work.record(
        Change(
            row=row,
            action="reported",
            changes={"reports": {"before": None, "after": reason.value}},
            permission=VOICE_MODERATE.code,
        )
    )
    return entry


async def moderate(
    work: UnitOfWork, host: Host, *, comment: str, hide: bool, reason: str
) -> Comment:
    """A moderator hides a comment (its text gives way to the reason) or shows it again; once
    it is confined to some territories, only a comment within its reach (``moderation``)."""
    session = work.session
    _moderator(work.principal)
    row = await _comment(session, comment)
    if work.principal.tenancy is not None:
        moderation.check(work.principal, await _target_of(session, host, row))
    why = _text(reason, "reason", REASON_MAX)
    if hide == (row.hidden_at is not None):
        state = "hidden" if hide else "shown"
        raise Invalid(Code.CONFLICT, f"this comment is already {state}", "comment")
    row.hidden_at = utcnow() if hide else None
    row.hidden_reason = why if hide else None
    session.add(
        ModerationEntry(
            comment_id=row.id,
            action="hidden" if hide else "shown",
            reason=why,
            moderator_subject=work.principal.subject,
        )
    )
    await session.flush()
    await work.record(
        Change(
            row=row,
            action="hidden" if hide else "shown",
            changes={"hidden": {"before": not hide, "after": hide}},
        )
    )
    return row


# -- supports -----------------------------------------------------------------------------------


async def support(work: UnitOfWork, host: Host, *, target: str, add: bool) -> targets.Target:
    """A signed-in person supports an open object (once), or withdraws their support."""
    session, subject = work.session, signed_in(work.principal)
    found = await targets.find(session, host, target)
    targets.must_be_open(found)
    existing = (
        await session.execute(
            select(Support).where(
                Support.target_type == found.type_name,
                Support.target_key == found.key,
                Support.supporter_subject == subject,
            )
        )
    ).scalar_one_or_none()
    if add and existing is not None:
        raise Invalid(Code.DUPLICATE, "you already support this", "target")
    if not add and existing is None:
        raise Invalid(Code.NOT_FOUND, "you do not support this", "target")
    if add:
        row = Support(target_type=found.type_name, target_key=found.key, supporter_subject=subject)
        session.add(row)
        await session.flush()
    else:
        assert existing is not None
        row = existing
        await session.delete(existing)
        session.add(SupportWithdrawal(target_type=found.type_name, target_key=found.key))
        await session.flush()
    await work.record(
        Change(
            row=row,
            action="created" if add else "withdrawn",
            changes={"target": {"before": None, "after": found.id}},
            scope=moderation.scope_of(found),
        )
    )
    return found


async def support_counts(session: AsyncSession, type_name: str, keys: list[int]) -> dict[int, int]:
    rows = await session.execute(
        select(Support.target_key, func.count())
        .where(Support.target_type == type_name, Support.target_key.in_(keys))
        .group_by(Support.target_key)
    )
    return {key: int(count) for key, count in rows.all()}
