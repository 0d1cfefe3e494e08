"""The GraphQL side of every mutation: its inputs, its error enums, and :func:`mutate`, which
hands a change to the domain's unit of work (:mod:`bocage.core.domain.work`: authorisation,
one transaction, optimistic concurrency, idempotency keys, the audit trail and the domain
event) with the request's principal, and turns what it returns into the payload's data.

A mutation is an async function ``change(session, principal) -> Change`` run by
:func:`mutate`; it raises :class:`Invalid` for anything the caller can fix. Expected failures
come back as typed ``errors { field code message }`` in the payload; nothing is written unless
all succeeded.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from bocage.core.domain import ids
from bocage.core.domain.changes import (
    Change,
    archive,
    check_version,
    column_changes,
    load_live,
    personal_keys,
    record_link,
    require_ids,
)
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.rules import check_texts
from bocage.core.domain.work import Outcome, UnitOfWork
from bocage.core.hookspecs import Permission
from bocage.core.settings import LANGUAGES

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from sqlalchemy.ext.asyncio import AsyncSession
    from strawberry.types import Info

    from bocage.core.auth.principal import Principal
    from bocage.core.graphql.context import Context

__all__ = [
    "WRITE_COST",
    "Change",
    "Code",
    "Invalid",
    "Outcome",
    "TranslationsInput",
    "archive",
    "check_version",
    "column_changes",
    "error_codes",
    "given",
    "key_of",
    "load_live",
    "mutate",
    "node_key",
    "personal_keys",
    "record_link",
    "require_ids",
    "translations",
    "unit_of_work",
]


#: The query cost of a mutation field: writes are what a caller should batch least.
WRITE_COST = 10

T = TypeVar("T")


def error_codes(name: str, description: str) -> Any:
    """A domain's error-code enum (``ProjectErrorCode``...), registered with strawberry."""
    members = {member.name: member.value for member in Code}
    codes = enum.Enum(name, members)  # type: ignore[misc]  # one enum per domain, same members
    return strawberry.enum(codes, description=description)


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


def given(value: Any) -> bool:
    return value is not strawberry.UNSET


def unit_of_work(info: Info[Any, Any]) -> UnitOfWork:
    """The unit of work of a GraphQL request: its principal and session factory; the plugins
    hear of its events, and the request's loaders forget what they loaded once it commits."""
    context: Context = info.context
    return UnitOfWork(
        context.sessionmaker,
        context.principal,
        events=context.host,
        after_commit=[context.forget_loaded],
    )


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
    """Run ``change`` in the request's unit of work (:meth:`UnitOfWork.run`)."""
    return await unit_of_work(info).run(
        permission=permission,
        operation=operation,
        change=change,
        model=model,
        idempotency_key=idempotency_key,
        request=request,
    )


def key_of(value: Any, types: type[T] | tuple[type[T], ...], field: str) -> tuple[type[T], int]:
    """The node type and database key of a global ID of one of ``types``, or :class:`Invalid`
    naming ``field`` (mutations report bad IDs in their payload, not as GraphQL errors)."""
    candidates = {t.__name__: t for t in (types if isinstance(types, tuple) else (types,))}
    type_name, key = ids.key_of(value, tuple(candidates), field)
    return candidates[type_name], key


def node_key(value: Any, type_name: str, field: str) -> int:
    """The database key of a global ID of the GraphQL type ``type_name`` (a plugin's
    ``WorkshopsEvent``...), or :class:`Invalid` naming ``field``."""
    return ids.key_of(value, type_name, field)[1]
