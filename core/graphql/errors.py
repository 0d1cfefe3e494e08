"""Typed GraphQL errors: a machine-readable ``extensions.code`` and a message saying what to fix.

Errors of these classes reach clients as they are; any other exception is masked as
"Unexpected error." and logged (see :mod:`bocage.core.graphql.schema`).
"""

from __future__ import annotations

import enum
from typing import Any

from graphql import GraphQLError


class ErrorCode(enum.StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class BocageError(GraphQLError):
    """A GraphQL error that is safe and useful to show to the caller."""

    code: ErrorCode = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, *, field: str | None = None, **extensions: Any) -> None:
        ext: dict[str, Any] = {"code": str(self.code), **extensions}
        if field:
            ext["field"] = field
        super().__init__(message, extensions=ext)


class BadInput(BocageError):
    code = ErrorCode.BAD_USER_INPUT


class NotFound(BocageError):
    code = ErrorCode.NOT_FOUND


def from_invalid(error: GraphQLError) -> GraphQLError:
    """``error`` raised by a resolver as the domain's expected failure (``Invalid``) outside a
    mutation payload: a typed error with its code (``BAD_USER_INPUT`` for invalid or missing
    values) and field, not an unexpected one."""
    invalid = error.original_error
    name = str(getattr(getattr(invalid, "code", None), "name", "INVALID"))
    code = "BAD_USER_INPUT" if name in ("INVALID", "REQUIRED") else name
    extensions: dict[str, Any] = {"code": code}
    if getattr(invalid, "field", None):
        extensions["field"] = invalid.field  # type: ignore[union-attr]
    return GraphQLError(
        getattr(invalid, "message", error.message),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )
