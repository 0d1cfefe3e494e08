"""The webhook API: event types, subscriptions (create, change, pause, delete, rotate the
secret), deliveries with their attempts, replay. Administrators see every subscription;
integrator clients (scope ``webhooks:manage``) and other holders see their own."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, select
from strawberry import relay
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.auth import policy
from bocage.core.db import utcnow
from bocage.core.events import Reader
from bocage.core.graphql.errors import BocageError, ErrorCode
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import (
    WRITE_COST,
    Change,
    Code,
    Invalid,
    error_codes,
    given,
    key_of,
    mutate,
)
from bocage.core.graphql.pagination import Connection, Ordering, SortKey, paginate
from bocage.core.hookspecs import EventScope
from bocage.core.jobs import enqueue_job
from bocage.core.webhooks import WEBHOOKS_MANAGE, event_types, new_secret
from bocage.core.webhooks.relay import DELIVER
from bocage.core.webhooks.targets import UnsafeTarget, resolve

MAX_EVENT_TYPES = 200
HIDDEN = "[hidden]"


class Forbidden(BocageError):
    code = ErrorCode.FORBIDDEN


WebhookErrorCode = error_codes("WebhookErrorCode", "Why a webhook mutation failed.")


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(enum.Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@strawberry.type(name="WebhookEventType", description="An event type endpoints may receive.")
class WebhookEventTypeInfo:
    type: str = strawberry.field(metadata=cost(0), description="E.g. `project.created`.")
    description: str = strawberry.field(metadata=cost(0))
    permission: str | None = strawberry.field(
        metadata=cost(0), description="What a subscriber needs to receive it (null: nothing)."
    )


@strawberry.type(description="One HTTP attempt of a delivery.")
class WebhookAttempt:
    attempted_at: dt.datetime = strawberry.field(metadata=cost(0))
    status_code: int | None = strawberry.field(
        metadata=cost(0), description="The receiver's HTTP status (null: no answer)."
    )
    latency_ms: int = strawberry.field(metadata=cost(0))
    response_excerpt: str | None = strawberry.field(
        metadata=cost(0), description="The first 500 characters of the answer."
    )
    error: str | None = strawberry.field(
        metadata=cost(0), description="Why the attempt failed (null: it succeeded)."
    )


def _gid(type_name: str, key: int) -> relay.GlobalID:
    return relay.GlobalID(type_name, str(key))


@strawberry.type(description="One event sent (or to send) to one subscription.")
class WebhookDelivery:
    row: strawberry.Private[m.WebhookDelivery]

    @strawberry.field(metadata=cost(0))
    def id(self) -> relay.GlobalID:
        return _gid("WebhookDelivery", self.row.id)

    @strawberry.field(
        metadata=cost(0), description="The `webhook-id` header: the event's unique ID."
    )
    def event_id(self) -> str:
        return self.row.event_id

    @strawberry.field(metadata=cost(0))
    def event_type(self) -> str:
        return self.row.event_type

    @strawberry.field(metadata=cost(0))
    def status(self) -> WebhookDeliveryStatus:
        return WebhookDeliveryStatus(self.row.status)

    @strawberry.field(metadata=cost(0), description="Attempts made so far.")
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(metadata=cost(0))
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(metadata=cost(0))
    def last_attempt_at(self) -> dt.datetime | None:
        return self.row.last_attempt_at

    @strawberry.field(metadata=cost(0), description="When it is retried (pending ones).")
    def next_attempt_at(self) -> dt.datetime | None:
        return self.row.next_attempt_at

    @strawberry.field(metadata=cost(0))
    def last_status_code(self) -> int | None:
        return self.row.last_status_code

    @strawberry.field(metadata=cost(0), description="Latency of the last attempt.")
    def last_latency_ms(self) -> int | None:
        return self.row.last_latency_ms

    @strawberry.field(metadata=cost(0), description="Start of the last answer.")
    def last_response_excerpt(self) -> str | None:
        return self.row.last_response

    @strawberry.field(metadata=cost(0))
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(metadata=cost(1), description="Every attempt, oldest first.")
    async def log(self, info: Info) -> list[WebhookAttempt]:
        rows = await info.context.execute(
            select(m.WebhookAttempt)
            .where(m.WebhookAttempt.delivery_id == self.row.id)
            .order_by(m.WebhookAttempt.id)
        )
        return [
            WebhookAttempt(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                latency_ms=a.latency_ms,
                response_excerpt=a.response_excerpt,
                error=a.error,
            )
            for a in rows.scalars()
        ]


def _by_id_desc(column: Any) -> Ordering:
    return Ordering((SortKey(column, True, int),))


@strawberry.type(description="An HTTPS endpoint subscribed to event types.")
class WebhookSubscription:
    row: strawberry.Private[m.WebhookSubscription]

    @strawberry.field(metadata=cost(0))
    def id(self) -> relay.GlobalID:
        return _gid("WebhookSubscription", self.row.id)

    @strawberry.field(metadata=cost(0))
    def url(self) -> str:
        return self.row.url

    @strawberry.field(metadata=cost(0))
    def description(self) -> str:
        return self.row.description

    @strawberry.field(metadata=cost(0))
    def event_types(self) -> list[str]:
        return list(self.row.event_types)

    @strawberry.field(metadata=cost(0), description="False while paused: nothing is sent.")
    def active(self) -> bool:
        return self.row.active

    @strawberry.field(
        metadata=cost(0),
        description="Until when the previous secret still signs deliveries (after a rotation).",
    )
    def previous_secret_expires_at(self) -> dt.datetime | None:
        expires = self.row.previous_secret_expires_at
        return expires if expires is not None and expires > utcnow() else None

    @strawberry.field(metadata=cost(0))
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(metadata=cost(0))
    def updated_at(self) -> dt.datetime:
        return self.row.updated_at

    @strawberry.field(metadata=cost(1), description="Deliveries, newest first.")
    async def deliveries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            WebhookDeliveryStatus | None, strawberry.argument(description="Only these.")
        ] = None,
    ) -> Connection[WebhookDelivery]:
        statement = select(m.WebhookDelivery).where(
            m.WebhookDelivery.subscription_id == self.row.id
        )
        if status is not None:
            statement = statement.where(m.WebhookDelivery.status == status.value)
        return await paginate(
            info.context,
            statement,
            _by_id_desc(m.WebhookDelivery.id),
            first=first,
            after=after,
            to_node=lambda row: WebhookDelivery(row=row),
        )


def _require(info: Info) -> Any:
    principal = info.context.principal
    if principal.is_anonymous or not policy.can(principal, WEBHOOKS_MANAGE.code):
        raise Forbidden(f"this needs the {WEBHOOKS_MANAGE.code} permission")
    return principal


def _owned(principal: Any) -> Any:
    """The condition on subscriptions ``principal`` manages."""
    if principal.is_admin and not principal.confined:
        return m.WebhookSubscription.id.is_not(None)
    if principal.client_id:
        return m.WebhookSubscription.owner_client_id == principal.client_id
    return m.WebhookSubscription.owner_subject == principal.subject


def _subscriptions(principal: Any) -> Select[*tuple[Any, ...]]:
    return select(m.WebhookSubscription).where(_owned(principal))


@strawberry.type
class WebhookQuery:
    @strawberry.field(metadata=cost(1), description="Event types webhook subscriptions may list.")
    def webhook_event_types(self, info: Info) -> list[WebhookEventTypeInfo]:
        return [
            WebhookEventTypeInfo(type=t.type, description=t.description, permission=t.permission)
            for t in sorted(event_types(info.context.host).values(), key=lambda t: t.type)
        ]

    @strawberry.field(
        metadata=cost(1),
        description="Your webhook subscriptions (every one for administrators), newest first "
        "(permission webhooks:manage).",
    )
    async def webhook_subscriptions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookSubscription]:
        principal = _require(info)
        return await paginate(
            info.context,
            _subscriptions(principal),
            _by_id_desc(m.WebhookSubscription.id),
            first=first,
            after=after,
            to_node=lambda row: WebhookSubscription(row=row),
        )

    @strawberry.field(metadata=cost(1), description="One of your webhook subscriptions.")
    async def webhook_subscription(
        self, info: Info, id: strawberry.ID
    ) -> WebhookSubscription | None:
        principal = _require(info)
        try:
            _type, key = key_of(id, WebhookSubscriptionKey, "id")
        except Invalid as error:
            raise BocageError(error.message, field="id") from None
        row = (
            await info.context.execute(
                _subscriptions(principal).where(m.WebhookSubscription.id == key)
            )
        ).scalar_one_or_none()
        return WebhookSubscription(row=row) if row is not None else None


class WebhookSubscriptionKey:
    """Stands for the GraphQL type name in :func:`key_of`."""


WebhookSubscriptionKey.__name__ = "WebhookSubscription"


class WebhookDeliveryKey:
    pass


WebhookDeliveryKey.__name__ = "WebhookDelivery"


@strawberry.type(description="A problem with a webhook mutation's input.")
class WebhookError:
    field: str | None
    code: WebhookErrorCode  # type: ignore[valid-type]  # built by error_codes()
    message: str


@strawberry.type(description="The subscription, or the errors that prevented the change.")
class WebhookSubscriptionPayload:
    subscription: WebhookSubscription | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (`whsec_...`), shown only when created or rotated: "
        "store it now.",
    )
    errors: list[WebhookError] = strawberry.field(default_factory=list)


@strawberry.type(description="The ID of the deleted subscription, or the errors.")
class DeleteWebhookSubscriptionPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[WebhookError] = strawberry.field(default_factory=list)


@strawberry.type(description="The delivery queued again, or the errors.")
class ReplayWebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[WebhookError] = strawberry.field(default_factory=list)


@strawberry.input(description="A new subscription: where and which events.")
class CreateWebhookSubscriptionInput:
    url: str = strawberry.field(description="An https:// URL on a public address.")
    event_types: list[str] = strawberry.field(description="Types from `webhookEventTypes`.")
    description: str = ""


@strawberry.input(description="Changes to a subscription; `active: false` pauses it.")
class UpdateWebhookSubscriptionInput:
    id: strawberry.ID
    url: str | None = strawberry.UNSET
    event_types: list[str] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


def _errors(outcome: Any) -> list[WebhookError]:
    return [
        WebhookError(field=e.field, code=WebhookErrorCode[e.code.name], message=e.message)
        for e in outcome.errors or []
    ]


async def _check_url(info: Info, url: str) -> str:
    try:
        await resolve(url, allow_private=info.context.settings.webhooks_allow_private_targets)
    except UnsafeTarget as error:
        raise Invalid(Code.INVALID, str(error), "url") from None
    return url.strip()


def _check_types(info: Info, principal: Any, values: list[str]) -> list[str]:
    known = event_types(info.context.host)
    chosen = sorted({v.strip() for v in values})
    if not chosen:
        raise Invalid(Code.REQUIRED, "list at least one event type", "eventTypes")
    if len(chosen) > MAX_EVENT_TYPES:
        raise Invalid(Code.INVALID, f"at most {MAX_EVENT_TYPES} event types", "eventTypes")
    unknown = [v for v in chosen if v not in known]
    if unknown:
        raise Invalid(
            Code.INVALID,
            f"unknown event type {', '.join(unknown)}; see `webhookEventTypes`",
            "eventTypes",
        )
    for value in chosen:
        needed = known[value].permission
        if needed is not None and not policy.can(principal, needed):
            raise Invalid(
                Code.FORBIDDEN, f"receiving {value} needs the {needed} permission", "eventTypes"
            )
    return chosen


def _check_description(value: str) -> str:
    value = value.strip()
    if len(value) > 500:
        raise Invalid(Code.INVALID, "description is limited to 500 characters", "description")
    return value


def _keep_reader(info: Info, principal: Any, row: m.WebhookSubscription) -> None:
    """Keep on the subscription what its subscriber may read now: the permissions it holds
    and the rows it reaches (deliveries follow the change feed's rule for it)."""
    reader = Reader.of(info.context.host, principal)
    row.permissions = sorted(reader.permissions)
    row.reach = reader.kept_reach()


async def _load_owned(session: Any, principal: Any, value: Any) -> m.WebhookSubscription:
    _type, key = key_of(value, WebhookSubscriptionKey, "id")
    row = (
        await session.execute(_subscriptions(principal).where(m.WebhookSubscription.id == key))
    ).scalar_one_or_none()
    if row is None:
        raise Invalid(Code.NOT_FOUND, "no webhook subscription of yours has this ID", "id")
    return row


def _public_changes(row: m.WebhookSubscription, fields: list[str]) -> dict[str, Any]:
    return {f: {"after": HIDDEN if "secret" in f else getattr(row, f)} for f in fields}


def _change(row: m.WebhookSubscription, action: str, changes: dict[str, Any]) -> Change:
    """A change to a subscription: its event reaches webhook managers who own it, and
    administrators (which endpoints a client has is its own business)."""
    owner = policy.owner_key(row.owner_client_id, row.owner_subject)
    return Change(
        row=row,
        action=action,
        changes=changes,
        permission=WEBHOOKS_MANAGE.code,
        # No owner (none should lack one): an owner no reader has, for administrators only.
        scope=EventScope(owner=owner or "unknown:"),
    )


async def _change_subscription(
    info: Info, operation: str, change: Any, secret: str | None = None
) -> WebhookSubscriptionPayload:
    """Run ``change`` as a webhooks:manage mutation; the payload (with the new ``secret``, shown
    once, when there is one)."""
    outcome = await mutate(
        info,
        permission=WEBHOOKS_MANAGE,
        operation=operation,
        change=change,
        model=m.WebhookSubscription,
    )
    if outcome.errors:
        return WebhookSubscriptionPayload(errors=_errors(outcome))
    return WebhookSubscriptionPayload(
        subscription=WebhookSubscription(row=outcome.row), secret=secret
    )


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Subscribe an HTTPS endpoint to event types (permission webhooks:manage). "
        "The answer holds the signing secret, shown only this once.",
    )
    async def create_webhook_subscription(
        self, info: Info, input: CreateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        secret = new_secret()

        async def change(session: Any, principal: Any) -> Change:
            row = m.WebhookSubscription(
                url=await _check_url(info, input.url),
                event_types=_check_types(info, principal, input.event_types),
                description=_check_description(input.description),
                active=True,
                secret=secret,
                owner_subject=principal.subject,
                owner_client_id=principal.client_id,
            )
            _keep_reader(info, principal, row)
            session.add(row)
            await session.flush()
            changes = _public_changes(row, ["url", "event_types", "description", "secret"])
            return _change(row, "created", changes)

        return await _change_subscription(info, "createWebhookSubscription", change, secret=secret)

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Change a subscription; `active: false` pauses it (events meanwhile are "
        "not sent), `active: true` resumes it.",
    )
    async def update_webhook_subscription(
        self, info: Info, input: UpdateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        async def change(session: Any, principal: Any) -> Change:
            row = await _load_owned(session, principal, input.id)
            changed = []
            if given(input.url):
                if input.url is None:
                    raise Invalid(Code.REQUIRED, "url cannot be removed", "url")
                row.url = await _check_url(info, input.url)
                changed.append("url")
            if given(input.event_types):
                row.event_types = _check_types(info, principal, input.event_types or [])
                changed.append("event_types")
            if given(input.description):
                row.description = _check_description(input.description or "")
                changed.append("description")
            if given(input.active) and input.active is not None:
                row.active = input.active
                changed.append("active")
            # What the subscriber may read as it is now.
            _keep_reader(info, principal, row)
            row.updated_at = utcnow()
            return _change(row, "updated", _public_changes(row, changed))

        return await _change_subscription(info, "updateWebhookSubscription", change)

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Replace the signing secret. The previous one keeps signing deliveries "
        "(a second signature) for `graceSeconds` (default BOCAGE_WEBHOOKS_SECRET_GRACE_SECONDS), "
        "so receivers can switch without losing any.",
    )
    async def rotate_webhook_secret(
        self, info: Info, id: strawberry.ID, grace_seconds: int | None = None
    ) -> WebhookSubscriptionPayload:
        secret = new_secret()
        grace = (
            grace_seconds
            if grace_seconds is not None
            else info.context.settings.webhooks_secret_grace_seconds
        )

        async def change(session: Any, principal: Any) -> Change:
            if not 0 <= grace <= 30 * 86400:
                raise Invalid(
                    Code.INVALID,
                    "graceSeconds must be between 0 and 2592000 (30 days)",
                    "graceSeconds",
                )
            row = await _load_owned(session, principal, id)
            row.previous_secret = row.secret
            row.previous_secret_expires_at = utcnow() + dt.timedelta(seconds=grace)
            row.secret = secret
            row.updated_at = utcnow()
            return _change(row, "secret_rotated", _public_changes(row, ["secret"]))

        return await _change_subscription(info, "rotateWebhookSecret", change, secret=secret)

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Delete a subscription and its delivery log; nothing more is sent.",
    )
    async def delete_webhook_subscription(
        self, info: Info, id: strawberry.ID
    ) -> DeleteWebhookSubscriptionPayload:
        async def change(session: Any, principal: Any) -> Change:
            row = await _load_owned(session, principal, id)
            await session.delete(row)
            await session.flush()
            return _change(row, "deleted", {})

        outcome = await mutate(
            info,
            permission=WEBHOOKS_MANAGE,
            operation="deleteWebhookSubscription",
            change=change,
            model=m.WebhookSubscription,
        )
        if outcome.errors:
            return DeleteWebhookSubscriptionPayload(errors=_errors(outcome))
        return DeleteWebhookSubscriptionPayload(deleted_id=strawberry.ID(str(id)))

    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Send a delivery again (a failed one, or to test the endpoint), with a "
        "fresh set of attempts; the receiver sees the same `webhook-id`.",
    )
    async def replay_webhook_delivery(
        self, info: Info, id: strawberry.ID
    ) -> ReplayWebhookDeliveryPayload:
        context = info.context
        principal = context.principal
        if principal.is_anonymous or not policy.can(principal, WEBHOOKS_MANAGE.code):
            code = Code.UNAUTHENTICATED if principal.is_anonymous else Code.FORBIDDEN
            message = f"this needs the {WEBHOOKS_MANAGE.code} permission"
            return ReplayWebhookDeliveryPayload(
                errors=[WebhookError(field=None, code=WebhookErrorCode[code.name], message=message)]
            )
        try:
            _type, key = key_of(id, WebhookDeliveryKey, "id")
        except Invalid as error:
            return ReplayWebhookDeliveryPayload(
                errors=[
                    WebhookError(field="id", code=WebhookErrorCode.INVALID, message=error.message)
                ]
            )
        async with context.sessionmaker() as session, session.begin():
            delivery = (
                await session.execute(
                    select(m.WebhookDelivery)
                    .join(m.WebhookSubscription)
                    .where(m.WebhookDelivery.id == key, _owned(principal))
                )
            ).scalar_one_or_none()
            if delivery is None:
                return ReplayWebhookDeliveryPayload(
                    errors=[
                        WebhookError(
                            field="id",
                            code=WebhookErrorCode.NOT_FOUND,
                            message="no delivery of your subscriptions has this ID",
                        )
                    ]
                )
            job = await enqueue_job(
                session,
                DELIVER,
                {"delivery": delivery.id},
                max_attempts=context.settings.webhooks_max_attempts,
            )
            delivery.job_id = job.id
            delivery.status = "pending"
            delivery.next_attempt_at = utcnow()
        return ReplayWebhookDeliveryPayload(delivery=WebhookDelivery(row=delivery))
