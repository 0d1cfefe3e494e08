"""Expected failures of a write: the caller can fix them."""

from __future__ import annotations

import enum


class Code(enum.Enum):
    """The codes every domain's error enum starts from."""

    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    REQUIRED = "required"
    INVALID = "invalid"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    #: An address no geocoder could place, and no coordinates were given (docs/places.md).
    ADDRESS_NOT_FOUND = "address_not_found"


class Invalid(Exception):
    """An expected failure: the caller can fix it. ``field`` is the input field's name (as
    clients spell it: GraphQL's camelCase); ``message`` says what to fix."""

    def __init__(self, code: Code, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"Invalid({self.code.name}, {self.message!r}, field={self.field!r})"
