"""REST routes of uploaded datasets: describe, upload (dry run or new version), publish,
unpublish, and the immutable files of every version.

Writes need a bearer token with ``opendata:publish`` (commune editors: their communes); each
write is one transaction, and a refused upload stores nothing.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.responses import JSONResponse, Response

from bocage.core.api import (
    Cancellation,
    ClientDisconnected,
    Code,
    Commune,
    Invalid,
    PlaceLimits,
    Principal,
    SpreadsheetError,
    SpreadsheetLimitError,
    Territory,
    cancel_on_disconnect,
    check_spreadsheet,
    error_response,
    etag_matches,
    host_of,
    not_modified,
    nul_at,
    nul_message,
    public_caching,
    request_sessionmaker,
    request_unit_of_work,
    signed_in,
    spreadsheet_limits,
    territory_of_new_row,
    utcnow,
)
from bocage.plugins.opendata import events
from bocage.plugins.opendata.models import UploadedDataset, UploadRow, UploadVersion
from bocage.plugins.opendata.permissions import OPENDATA_PUBLISH, may_publish
from bocage.plugins.opendata.registry import catalogue
from bocage.plugins.opendata.uploads import (
    MEDIA_TYPES,
    UploadError,
    UploadMetadata,
    add_version,
    check_identifier,
    check_schema,
    file_format_of,
    file_resource,
    file_schema,
    load_datasets,
    read_table,
    snapshot_path,
    upload_problems,
    versions_of,
)
from bocage.plugins.opendata.validation import shacl_problems

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.requests import Request

    from bocage.core.api import Dataset

PREFIX = "/api/opendata"


class _Abort(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Leave a transaction (rolled back) with this response."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def _invalid(error: UploadError, status: int = 400) -> Response:
    return JSONResponse(
        {"error": {"code": "invalid", "field": error.field, "message": error.message}},
        status_code=status,
    )


async def _principal(request: Request) -> Principal | Response:
    return await signed_in(request)


def _forbidden(commune: str | None) -> Response:
    whose = f"commune {commune}" if commune else "the GAL"
    return error_response(
        403,
        "forbidden",
        f"managing the datasets of {whose} needs the {OPENDATA_PUBLISH.code} permission "
        "for it (commune editors: their own communes)",
    )


async def _upload(
    session: AsyncSession, request: Request, principal: Principal
) -> UploadedDataset | Response:
    identifier = request.path_params["identifier"]
    upload = (
        await session.execute(
            select(UploadedDataset).where(UploadedDataset.identifier == identifier)
        )
    ).scalar_one_or_none()
    if upload is None:
        return error_response(
            404, "not_found", f"no uploaded dataset {identifier!r}; create it with PUT first"
        )
    if not may_publish(principal, upload.commune_nis, upload.territory_id):
        return _forbidden(upload.commune_nis)
    return upload


async def _describe(
    session: AsyncSession, request: Request, upload: UploadedDataset
) -> dict[str, Any]:
    ((_, dataset),) = await load_datasets(
        session, identifier=upload.identifier, published_only=False
    )
    versions = await versions_of(session, upload)
    base = str(request.base_url).rstrip("/")
    return {
        "identifier": upload.identifier,
        "commune": upload.commune_nis,
        **UploadMetadata.of(upload.meta).to_json(),
        "schema": upload.table_schema,
        "published": upload.published_at is not None,
        "issued": issued.isoformat()
        if (issued := upload.first_published_at or upload.published_at)
        else None,
        "currentVersion": upload.current_version,
        "versions": [
            {
                "number": v.number,
                "filename": v.filename,
                "format": v.file_format,
                "rows": v.row_count,
                "byteSize": v.byte_size,
                "sha256": v.sha256,
                "uploadedAt": v.created_at.isoformat(),
                "url": base + snapshot_path(upload.identifier, v),
            }
            for v in versions
        ],
        "problems": upload_problems(upload, dataset),
    }


async def _json_body(request: Request) -> Any:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise UploadError("body", "a JSON object") from None
    where = nul_at(body)
    if where is not None:  # PostgreSQL would refuse it: a 400 naming it, not a 500
        raise UploadError(where, nul_message(where))
    return body


# -- handlers --------------------------------------------------------------------------------


async def put_upload(request: Request) -> Response:
    """Create or change an uploaded dataset's metadata (and, optionally, its Table Schema)."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    identifier = request.path_params["identifier"]
    try:
        check_identifier(identifier)
        body = await _json_body(request)
        meta = UploadMetadata.parse(body, PlaceLimits.of(request.app.state.settings))
        schema = check_schema(body["schema"]) if body.get("schema") is not None else None
    except UploadError as error:
        return _invalid(error)
    if identifier in catalogue(host_of(request)).owners:
        return error_response(
            409, "conflict", f"{identifier!r} is the identifier of a contributed dataset"
        )
    commune = body.get("commune")
    try:
        return await _save_upload(request, principal, identifier, body, meta, schema, commune)
    except _Abort as abort:
        return abort.response
    except IntegrityError:  # created by a concurrent request in between
        return _conflict(identifier)


def _conflict(identifier: str) -> Response:
    return error_response(
        409, "conflict", f"{identifier!r} was changed by another request at the same time; retry"
    )


async def _save_upload(
    request: Request,
    principal: Principal,
    identifier: str,
    body: dict[str, Any],
    meta: UploadMetadata,
    schema: dict[str, Any] | None,
    commune: Any,
) -> Response:
    async with request_unit_of_work(request, principal) as work:
        session = work.session
        upload = (
            await session.execute(
                select(UploadedDataset).where(UploadedDataset.identifier == identifier)
            )
        ).scalar_one_or_none()
        if commune is not None:
            known = (
                await session.execute(
                    select(Commune.id).where(
                        Commune.nis_code == str(commune), Commune.deleted_at.is_(None)
                    )
                )
            ).scalar_one_or_none()
            if known is None:
                return _invalid(UploadError("commune", f"no commune with NIS code {commune!r}"))
        owner = commune if upload is None or "commune" in body else upload.commune_nis
        territory = upload.territory_id if upload is not None else None
        if owner is None and (upload is None or "territory" in body or territory is None):
            territory = await _territory(session, principal, body.get("territory"))
        if not may_publish(principal, owner, territory) or (
            upload is not None
            and not may_publish(principal, upload.commune_nis, upload.territory_id)
        ):
            return _forbidden(owner)
        created = upload is None
        if upload is None:
            upload = UploadedDataset(identifier=identifier, commune_nis=owner, meta={})
            session.add(upload)
        before = (upload.commune_nis, upload.territory_id, upload.meta, upload.table_schema)
        upload.commune_nis = owner
        upload.territory_id = territory if owner is None else None
        upload.meta = meta.to_json()
        if schema is not None:
            upload.table_schema = schema
        await session.flush()
        if upload.published_at is not None:
            ((_, dataset),) = await load_datasets(
                session, identifier=identifier, published_only=False
            )
            problems = await _problems(request, upload, dataset)
            if problems:  # a published dataset keeps conforming metadata
                raise _Abort(_not_publishable(identifier, problems))
        body_out = await _describe(session, request, upload)
        if created:
            await events.record(session, events.CREATED, upload)
        elif (upload.commune_nis, upload.territory_id, upload.meta, upload.table_schema) != before:
            await events.record(session, events.changed(upload), upload)  # not when unchanged
    return JSONResponse(body_out, status_code=201 if created else 200)


async def _territory(session: AsyncSession, principal: Principal, slug: Any) -> int | None:
    """The territory of a GAL dataset: the one whose slug the body gives (``territory``), else
    the caller's only one once it is confined to some, else the installation's only one (none
    when it holds several: the operators'). Refusals abort with a 4xx naming ``territory``."""
    given = None
    if slug is not None:
        given = (
            await session.execute(
                select(Territory.id).where(
                    Territory.slug == str(slug), Territory.deleted_at.is_(None)
                )
            )
        ).scalar_one_or_none()
        if given is None:
            raise _Abort(_invalid(UploadError("territory", f"no territory with slug {slug!r}")))
    try:
        chosen = territory_of_new_row(principal, given)
    except Invalid as error:
        if error.code is Code.FORBIDDEN:
            raise _Abort(error_response(403, "forbidden", error.message)) from None
        message = "you work for several territories: give `territory` (a territory's slug)"
        raise _Abort(_invalid(UploadError("territory", message))) from None
    if chosen is not None:
        return chosen
    live = (
        await session.execute(select(Territory.id).where(Territory.deleted_at.is_(None)).limit(2))
    ).scalars()
    only = list(live)
    return only[0] if len(only) == 1 else None


async def list_uploads(request: Request) -> Response:
    """The uploaded datasets the caller may manage, drafts included."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    async with request_sessionmaker(request)() as session:
        found = await load_datasets(session, published_only=False)
        items = [
            {
                "identifier": upload.identifier,
                "commune": upload.commune_nis,
                "title": upload.meta.get("title", {}),
                "published": upload.published_at is not None,
                "currentVersion": upload.current_version,
                "problems": upload_problems(upload, dataset),
                "url": f"{str(request.base_url).rstrip('/')}{PREFIX}/uploads/{upload.identifier}",
            }
            for upload, dataset in found
            if may_publish(principal, upload.commune_nis, upload.territory_id)
        ]
    return JSONResponse({"count": len(items), "items": items})


async def upload_resource(request: Request) -> Response:
    """``GET`` reads an uploaded dataset, ``PUT`` describes it, ``DELETE`` removes a draft."""
    if request.method == "PUT":
        return await put_upload(request)
    if request.method == "DELETE":
        return await delete_upload(request)
    return await get_upload(request)


async def delete_upload(request: Request) -> Response:
    """Delete an unpublished uploaded dataset with its versions (a published one must be
    withdrawn first: harvesters may hold its URLs)."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    async with request_unit_of_work(request, principal) as work:
        session = work.session
        upload = await _upload(session, request, principal)
        if isinstance(upload, Response):
            return upload
        if upload.published_at is not None:
            return error_response(
                409, "published", f"{upload.identifier!r} is published: unpublish it first"
            )
        versions = select(UploadVersion.id).where(UploadVersion.dataset_id == upload.id)
        await session.execute(delete(UploadRow).where(UploadRow.version_id.in_(versions)))
        await session.execute(delete(UploadVersion).where(UploadVersion.dataset_id == upload.id))
        await events.record(session, events.DELETED, upload)
        await session.delete(upload)
    return Response(status_code=204)


async def get_upload(request: Request) -> Response:
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    async with request_sessionmaker(request)() as session:
        upload = await _upload(session, request, principal)
        if isinstance(upload, Response):
            return upload
        return JSONResponse(await _describe(session, request, upload))


async def post_version(request: Request) -> Response:
    """Validate a file; store it as a new version unless ``dry_run`` or invalid."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    dry_run = request.query_params.get("dry_run", "false").lower() in ("true", "1")
    infer = request.query_params.get("schema", "") == "infer"
    filename = request.query_params.get("filename") or ""
    try:
        file_format = file_format_of(request.headers.get("content-type", ""), filename)
    except UploadError as error:
        return _invalid(error, 415)
    with tempfile.TemporaryDirectory() as folder:
        # Streamed to disk: memory holds a chunk, not the file (the core's body limit for this
        # route, BOCAGE_OPENDATA_MAX_UPLOAD_BYTES, refuses larger bodies with 413).
        path = Path(folder) / f"upload.{file_format}"
        size = 0
        with path.open("wb") as file:
            async for chunk in request.stream():
                file.write(chunk)
                size += len(chunk)
        if not size:
            return _invalid(UploadError("file", "the request body is the file; it is empty"))
        try:
            # From here on, a client that leaves stops the work (and nothing is stored).
            async with cancel_on_disconnect(request) as cancellation:
                return await _store_version(
                    request, principal, path, file_format, filename, dry_run, infer, cancellation
                )
        except IntegrityError:  # another version was stored at the same time
            return _conflict(request.path_params["identifier"])
        except ClientDisconnected as gone:
            return error_response(499, "client_disconnected", str(gone))


async def _store_version(
    request: Request,
    principal: Principal,
    content: Path,
    file_format: str,
    filename: str,
    dry_run: bool,
    infer: bool,
    cancellation: Cancellation,
) -> Response:
    async with request_sessionmaker(request)() as session:
        upload = await _upload(session, request, principal)
        if isinstance(upload, Response):
            return upload
        schema = None if infer else upload.table_schema
    # Checked, then validated, outside any transaction and in worker threads: both are
    # synchronous and CPU-bound (the event loop stays free), frictionless may take seconds on
    # a large file. The check streams the file within the BOCAGE_SPREADSHEET_* bounds first,
    # so that no parser ever builds what a hostile file would make it build.
    limits = spreadsheet_limits(request)
    try:
        dialect = await anyio.to_thread.run_sync(
            check_spreadsheet, content, file_format, limits, cancellation
        )
        checked = await anyio.to_thread.run_sync(
            functools.partial(
                read_table,
                content,
                file_format,
                schema,
                dialect=dialect,
                limits=limits,
                cancellation=cancellation,
            )
        )
    except SpreadsheetLimitError as error:
        return JSONResponse(error.body(), status_code=error.status)
    except SpreadsheetError as error:
        return _invalid(UploadError("file", str(error)), 422)
    except UploadError as error:
        return _invalid(error, 422)
    if dry_run or not checked.valid:
        status = 200 if dry_run else 422
        body: dict[str, Any] = {"schema": checked.schema, "report": checked.report()}
        if not checked.valid and not dry_run:
            first = checked.errors[0]
            body["error"] = {
                "code": "invalid_file",
                "field": "file",
                "message": f"{checked.error_count} error(s); first: {first['message']}",
            }
        return JSONResponse(body, status_code=status)
    async with request_unit_of_work(request, principal) as work:
        session = work.session
        upload = await _upload(session, request, principal)
        if isinstance(upload, Response):
            return upload
        if not infer and upload.table_schema != schema:
            return _conflict(upload.identifier)  # its schema changed while validating
        version = await add_version(
            session,
            upload,
            checked,
            content=content,
            file_format=file_format,
            filename=filename or f"{upload.identifier}.{file_format}",
            uploaded_by=principal.subject or principal.client_id,
            limits=limits,
            cancellation=cancellation,
        )
        upload.updated_at = utcnow()
        await session.flush()
        described = await _describe(session, request, upload)
        number = version.number
        await events.record(
            session, events.changed(upload), upload, version=number, rows=checked.row_count
        )
    return JSONResponse(
        {**described, "report": checked.report(), "version": number}, status_code=201
    )


async def _problems(
    request: Request, upload: UploadedDataset, dataset: Dataset | None
) -> list[str]:
    """What keeps ``upload`` from being published: the built-in checks, then (when they pass)
    the SHACL shapes on its DCAT-AP document, in a worker thread (pyshacl is CPU-bound)."""
    problems = upload_problems(upload, dataset)
    if problems or dataset is None:
        return problems
    cat = catalogue(host_of(request))
    return await anyio.to_thread.run_sync(shacl_problems, cat, dataset)


def _not_publishable(identifier: str, problems: list[str]) -> Response:
    return JSONResponse(
        {
            "error": {
                "code": "not_publishable",
                "field": problems[0].split(": ", 1)[0],
                "message": f"dataset {identifier!r} cannot be published: " + "; ".join(problems),
            },
            "problems": problems,
        },
        status_code=422,
    )


async def publish(request: Request) -> Response:
    """Publish (POST .../publish) or withdraw (POST .../unpublish) an uploaded dataset."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    publishing = request.url.path.endswith("/publish")
    async with request_unit_of_work(request, principal) as work:
        session = work.session
        upload = await _upload(session, request, principal)
        if isinstance(upload, Response):
            return upload
        if publishing:
            ((_, dataset),) = await load_datasets(
                session, identifier=upload.identifier, published_only=False
            )
            problems = await _problems(request, upload, dataset)
            if problems:
                return _not_publishable(upload.identifier, problems)
        was_published = upload.published_at is not None
        if publishing and not was_published:
            upload.published_at = utcnow()
            upload.first_published_at = upload.first_published_at or upload.published_at
        elif not publishing:
            upload.published_at = None
        upload.updated_at = utcnow()
        await session.flush()
        body = await _describe(session, request, upload)
        if publishing != was_published:  # publishing twice (or withdrawing twice) says nothing
            await events.record(
                session,
                events.PUBLISHED if publishing else events.UNPUBLISHED,
                upload,
                version=upload.current_version,
            )
    return JSONResponse(body)


async def version_file(request: Request) -> Response:
    """A version's file as uploaded, at a URL named by its hash: cacheable for ever."""
    identifier = request.path_params["identifier"]
    number = request.path_params["number"]
    name = request.path_params["file"]
    digest, _, extension = name.partition(".")
    async with request_sessionmaker(request)() as session:
        row = (
            await session.execute(
                select(UploadVersion)
                .join(UploadedDataset, UploadedDataset.id == UploadVersion.dataset_id)
                .where(
                    UploadedDataset.identifier == identifier,
                    UploadedDataset.published_at.is_not(None),
                    UploadVersion.number == number,
                )
            )
        ).scalar_one_or_none()
    if row is not None and name in VERSION_DESCRIPTORS:
        return await _version_descriptor(request, row, name)
    if row is None or row.sha256 != digest or row.file_format != extension:
        return error_response(
            404, "not_found", f"no published version {number} of {identifier!r} with that hash"
        )
    etag = f'"{row.sha256}"'
    headers = {
        "ETag": etag,
        **public_caching(request, immutable=True),  # content-addressed
        "Content-Disposition": f'attachment; filename="{identifier}-v{number}.{extension}"',
        "Digest": f"sha-256={_b64(row.sha256)}",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return not_modified(headers)
    return Response(row.content, media_type=MEDIA_TYPES[row.file_format], headers=headers)


#: Beside a version's file: its Table Schema and its Frictionless Data Resource (D1).
VERSION_DESCRIPTORS = ("schema.json", "resource.json")


async def _version_descriptor(request: Request, version: UploadVersion, name: str) -> Response:
    """The Table Schema (``schema.json``) or the Data Resource (``resource.json``) of a
    version's file: what the file, as uploaded, conforms to."""
    import anyio

    etag = f'"{version.sha256}-{name}"'
    headers = {"ETag": etag, **public_caching(request)}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return not_modified(headers)
    if name == "schema.json":
        return JSONResponse(
            file_schema(version), media_type="application/schema+json", headers=headers
        )
    base = str(request.url).rsplit("/", 1)[0]
    url = f"{base}/{version.sha256}.{version.file_format}"
    body = await anyio.to_thread.run_sync(file_resource, version, url)
    return JSONResponse(body, headers=headers)


def _b64(hex_digest: str) -> str:
    import base64

    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


# -- OpenAPI ---------------------------------------------------------------------------------

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
IDENTIFIER = {
    "name": "identifier",
    "in": "path",
    "required": True,
    "description": "The dataset's identifier: lower-case letters, digits and '-'.",
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,79}$"},
}
TEXTS = {"type": "object", "additionalProperties": {"type": "string"}}
UPLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["identifier", "title", "published", "versions", "problems"],
    "properties": {
        "identifier": {"type": "string"},
        "commune": {"type": ["string", "null"], "description": "NIS code; null: the GAL."},
        "title": TEXTS,
        "description": TEXTS,
        "theme": {"type": ["string", "null"]},
        "keywords": {"type": "object"},
        "licence": {"type": "string"},
        "accessRights": {"type": "string"},
        "frequency": {"type": "string"},
        "temporal": {"type": ["object", "null"]},
        "coordinates": {"type": ["object", "null"]},
        "spatial": {
            "type": "array",
            "items": {"type": "string"},
            "description": "NIS codes of the communes covered (empty: its commune).",
        },
        "schema": {"type": ["object", "null"], "description": "The Table Schema in force."},
        "published": {"type": "boolean"},
        "issued": {"type": ["string", "null"], "format": "date-time"},
        "currentVersion": {"type": ["integer", "null"]},
        "versions": {"type": "array", "items": {"type": "object"}},
        "problems": {
            "type": "array",
            "items": {"type": "string"},
            "description": "What keeps it from being published, by property.",
        },
    },
}
REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "schema": {"type": "object", "description": "The Table Schema used (inferred or set)."},
        "report": {
            "type": "object",
            "properties": {
                "valid": {"type": "boolean"},
                "errorCount": {"type": "integer"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "row": {"type": ["integer", "null"], "description": "Header = 1."},
                            "column": {"type": ["string", "null"]},
                            "columnNumber": {"type": ["integer", "null"]},
                            "type": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
                "rows": {"type": ["integer", "null"]},
            },
        },
    },
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


AUTH_ERRORS = {
    "401": {"description": "No or an invalid bearer token.", "content": ERROR},
    "403": {"description": "Not allowed for this dataset's commune.", "content": ERROR},
}
UNPUBLISHABLE = {
    "description": "The metadata would not conform to DCAT-AP: `problems` names each "
    "missing or invalid property.",
    "content": ERROR,
}


def _op(operation_id: str, summary: str, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": ["opendata"],
        **extra,
    }


OPENAPI: dict[str, dict[str, Any]] = {
    f"{PREFIX}/uploads": {
        "get": _op(
            "opendataUploads",
            "The uploaded datasets the caller may manage.",
            "Drafts and published ones, of the caller's communes (all for the GAL's staff), "
            "each with what keeps it from being published.",
            responses={
                "200": _json(
                    "The datasets.",
                    {
                        "type": "object",
                        "required": ["count", "items"],
                        "properties": {
                            "count": {"type": "integer"},
                            "items": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                ),
                "401": AUTH_ERRORS["401"],
            },
        )
    },
    f"{PREFIX}/uploads/{{identifier}}": {
        "put": _op(
            "opendataPutUpload",
            "Describe an uploaded dataset.",
            "Create (201) or change (200) an uploaded dataset's metadata: multilingual "
            "`title` (French required), `description`, `keywords`, EU `theme`, `licence` "
            "(default CC_BY_4_0), `accessRights`, `frequency`, `temporal` {start, end}, "
            "`coordinates` {longitude, latitude} (field names), `commune` (NIS code; absent: "
            "the GAL), `spatial` (NIS codes of the communes the data covers, its `dct:spatial`; "
            "absent: its commune, or Wallonia for the GAL's), for a GAL's own dataset the "
            "`territory` it belongs to (a territory's slug: needed when you work for several "
            "GALs; by default your only one) and optionally the Table Schema "
            "(`schema`) the next upload must follow. "
            f"Needs `{OPENDATA_PUBLISH.code}`.",
            parameters=[IDENTIFIER],
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            responses={
                "200": _json("Changed.", UPLOAD_SCHEMA),
                "201": _json("Created.", UPLOAD_SCHEMA),
                "400": {"description": "A property to fix (`field`).", "content": ERROR},
                **AUTH_ERRORS,
                "409": {"description": "A contributed dataset has it.", "content": ERROR},
                "422": UNPUBLISHABLE,
            },
        ),
        "delete": _op(
            "opendataDeleteUpload",
            "Delete an unpublished uploaded dataset.",
            "With all its versions and rows. A published one must be unpublished first (409).",
            parameters=[IDENTIFIER],
            responses={
                "204": {"description": "Deleted."},
                **AUTH_ERRORS,
                "404": {"description": "No such uploaded dataset.", "content": ERROR},
                "409": {"description": "It is published.", "content": ERROR},
            },
        ),
        "get": _op(
            "opendataGetUpload",
            "An uploaded dataset, published or not.",
            "Its metadata, Table Schema, versions and what keeps it from being published.",
            parameters=[IDENTIFIER],
            responses={
                "200": _json("The dataset.", UPLOAD_SCHEMA),
                **AUTH_ERRORS,
                "404": {"description": "No such uploaded dataset.", "content": ERROR},
            },
        ),
    },
    f"{PREFIX}/uploads/{{identifier}}/versions": {
        "post": _op(
            "opendataUploadVersion",
            "Upload a CSV or XLSX file.",
            "The body is the file (`Content-Type: text/csv` or the XLSX media type). It is "
            "validated with frictionless against the dataset's Table Schema (inferred from "
            "the file when none is set, or with `schema=infer`). `dry_run=true` only returns "
            "the schema and the report (to edit the schema, then PUT it). A valid file becomes "
            "the next version (201) and its rows the dataset's records; an invalid one is "
            "refused (422) with a report naming each row and column, and nothing is stored.",
            parameters=[
                IDENTIFIER,
                {
                    "name": "dry_run",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "boolean"},
                    "description": "Validate and report only.",
                },
                {
                    "name": "schema",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["infer"]},
                    "description": "Infer the schema from this file instead of the one set.",
                },
                {
                    "name": "filename",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "The file's name, kept with the version.",
                },
            ],
            requestBody={
                "required": True,
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in MEDIA_TYPES.values()
                },
            },
            responses={
                "200": _json("Dry run: the schema and the report.", REPORT_SCHEMA),
                "201": _json("Stored as the next version.", UPLOAD_SCHEMA),
                "400": {"description": "An empty body.", "content": ERROR},
                **AUTH_ERRORS,
                "404": {"description": "No such uploaded dataset.", "content": ERROR},
                "413": {
                    "description": "Larger than BOCAGE_OPENDATA_MAX_UPLOAD_BYTES (50 MB by "
                    "default), more cells than BOCAGE_SPREADSHEET_MAX_CELLS, or (XLSX) "
                    "expanding beyond BOCAGE_SPREADSHEET_MAX_UNCOMPRESSED_BYTES or "
                    "BOCAGE_SPREADSHEET_MAX_COMPRESSION_RATIO: `error.limit` and "
                    "`error.setting` say which.",
                    "content": ERROR,
                },
                "415": {"description": "Neither CSV nor XLSX.", "content": ERROR},
                "422": {
                    "description": "Invalid: the report names rows and columns. Or unreadable, "
                    "or beyond a bound of its shape (`error.setting`: "
                    "BOCAGE_SPREADSHEET_MAX_COLUMNS, _MAX_CELL_CHARS or _MAX_ZIP_MEMBERS; no "
                    "report).",
                    "content": {
                        "application/json": {
                            "schema": {
                                "anyOf": [REPORT_SCHEMA, {"$ref": "#/components/schemas/Error"}]
                            }
                        }
                    },
                },
            },
        )
    },
}
for action, operation_id, summary, description in (
    (
        "publish",
        "opendataPublish",
        "Publish an uploaded dataset.",
        "Checks its metadata and its DCAT-AP document against the DCAT-AP SHACL shapes "
        "(built in, or `BOCAGE_OPENDATA_SHAPES_DIR`): refused with 422 naming each missing "
        "property; once "
        "published it is in the catalogue, the records API and the exports.",
    ),
    (
        "unpublish",
        "opendataUnpublish",
        "Withdraw an uploaded dataset.",
        "It leaves the catalogue; its versions are kept.",
    ),
):
    OPENAPI[f"{PREFIX}/uploads/{{identifier}}/{action}"] = {
        "post": _op(
            operation_id,
            summary,
            description,
            parameters=[IDENTIFIER],
            responses={
                "200": _json("The dataset.", UPLOAD_SCHEMA),
                **AUTH_ERRORS,
                "404": {"description": "No such uploaded dataset.", "content": ERROR},
                **({"422": UNPUBLISHABLE} if action == "publish" else {}),
            },
        )
    }
OPENAPI[f"{PREFIX}/datasets/{{identifier}}/versions/{{number}}/{{file}}"] = {
    "get": _op(
        "opendataVersionFile",
        "A version's file, as uploaded (immutable).",
        "The file of a published dataset's version at a URL that contains its SHA-256 "
        "(`<sha256>.<csv|xlsx>`): it never changes, is cached for a year, and the DCAT "
        "distribution gives its checksum and byte size. Beside it, `schema.json` is the "
        "Table Schema the file conforms to as uploaded (its fields, decimal commas, date "
        "formats, true and false values; no `_row`) and `resource.json` its Frictionless "
        "Data Resource (that schema, the CSV encoding and delimiter, hash and size).",
        parameters=[
            IDENTIFIER,
            {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}},
            {
                "name": "file",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "`<sha256>.<format>`, `schema.json` or `resource.json`.",
            },
        ],
        responses={
            "200": {
                "description": "The file, or its Table Schema or Data Resource.",
                "content": {
                    **{
                        m: {"schema": {"type": "string", "format": "binary"}}
                        for m in MEDIA_TYPES.values()
                    },
                    "application/schema+json": {"schema": {"type": "object"}},
                    "application/json": {"schema": {"type": "object"}},
                },
            },
            "304": {"description": "Not modified (ETag)."},
            "404": {"description": "No such published version.", "content": ERROR},
        },
    )
}

#: Routes whose body is a file: BOCAGE_OPENDATA_MAX_UPLOAD_BYTES instead of the core's limit.
UPLOAD_LIMITED = frozenset({"opendata-upload-version"})

UPLOAD_ROUTES: list[tuple[str, str, Any, list[str]]] = [
    ("opendata-uploads", f"{PREFIX}/uploads", list_uploads, ["GET"]),
    (
        "opendata-upload",
        f"{PREFIX}/uploads/{{identifier}}",
        upload_resource,
        ["GET", "PUT", "DELETE"],
    ),
    (
        "opendata-upload-version",
        f"{PREFIX}/uploads/{{identifier}}/versions",
        post_version,
        ["POST"],
    ),
    ("opendata-publish", f"{PREFIX}/uploads/{{identifier}}/publish", publish, ["POST"]),
    ("opendata-unpublish", f"{PREFIX}/uploads/{{identifier}}/unpublish", publish, ["POST"]),
    (
        "opendata-version-file",
        f"{PREFIX}/datasets/{{identifier}}/versions/{{number:rowkey}}/{{file}}",
        version_file,
        ["GET"],
    ),
]
