"""``POST /api/media`` (upload, multipart) and ``GET /api/media/{key}/{variant}`` (serve).

Uploading needs a bearer token of someone who may edit the object (docs/media.md); the answer
is the new medium with its global ID, which the GraphQL mutations (``updateMedia``,
``removeMedia``) take. Serving sends the bytes with validators (``ETag``, ``304``), public
caching for the media of public objects, ``nosniff``, a sandboxing ``Content-Security-Policy``
and a ``Content-Disposition`` that downloads documents rather than opening them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bocage.core.auth.principal import Principal
from bocage.core.auth.tokens import AuthenticationError, request_principal
from bocage.core.cache_control import (
    conditional_get,
    etag_matches,
    not_modified,
    private_caching,
    public_caching,
)
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.ids import global_id
from bocage.core.domain.work import UnitOfWork
from bocage.core.hookspecs import RestRoute
from bocage.core.media import operations
from bocage.core.media.files import MediaLimits, MediaRefused, process
from bocage.core.media.storage import key_of
from bocage.core.models import Media
from bocage.core.rest_errors import error_response, signed_in

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.datastructures import FormData
    from starlette.requests import Request

    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.media")

UPLOAD_PATH = "/api/media"
SERVE_PATH = "/api/media/{key}/{variant}"
#: What a multipart body may hold besides the file (its boundaries and small fields).
MULTIPART_OVERHEAD = 64_000
#: The status of each expected failure of an upload.
STATUS = {
    Code.UNAUTHENTICATED: 401,
    Code.FORBIDDEN: 403,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.INVALID: 422,
    Code.REQUIRED: 422,
}
TEXT_FIELDS = ("title", "alt")
#: Headers of every file served: never sniffed into another type, never run as a page.
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def _refusal(error: Invalid) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": error.code.value, "message": error.message}}
    if error.field:
        body["error"]["field"] = error.field
    return JSONResponse(body, status_code=STATUS.get(error.code, 422))


def _texts(form: FormData, name: str) -> dict[str, str] | None:
    """``title.fr``, ``title.nl``... of the form as ``{"fr": ..., "nl": ...}``."""
    texts = {
        field.split(".", 1)[1]: value
        for field, value in form.multi_items()
        if field.startswith(f"{name}.") and isinstance(value, str)
    }
    return texts or None


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def upload_endpoint(settings: Settings) -> Callable[[Request], Awaitable[JSONResponse]]:
    """The upload endpoint: its files are checked in threads of their own, at most
    ``BOCAGE_MEDIA_PROCESSING_CONCURRENCY`` at once per worker (the rest wait)."""
    limiter = anyio.CapacityLimiter(settings.media_processing_concurrency)

    async def endpoint(request: Request) -> JSONResponse:
        return await upload(request, limiter)

    return endpoint


async def upload(request: Request, limiter: anyio.CapacityLimiter) -> JSONResponse:
    """Check the file, store its variants and attach it to ``owner``."""
    principal = await signed_in(request)
    if not isinstance(principal, Principal):
        return principal
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return error_response(
            415,
            "unsupported_media_type",
            "send multipart/form-data with the file in 'file' and the object's ID in 'owner'",
        )
    try:
        form = await request.form(max_files=1, max_fields=30)
    except Exception as error:  # a malformed multipart body
        return error_response(400, "invalid_body", f"the multipart body cannot be read ({error})")
    file: Any = form.get("file")
    if file is None or isinstance(file, str):
        return error_response(422, "required", "send the file in a multipart field named 'file'")
    state = request.app.state
    settings: Settings = state.settings
    owners, storage = state.host.media_owners(), state.host.media_storage()
    owner = _text(form, "owner")
    try:
        # Who may attach to this object is known before the file is decoded.
        async with state.sessionmaker() as session:
            kind, key = operations.owner_of(owners, owner)
            await operations.authorise(session, principal, kind, key)
    except Invalid as error:
        return _refusal(error)
    data = await file.read()
    try:
        processed = await anyio.to_thread.run_sync(
            process, data, file.filename, MediaLimits.of(settings), limiter=limiter
        )
    except MediaRefused as refused:
        return JSONResponse(refused.body(), status_code=refused.status)
    description = operations.Description(
        title=_texts(form, "title"),
        alt=_texts(form, "alt"),
        licence=_text(form, "licence"),
        credit=_text(form, "credit"),
    )
    stored: list[str] = []
    work = UnitOfWork(state.sessionmaker, principal, events=state.host)
    try:
        async with work:
            media = await operations.attach(
                work,
                owners,
                storage,
                owner=owner,
                processed=processed,
                role=_text(form, "role"),
                description=description,
                max_per_object=settings.media_max_per_object,
                stored=stored,
            )
    except Invalid as error:
        return _refusal(error)
    finally:
        if not work.committed:
            await operations.forget(storage, stored)
    return JSONResponse(media_json(media), status_code=201)


def media_json(media: Media) -> dict[str, Any]:
    return {
        "id": global_id("Media", media.id),
        "owner": global_id(media.owner_type, media.owner_id),
        "role": media.role,
        "kind": media.kind,
        "contentType": media.content_type,
        "size": media.size,
        "width": media.width,
        "height": media.height,
        "filename": media.filename,
        "licence": media.licence,
        "credit": media.credit,
        "title": media.title,
        "alt": media.alt,
        "url": SERVE_PATH.format(key=media.id, variant="original"),
        "thumbnailUrl": SERVE_PATH.format(key=media.id, variant="thumbnail")
        if "thumbnail" in media.variants
        else None,
        "version": media.version,
    }


async def serve(request: Request) -> Response:
    """A variant's bytes, to those who may see the medium's object."""
    key, variant = request.path_params["key"], request.path_params["variant"]
    state = request.app.state
    owners = state.host.media_owners()
    not_found = error_response(404, "not_found", "no such media file (or it was removed)")
    async with state.sessionmaker() as session:
        media = await session.get(Media, key)
        if media is None or media.deleted_at is not None or variant not in media.variants:
            return not_found
        owner = owners.get(media.owner_type)
        public = owner is not None and await owner.is_public(session, media.owner_id)
        if not public:
            try:
                principal = await request_principal(request)
            except AuthenticationError as error:
                return error_response(401, "unauthenticated", str(error))
            if not await operations.may_read(session, principal, owner, media):
                return not_found  # as if absent: its object is not the caller's to see
    described = media.variants[variant]
    etag = f'"{described["sha256"]}"'
    disposition = "inline" if media.kind == "image" else "attachment"
    filename = media.filename
    if variant != "original":
        stem, _, extension = filename.rpartition(".")
        filename = f"{stem}-{variant}.{extension}"
    headers = {
        **SAFE_HEADERS,
        **(public_caching(request) if public else private_caching()),
        "ETag": etag,
        "Content-Disposition": f'{disposition}; filename="{filename}"',
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return not_modified(headers)
    data = await state.host.media_storage().get(key_of(media.storage_key, variant))
    if data is None:
        logger.error("media %s: the storage has no %s", media.id, variant)
        return not_found
    return Response(data, media_type=str(described["contentType"]), headers=headers)


def routes(settings: Settings) -> list[RestRoute]:
    """The upload route (its body limit: the larger file limit) and the serving route."""
    largest = max(settings.media_max_image_bytes, settings.media_max_document_bytes)
    setting = (
        "BOCAGE_MEDIA_MAX_DOCUMENT_BYTES"
        if settings.media_max_document_bytes >= settings.media_max_image_bytes
        else "BOCAGE_MEDIA_MAX_IMAGE_BYTES"
    )
    return [
        RestRoute(
            name="media_upload",
            route=Route(
                UPLOAD_PATH, upload_endpoint(settings), methods=["POST"], name="media_upload"
            ),
            openapi=UPLOAD_OPENAPI,
            max_body_bytes=largest + MULTIPART_OVERHEAD,
            max_body_setting=setting,
        ),
        RestRoute(
            name="media_file",
            route=Route(
                "/api/media/{key:rowkey}/{variant}", serve, methods=["GET"], name="media_file"
            ),
            openapi=SERVE_OPENAPI,
        ),
    ]


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _translations(what: str) -> dict[str, Any]:
    return {"type": "string", "description": f"{what} (also .nl, .de, .en)."}


_NULLABLE_INT = {"type": ["integer", "null"]}
_TEXTS = {"type": "object", "additionalProperties": {"type": "string"}}
MEDIA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "owner", "role", "kind", "contentType", "size", "url", "version"],
    "properties": {
        "id": {"type": "string", "description": "Global ID (GraphQL's Media.id)."},
        "owner": {"type": "string", "description": "Global ID of the object."},
        "role": {"enum": ["gallery", "document", "logo", "slides"]},
        "kind": {"enum": ["image", "document"]},
        "contentType": {"type": "string"},
        "size": {"type": "integer"},
        "width": _NULLABLE_INT,
        "height": _NULLABLE_INT,
        "filename": {"type": "string"},
        "licence": {"type": ["string", "null"]},
        "credit": {"type": ["string", "null"]},
        "title": _TEXTS,
        "alt": _TEXTS,
        "url": {"type": "string"},
        "thumbnailUrl": {"type": ["string", "null"]},
        "version": {"type": "integer"},
    },
}

UPLOAD_OPENAPI: dict[str, dict[str, Any]] = {
    UPLOAD_PATH: {
        "post": {
            "operationId": "uploadMedia",
            "summary": "Attach an image or a PDF to a project, organisation, event or workshop.",
            "description": "Needs a bearer token of someone who may edit the object. The type "
            "is read from the bytes (JPEG, PNG, WebP, GIF, PDF; SVG is refused); images are "
            "re-encoded without their metadata (EXIF, GPS) and get a thumbnail. See "
            "docs/media.md and docs/limits.md.",
            "tags": ["media"],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file", "owner"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "owner": {
                                    "type": "string",
                                    "description": "Global ID of the object (Project, "
                                    "Stakeholder, WorkshopsEvent...).",
                                },
                                "role": {
                                    "enum": ["gallery", "document", "logo", "slides"],
                                    "description": "Default: gallery (image), document (PDF).",
                                },
                                "title.fr": _translations("Title in French"),
                                "alt.fr": _translations("Alternative text in French"),
                                "licence": {
                                    "type": "string",
                                    "description": "SPDX identifier, e.g. CC-BY-4.0.",
                                },
                                "credit": {
                                    "type": "string",
                                    "description": "Credit line (required with CC-BY).",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "Attached: the new medium.",
                    "content": {"application/json": {"schema": MEDIA_SCHEMA}},
                },
                "400": _error("The multipart body cannot be read."),
                "401": _error("No or invalid bearer token."),
                "403": _error("The caller may not edit the object."),
                "404": _error("No such object."),
                "409": _error("The object has BOCAGE_MEDIA_MAX_PER_OBJECT media already."),
                "413": _error(
                    "Larger than BOCAGE_MEDIA_MAX_IMAGE_BYTES or _MAX_DOCUMENT_BYTES, or more "
                    "pixels than BOCAGE_MEDIA_MAX_PIXELS (`error.setting`, `error.limit`)."
                ),
                "415": _error("Not a JPEG, PNG, WebP, GIF or PDF file (SVG included)."),
                "422": _error("A field is missing or wrong, or the file is damaged."),
            },
        }
    }
}

SERVE_OPENAPI: dict[str, dict[str, Any]] = {
    SERVE_PATH: conditional_get(
        {
            "get": {
                "operationId": "getMediaFile",
                "summary": "A medium's file: `original` or (images) `thumbnail`.",
                "description": "Public for the media of public objects (cached, ETag); those "
                "of a draft event need a token of someone who may edit it. Documents are "
                "sent as downloads (Content-Disposition: attachment).",
                "tags": ["media"],
                "parameters": [
                    {
                        "name": "key",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    {
                        "name": "variant",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["original", "thumbnail"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The file.",
                        "content": {
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                            "image/png": {"schema": {"type": "string", "format": "binary"}},
                            "image/webp": {"schema": {"type": "string", "format": "binary"}},
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    "401": _error("An invalid bearer token."),
                    "404": _error("No such medium or variant, or not yours to see."),
                },
            }
        }
    )
}
