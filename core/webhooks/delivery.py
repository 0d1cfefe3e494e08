"""One delivery attempt: the ``webhook.deliver`` job.

The body follows Standard Webhooks' payload shape: ``{"type", "timestamp", "data"}``; ``data``
holds the event (``eventId``, ``sequence``, ``subject``, the object's id and type, the names
of the fields changed). Any 2xx answer is a success; anything else, a timeout, a refused
address or a redirect (never followed) is a failed attempt, retried with exponential backoff
until ``BOCAGE_WEBHOOKS_MAX_ATTEMPTS``. Every attempt is logged with its status, latency and
the start of the response.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import orjson

from bocage.core.db import utcnow
from bocage.core.hookspecs import JobContext, JobKind
from bocage.core.models import EventRecord, WebhookAttempt, WebhookDelivery, WebhookSubscription
from bocage.core.observability import tracing
from bocage.core.observability.metrics import webhook_attempt
from bocage.core.webhooks import signature_header
from bocage.core.webhooks.relay import DELIVER
from bocage.core.webhooks.targets import UnsafeTarget, resolve

#: Characters of the receiver's answer kept in the log.
EXCERPT = 500
USER_AGENT = "Bocage-Webhooks/1"


class DeliveryFailed(Exception):
    """The receiver did not acknowledge the event (the message says how)."""


def body_of(event: EventRecord) -> bytes:
    return orjson.dumps(
        {
            "type": event.type,
            "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": {
                **event.data,
                "eventId": event.event_id,
                "sequence": event.id,
                "subject": event.subject,
            },
        }
    )


def signing_secrets(subscription: WebhookSubscription) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    found = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > utcnow():
        found.append(subscription.previous_secret)
    return found


#: One HTTP client per event loop (building one, with its TLS context, costs milliseconds).
_CLIENTS: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


def _client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None or client.is_closed:
        # No keep-alive: connections are made to checked addresses, and one kept open for a
        # host must never carry another host's request (same address, other TLS name).
        client = tracing.instrument_client(  # traceparent in the headers, when traced
            httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        )
        _CLIENTS[loop] = client
    return client


async def close_clients() -> None:
    """Close this event loop's client (the worker does when it stops)."""
    client = _CLIENTS.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


async def post(
    url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, timeout: float
) -> httpx.Response:
    """POST to the address ``url``'s host resolves to now, after checking it."""
    target = await resolve(url, allow_private=allow_private)
    return await _client().post(
        target.pinned_url,
        content=body,
        headers={**headers, "host": target.host_header},
        extensions={"sni_hostname": target.host},
        timeout=timeout,
    )


async def deliver(context: JobContext, payload: dict[str, Any]) -> None:
    settings = context.settings
    async with context.sessionmaker() as session:
        delivery = await session.get(WebhookDelivery, payload["delivery"])
        if delivery is None:
            return  # its subscription was deleted
        subscription = await session.get(WebhookSubscription, delivery.subscription_id)
        event = await session.get(EventRecord, delivery.event_log_id)
    if subscription is None or event is None:
        return
    if not subscription.active:
        await _record(context, delivery.id, status="cancelled", error="subscription paused")
        return
    body = body_of(event)
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            signing_secrets(subscription), event.event_id, timestamp, body
        ),
    }
    started = time.perf_counter()
    status_code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    try:
        response = await post(
            subscription.url,
            body,
            headers,
            allow_private=settings.webhooks_allow_private_targets,
            timeout=settings.webhooks_timeout_seconds,
        )
        status_code = response.status_code
        excerpt = response.text[:EXCERPT]
        if response.is_redirect:
            error = f"HTTP {status_code}: redirects are not followed; subscribe the final URL"
        elif not response.is_success:
            error = f"HTTP {status_code}"
    except UnsafeTarget as refused:
        error = f"refused: {refused}"
    except httpx.TimeoutException:
        error = f"timed out after {settings.webhooks_timeout_seconds:g} s"
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"[:1000]
    elapsed = time.perf_counter() - started
    latency = round(elapsed * 1000)
    webhook_attempt(error is None, elapsed)
    if error is None:
        status = "succeeded"
    else:
        status = "pending" if context.next_attempt_at is not None else "failed"
    await _record(
        context,
        delivery.id,
        status=status,
        error=error,
        status_code=status_code,
        excerpt=excerpt,
        latency=latency,
    )
    if error is not None:
        raise DeliveryFailed(error)


async def _record(
    context: JobContext,
    delivery_id: int,
    *,
    status: str,
    error: str | None,
    status_code: int | None = None,
    excerpt: str | None = None,
    latency: int | None = None,
) -> None:
    now = utcnow()
    async with context.sessionmaker() as session, session.begin():
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        delivery.status = status
        delivery.last_error = error
        if latency is None:
            return
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_latency_ms = latency
        delivery.last_response = excerpt
        delivery.last_attempt_at = now
        delivery.next_attempt_at = context.next_attempt_at if status == "pending" else None
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                attempted_at=now,
                status_code=status_code,
                latency_ms=latency,
                response_excerpt=excerpt,
                error=error,
            )
        )


def job_kind() -> JobKind:
    return JobKind(
        name=DELIVER,
        handler=deliver,
        description="Send one event to one webhook subscription.",
    )
