"""The voice plugin's GraphQL: discussions (comment threads and support counts) for everyone,
comments, supports and reports for signed-in people, moderation for ``voice:moderate``, and
subscriptions to digests for their owner."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import strawberry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from strawberry.types import Info

from bocage.core.api import (
    BocageError,
    Code,
    Connection,
    Invalid,
    NotFound,
    Ordering,
    SortKey,
    UnitOfWork,
    cost,
    error_codes,
    global_id,
    paginate,
    unit_of_work,
)
from bocage.plugins.voice import comments, moderation, subscriptions, targets
from bocage.plugins.voice.models import (
    Comment,
    CommentReport,
    FollowScope,
    ModerationEntry,
    ReportReason,
    Subscription,
    Support,
)
from bocage.plugins.voice.settings import VoiceSettings, voice_settings

T = TypeVar("T")
WRITE_COST = 10

VoiceReportReason = strawberry.enum(ReportReason, description="Why a comment is reported.")
VoiceFollowScope = strawberry.enum(FollowScope, description="What a subscription follows.")
VoiceErrorCode = error_codes("VoiceErrorCode", "Why a voice mutation failed.")

OLDEST_FIRST = Ordering((SortKey(Comment.id, descending=False, load=int),))


class Forbidden(BocageError):
    # The plugin API exports no Forbidden error; its code is the core's FORBIDDEN.
    code = "FORBIDDEN"  # type: ignore[assignment]


def _settings(info: Info[Any, Any]) -> VoiceSettings:
    return voice_settings(info.context.host)


def _require_moderator(info: Info[Any, Any]) -> None:
    if not comments.is_moderator(info.context.principal):
        raise Forbidden(f"this needs the {comments.VOICE_MODERATE.code} permission")


def _replies(info: Info[Any, Any]) -> Any:
    async def load(ids: Sequence[int]) -> list[list[Comment]]:
        grouped: dict[int, list[Comment]] = defaultdict(list)
        rows = await info.context.execute(
            select(Comment).where(Comment.parent_id.in_(ids)).order_by(Comment.id)
        )
        for row in rows.scalars():
            assert row.parent_id is not None
            grouped[row.parent_id].append(row)
        return [grouped[i] for i in ids]

    return info.context.loader(("voice", "replies"), load)


def _report_counts(info: Info[Any, Any]) -> Any:
    async def load(ids: Sequence[int]) -> list[int]:
        rows = await info.context.execute(
            select(CommentReport.comment_id, func.count())
            .where(CommentReport.comment_id.in_(ids))
            .group_by(CommentReport.comment_id)
        )
        counts = {key: int(n) for key, n in rows.all()}
        return [counts.get(i, 0) for i in ids]

    return info.context.loader(("voice", "reports"), load)


def _moderated(info: Info[Any, Any]) -> Any:
    """Whether the caller moderates the comments on each ``(type name, key)`` target: within
    its reach once it is confined to some territories (``moderation.in_reach``)."""
    principal = info.context.principal

    async def load(pairs: Sequence[tuple[str, int]]) -> list[bool]:
        if principal.tenancy is None:
            return [True for _ in pairs]
        known = targets.targets(info.context.host)
        answers = []
        async with info.context.sessionmaker() as session:
            for type_name, key in pairs:
                target = known.get(type_name)
                state = await target.state(session, key) if target is not None else None
                found = targets.Target(type_name, key, state) if state is not None else None
                answers.append(found is not None and moderation.in_reach(principal, found))
        return answers

    return info.context.loader(("voice", "moderated"), load)


@strawberry.type(
    description="A comment, or a reply to one. Once hidden by moderation, its text gives way "
    "to `moderationNotice` for everyone."
)
class VoiceComment:
    row: strawberry.Private[Comment]

    @strawberry.field(description="Global ID of the comment.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("VoiceComment", self.row.id))

    @strawberry.field(description="The ID of what it is about (a Project, a WorkshopsChallenge).")
    def target(self) -> strawberry.ID:
        return strawberry.ID(global_id(self.row.target_type, self.row.target_key))

    @strawberry.field(description="The comment it replies to (null: a comment).")
    def parent(self) -> strawberry.ID | None:
        key = self.row.parent_id
        return strawberry.ID(global_id("VoiceComment", key)) if key is not None else None

    @strawberry.field(description="1 for a comment, 2 for a reply to it, and so on.")
    def depth(self) -> int:
        return self.row.depth

    @strawberry.field(description="How the author signed (the name they chose).")
    def alias(self) -> str:
        return self.row.alias

    @strawberry.field(description="The text; null once hidden by moderation.")
    def body(self) -> str | None:
        return None if self.row.hidden_at is not None else self.row.body

    @strawberry.field(description="Hidden by a moderator.")
    def hidden(self) -> bool:
        return self.row.hidden_at is not None

    @strawberry.field(
        description="What to show in place of a hidden comment: 'hidden by moderation: "
        "<the moderator's reason>'; null while shown."
    )
    def moderation_notice(self) -> str | None:
        if self.row.hidden_at is None:
            return None
        return f"{comments.HIDDEN_NOTICE}: {self.row.hidden_reason}"

    @strawberry.field(description="When it was posted.")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(description="When its author last edited it (null: never).")
    def edited_at(self) -> dt.datetime | None:
        return self.row.edited_at

    @strawberry.field(description="Whether the caller wrote it.")
    def mine(self, info: Info) -> bool:
        subject = info.context.principal.subject
        return subject is not None and subject == self.row.author_subject

    @strawberry.field(
        description="Until when its author may edit it (null for anyone else, or once past)."
    )
    def editable_until(self, info: Info) -> dt.datetime | None:
        if not self.mine(info) or self.row.hidden_at is not None:
            return None
        until = comments.editable_until(self.row, _settings(info))
        return until if until > comments.utcnow() else None

    @strawberry.field(
        description="How many people reported it (its moderators only: once the installation "
        "holds several GALs, those of the GAL of what it is about; null for anyone else).",
        metadata=cost(1),
    )
    async def report_count(self, info: Info) -> int | None:
        if not comments.is_moderator(info.context.principal):
            return None
        target = (self.row.target_type, self.row.target_key)
        if not await _moderated(info).load(target):  # another GAL's comment
            return None
        count: int = await _report_counts(info).load(self.row.id)
        return count

    @strawberry.field(description="The replies, oldest first.", metadata=cost(1, items=10))
    async def replies(self, info: Info) -> list[VoiceComment]:
        rows = await _replies(info).load(self.row.id)
        return [VoiceComment(row=r) for r in rows]


@strawberry.type(
    description="What people say about an object: whether it is open, its supports (counted, "
    "never who) and its comment threads."
)
class VoiceDiscussion:
    target_row: strawberry.Private[targets.Target]

    @strawberry.field(description="The ID of the object discussed.")
    def target(self) -> strawberry.ID:
        return strawberry.ID(self.target_row.id)

    @strawberry.field(description="Open for comments and supports now.")
    def open(self) -> bool:
        return self.target_row.state.open

    @strawberry.field(description="Why it is not open (null while open).")
    def closed_reason(self) -> str | None:
        state = self.target_row.state
        return None if state.open else (state.closed_reason or "closed")

    @strawberry.field(description="How many people support it.", metadata=cost(1))
    async def support_count(self, info: Info) -> int:
        rows = await info.context.execute(
            select(func.count()).where(
                Support.target_type == self.target_row.type_name,
                Support.target_key == self.target_row.key,
            )
        )
        return int(rows.scalar_one())

    @strawberry.field(description="Whether the caller supports it.", metadata=cost(1))
    async def supported_by_me(self, info: Info) -> bool:
        subject = info.context.principal.subject
        if info.context.principal.is_anonymous or subject is None:
            return False
        rows = await info.context.execute(
            select(Support.id).where(
                Support.target_type == self.target_row.type_name,
                Support.target_key == self.target_row.key,
                Support.supporter_subject == subject,
            )
        )
        return rows.first() is not None

    @strawberry.field(description="How many comments and replies it has.", metadata=cost(1))
    async def comment_count(self, info: Info) -> int:
        rows = await info.context.execute(
            select(func.count()).where(
                Comment.target_type == self.target_row.type_name,
                Comment.target_key == self.target_row.key,
            )
        )
        return int(rows.scalar_one())

    @strawberry.field(
        description="Its comments (depth 1), oldest first, each with its replies.",
        metadata=cost(1),
    )
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[VoiceComment]:
        statement = select(Comment).where(
            Comment.target_type == self.target_row.type_name,
            Comment.target_key == self.target_row.key,
            Comment.parent_id.is_(None),
        )
        return await paginate(
            info.context,
            statement,
            OLDEST_FIRST,
            first=first,
            after=after,
            to_node=lambda row: VoiceComment(row=row),
        )


@strawberry.type(description="A report of a comment (moderators only; never says who).")
class VoiceReport:
    row: strawberry.Private[CommentReport]

    @strawberry.field(description="Global ID of the report.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("VoiceReport", self.row.id))

    @strawberry.field(description="Why it was reported.")
    def reason(self) -> VoiceReportReason:  # type: ignore[valid-type]
        return ReportReason(self.row.reason)

    @strawberry.field(description="What the reporter added, if anything.")
    def details(self) -> str | None:
        return self.row.details

    @strawberry.field(description="When it was reported.")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(description="The comment reported.", metadata=cost(1))
    async def comment(self, info: Info) -> VoiceComment:
        row = (
            await info.context.execute(select(Comment).where(Comment.id == self.row.comment_id))
        ).scalar_one()
        return VoiceComment(row=row)


@strawberry.type(description="A moderator's decision: a comment hidden or shown again, and why.")
class VoiceModerationEntry:
    row: strawberry.Private[ModerationEntry]

    @strawberry.field(description="The comment concerned.")
    def comment(self) -> strawberry.ID:
        return strawberry.ID(global_id("VoiceComment", self.row.comment_id))

    @strawberry.field(description="`hidden` or `shown`.")
    def action(self) -> str:
        return self.row.action

    @strawberry.field(description="The moderator's reason.")
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field(description="The moderator's account (its subject).")
    def moderator(self) -> str | None:
        return self.row.moderator_subject

    @strawberry.field(description="When.")
    def at(self) -> dt.datetime:
        return self.row.at


@strawberry.type(description="One of the caller's subscriptions to digests.")
class VoiceSubscription:
    row: strawberry.Private[Subscription]

    @strawberry.field(description="Global ID of the subscription.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("VoiceSubscription", self.row.id))

    @strawberry.field(description="What it follows.")
    def scope(self) -> VoiceFollowScope:  # type: ignore[valid-type]
        return FollowScope(self.row.scope)

    @strawberry.field(description="The ID of the Project, Commune or Territory followed.")
    def follow(self) -> strawberry.ID:
        type_name = subscriptions.TYPE_OF[FollowScope(self.row.scope)]
        return strawberry.ID(global_id(type_name, self.row.scope_key))

    @strawberry.field(description="The language of the digests.")
    def language(self) -> str:
        return self.row.language

    @strawberry.field(description="When consent was given.")
    def consent_at(self) -> dt.datetime:
        return self.row.consent_at

    @strawberry.field(description="The version of the consent wording accepted.")
    def consent_version(self) -> str:
        return self.row.consent_version

    @strawberry.field(description="The address was confirmed: digests are sent.")
    def confirmed(self) -> bool:
        return self.row.confirmed_at is not None

    @strawberry.field(description="Not unsubscribed.")
    def active(self) -> bool:
        return self.row.unsubscribed_at is None


async def _discussion(info: Info[Any, Any], target: str) -> targets.Target:
    async with info.context.sessionmaker() as session:
        try:
            return await targets.find(session, info.context.host, target)
        except Invalid as error:
            if error.code is Code.NOT_FOUND:
                raise NotFound(error.message, field="target") from None
            raise BocageError(error.message, field="target") from None


async def _moderators_page(
    info: Info[Any, Any], model: Any, node: Any, first: int | None, after: str | None
) -> Any:
    """A page of ``model``'s rows (reports, the log), newest first, for moderators only (of
    the comments within their reach: ``moderation``)."""
    _require_moderator(info)
    newest_first = Ordering((SortKey(model.id, descending=True, load=int),))
    statement = select(model)
    if info.context.principal.confined:
        async with info.context.sessionmaker() as session:
            reached = await moderation.comments_in_reach(
                session, info.context.host, info.context.principal, select(model.comment_id)
            )
        if reached is not None:
            statement = statement.where(model.comment_id.in_(select(Comment.id).where(reached)))
    return await paginate(
        info.context,
        statement,
        newest_first,
        first=first,
        after=after,
        to_node=lambda row: node(row=row),
    )


@strawberry.type
class VoiceQuery:
    @strawberry.field(
        description="What people say about an object (a Project, a WorkshopsChallenge...).",
        metadata=cost(1),
    )
    async def voice_discussion(self, info: Info, target: strawberry.ID) -> VoiceDiscussion:
        return VoiceDiscussion(target_row=await _discussion(info, target))

    @strawberry.field(
        description="The version of the consent wording a subscriber accepts "
        "(`subscribeToVoiceDigest`'s `consentVersion`).",
    )
    def voice_consent_version(self, info: Info) -> str:
        return _settings(info).consent_version

    @strawberry.field(
        description="Reports of comments, newest first (permission voice:moderate).",
        metadata=cost(1),
    )
    async def voice_reports(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[VoiceReport]:
        return await _moderators_page(info, CommentReport, VoiceReport, first, after)

    @strawberry.field(
        description="The moderation log, newest first (permission voice:moderate).",
        metadata=cost(1),
    )
    async def voice_moderation_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[VoiceModerationEntry]:
        return await _moderators_page(info, ModerationEntry, VoiceModerationEntry, first, after)

    @strawberry.field(
        description="The caller's subscriptions to digests (empty when not signed in).",
        metadata=cost(1, items=10),
    )
    async def voice_my_subscriptions(self, info: Info) -> list[VoiceSubscription]:
        principal = info.context.principal
        if principal.is_anonymous or principal.subject is None:
            return []
        rows = await info.context.execute(
            select(Subscription)
            .where(Subscription.owner_subject == principal.subject)
            .order_by(Subscription.id)
            .limit(200)
        )
        return [VoiceSubscription(row=r) for r in rows.scalars()]


# -- mutations ----------------------------------------------------------------------------------


@strawberry.type(description="A problem with a voice mutation's input.")
class VoiceError:
    field: str | None = strawberry.field(description="The input field at fault.")
    code: VoiceErrorCode  # type: ignore[valid-type]
    message: str = strawberry.field(description="What is wrong and what to do.")


def _errors(errors: list[Invalid]) -> list[VoiceError]:
    return [
        VoiceError(field=e.field, code=VoiceErrorCode[e.code.name], message=e.message)
        for e in errors
    ]


async def _write(
    work: UnitOfWork, change: Callable[[UnitOfWork], Awaitable[T]]
) -> tuple[T | None, list[VoiceError]]:
    """Run ``change`` in ``work`` (one transaction); expected failures become errors."""
    try:
        async with work:
            done = await change(work)
    except Invalid as error:
        return None, _errors([error])
    except IntegrityError:  # the same person's twin request won the race
        return None, _errors([Invalid(Code.DUPLICATE, "this was just done: read it again")])
    return done, []


@strawberry.type(description="The comment, or the errors that prevented the change.")
class VoiceCommentPayload:
    comment: VoiceComment | None
    errors: list[VoiceError]


@strawberry.type(description="Whether the report was taken, or the errors.")
class VoiceReportPayload:
    reported: bool
    errors: list[VoiceError]


@strawberry.type(description="The discussion after the change, or the errors.")
class VoiceDiscussionPayload:
    discussion: VoiceDiscussion | None
    errors: list[VoiceError]


@strawberry.type(description="The subscription after the change, or the errors.")
class VoiceSubscriptionPayload:
    subscription: VoiceSubscription | None
    errors: list[VoiceError]


@strawberry.input(description="A comment on an object, or a reply to a comment.")
class PostVoiceCommentInput:
    target: strawberry.ID | None = strawberry.field(
        default=None, description="What it is about (a Project, a WorkshopsChallenge...)."
    )
    parent: strawberry.ID | None = strawberry.field(
        default=None, description="The comment replied to (then `target` may be left out)."
    )
    body: str = strawberry.field(description="The text (BOCAGE_VOICE_COMMENT_MAX_LENGTH).")
    alias: str = strawberry.field(description="How to sign it: a first name, a nickname.")


@strawberry.input(description="New text for one's own comment, within the edit window.")
class EditVoiceCommentInput:
    comment: strawberry.ID
    body: str


@strawberry.input(description="A report of a comment to the moderators.")
class ReportVoiceCommentInput:
    comment: strawberry.ID
    reason: VoiceReportReason  # type: ignore[valid-type]
    details: str | None = strawberry.field(default=None, description="At most 500 characters.")


@strawberry.input(description="A moderator's decision on a comment, with the reason shown.")
class ModerateVoiceCommentInput:
    comment: strawberry.ID
    reason: str = strawberry.field(description="Why (at most 500 characters); shown publicly.")


@strawberry.input(description="An object to support, or to stop supporting.")
class VoiceSupportInput:
    target: strawberry.ID


@strawberry.input(description="A subscription to e-mail digests, with the person's consent.")
class SubscribeToVoiceDigestInput:
    follow: strawberry.ID = strawberry.field(
        description="The Project, Commune or Territory to follow."
    )
    email: str = strawberry.field(description="Where to send the digests (confirmed first).")
    consent_version: str = strawberry.field(
        description="The version of the consent wording the person accepted "
        "(`voiceConsentVersion`)."
    )
    language: str = strawberry.field(default="fr", description="fr, nl, de or en.")


@strawberry.input(description="The token of a confirmation or unsubscribe link.")
class VoiceTokenInput:
    token: str


@strawberry.input(description="One of the caller's subscriptions.")
class VoiceSubscriptionInput:
    subscription: strawberry.ID


async def _moderate(
    info: Info[Any, Any], input: ModerateVoiceCommentInput, *, hide: bool
) -> VoiceCommentPayload:
    row, errors = await _write(
        unit_of_work(info),
        lambda work: comments.moderate(
            work, info.context.host, comment=input.comment, hide=hide, reason=input.reason
        ),
    )
    return VoiceCommentPayload(comment=VoiceComment(row=row) if row else None, errors=errors)


async def _support(
    info: Info[Any, Any], input: VoiceSupportInput, *, add: bool
) -> VoiceDiscussionPayload:
    host = info.context.host
    found, errors = await _write(
        unit_of_work(info),
        lambda work: comments.support(work, host, target=input.target, add=add),
    )
    discussion = VoiceDiscussion(target_row=found) if found is not None else None
    return VoiceDiscussionPayload(discussion=discussion, errors=errors)


@strawberry.type
class VoiceMutation:
    @strawberry.mutation(
        description="Comment on an object open for comments, or reply to a comment (signed in).",
        metadata=cost(WRITE_COST),
    )
    async def post_voice_comment(
        self, info: Info, input: PostVoiceCommentInput
    ) -> VoiceCommentPayload:
        host, settings = info.context.host, _settings(info)
        row, errors = await _write(
            unit_of_work(info),
            lambda work: comments.post(
                work,
                host,
                settings,
                target=input.target,
                parent=input.parent,
                body=input.body,
                alias=input.alias,
            ),
        )
        return VoiceCommentPayload(comment=VoiceComment(row=row) if row else None, errors=errors)

    @strawberry.mutation(
        description="Edit one's own comment within BOCAGE_VOICE_EDIT_MINUTES of posting it.",
        metadata=cost(WRITE_COST),
    )
    async def edit_voice_comment(
        self, info: Info, input: EditVoiceCommentInput
    ) -> VoiceCommentPayload:
        host, settings = info.context.host, _settings(info)
        row, errors = await _write(
            unit_of_work(info),
            lambda work: comments.edit(
                work, host, settings, comment=input.comment, body=input.body
            ),
        )
        return VoiceCommentPayload(comment=VoiceComment(row=row) if row else None, errors=errors)

    @strawberry.mutation(
        description="Report a comment to the moderators (signed in; once per comment).",
        metadata=cost(WRITE_COST),
    )
    async def report_voice_comment(
        self, info: Info, input: ReportVoiceCommentInput
    ) -> VoiceReportPayload:
        row, errors = await _write(
            unit_of_work(info),
            lambda work: comments.report(
                work, comment=input.comment, reason=input.reason, details=input.details
            ),
        )
        return VoiceReportPayload(reported=row is not None, errors=errors)

    @strawberry.mutation(
        description="Hide a comment, with the reason shown in its place (voice:moderate).",
        metadata=cost(WRITE_COST),
    )
    async def hide_voice_comment(
        self, info: Info, input: ModerateVoiceCommentInput
    ) -> VoiceCommentPayload:
        return await _moderate(info, input, hide=True)

    @strawberry.mutation(
        description="Show a hidden comment again, saying why (voice:moderate).",
        metadata=cost(WRITE_COST),
    )
    async def show_voice_comment(
        self, info: Info, input: ModerateVoiceCommentInput
    ) -> VoiceCommentPayload:
        return await _moderate(info, input, hide=False)

    @strawberry.mutation(
        description="Support an object open for comments (signed in; once per person).",
        metadata=cost(WRITE_COST),
    )
    async def support_voice_target(
        self, info: Info, input: VoiceSupportInput
    ) -> VoiceDiscussionPayload:
        return await _support(info, input, add=True)

    @strawberry.mutation(
        description="Withdraw one's support of an object.", metadata=cost(WRITE_COST)
    )
    async def withdraw_voice_support(
        self, info: Info, input: VoiceSupportInput
    ) -> VoiceDiscussionPayload:
        return await _support(info, input, add=False)

    @strawberry.mutation(
        description="Follow a Project, a Commune or the Territory by e-mail digests (signed "
        "in): records the consent, then e-mails a link to confirm the address; nothing else is "
        "sent before it is confirmed.",
        metadata=cost(WRITE_COST),
    )
    async def subscribe_to_voice_digest(
        self, info: Info, input: SubscribeToVoiceDigestInput
    ) -> VoiceSubscriptionPayload:
        settings = _settings(info)
        row, errors = await _write(
            unit_of_work(info),
            lambda work: subscriptions.subscribe(
                work,
                settings,
                follow=input.follow,
                email_address=input.email,
                language=input.language,
                consent_version=input.consent_version,
            ),
        )
        return _subscription(row, errors)

    @strawberry.mutation(
        description="Confirm a subscription's address with the token of its e-mail.",
        metadata=cost(WRITE_COST),
    )
    async def confirm_voice_subscription(
        self, info: Info, input: VoiceTokenInput
    ) -> VoiceSubscriptionPayload:
        return await _by_token(info, subscriptions.confirm, input.token)

    @strawberry.mutation(
        description="Unsubscribe with the token of a digest's link (no sign-in needed).",
        metadata=cost(WRITE_COST),
    )
    async def unsubscribe_voice_digest(
        self, info: Info, input: VoiceTokenInput
    ) -> VoiceSubscriptionPayload:
        return await _by_token(info, subscriptions.unsubscribe, input.token)

    @strawberry.mutation(
        description="Stop one of one's own subscriptions (signed in).",
        metadata=cost(WRITE_COST),
    )
    async def cancel_voice_subscription(
        self, info: Info, input: VoiceSubscriptionInput
    ) -> VoiceSubscriptionPayload:
        row, errors = await _write(
            unit_of_work(info),
            lambda work: subscriptions.unsubscribe_mine(work, input.subscription),
        )
        return _subscription(row, errors)


async def _by_token(
    info: Info[Any, Any],
    action: Callable[[Any, VoiceSettings, str], Awaitable[Subscription]],
    token: str,
) -> VoiceSubscriptionPayload:
    """Confirm or unsubscribe with the token of an e-mail's link (no sign-in needed)."""
    settings = _settings(info)
    row, errors = await _write(
        unit_of_work(info), lambda work: action(work.session, settings, token)
    )
    return _subscription(row, errors)


def _subscription(row: Subscription | None, errors: list[VoiceError]) -> VoiceSubscriptionPayload:
    return VoiceSubscriptionPayload(
        subscription=VoiceSubscription(row=row) if row is not None else None, errors=errors
    )
