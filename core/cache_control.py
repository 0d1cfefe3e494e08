"""HTTP caching of every answer, decided in one place: ``Cache-Control``, ``Vary``, ``ETag``
and ``304 Not Modified``.

A handler says that its answer is *public* (the same for every anonymous caller) with
:func:`public_caching`; everything else is ``private, no-store``. :class:`HttpCaching`, a middleware
around every route, then applies the rules to whatever the handler answered:

- a public answer stays public only for an anonymous ``GET`` (or ``HEAD``): with an
  ``Authorization`` header, or to any other method, it becomes ``private, no-store``, so that no
  shared cache ever keeps what a signed-in caller saw;
- an answer without ``Cache-Control`` gets ``private, no-store``;
- every answer varies on ``Accept-Language`` and ``Authorization`` (the CORS middleware, which
  wraps this one, adds ``Origin``);
- a public ``200`` gets a strong ``ETag`` over its body when its handler set none and the body
  came in one piece (streamed answers keep their handler's validators), and a request whose
  ``If-None-Match`` names the answer's ``ETag`` gets ``304`` with the same headers and no body.

Handlers that can tell early that the caller's copy is current (the open-data routes) use
:func:`etag_matches` and :func:`not_modified` to skip the work.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from bocage.core.settings import Settings

#: ``Cache-Control`` of anything personal, authenticated or not meant to be kept.
PRIVATE = "private, no-store"

#: What an answer may depend on besides its URL. The CORS middleware adds ``Origin``.
VARY = ("Accept-Language", "Authorization")

#: ``max-age`` of content-addressed files, which never change (RFC 8246 ``immutable``).
IMMUTABLE_MAX_AGE = 31_536_000


#: Where the GraphQL view notes that a GraphQL result was answered (the response cache and the
#: metrics read it in the request's state).
RESULT = "bocage_graphql_result"
#: Where the response cache notes whether it answered from its entries (``hit``) or not
#: (``miss``), for the metrics (``bocage.core.observability``).
LOOKUP = "bocage_response_cache"


def public_cache_control(
    settings: Settings, *, max_age: int | None = None, immutable: bool = False
) -> str:
    """The ``Cache-Control`` of a public answer: ``BOCAGE_HTTP_CACHE_MAX_AGE`` and
    ``BOCAGE_HTTP_CACHE_STALE_WHILE_REVALIDATE``, unless ``max_age`` is given (e.g. the key
    set's, bound to key rotation) or the content is ``immutable``."""
    if immutable:
        return f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"
    seconds = settings.http_cache_max_age if max_age is None else max_age
    stale = settings.http_cache_stale_while_revalidate
    return f"public, max-age={seconds}, stale-while-revalidate={stale}"


def public_caching(
    request: HTTPConnection, *, max_age: int | None = None, immutable: bool = False
) -> dict[str, str]:
    """Headers marking an answer public (see :func:`public_cache_control`): the same for every
    anonymous caller. :class:`HttpCaching` keeps it public only for anonymous GET requests."""
    settings: Settings = request.app.state.settings
    return {"Cache-Control": public_cache_control(settings, max_age=max_age, immutable=immutable)}


def private_caching() -> dict[str, str]:
    """Headers marking an answer personal: no cache keeps it (also the default)."""
    return {"Cache-Control": PRIVATE}


def is_anonymous(headers: Headers) -> bool:
    """Whether a request comes from the public: Bocage authenticates with bearer tokens only."""
    return "authorization" not in headers


def strong_etag(body: bytes) -> str:
    """A strong ``ETag`` for ``body``: a 128-bit BLAKE2 digest of its bytes."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 §13.1.2): ``*``, or
    a list of tags of which one equals it once ``W/`` is set aside."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(headers: dict[str, str]) -> Response:
    """``304 Not Modified`` with the validators and caching headers of the full answer."""
    return Response(status_code=304, headers=headers)


#: OpenAPI of the conditional request :class:`HttpCaching` answers on public GET routes.
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of the copy you hold: 304 without a body while it is current.",
    "schema": {"type": "string"},
}
NOT_MODIFIED = {"description": "Not modified: the copy named by If-None-Match is current."}


def conditional_get(path_item: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI path item whose ``get`` answers public data: with ``If-None-Match`` and
    the ``304`` that :class:`HttpCaching` adds."""
    operation = path_item["get"]
    return {
        **path_item,
        "get": {
            **operation,
            "parameters": [*operation.get("parameters", []), IF_NONE_MATCH],
            "responses": {**operation["responses"], "304": NOT_MODIFIED},
        },
    }


def _vary(headers: MutableHeaders) -> None:
    present = {
        name.strip().lower() for value in headers.getlist("vary") for name in value.split(",")
    }
    missing = [name for name in VARY if name.lower() not in present]
    if missing:
        headers["Vary"] = ", ".join([*headers.getlist("vary"), *missing])


#: Headers of a body, which a 304 has not.
_ENTITY_HEADERS = ("content-length", "content-type", "content-encoding")


class HttpCaching:
    """Applies the module's rules to every HTTP answer (see the module's docstring). Inside
    the CORS middleware, so that it adds ``Origin`` to ``Vary`` and exposes ``ETag``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        readable = scope["method"] in ("GET", "HEAD") and is_anonymous(request)
        if_none_match = request.get("if-none-match") if readable else None
        held: Message | None = None  # a public 200's start, until its body gives the ETag
        unmodified = False  # answering 304: the handler's body is dropped

        async def start_304(message: Message, headers: MutableHeaders) -> None:
            nonlocal unmodified
            unmodified = True
            for name in _ENTITY_HEADERS:
                del headers[name]
            message["status"] = 304
            await send(message)

        async def caching_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                control = headers.get("cache-control")
                shared = control is not None and control.lstrip().lower().startswith("public")
                if control is None or (shared and not readable):
                    headers["Cache-Control"] = PRIVATE
                    shared = False
                _vary(headers)
                if shared and message["status"] == 200:
                    etag = headers.get("etag")
                    if etag is None and scope["method"] == "GET":
                        held = message
                        return
                    if etag is not None and etag_matches(if_none_match, etag):
                        await start_304(message, headers)
                        return
                await send(message)
            elif message["type"] != "http.response.body":
                await send(message)
            elif unmodified:
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
            elif held is not None:
                start, held = held, None
                headers = MutableHeaders(scope=start)
                if not message.get("more_body", False):  # the whole body: it has an ETag
                    etag = strong_etag(message.get("body", b""))
                    headers["ETag"] = etag
                    if etag_matches(if_none_match, etag):
                        await start_304(start, headers)
                        await send({"type": "http.response.body", "body": b""})
                        return
                await send(start)
                await send(message)
            else:
                await send(message)

        await self.app(scope, receive, caching_send)
