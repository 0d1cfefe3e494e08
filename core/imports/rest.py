"""``POST /api/import/{kind}``: the spreadsheet import over HTTP."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bocage.core.auth.tokens import request_principal
from bocage.core.cancellation import ClientDisconnected, cancel_on_disconnect
from bocage.core.hookspecs import RestRoute
from bocage.core.imports.mapping import MappingError, parse_map_options
from bocage.core.imports.runner import ImportRefused, authorise, kinds, run_import
from bocage.core.imports.sources import SourceError
from bocage.core.nul import nul_at, nul_message
from bocage.core.rest_errors import error_response
from bocage.core.spreadsheets import SpreadsheetError, SpreadsheetLimitError, SpreadsheetLimits

if TYPE_CHECKING:
    from bocage.core.settings import Settings

PATH = "/api/import/{kind}"
TRUE = {"1", "true", "yes", "on"}


async def import_endpoint(request: Request) -> JSONResponse:
    """Import the uploaded spreadsheet; the report is the body (422 when rows have errors)."""
    kind = kinds().get(request.path_params["kind"])
    if kind is None:
        return error_response(
            404,
            "not_found",
            f"no import of {request.path_params['kind']!r}: use one of {', '.join(kinds())}",
        )
    principal = await request_principal(request)
    try:
        authorise(principal, kind)
    except ImportRefused as refused:
        return error_response(refused.status, refused.code, refused.message)
    params = request.query_params
    settings = request.app.state.settings
    try:
        mapping = parse_map_options(params.getlist("map"))
        data, form_mapping = await _upload(request)
        mapping = {**form_mapping, **mapping}
        # Once the body is read, a client that leaves stops the import (nothing is written).
        async with cancel_on_disconnect(request) as cancellation:
            report = await run_import(
                request.app.state.sessionmaker,
                principal,
                kind.name,
                data,
                mapping=mapping,
                source=params.get("source"),
                commune=params.get("commune"),
                sheet=params.get("sheet"),
                dry_run=params.get("dry_run", "false").lower() in TRUE,
                default_language=settings.default_language,
                host=request.app.state.host,
                limits=SpreadsheetLimits.of(settings),
                cancellation=cancellation,
            )
    except ImportRefused as refused:
        return error_response(refused.status, refused.code, refused.message)
    except SpreadsheetLimitError as error:
        return JSONResponse(error.body(), status_code=error.status)
    except (SourceError, SpreadsheetError, MappingError) as error:
        return error_response(400, "invalid_file", str(error))
    except ClientDisconnected as gone:
        return error_response(499, "client_disconnected", str(gone))
    body = report.as_json()
    if report.errors:
        body["error"] = {
            "code": "invalid_rows",
            "message": f"{len(report.errors)} problems in the file (see errors); "
            "nothing was written",
        }
        return JSONResponse(body, status_code=422)
    return JSONResponse(body)


async def _upload(request: Request) -> tuple[bytes, dict[str, str]]:
    """The file's bytes (multipart field ``file``, or the raw body) and the multipart
    field ``mapping`` (a JSON object), if any."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await request.body(), {}
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as error:  # a malformed multipart body
        raise SourceError(f"the multipart body cannot be read ({error})") from None
    upload: Any = form.get("file")
    if upload is None or isinstance(upload, str):
        raise SourceError("send the spreadsheet in a multipart field named 'file'")
    data = await upload.read()
    raw = form.get("mapping")
    mapping: dict[str, str] = {}
    if isinstance(raw, str) and raw.strip():
        try:
            mapping = json.loads(raw)
        except json.JSONDecodeError as error:
            raise MappingError(f"the 'mapping' field is not JSON: {error}") from None
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise MappingError("the 'mapping' field must be a JSON object of strings")
        if (where := nul_at(mapping, "mapping")) is not None:
            raise MappingError(nul_message(where))
    return data, mapping


def import_route(settings: Settings) -> RestRoute:
    """The import route, with its own body limit (spreadsheets are larger than queries)."""
    return RestRoute(
        name="import",
        route=Route(PATH, import_endpoint, methods=["POST"], name="import"),
        max_body_bytes=settings.import_max_bytes,
        max_body_setting="BOCAGE_IMPORT_MAX_BYTES",
    )


REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "source", "dry_run", "rows", "created", "updated", "unchanged"],
    "properties": {
        "kind": {"enum": ["projects", "stakeholders", "contacts", "pst"]},
        "source": {"type": "string", "description": "Namespace of the external IDs."},
        "dry_run": {"type": "boolean"},
        "format": {"enum": ["csv", "xlsx"]},
        "rows": {"type": "integer", "description": "Data rows read (blank rows skipped)."},
        "created": {"type": "integer"},
        "updated": {"type": "integer"},
        "unchanged": {"type": "integer"},
        "committed": {"type": "boolean", "description": "Whether the changes were written."},
        "ok": {"type": "boolean"},
        "columns": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Header in the file -> the field it fills.",
        },
        "ignored_columns": {"type": "array", "items": {"type": "string"}},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["row", "code", "message"],
                "properties": {
                    "row": {
                        "type": "integer",
                        "description": "Row number as the spreadsheet shows it (the header "
                        "row for a problem with the columns).",
                    },
                    "column": {"type": ["string", "null"]},
                    "value": {"type": ["string", "null"]},
                    "code": {"type": "string"},
                    "message": {"type": "string", "description": "What to fix."},
                },
            },
        },
        "seconds": {"type": "number"},
        "error": {
            "type": "object",
            "description": "Present when rows have errors.",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}


def _param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


OPENAPI: dict[str, dict[str, Any]] = {
    PATH: {
        "post": {
            "operationId": "importSpreadsheet",
            "summary": "Import projects, organisations, contacts or a commune's PST from a CSV "
            "or XLSX file.",
            "description": "Every row is checked with the rules of the GraphQL mutations; any "
            "error and nothing is written (the report lists each row, column and what to fix). "
            "Rows are matched by `external_id` within `source`: importing the same file again "
            "updates, never duplicates, and changes nothing when nothing changed. Needs a "
            "bearer token with the permission of the matching mutations (projects:write, "
            "stakeholders:write, contacts:write, pst:write); commune-scoped callers import "
            "only into their communes. See docs/import.md.",
            "tags": ["import"],
            "parameters": [
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["projects", "stakeholders", "contacts", "pst"]},
                },
                _param("dry_run", "Check and report only; write nothing.", {"type": "boolean"}),
                _param(
                    "commune",
                    "NIS code: the commune of the PST (pst), or of rows without a commune.",
                    {"type": "string"},
                ),
                _param(
                    "sheet", "Sheet of an XLSX workbook (default: the first).", {"type": "string"}
                ),
                _param(
                    "source",
                    "Namespace of the external IDs (default: commune, else 'default').",
                    {"type": "string"},
                ),
                {
                    "name": "map",
                    "in": "query",
                    "required": False,
                    "description": "A column's field, 'Header=field' (repeat).",
                    "schema": {"type": "array", "items": {"type": "string"}},
                    "style": "form",
                    "explode": True,
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "mapping": {
                                    "type": "string",
                                    "description": "JSON object: column header -> field.",
                                },
                            },
                        }
                    },
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            },
            "responses": {
                "200": {
                    "description": "Imported (or, for a dry run, checked): the report.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ImportReport"}
                        }
                    },
                },
                "400": {
                    "description": "Unreadable file or bad mapping.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "401": {
                    "description": "No or invalid bearer token.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "403": {
                    "description": "The token lacks the permission, or the commune is not the "
                    "caller's.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "404": {
                    "description": "Unknown kind.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "413": {
                    "description": "The file is larger than BOCAGE_IMPORT_MAX_BYTES, holds more "
                    "cells than BOCAGE_SPREADSHEET_MAX_CELLS, or (XLSX) expands beyond "
                    "BOCAGE_SPREADSHEET_MAX_UNCOMPRESSED_BYTES or "
                    "BOCAGE_SPREADSHEET_MAX_COMPRESSION_RATIO: `error.setting` and "
                    "`error.limit` say which.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "422": {
                    "description": "Rows have errors: nothing was written; the report lists "
                    "them. Or the file breaks a bound of its shape (`error.setting`: "
                    "BOCAGE_SPREADSHEET_MAX_COLUMNS, _MAX_CELL_CHARS or _MAX_ZIP_MEMBERS; no "
                    "report).",
                    "content": {
                        "application/json": {
                            "schema": {
                                "anyOf": [
                                    {"$ref": "#/components/schemas/ImportReport"},
                                    {"$ref": "#/components/schemas/Error"},
                                ]
                            }
                        }
                    },
                },
            },
        }
    }
}
