"""Background jobs and webhooks: the queue's table, the relay's cursor, subscriptions and the
delivery log.

Jobs live in the application's database, so a job is enqueued in the transaction of the change
that causes it, and survives a restart. Webhook deliveries are made by a relay that turns new
rows of the event log into delivery jobs (the event log is the outbox).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.core.db import Base, JSONType, Timestamped, utcnow
from bocage.core.models.events import BigKey

#: A job's states. ``dead``: every attempt failed; an administrator may replay it.
JOB_STATUSES = ("queued", "running", "succeeded", "dead")


class Job(Base):
    """One unit of background work of a registered ``kind``."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_due", "status", "run_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    #: ``None``: the kind's number of attempts, else ``BOCAGE_JOBS_MAX_ATTEMPTS``.
    max_attempts: Mapped[int | None]
    #: When the job is due (the next attempt, after a failure).
    run_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: A running job whose lease expired is taken again: its worker died.
    locked_until: Mapped[dt.datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    #: The W3C trace context (``traceparent``...) of the code that enqueued it, when traced:
    #: the job's span continues that trace.
    trace_context: Mapped[dict[str, str] | None] = mapped_column(JSONType)


class JobCursor(Base):
    """How far a relay has read the event log (``id`` of the last event handled)."""

    __tablename__ = "job_cursor"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    position: Mapped[int] = mapped_column(BigKey, default=0)


class WebhookSubscription(Timestamped, Base):
    """An HTTPS endpoint that receives the events of the types it lists."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(default=True)
    #: ``whsec_<base64>``: what the receiver verifies signatures with.
    secret: Mapped[str] = mapped_column(String(100))
    #: The secret before the last rotation, still signing until ``previous_secret_expires_at``.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[dt.datetime | None]
    #: Who subscribed: a person's ``sub`` or a client's id.
    owner_subject: Mapped[str | None] = mapped_column(String(200))
    owner_client_id: Mapped[str | None] = mapped_column(String(100))
    #: The permissions the subscriber held when subscribing: events that need another one are
    #: not delivered to it.
    permissions: Mapped[list[str]] = mapped_column(JSONType)
    #: The rows the subscriber reached then (``policy.Reach.as_json``): events of other
    #: organisations' or communes' rows are not delivered to it. ``None`` (saved before this
    #: was kept): none, until the subscription is saved again.
    reach: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class WebhookDelivery(Base):
    """One event to deliver to one subscription, and how it went."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_log_id"),
        Index("ix_webhook_delivery_subscription", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_log_id: Mapped[int] = mapped_column(BigKey)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(80))
    #: ``pending`` (waiting or retrying), ``succeeded`` or ``failed`` (gave up).
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[int | None] = mapped_column(BigKey)
    last_status_code: Mapped[int | None]
    last_latency_ms: Mapped[int | None]
    last_response: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[dt.datetime | None]
    next_attempt_at: Mapped[dt.datetime | None]


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: the log a subscriber inspects."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigKey, ForeignKey("webhook_delivery.id", ondelete="CASCADE")
    )
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
