"""The NUL character (U+0000) in what a client sends: PostgreSQL can neither store nor compare
it in a text or a JSON value (a statement holding one fails), and no text of Bocage's holds one.
Every way in refuses it before the database, naming where it is: GraphQL variables
(:mod:`bocage.core.graphql.limits`), REST JSON bodies, spreadsheet cells
(:mod:`bocage.core.spreadsheets.limits`), form parameters (the token endpoint); a NUL in a URL
is refused by :class:`bocage.core.middleware.NulInUrl`."""

from __future__ import annotations

from typing import Any

NUL = "\x00"


def shown(text: str) -> str:
    """``text`` with its NUL characters written ``\\u0000``, for a message or a field name."""
    return text.replace(NUL, "\\u0000")


def nul_at(value: Any, path: str = "") -> str | None:
    """Where a JSON ``value`` holds a NUL character, in a string or an object's key: its path
    (``title.fr``, ``keywords.fr[1]``; ``path`` itself for ``value``), or ``None``."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{shown(str(key))}" if path else shown(str(key))
            if isinstance(key, str) and NUL in key:
                return inner
            found = nul_at(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def nul_message(where: str) -> str:
    """The refusal's message: ``where`` holds a NUL character."""
    return f"{where} holds the NUL character (U+0000), which no text may contain: remove it."


__all__ = ["NUL", "nul_at", "nul_message", "shown"]
