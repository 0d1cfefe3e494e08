"""The links of the digests' e-mails, which work without signing in:

- ``POST /api/voice/unsubscribe?token=...``: RFC 8058's one-click unsubscribe (the mail client
  posts ``List-Unsubscribe=One-Click``); ``GET`` on the same URL only says what the link would
  do, so that a link checker following it unsubscribes nobody;
- ``POST /api/voice/confirm?token=...``: confirm the address of a new subscription (``GET``
  likewise only describes it).

A token that is not valid, or no longer (the subscription was made again since), gets ``404``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bocage.core.api import (
    ANONYMOUS,
    Invalid,
    RestRoute,
    error_response,
    host_of,
    private_caching,
    request_unit_of_work,
)
from bocage.plugins.voice import links, subscriptions
from bocage.plugins.voice.settings import voice_settings


def _token(request: Request) -> str:
    return request.query_params.get("token", "")


def _state(row: Any) -> dict[str, Any]:
    return {
        "subscription": row.id,
        "scope": row.scope,
        "confirmed": row.confirmed_at is not None,
        "unsubscribed": row.unsubscribed_at is not None,
    }


async def _act(request: Request, action: Any) -> Response:
    settings = voice_settings(host_of(request))
    token = _token(request)
    if not token:
        return error_response(400, "BAD_REQUEST", "give the link's `token` query parameter")
    try:
        async with request_unit_of_work(request, ANONYMOUS) as work:
            row = await action(work.session, settings, token)
    except Invalid as error:
        return error_response(404, "NOT_FOUND", error.message)
    return JSONResponse(_state(row), headers=private_caching())


async def _describe(request: Request, what: str) -> Response:
    settings = voice_settings(host_of(request))
    if links.read(settings, _token(request)) is None:
        return error_response(404, "NOT_FOUND", "this link is not valid (or no longer)")
    return JSONResponse(
        {"action": what, "method": "POST", "message": f"POST to this URL to {what}."},
        headers=private_caching(),
    )


async def unsubscribe(request: Request) -> Response:
    if request.method == "GET":
        return await _describe(request, "unsubscribe")
    return await _act(request, subscriptions.unsubscribe)


async def confirm(request: Request) -> Response:
    if request.method == "GET":
        return await _describe(request, "confirm the subscription")
    return await _act(request, subscriptions.confirm)


_TOKEN = {
    "name": "token",
    "in": "query",
    "required": True,
    "schema": {"type": "string"},
    "description": "The signed token of the e-mail's link.",
}
_STATE = {
    "type": "object",
    "properties": {
        "subscription": {"type": "integer"},
        "scope": {"type": "string", "enum": ["project", "commune", "territory"]},
        "confirmed": {"type": "boolean"},
        "unsubscribed": {"type": "boolean"},
    },
}
_ERROR = {
    "description": "The token is not valid, or no longer.",
    "content": {"application/json": {}},
}


def _path(operation: str, summary: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"{operation}Describe",
            "summary": f"What POST on this link does ({summary}); changes nothing.",
            "tags": ["voice"],
            "parameters": [_TOKEN],
            "responses": {"200": {"description": "What POST does."}, "404": _ERROR},
        },
        "post": {
            "operationId": operation,
            "summary": summary,
            "tags": ["voice"],
            "parameters": [_TOKEN],
            "responses": {
                "200": {
                    "description": "The subscription's state after the change.",
                    "content": {"application/json": {"schema": _STATE}},
                },
                "404": _ERROR,
            },
        },
    }


ROUTES = [
    RestRoute(
        name="voice-unsubscribe",
        route=Route(links.UNSUBSCRIBE_PATH, unsubscribe, methods=["GET", "POST"]),
        openapi={
            links.UNSUBSCRIBE_PATH: _path(
                "voiceUnsubscribe",
                "Unsubscribe from a digest in one click (RFC 8058: the body "
                "`List-Unsubscribe=One-Click` may be sent, and is not needed).",
            )
        },
    ),
    RestRoute(
        name="voice-confirm",
        route=Route(links.CONFIRM_PATH, confirm, methods=["GET", "POST"]),
        openapi={
            links.CONFIRM_PATH: _path(
                "voiceConfirm", "Confirm the address of a subscription to a digest."
            )
        },
    ),
]
