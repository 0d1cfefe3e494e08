"""The OpenAPI 3.1 document of every REST route: the host's and the plugins'.

The committed copy lives in ``openapi/openapi.json`` (with the GraphQL SDL in
``openapi/schema.graphql``); ``bocage schema export`` rewrites both, and a test fails when the
committed files differ from what the code serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bocage.core import __version__

if TYPE_CHECKING:
    from bocage.core.host import PluginHost

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


CORE_PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {
        "get": {
            "operationId": "healthz",
            "summary": "Liveness: the process is up.",
            "tags": ["operations"],
            "responses": {
                "200": _json("Up.", {"type": "object", "properties": {"status": {"const": "ok"}}})
            },
        }
    },
    "/readyz": {
        "get": {
            "operationId": "readyz",
            "summary": "Readiness: the database answers and migrations are at head.",
            "tags": ["operations"],
            "responses": {
                "200": _json("Ready.", {"$ref": "#/components/schemas/Readiness"}),
                "503": _json(
                    "Database unreachable or migrations pending.",
                    {"$ref": "#/components/schemas/Readiness"},
                ),
            },
        }
    },
    "/graphql": {
        "post": {
            "operationId": "graphql",
            "summary": "The GraphQL API (schema: /graphql SDL in openapi/schema.graphql).",
            "tags": ["graphql"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["query"],
                            "properties": {
                                "query": {"type": "string"},
                                "variables": {"type": ["object", "null"]},
                                "operationName": {"type": ["string", "null"]},
                            },
                        }
                    }
                },
            },
            "responses": {"200": _json("A GraphQL response.", {"type": "object"})},
        },
        "get": {
            "operationId": "graphqlGet",
            "summary": "GraphiQL in a browser, or a query in the `query` parameter.",
            "tags": ["graphql"],
            "parameters": [
                {"name": "query", "in": "query", "required": False, "schema": {"type": "string"}}
            ],
            "responses": {"200": {"description": "GraphiQL (HTML) or a GraphQL response."}},
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "tags": ["operations"],
            "responses": {"200": _json("OpenAPI 3.1 document.", {"type": "object"})},
        }
    },
}


def openapi_document(host: PluginHost) -> dict[str, Any]:
    paths = dict(CORE_PATHS)
    for _plugin, route in host.routes():
        paths.update(route.openapi)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bocage",
            "version": __version__,
            "description": "The open API of a smart rural territory. Most data is served by "
            "GraphQL at /graphql; plugins add the REST routes below.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {
                "Error": ERROR_SCHEMA,
                "Readiness": {
                    "type": "object",
                    "required": ["status", "database"],
                    "properties": {
                        "status": {"enum": ["ready", "migrations_pending", "unavailable"]},
                        "database": {"enum": ["ok", "unreachable"]},
                        "migrations": {
                            "type": "object",
                            "properties": {
                                "applied": {"type": "array", "items": {"type": "string"}},
                                "heads": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                        "detail": {"type": "string"},
                    },
                },
            }
        },
    }
