"""Keyset paging over several sort keys, nulls last in either direction.

A page is "the rows strictly after the last one seen", in an order whose last keys are unique
(the dataset's key, or a group's fields): no offset, so no ceiling and every row exactly once
even while rows are added. Nulls sort after every value whether the key ascends or descends, as
on both engines' ``NULLS LAST``, written portably.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, false, or_

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement


@dataclass(frozen=True)
class SortKey:
    """A column of the ordering, by its name in the statement's source."""

    name: str
    descending: bool = False


def order_by(columns: Mapping[str, Any], keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """ORDER BY clauses: for each key, its nulls last, then its values."""
    clauses: list[ColumnElement[Any]] = []
    for key in keys:
        column = columns[key.name]
        clauses.append(case((column.is_(None), 1), else_=0).asc())
        clauses.append(column.desc() if key.descending else column.asc())
    return clauses


def after(
    columns: Mapping[str, Any], keys: Sequence[SortKey], values: Sequence[Any]
) -> ColumnElement[bool]:
    """The rows strictly after the row whose keys hold ``values``, in the order of ``keys``."""
    clauses = []
    for i, key in enumerate(keys):
        value = values[i]
        if value is None:
            continue  # nothing sorts after a null but other nulls, settled by the next keys
        column = columns[key.name]
        beyond = column < value if key.descending else column > value
        equal = [
            columns[k.name].is_(None) if v is None else columns[k.name] == v
            for k, v in zip(keys[:i], values[:i], strict=True)
        ]
        clauses.append(and_(*equal, or_(beyond, column.is_(None))))
    return or_(*clauses) if clauses else false()


def _dump(value: Any) -> Any:
    """A cursor value as JSON, exactly: decimals as text (a float would round them)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def encode(values: Sequence[Any]) -> str:
    text = json.dumps([_dump(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str) -> list[Any] | None:
    """The values of a cursor, or None when it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        return None
    return values if isinstance(values, list) else None
