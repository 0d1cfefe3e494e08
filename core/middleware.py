"""Protective ASGI middleware: authentication for the rate limiter, rate limiting, NUL
characters in URLs, CSRF-safe content types, request body size.

Each answers a refused request itself with the JSON error shape of its path
(:func:`bocage.core.rest_errors.refusal_response`: GraphQL's on /graphql, REST's elsewhere);
:func:`protective_middleware` lists them in order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.routing import Match

from bocage.core.auth.tokens import PRINCIPAL_STATE, Authentication
from bocage.core.errors import SettingsError
from bocage.core.rest_errors import refusal_response

if TYPE_CHECKING:
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from bocage.core.auth.principal import Principal
    from bocage.core.hookspecs import RestRoute
    from bocage.core.settings import Settings

#: Probes of orchestrators and load balancers, and metric scrapers, are never rate limited.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

#: What a POST to /graphql may be sent as. A cross-site HTML form can only send
#: ``application/x-www-form-urlencoded``, ``multipart/form-data`` or ``text/plain``
#: without a CORS preflight: refusing them refuses cross-site forged mutations.
GRAPHQL_CONTENT_TYPES = frozenset({"application/json"})


def client_key(scope: Scope) -> str:
    """Whom a request counts against: the client (client id) or person (subject) of a valid
    bearer token, as :class:`~bocage.core.auth.tokens.Authentication` left it in the request
    state, so that every token of a client shares one count; else (no token, or one that is
    not valid) the IP address."""
    principal: Principal | None = scope.get("state", {}).get(PRINCIPAL_STATE)
    if principal is not None and not principal.is_anonymous:
        if principal.client_id:
            return f"client:{principal.client_id}"
        if principal.subject:
            return f"person:{principal.subject}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


def limits_storage(settings: Settings) -> Storage:
    """The storage of ``BOCAGE_RATE_LIMIT_STORAGE``, shared by the rate limit and the failure
    throttle of the token endpoint; :class:`SettingsError` if it cannot be used."""
    try:
        storage = storage_from_string(f"async+{settings.rate_limit_storage}")
    except Exception as error:  # a missing driver or a malformed URL: fail at startup
        raise SettingsError(
            f"BOCAGE_RATE_LIMIT_STORAGE={settings.rate_limit_storage!r} cannot be used: {error}"
        ) from None
    if not isinstance(storage, Storage):  # the "async+" scheme makes it an asyncio storage
        raise SettingsError(
            f"BOCAGE_RATE_LIMIT_STORAGE={settings.rate_limit_storage!r} gives no asyncio storage"
        )
    return storage


@dataclass(frozen=True)
class Refusal:
    """A request over the rate: what to answer (the message and ``Retry-After``)."""

    message: str
    retry_after: int


class RequestCounts:
    """At most ``item`` requests per client (see :func:`client_key`), and one address at most
    :data:`ADDRESS_CEILING` clients' worth. Counts live in ``storage`` (a sliding window
    counter): in memory they are per worker; a Redis storage shares them between workers and
    servers. Used for HTTP requests (:class:`RateLimit`) and for the operations a WebSocket
    starts (the GraphQL view)."""

    #: How many clients' worth of requests one address may send in all (several clients or
    #: people may share an address, e.g. behind a NAT).
    ADDRESS_CEILING = 10

    def __init__(self, item: RateLimitItem, storage: Storage) -> None:
        self.item = item
        self.address_item = type(item)(item.amount * self.ADDRESS_CEILING, item.multiples)
        self.limiter = SlidingWindowCounterRateLimiter(storage)

    async def refusal(self, scope: Scope) -> Refusal | None:
        """Count one request of ``scope``'s caller; its refusal when over a limit."""
        key = client_key(scope)
        exhausted = await self._exhausted(scope, key)
        if exhausted is None:
            return None
        item, key = exhausted
        stats = await self.limiter.get_window_stats(item, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        who = "address" if key.startswith("address:") else "client"
        return Refusal(
            f"Too many requests: the limit is {item.amount} per {self._period()} per {who}. "
            f"Retry after {retry_after} s, or spread your requests.",
            retry_after,
        )

    async def _exhausted(self, scope: Scope, key: str) -> tuple[RateLimitItem, str] | None:
        """The exhausted limit and its key, or None when the request may pass."""
        if not key.startswith("ip:"):
            client = scope.get("client")
            address = f"address:{client[0] if client else 'unknown'}"
            if not await self.limiter.hit(self.address_item, address):
                return self.address_item, address
        if not await self.limiter.hit(self.item, key):
            return self.item, key
        return None

    def _period(self) -> str:
        unit = self.item.GRANULARITY.name
        return unit if self.item.multiples == 1 else f"{self.item.multiples} {unit}s"


def request_counts(settings: Settings, storage: Storage | None = None) -> RequestCounts | None:
    """The counts of ``BOCAGE_RATE_LIMIT`` (None when it is ``off``)."""
    if settings.rate_limit == "off":
        return None
    return RequestCounts(parse(settings.rate_limit), storage or limits_storage(settings))


class RateLimit:
    """An HTTP request over its caller's rate (see :class:`RequestCounts`) gets ``429`` with
    ``Retry-After``."""

    def __init__(self, app: ASGIApp, *, counts: RequestCounts) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        refused = await self.counts.refusal(scope)
        if refused is None:
            await self.app(scope, receive, send)
            return
        response = refusal_response(
            scope,
            429,
            "rate_limited",
            refused.message,
            headers={"Retry-After": str(refused.retry_after)},
        )
        await response(scope, receive, send)


class NulInUrl:
    """A URL whose path or query holds a NUL character (``%00``) is refused with ``400``: no
    parameter may hold one (PostgreSQL can neither store nor compare it), so every route is
    spared from checking."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            response = refusal_response(
                scope,
                400,
                "bad_request",
                "The URL holds a NUL character (%00), which no parameter may contain: remove it.",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class GraphQLContentType:
    """A POST to /graphql must be JSON (``415`` otherwise), so that a cross-site HTML form
    cannot send a mutation with the victim's cookies or network position."""

    def __init__(self, app: ASGIApp, *, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path:
            raw = Headers(scope=scope).get("content-type", "")
            media_type = raw.split(";", 1)[0].strip().lower()
            if media_type not in GRAPHQL_CONTENT_TYPES:
                response = refusal_response(
                    scope,
                    415,
                    "unsupported_media_type",
                    f"POST {self.path} takes a JSON body with the header "
                    f"'Content-Type: application/json'; got {media_type or 'none'!r}.",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class BodyLimit:
    """The largest request body a route accepts, and the setting it comes from."""

    max_bytes: int
    setting: str


class BodySizeLimit:
    """Refuses a request body over its route's limit with ``413``: at once from its
    ``Content-Length``, else (chunked bodies) as soon as the bytes read exceed it, so that
    no more than the limit is ever held in memory.

    ``default`` applies to every request but those of ``routes``, each with its own limit
    (``RestRoute.max_body_bytes``: uploads). This is the one place request bodies are capped.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: BodyLimit,
        routes: Sequence[tuple[BaseRoute, BodyLimit]] = (),
    ) -> None:
        self.app = app
        self.default = default
        self.routes = tuple(routes)

    def _limit(self, scope: Scope) -> BodyLimit:
        for route, limit in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        max_bytes = limit.max_bytes
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes):
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:  # the app answered before reading it all: nothing more to say
                return
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: BodyLimit) -> None:
        if limit is self.default:
            advice = (
                "send a shorter query (use variables and fewer fields), or split it into "
                "several requests"
            )
        else:
            advice = (
                f"the limit of {scope['method']} {scope['path']}: send a smaller file (or "
                f"split the file into several), or ask the operator to raise {limit.setting}"
            )
        response = refusal_response(
            scope,
            413,
            "payload_too_large",
            f"The request body is larger than {limit.max_bytes} bytes ({limit.setting}), {advice}.",
            extensions={"limit": limit.max_bytes, "setting": limit.setting},
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def body_limits(routes: Sequence[RestRoute]) -> list[tuple[BaseRoute, BodyLimit]]:
    """The routes with a body limit of their own (``RestRoute.max_body_bytes``)."""
    return [
        (
            spec.route,
            BodyLimit(spec.max_body_bytes, spec.max_body_setting or "its RestRoute.max_body_bytes"),
        )
        for spec in routes
        if spec.max_body_bytes is not None
    ]


def protective_middleware(
    settings: Settings,
    routes: Sequence[RestRoute] = (),
    storage: Storage | None = None,
    counts: RequestCounts | None = None,
) -> list[Middleware]:
    """The middleware of :func:`bocage.core.app.create_app`, after CORS (so that refusals
    carry CORS headers and browsers can read them): cheapest refusal first. ``routes``: the
    app's REST routes, whose ``max_body_bytes`` replace ``BOCAGE_MAX_BODY_BYTES``;
    ``counts``: the rate limit's (default: made from the settings and ``storage``)."""
    middleware = []
    counts = counts or request_counts(settings, storage)
    if counts is not None:
        # The caller first (a signature check; cheap), so that it is counted per client.
        middleware.append(Middleware(Authentication, skip=UNLIMITED_PATHS))
        middleware.append(Middleware(RateLimit, counts=counts))
    middleware.append(Middleware(NulInUrl))
    middleware.append(Middleware(GraphQLContentType))
    middleware.append(
        Middleware(
            BodySizeLimit,
            default=BodyLimit(settings.max_body_bytes, "BOCAGE_MAX_BODY_BYTES"),
            routes=body_limits(routes),
        )
    )
    return middleware
