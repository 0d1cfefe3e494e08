"""Accent- and case-insensitive text comparison, the same on PostgreSQL and SQLite.

``fold(text)`` lowers a text and takes the accents off its Latin letters (``École`` ->
``ecole``, ``Straße`` -> ``strasse``, ``Œuvre`` -> ``oeuvre``); combining accents (decomposed
text) are dropped. PostgreSQL runs ``lower(unaccent(text))`` (the ``unaccent`` extension the
core's first migration creates for its text search; a ``translate`` of the same letters took
20 times longer); SQLite a function the plugin registers on the connection it reads with
(:func:`prepare`), running :func:`fold_text`, whose table gives every letter of Latin-1 and
Latin Extended-A the same letters as ``unaccent`` (a test compares them letter by letter).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.compiler import SQLCompiler

#: The SQLite function's name.
SQLITE_FUNCTION = "bocage_opendata_fold"
_REGISTERED = "bocage_opendata_fold"


def _table() -> tuple[dict[str, str], dict[str, str]]:
    """Single letters (Latin-1 and Latin Extended-A) to their bare letter, and the letters
    that become two (ligatures)."""
    single: dict[str, str] = {}
    double = {"œ": "oe", "æ": "ae", "ß": "ss", "ĳ": "ij"}
    extra = {"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t", "ð": "d"}
    for code in range(0x00C0, 0x0180):
        letter = chr(code)
        if not letter.isalpha():
            continue
        for candidate in {letter, letter.lower()}:
            if len(candidate) != 1 or candidate in double or candidate in extra:
                continue
            bare = "".join(
                c for c in unicodedata.normalize("NFKD", candidate) if not unicodedata.combining(c)
            ).lower()
            if len(bare) == 1 and bare.isascii() and bare != candidate:
                single[candidate] = bare
    for letter, bare in extra.items():
        single[letter] = bare
        single[letter.upper()] = bare
    for letter, pair in list(double.items()):
        if letter.upper() != letter and len(letter.upper()) == 1:
            double[letter.upper()] = pair
    return single, double


SINGLE, DOUBLE = _table()
#: Combining diacritical marks (decomposed accents): dropped.
COMBINING = "".join(chr(c) for c in range(0x0300, 0x0370))
_TRANSLATION = str.maketrans({**SINGLE, **DOUBLE, **dict.fromkeys(COMBINING, None)})


def fold_text(text: str | None) -> str | None:
    """``text`` lowered, its Latin letters without accents."""
    if text is None:
        return None
    return text.lower().translate(_TRANSLATION)


_TERM = re.compile(r'"([^"]*)"|(\S+)')


def terms(text: str) -> list[str]:
    """The words and ``"quoted phrases"`` of a search, folded, each once."""
    found = (fold_text(quoted or word) or "" for quoted, word in _TERM.findall(text))
    return list(dict.fromkeys(term.strip() for term in found if term.strip()))


class fold(FunctionElement[str]):  # noqa: N801 - an SQL function, named like SQLAlchemy's
    """SQL: the folded text of an expression (cast to text first: enumerations, numbers)."""

    type = Text()
    inherit_cache = True


@compiles(fold, "sqlite")
def _fold_sqlite(element: fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(fold)
def _fold_postgresql(element: fold, compiler: SQLCompiler, **kw: Any) -> str:
    (argument,) = element.clauses
    return compiler.process(func.lower(func.unaccent(cast(argument, Text))), **kw)


async def prepare(session: AsyncSession) -> None:
    """Give SQLite's connection of ``session`` the fold function (once per connection)."""
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        await session.run_sync(_register)


def _register(session: Session) -> None:
    pooled = session.connection().connection
    if not pooled.info.get(_REGISTERED):
        pooled.dbapi_connection.create_function(  # type: ignore[union-attr]
            SQLITE_FUNCTION, 1, fold_text, deterministic=True
        )
        pooled.info[_REGISTERED] = True
