"""The outermost Bocage middleware: one request id per request, and when the request ends its
metrics (route template, GraphQL operation, status, duration) and its access log line.

What it records never holds a value the caller sent: the route is the template
(``/api/opendata/datasets/{name}``, not the path), the operation is a bounded label
(:class:`~bocage.core.observability.metrics.OperationNames`), and the caller is only its
kind unless ``BOCAGE_LOG_PERSONAL_DATA`` says otherwise.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson

from bocage.core.auth.tokens import PRINCIPAL_STATE
from bocage.core.cache_control import LOOKUP, RESULT
from bocage.core.observability import tracing
from bocage.core.observability.logging import REQUEST_ID
from bocage.core.observability.metrics import ANONYMOUS, NAME, PERSISTED, UNKNOWN

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from bocage.core.observability.metrics import Metrics
    from bocage.core.settings import Settings

access_logger = logging.getLogger("bocage.access")

#: A request id a client or proxy sends (``X-Request-ID``) is kept when it looks like one.
REQUEST_ID_FORMAT = re.compile(r"[A-Za-z0-9._:-]{1,100}")
#: Where the request id is kept in the request's state.
REQUEST_ID_STATE = "bocage_request_id"
#: The first operation of a GraphQL document, and its name.
OPERATION = re.compile(r"\b(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
GRAPHQL_PATH = "/graphql"
#: graphql-transport-ws messages that start or end an operation hold one of these.
_MARKERS = ('"subscribe"', '"complete"', '"error"')


def operation_name(method: str, query_string: bytes, body: bytes) -> str:
    """The name of the GraphQL operation a request runs, as sent: ``operationName``, else the
    name of the document's first operation; ``anonymous`` for an unnamed one, ``persisted``
    for a persisted query sent without its document or name, ``unknown`` when the request
    cannot be read (it is refused anyway)."""
    params: Any
    if method == "GET":
        params = {k: v[0] for k, v in parse_qs(query_string.decode("latin-1")).items()}
    else:
        try:
            params = orjson.loads(body)
        except orjson.JSONDecodeError:
            return UNKNOWN
    if not isinstance(params, dict):
        return UNKNOWN
    name = params.get("operationName")
    if isinstance(name, str) and name:
        return name
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        return PERSISTED if params.get("extensions") else UNKNOWN
    found = OPERATION.search(query)
    return found.group(2) if found else ANONYMOUS


def route_of(scope: Scope) -> str:
    """The template of the route that served the request (``unmatched`` for none)."""
    return getattr(scope.get("route"), "path", None) or "unmatched"


def principal_kind(scope: Scope) -> tuple[str, Any]:
    """The kind of caller (``anonymous``, ``person``, ``client``; ``unverified`` for a token
    no route checked) and the principal, when a route or middleware authenticated it."""
    state = scope.get("state") or {}
    principal = state.get(PRINCIPAL_STATE)
    if principal is None:
        principal = getattr(state.get("bocage_context"), "principal", None)
    if principal is not None:
        return str(principal.kind.value), principal
    for name, _ in scope.get("headers", ()):
        if name == b"authorization":
            return "unverified", None
    return "anonymous", None


class RequestObserver:
    """See the module's docstring; ``metrics`` is None when they are off (the request id and
    the access log remain)."""

    def __init__(self, app: ASGIApp, *, settings: Settings, metrics: Metrics | None) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and self.metrics is not None:
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        scope.setdefault("state", {})[REQUEST_ID_STATE] = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        graphql = scope["path"] == GRAPHQL_PATH
        body = bytearray()

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        operation: str | None = None

        async def sending(message: Message) -> None:
            nonlocal status, operation
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
                # The request has been read whole and answered: what it ran is known, and
                # the trace's span still open (it ends with the answer's last bytes).
                if graphql:
                    operation = operation_name(
                        scope["method"], scope.get("query_string", b""), bytes(body)
                    )
                tracing.annotate_request(scope["method"], route_of(scope), operation)
            await send(message)

        try:
            await self.app(scope, reading if graphql else receive, sending)
        finally:
            duration = time.perf_counter() - started
            try:
                if graphql and operation is None:  # no answer started: read it now
                    operation = operation_name(
                        scope["method"], scope.get("query_string", b""), bytes(body)
                    )
                self._record(scope, status, duration, operation)
            finally:
                REQUEST_ID.reset(token)

    @staticmethod
    def _request_id(scope: Scope) -> str:
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                sent = value.decode("latin-1")
                if REQUEST_ID_FORMAT.fullmatch(sent):
                    return sent
                break
        return uuid.uuid4().hex

    def _record(self, scope: Scope, status: int, duration: float, sent: str | None) -> None:
        """``sent``: the GraphQL operation's name as sent (None: not a GraphQL request)."""
        method = scope["method"]
        route = route_of(scope)
        state = scope.get("state") or {}
        operation = None
        if sent is not None:
            operation, outcome = self._graphql(state, status, sent)
        metrics = self.metrics
        if metrics is not None:
            metrics.http_requests.labels(method, route, str(status)).inc()
            metrics.http_duration.labels(method, route).observe(duration)
            if operation is not None:
                metrics.graphql_requests.labels(operation, outcome).inc()
                metrics.graphql_duration.labels(operation).observe(duration)
                lookup = state.get(LOOKUP)
                if lookup is not None:
                    metrics.response_cache.labels(lookup).inc()
        if access_logger.isEnabledFor(logging.INFO):
            self._log(scope, state, status, duration, route, operation)

    def _log(
        self,
        scope: Scope,
        state: dict[str, Any],
        status: int,
        duration: float,
        route: str,
        operation: str | None,
    ) -> None:
        """The request's access line (see :mod:`bocage.core.observability.logging`)."""
        method = scope["method"]
        kind, principal = principal_kind(scope)
        fields: dict[str, Any] = {
            "request_id": state.get(REQUEST_ID_STATE),
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration * 1000, 1),
            "principal": kind,
        }
        if operation is not None:
            fields["operation"] = operation
        if self.settings.log_personal_data:
            client = scope.get("client")
            fields["client_address"] = client[0] if client else None
            if principal is not None:
                fields["subject"] = principal.subject
                fields["client_id"] = principal.client_id
        access_logger.info(
            "%s %s%s %s %.1f ms %s",
            method,
            route,
            f" ({operation})" if operation else "",
            status,
            fields["duration_ms"],
            kind,
            extra={"bocage": fields},
        )

    def _graphql(self, state: dict[str, Any], status: int, name: str) -> tuple[str, str]:
        """The operation's label and the request's outcome."""
        result = state.get(RESULT)
        if status >= 500:
            outcome = "server_error"
        elif status >= 400:
            outcome = "client_error"
        elif result is not None and result.errors:
            outcome = "graphql_error"
        else:
            outcome = "ok"
        if self.metrics is None:  # no series to bound: only a well-formed name is logged
            return (name if NAME.fullmatch(name) else UNKNOWN), outcome
        # A name takes a slot once a request of it was executed (refused ones never are).
        return self.metrics.operations.label(name, admit=status < 400), outcome

    # -- WebSockets -----------------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Counts the open connection and the operations (subscriptions) running on it, from
        the graphql-transport-ws messages: ``subscribe`` starts one, ``complete`` or ``error``
        (either way) ends it, the connection's end ends them all."""
        assert self.metrics is not None
        metrics = self.metrics
        running: set[str] = set()
        accepted = False

        def note(text: str | None, starts: bool) -> None:
            if not text or not any(word in text for word in _MARKERS):
                return
            try:
                message = orjson.loads(text)
            except orjson.JSONDecodeError:
                return
            if not isinstance(message, dict) or not isinstance(message.get("id"), str):
                return
            kind, key = message.get("type"), message["id"]
            if kind == "subscribe" and starts and key not in running:
                running.add(key)
                metrics.subscriptions.inc()
            elif kind in ("complete", "error") and key in running:
                running.discard(key)
                metrics.subscriptions.dec()

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                note(message.get("text"), starts=True)
            return message

        async def sending(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                metrics.websockets.inc()
            elif message["type"] == "websocket.send":
                note(message.get("text"), starts=False)
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            if accepted:
                metrics.websockets.dec()
            if running:
                metrics.subscriptions.dec(len(running))
