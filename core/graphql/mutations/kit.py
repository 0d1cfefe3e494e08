"""What every mutation shares: authorisation, one transaction, optimistic concurrency,
idempotency keys, the audit trail and the domain event, in one place.

A mutation is an async function ``change(session) -> row`` run by :func:`mutate`; it raises
:class:`Invalid` for anything the caller can fix. Expected failures come back as typed
``errors { field code message }`` in the payload; nothing is written unless all succeeded.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
import strawberry
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bocage.core import tracking
from bocage.core.auth import policy
from bocage.core.db import PERSONAL, utcnow
from bocage.core.events import announce, event_for, graphql_type_of, record_event
from bocage.core.hookspecs import EventScope, Permission
from bocage.core.models import AuditEntry, IdempotencyKey
from bocage.core.settings import LANGUAGES

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from strawberry.types import Info

    from bocage.core.auth.principal import Principal
    from bocage.core.graphql.context import Context


#: The query cost of a mutation field: writes are what a caller should batch least.
WRITE_COST = 10


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


def error_codes(name: str, description: str) -> Any:
    """A domain's error-code enum (``ProjectErrorCode``...), registered with strawberry."""
    members = {member.name: member.value for member in Code}
    return strawberry.enum(enum.Enum(name, members), description=description)  # type: ignore[misc]


class Invalid(Exception):
    """An expected failure: the caller can fix it. ``field`` is the input field's name."""

    def __init__(self, code: Code, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@strawberry.input(description="A text in the languages of the territory (at least one).")
class TranslationsInput:
    fr: str | None = None
    nl: str | None = None
    de: str | None = None
    en: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            lang: text.strip()
            for lang in LANGUAGES
            if (text := getattr(self, lang)) and text.strip()
        }


def translations(
    value: TranslationsInput | None, field: str, *, required: bool, max_length: int
) -> dict[str, str]:
    texts = value.as_dict() if value is not None else {}
    return check_texts(texts, field, required=required, max_length=max_length)


def check_texts(
    texts: dict[str, str], field: str, *, required: bool, max_length: int
) -> dict[str, str]:
    """A multilingual text (``{lang: text}``, blanks already dropped): present if
    ``required``, no language longer than ``max_length``."""
    if required and not texts:
        raise Invalid(
            Code.REQUIRED,
            f"{field} needs a text in at least one language (fr, nl, de or en)",
            field,
        )
    for lang, text in texts.items():
        if len(text) > max_length:
            raise Invalid(
                Code.INVALID,
                f"{field}.{lang} is {len(text)} characters long; the maximum is {max_length}",
                field,
            )
    return texts


def given(value: Any) -> bool:
    return value is not strawberry.UNSET


# -- audit ------------------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return value


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
                changes[attribute.key] = {"before": None, "after": _json_safe(value)}
        for key, (before, after) in tracking.changes_of(row).items():
            if key not in columns:  # a link, recorded once the row was inserted
                changes[key] = {"before": _json_safe(before), "after": _json_safe(after)}
        return changes
    for key, (before, after) in tracking.changes_of(row).items():
        if key not in IGNORED and key != "id":
            changes[key] = {"before": _json_safe(before), "after": _json_safe(after)}
    return changes


def record_link(row: Any, field: str, before: Iterable[Any], after: Iterable[Any]) -> bool:
    """Record that the links ``field`` of ``row`` (rows of another table: a project's communes,
    its stakeholders with their roles...) went from ``before`` to ``after``; both are compared
    and stored sorted, so the order a client sends them in is no change. Return whether they
    differ: only then replace them. A change makes :func:`column_changes` list the field, and
    steps the row's version once for the whole mutation."""
    return tracking.record_link(row, field, sorted(_json_safe(before)), sorted(_json_safe(after)))


def personal_keys(model: Any) -> set[str]:
    """The columns of ``model`` marked personal (none for an object that is not a table row)."""
    mapper = getattr(model, "__mapper__", None)
    if mapper is None:
        return set()
    return {c.key for c in mapper.column_attrs if c.columns[0].info.get(PERSONAL)}


@dataclass
class Change:
    """What a mutation did to one object, for the audit trail and the event."""

    row: Any
    action: str
    changes: dict[str, dict[str, Any]]
    #: What a change-feed reader or webhook subscriber needs to learn of it; by default none,
    #: or the mutation's own permission when the row holds personal data.
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
    session.add(AuditEntry(**audit_values(principal, change)))


# -- the runner -------------------------------------------------------------------------------


def _owner(principal: Principal) -> str:
    return (
        f"client:{principal.client_id}" if principal.client_id else f"subject:{principal.subject}"
    )


def request_hash(data: Any) -> str:
    return hashlib.sha256(orjson.dumps(_json_safe(data), option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class Outcome:
    row: Any = None
    errors: list[Invalid] | None = None


async def mutate(
    info: Info[Any, Any],
    *,
    permission: Permission,
    operation: str,
    change: Callable[[AsyncSession, Principal], Awaitable[Change]],
    model: Any,
    idempotency_key: str | None = None,
    request: Any = None,
) -> Outcome:
    """Run ``change`` in its own transaction after the permission check; see the module doc."""
    context: Context = info.context
    principal = context.principal
    if principal.is_anonymous:
        return Outcome(
            errors=[Invalid(Code.UNAUTHENTICATED, "sign in: send an Authorization: Bearer token")]
        )
    if not policy.can(principal, permission.code):
        return Outcome(
            errors=[Invalid(Code.FORBIDDEN, f"this needs the {permission.code} permission")]
        )
    key = idempotency_key.strip() if idempotency_key else None
    if key is not None and not 1 <= len(key) <= 200:
        return Outcome(
            errors=[
                Invalid(
                    Code.INVALID, "idempotencyKey must be 1 to 200 characters", "idempotencyKey"
                )
            ]
        )
    digest = request_hash(request) if key else ""
    for _attempt in range(2):
        try:
            async with context.sessionmaker() as session, session.begin():
                if key is not None:
                    existing = await _replayed(session, principal, key, operation, digest, model)
                    if existing is not None:
                        return Outcome(row=existing)
                done = await change(session, principal)
                await session.flush()
                if not done.is_noop:
                    audit(session, principal, done)
                    await record_event(
                        session,
                        event_for(done.row, done.action, changed=sorted(done.changes)),
                        permission=done.permission
                        or (permission.code if personal_keys(type(done.row)) else None),
                        scope=done.scope,
                    )
                if key is not None:
                    session.add(
                        IdempotencyKey(
                            owner=_owner(principal),
                            key=key,
                            operation=operation,
                            request_hash=digest,
                            object_type=graphql_type_of(model),
                            object_id=done.row.id,
                        )
                    )
                    await session.flush()
        except Invalid as error:
            return Outcome(errors=[error])
        except StaleDataError:
            return Outcome(
                errors=[
                    Invalid(
                        Code.CONFLICT,
                        "changed by someone else meanwhile: read it again and retry",
                        "version",
                    )
                ]
            )
        except IntegrityError:
            if key is None:
                raise
            continue  # a concurrent retry with the same key won the race: replay it
        await context.forget_loaded()
        announce(context.host, session)
        return Outcome(row=done.row)
    raise RuntimeError("idempotency key race could not be resolved")  # pragma: no cover


async def _replayed(
    session: AsyncSession, principal: Principal, key: str, operation: str, digest: str, model: Any
) -> Any:
    stored = (
        await session.execute(
            select(IdempotencyKey).where(
                IdempotencyKey.owner == _owner(principal), IdempotencyKey.key == key
            )
        )
    ).scalar_one_or_none()
    if stored is None:
        return None
    if stored.operation != operation or stored.request_hash != digest:
        raise Invalid(
            Code.IDEMPOTENCY_KEY_REUSED,
            "this idempotencyKey was already used for a different request: "
            "use a new key for a new object",
            "idempotencyKey",
        )
    return await session.get(model, stored.object_id)


def key_of(value: Any, types: type | tuple[type, ...], field: str) -> tuple[type, int]:
    """The node type and database key of a global ID of one of ``types``, or :class:`Invalid`
    naming ``field`` (mutations report bad IDs in their payload, not as GraphQL errors)."""
    from strawberry import relay

    from bocage.core.graphql.nodes import decode_id

    candidates = types if isinstance(types, tuple) else (types,)
    try:
        global_id = relay.GlobalID.from_id(str(value))
        type_ = next(t for t in candidates if t.__name__ == global_id.type_name)
        return type_, decode_id(str(value), type_, field)
    except Exception:
        names = " or ".join(t.__name__ for t in candidates)
        raise Invalid(
            Code.INVALID, f"{field}: {value!r} is not the ID of a {names}", field
        ) from None


def node_key(value: Any, type_name: str, field: str) -> int:
    """The database key of a global ID of the GraphQL type ``type_name`` (a plugin's
    ``WorkshopsEvent``...), or :class:`Invalid` naming ``field``."""
    from strawberry import relay

    from bocage.core.graphql.nodes import row_key

    try:
        global_id = relay.GlobalID.from_id(str(value))
        if global_id.type_name != type_name:
            raise ValueError(global_id.type_name)
        return row_key(global_id.node_id)
    except Exception:
        raise Invalid(
            Code.INVALID, f"{field}: {value!r} is not the ID of a {type_name}", field
        ) from None


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
    row = await session.get(model, key)
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise Invalid(
            Code.NOT_FOUND, f"no {model.__name__} with this ID (or it was archived)", field
        )
    return row


def require_ids(values: Iterable[Any], found: Iterable[int], what: str, field: str) -> None:
    missing = set(values) - set(found)
    if missing:
        raise Invalid(
            Code.NOT_FOUND, f"{len(missing)} {what} in {field} do not exist or are archived", field
        )


def archive(row: Any) -> Change:
    row.deleted_at = utcnow()
    return Change(
        row=row,
        action="archived",
        changes={"deleted_at": {"before": None, "after": row.deleted_at.isoformat()}},
    )
