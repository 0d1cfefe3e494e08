"""Turning a spreadsheet cell into a value: text, number, date, list, controlled vocabulary.

Each parser takes what the reader gives (a string from CSV; str, int, float, datetime... from
XLSX) and returns the value or raises :class:`CellError` saying what to write instead.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


class CellError(Exception):
    """A cell's value cannot be read; the message says what to write instead."""


def fold(value: str) -> str:
    """Lower case, no accents, words joined by ``_``: how headers and vocabulary compare."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    result = str(value).strip()
    return result or None


def code(value: Any, width: int = 0) -> str | None:
    """An identifier written as a number in a spreadsheet (NIS code 64034, enterprise number
    207000000 whose leading zero Excel dropped)."""
    result = text(value)
    if result is not None and width and result.isdigit() and len(result) < width:
        result = result.zfill(width)
    return result


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y/%m/%d")


def date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip()
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise CellError(f"{raw!r} is not a date: write it as 2026-03-31 or 31/03/2026")


def decimal(value: Any) -> Decimal | None:
    """A number as French or English spreadsheets write it: ``12 500,50``, ``12,500.50``,
    ``12.500,50 €``, ``12500.5``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a number")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raw = str(value).strip()
    cleaned = re.sub(r"[\s\u00a0\u202f€$'’]|EUR", "", raw, flags=re.I)
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".") if cleaned.count(",") == 1 else ""
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise CellError(f"{raw!r} is not a number: write it as 12500 or 12500,50")
    return number


def integer(value: Any) -> int | None:
    number = decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise CellError(f"{text(value)!r} is not a whole number")
    return int(number)


def items(value: Any) -> list[str]:
    """A list in one cell, separated by ``;``, ``,`` or line breaks."""
    raw = text(value)
    if raw is None:
        return []
    return [item.strip() for item in re.split(r"[;,\n]", raw) if item.strip()]


def choice(value: Any, vocabulary: Mapping[str, str], what: str) -> str | None:
    """One term of a controlled vocabulary, by its value or any of its French, Dutch or
    English names (case and accents ignored)."""
    raw = text(value)
    if raw is None:
        return None
    found = vocabulary.get(fold(raw))
    if found is None:
        allowed = sorted(set(vocabulary.values()))
        raise CellError(f"{raw!r} is not a {what}: use one of {', '.join(allowed)}")
    return found


def vocabulary(terms: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """``{value: (synonyms...)}`` to a lookup from every folded name to its value."""
    lookup: dict[str, str] = {}
    for term, names in terms.items():
        for name in (term, *names):
            lookup[fold(name)] = term
    return lookup
