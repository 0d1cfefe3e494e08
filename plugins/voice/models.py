"""The voice plugin's tables: comments (threads of bounded depth), supports (one per person and
object), reports and the moderation log, and subscriptions to digests (with their consent).

Every object people discuss is named by its GraphQL type and database key (``target_type``,
``target_key``): the core's ``Project``, or a type another plugin declares with
``bocage_discussion_targets`` (``WorkshopsChallenge``).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.api import Base, Timestamped, personal, utcnow


class ReportReason(enum.StrEnum):
    """Why a comment was reported (Decidim's reasons)."""

    SPAM = "spam"  # advertising, scams, bots
    OFFENSIVE = "offensive"  # insults, harassment, discrimination
    DOES_NOT_BELONG = "does_not_belong"  # off topic, illegal, personal data of others


class FollowScope(enum.StrEnum):
    """What a subscription follows."""

    PROJECT = "project"
    COMMUNE = "commune"
    TERRITORY = "territory"


class Comment(Base, Timestamped):
    """A comment on an object, or a reply (``parent``) at ``depth`` (1: a comment)."""

    __tablename__ = "voice_comment"
    __graphql_type__ = "VoiceComment"
    __table_args__ = (Index("ix_voice_comment_target", "target_type", "target_key", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_key: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_comment.id", ondelete="CASCADE"), default=None, index=True
    )
    depth: Mapped[int] = mapped_column(Integer, default=1)
    #: The author's account (a token's subject): never shown; ``None`` once erased.
    author_subject: Mapped[str | None] = personal(String(200), default=None, index=True)
    #: How the author signs, as they chose it (a first name, a nickname): public.
    alias: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    hidden_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: The moderator's reason, shown with "hidden by moderation".
    hidden_reason: Mapped[str | None] = mapped_column(String(500), default=None)

    def __repr__(self) -> str:  # never print personal data
        return f"<Comment {self.id}>"


class Support(Base):
    """One person's support of an object (counted in public, never said who)."""

    __tablename__ = "voice_support"
    __graphql_type__ = "VoiceSupport"
    __table_args__ = (UniqueConstraint("target_type", "target_key", "supporter_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_key: Mapped[int] = mapped_column(Integer)
    supporter_subject: Mapped[str] = personal(String(200), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CommentReport(Base):
    """A person's report of a comment, one per person and comment."""

    __tablename__ = "voice_report"
    __graphql_type__ = "VoiceReport"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("voice_comment.id", ondelete="CASCADE"), index=True
    )
    reporter_subject: Mapped[str | None] = personal(String(200), default=None, index=True)
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ModerationEntry(Base):
    """The moderation log: a comment hidden or shown again, why, by whom, when."""

    __tablename__ = "voice_moderation"
    __graphql_type__ = "VoiceModerationEntry"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("voice_comment.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    moderator_subject: Mapped[str | None] = personal(String(200), default=None, index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Subscription(Base, Timestamped):
    """A person following a project, a commune or the territory, digested by e-mail.

    Created unconfirmed with the consent the person gave (when, which wording); the e-mail
    confirming the address carries the signed token of the confirmation and of the one-click
    unsubscribe. Nothing is sent but the confirmation until it is confirmed, and
    nothing at all once unsubscribed."""

    __tablename__ = "voice_subscription"
    __graphql_type__ = "VoiceSubscription"
    __table_args__ = (UniqueConstraint("owner_subject", "scope", "scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_subject: Mapped[str | None] = personal(String(200), default=None, index=True)
    email: Mapped[str | None] = personal(String(320), default=None)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    scope: Mapped[str] = mapped_column(String(20))
    #: The project's or commune's database key; the territory's for the territory.
    scope_key: Mapped[int] = mapped_column(Integer)
    consent_at: Mapped[dt.datetime]
    consent_version: Mapped[str] = mapped_column(String(40))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: Signed into its confirmation and unsubscribe links (``links.token``); a new one on each
    #: subscription, so that the links of an earlier one stop working.
    nonce: Mapped[str] = mapped_column(String(32))
    #: The change feed's sequence the next digest reads after.
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    last_digest_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:  # never print personal data
        return f"<Subscription {self.id}>"


class SupportWithdrawal(Base):
    """When a support was withdrawn (or erased with its person), on which object: nobody's,
    kept so that the open-data ``voice`` dataset's last change (``dct:modified``, and its
    ``ETag``) follows a count that went down, its row being gone."""

    __tablename__ = "voice_support_withdrawal"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_key: Mapped[int] = mapped_column(Integer)
    withdrawn_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
