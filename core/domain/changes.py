"""What a write did to one row (:class:`Change`), as the audit trail and the domain event tell
it, and the checks every change of a stored row makes (live, at the version read)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import inspect, select

from bocage.core import tracking
from bocage.core.db import PERSONAL, utcnow
from bocage.core.domain.errors import Code, Invalid
from bocage.core.events import graphql_type_of
from bocage.core.hookspecs import EventScope
from bocage.core.models import AuditEntry, Commune

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.auth.principal import Principal


def json_safe(value: Any) -> Any:
    """``value`` with dates, decimals, enums and collections turned into JSON values."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value


def request_hash(data: Any) -> str:
    """A digest of a write's request, to tell a retry from another request under one key."""
    return hashlib.sha256(orjson.dumps(json_safe(data), option=orjson.OPT_SORT_KEYS)).hexdigest()


#: Columns that move with every change and are no change of their own.
IGNORED = {"created_at", "updated_at", "version", "search_text"}


def column_changes(row: Any, *, created: bool = False) -> dict[str, dict[str, Any]]:
    """Before/after of every field of ``row`` this transaction changed, however many flushes
    it took, links recorded with :func:`record_link` included (see :mod:`bocage.core.tracking`);
    for a row just ``created``, every column it was given (and its recorded links)."""
    state = inspect(row)
    changes: dict[str, dict[str, Any]] = {}
    if created or state.pending or state.transient:
        columns = set()
        for attribute in state.mapper.column_attrs:
            columns.add(attribute.key)
            if attribute.key in IGNORED or attribute.key == "id":
                continue
            value = getattr(row, attribute.key)
            if value not in (None, [], {}):
                changes[attribute.key] = {"before": None, "after": json_safe(value)}
        for key, (before, after) in tracking.changes_of(row).items():
            if key not in columns:  # a link, recorded once the row was inserted
                changes[key] = {"before": json_safe(before), "after": json_safe(after)}
        return changes
    for key, (before, after) in tracking.changes_of(row).items():
        if key not in IGNORED and key != "id":
            changes[key] = {"before": json_safe(before), "after": json_safe(after)}
    return changes


def record_link(row: Any, field: str, before: Iterable[Any], after: Iterable[Any]) -> bool:
    """Record that the links ``field`` of ``row`` (rows of another table: a project's communes,
    its stakeholders with their roles...) went from ``before`` to ``after``; both are compared
    and stored sorted, so the order a client sends them in is no change. Return whether they
    differ: only then replace them. A change makes :func:`column_changes` list the field, and
    steps the row's version once for the whole unit of work."""
    return tracking.record_link(row, field, sorted(json_safe(before)), sorted(json_safe(after)))


async def linked_communes(session: Any, owner: Any, key: int) -> set[str]:
    """The NIS codes of the communes linked to the row ``key`` through ``owner``, the column of
    a link table that names that row (``project_commune.c.project_id``...)."""
    link = owner.table
    rows = await session.execute(
        select(Commune.nis_code).join(link, link.c.commune_id == Commune.id).where(owner == key)
    )
    return set(rows.scalars())


def personal_keys(model: Any) -> set[str]:
    """The columns of ``model`` marked personal (none for an object that is not a table row)."""
    mapper = getattr(model, "__mapper__", None)
    if mapper is None:
        return set()
    return {c.key for c in mapper.column_attrs if c.columns[0].info.get(PERSONAL)}


@dataclass
class Change:
    """What a write did to one object, for the audit trail and the event."""

    row: Any
    action: str
    changes: dict[str, dict[str, Any]]
    #: What a change-feed reader or webhook subscriber needs to learn of it; by default none,
    #: or the write's own permission when the row holds personal data.
    permission: str | None = None
    #: Where the row belongs, when not every holder of ``permission`` may read it (the core
    #: finds its own rows' scope; see ``EventScope``).
    scope: EventScope | None = None

    @property
    def is_noop(self) -> bool:
        """An update that changed no field (the values sent were those the object had): it
        is not audited and raises no event."""
        return self.action == "updated" and not self.changes


def audit_values(principal: Principal, change: Change) -> dict[str, Any]:
    """The audit entry of ``change``, as column values (bulk writers insert many at once)."""
    return {
        "subject": principal.subject,
        "client_id": principal.client_id,
        "action": change.action,
        "object_type": graphql_type_of(type(change.row)),
        "object_id": change.row.id,
        "changes": change.changes,
    }


def audit(session: AsyncSession, principal: Principal, change: Change) -> None:
    """Add the audit entry of ``change`` to ``session``'s transaction."""
    session.add(AuditEntry(**audit_values(principal, change)))


def check_version(row: Any, version: int) -> None:
    """Refuse an update made from a stale read."""
    if row.version != version:
        raise Invalid(
            Code.CONFLICT,
            f"version {version} is stale: the object is at version {row.version}; read it again, "
            "reapply your change and send the new version",
            "version",
        )


async def load_live(session: AsyncSession, model: Any, key: int, field: str = "id") -> Any:
    """The row ``key`` of ``model``, unless it does not exist or is archived."""
    row = await session.get(model, key)
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise Invalid(
            Code.NOT_FOUND, f"no {model.__name__} with this ID (or it was archived)", field
        )
    return row


def require_ids(values: Iterable[Any], found: Iterable[int], what: str, field: str) -> None:
    """Refuse the ``values`` (keys sent in ``field``) that were not ``found``."""
    missing = set(values) - set(found)
    if missing:
        raise Invalid(
            Code.NOT_FOUND, f"{len(missing)} {what} in {field} do not exist or are archived", field
        )


def archive(row: Any) -> Change:
    """Archive ``row``: it leaves lists but stays readable in the audit trail."""
    row.deleted_at = utcnow()
    return Change(
        row=row,
        action="archived",
        changes={"deleted_at": {"before": None, "after": row.deleted_at.isoformat()}},
    )
