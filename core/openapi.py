"""The OpenAPI 3.1 document of every REST route: the host's and the plugins'.

The committed copy lives in ``openapi/openapi.json`` (with the GraphQL SDL in
``openapi/schema.graphql``); ``bocage schema export`` rewrites both, and a test fails when the
committed files differ from what the code serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bocage.core import __version__
from bocage.core.cache_control import IF_NONE_MATCH, NOT_MODIFIED, conditional_get

if TYPE_CHECKING:
    from bocage.core.host import PluginHost

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "limit": {"type": "number", "description": "A refusal by a bound: the bound."},
                "setting": {
                    "type": "string",
                    "description": "A refusal by a bound: the setting that sets it.",
                },
            },
        }
    },
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


#: What /graphql refuses with (docs/errors.md): the GraphQL error shape, without ``data``.
GRAPHQL_ERRORS_SCHEMA = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["message", "extensions"],
                "properties": {
                    "message": {"type": "string"},
                    "extensions": {
                        "type": "object",
                        "required": ["code"],
                        "properties": {"code": {"type": "string"}},
                    },
                },
            },
        }
    },
}


def _graphql(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A /graphql answer, in either media type of the GraphQL-over-HTTP spec (by Accept)."""
    schema = schema or {"$ref": "#/components/schemas/GraphQLErrors"}
    return {
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "application/graphql-response+json": {"schema": schema},
        },
    }


#: The refusals /graphql answers to GET and POST alike (docs/errors.md).
_GRAPHQL_REFUSALS = {
    "400": _graphql(
        "A request that is not a GraphQL request (not JSON, no `query`, a batch...); as "
        "`application/graphql-response+json`, also a document that does not parse or "
        "validate, or variables that do not fit."
    ),
    "401": _graphql("A bearer token that is not valid (`INVALID_TOKEN`)."),
    "405": _graphql("A method other than GET and POST, or a mutation over GET (see `Allow`)."),
    "406": _graphql("An Accept header that refuses both JSON media types."),
    "413": _graphql("A body over `BOCAGE_MAX_BODY_BYTES`."),
    "429": _graphql("Over `BOCAGE_RATE_LIMIT` (see `Retry-After`)."),
}


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
            "responses": {
                "200": _graphql("A GraphQL response.", {"type": "object"}),
                **_GRAPHQL_REFUSALS,
                "415": _graphql("A body that is not `application/json`."),
            },
        },
        "get": {
            "operationId": "graphqlGet",
            "summary": "GraphiQL in a browser, or a query in the `query` parameter.",
            "tags": ["graphql"],
            "parameters": [
                {"name": "query", "in": "query", "required": False, "schema": {"type": "string"}},
                IF_NONE_MATCH,
            ],
            "responses": {
                "200": {
                    "description": "GraphiQL (HTML) or a GraphQL response. An anonymous "
                    "caller's answer without errors (or with its own input errors only) is "
                    "public: ETag, Cache-Control: public (see docs/caching.md)."
                },
                "304": NOT_MODIFIED,
                **_GRAPHQL_REFUSALS,
            },
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
    "/oauth/token": {
        "post": {
            "operationId": "oauthToken",
            "summary": "OAuth2 token endpoint: client-credentials grant (RFC 6749 §4.4).",
            "description": "Authenticate the client with HTTP Basic (client_secret_basic) or "
            "with client_id and client_secret in the body (client_secret_post), not both; "
            "send each parameter once, at most BOCAGE_AUTH_TOKEN_MAX_FIELDS of them. The access "
            "token is a short-lived JWT signed with a key published at /.well-known/jwks.json.",
            "tags": ["auth"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                "grant_type": {"const": "client_credentials"},
                                "scope": {
                                    "type": "string",
                                    "description": "Space-separated scopes, a subset of the "
                                    "client's (default: all of them).",
                                },
                                "client_id": {"type": "string"},
                                "client_secret": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json("An access token.", {"$ref": "#/components/schemas/OAuthToken"}),
                "400": _json(
                    "invalid_request, invalid_scope, unauthorized_client or "
                    "unsupported_grant_type.",
                    {"$ref": "#/components/schemas/OAuthError"},
                ),
                "401": _json(
                    "invalid_client: unknown client, wrong secret or revoked client.",
                    {"$ref": "#/components/schemas/OAuthError"},
                ),
                "429": {
                    **_json(
                        "too_many_requests: too many failed authentications of this client id "
                        "or from this address lately (BOCAGE_AUTH_FAILURE_*_LIMIT); retry after "
                        "Retry-After seconds.",
                        {"$ref": "#/components/schemas/OAuthError"},
                    ),
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds to wait.",
                            "schema": {"type": "integer"},
                        }
                    },
                },
            },
        }
    },
    "/.well-known/jwks.json": {
        "get": {
            "operationId": "jwks",
            "summary": "Public keys that verify the built-in issuer's tokens (JWK Set).",
            "tags": ["auth"],
            "responses": {
                "200": {
                    "description": "The signing key and retired keys still in their grace period.",
                    "content": {
                        "application/jwk-set+json": {
                            "schema": {
                                "type": "object",
                                "required": ["keys"],
                                "properties": {
                                    "keys": {"type": "array", "items": {"type": "object"}}
                                },
                            }
                        }
                    },
                }
            },
        }
    },
}

# Public answers: HttpCaching answers If-None-Match with 304.
for _path in ("/openapi.json", "/.well-known/jwks.json"):
    CORE_PATHS[_path] = conditional_get(CORE_PATHS[_path])


#: What the protective middleware may answer on any route (bocage.core.middleware).
MIDDLEWARE_RESPONSES: dict[str, dict[str, Any]] = {
    "400": _json(
        "A parameter to fix; a NUL character (%00) in the URL, on any route.",
        {"$ref": "#/components/schemas/Error"},
    ),
    "429": {
        "description": "Too many requests from this client (`BOCAGE_RATE_LIMIT`): retry after "
        "`Retry-After` seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
}


def _with_middleware_responses(path: str, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with the middleware's answers added to each operation that lacks them."""
    from bocage.core.middleware import UNLIMITED_PATHS

    added = {}
    for method, operation in item.items():
        responses = dict(operation.get("responses", {}))
        for status, response in MIDDLEWARE_RESPONSES.items():
            if status == "429" and path in UNLIMITED_PATHS:
                continue
            responses.setdefault(status, response)
        added[method] = {**operation, "responses": dict(sorted(responses.items()))}
    return added


def openapi_document(host: PluginHost) -> dict[str, Any]:
    from bocage.core.imports.rest import OPENAPI as IMPORT_PATHS
    from bocage.core.imports.rest import REPORT_SCHEMA

    paths = {**CORE_PATHS, **IMPORT_PATHS}
    for _plugin, route in host.routes():
        paths.update(route.openapi)
    paths = {path: _with_middleware_responses(path, item) for path, item in paths.items()}
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
                "GraphQLErrors": GRAPHQL_ERRORS_SCHEMA,
                "ImportReport": REPORT_SCHEMA,
                "OAuthToken": {
                    "type": "object",
                    "required": ["access_token", "token_type", "expires_in"],
                    "properties": {
                        "access_token": {"type": "string"},
                        "token_type": {"const": "Bearer"},
                        "expires_in": {"type": "integer"},
                        "scope": {"type": "string"},
                    },
                },
                "OAuthError": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "error_description": {"type": "string"},
                    },
                },
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
