"""Persisted queries: the automatic persisted queries protocol (APQ) that Apollo Client and urql
speak, and trusted documents (only registered documents run).

The protocol, as Apollo Server answers it. A request carries ``extensions.persistedQuery =
{"version": 1, "sha256Hash": "<SHA-256 of the document, hex>"}``:

- without ``query``: the stored document runs; an unknown hash answers the error
  ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``, HTTP 200, never cached), on
  which the client sends the request again with ``query``;
- with ``query``: its SHA-256 must be the hash (else ``PERSISTED_QUERY_HASH_MISMATCH``, 400);
  the document is stored once it has passed the limits and the validation, like any document,
  and runs. A mutation over GET is refused before either, so it is never stored;
- over GET too (``?extensions=...&variables=...&operationName=...``), so a CDN can cache the
  answer by URL.

Stored documents live in the database (table ``persisted_document``), shared by every worker
and kept across restarts, and in a bounded in-memory cache per worker (:class:`DocumentCache`).
Automatic persisted queries are a cache, bounded in documents and bytes: beyond, the oldest are
forgotten (their clients register them again). Documents an operator registered with ``bocage
documents register`` are *trusted*: never evicted, and the only ones that run for callers
``BOCAGE_GRAPHQL_TRUSTED_DOCUMENTS`` restricts (who cannot register documents either).

Everything is a schema extension (:class:`PersistedQueries`), so that the rules hold on every
transport: over WebSocket, where clients send no persisted-query extension, an unregistered
document is refused in the same way. The GraphQL view only gives the protocol's refusals their
HTTP status (:func:`http_status`).
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
    specified_rules,
)
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from bocage.core.auth.principal import ANONYMOUS
from bocage.core.graphql.limits import QueryLimits, validation_rules
from bocage.core.models.persisted import PersistedDocument

if TYPE_CHECKING:
    from graphql import GraphQLSchema
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.auth.principal import Principal
    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.graphql")

#: Attribute of the strawberry schema holding its :class:`DocumentStore`.
DOCUMENTS = "bocage_documents"

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def sha256(text: str) -> str:
    """The hash clients send: SHA-256 of the document's exact text (UTF-8), lowercase hex."""
    return hashlib.sha256(text.encode()).hexdigest()


# -- errors ------------------------------------------------------------------------------------


class PersistedCode(enum.StrEnum):
    """``extensions.code`` of the refusals of persisted queries and trusted documents."""

    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    PERSISTED_QUERY_UNSUPPORTED_VERSION = "PERSISTED_QUERY_UNSUPPORTED_VERSION"
    PERSISTED_QUERY_INVALID = "PERSISTED_QUERY_INVALID"
    DOCUMENT_NOT_REGISTERED = "DOCUMENT_NOT_REGISTERED"


#: The HTTP status of an answer whose error has this code: a request the protocol does not
#: allow is a 400 (as Apollo Server answers; Apollo Client then stops sending hashes), the
#: others a 200 (Apollo Client and urql read the error, and register the document).
_STATUS = {
    PersistedCode.PERSISTED_QUERY_HASH_MISMATCH: 400,
    PersistedCode.PERSISTED_QUERY_UNSUPPORTED_VERSION: 400,
    PersistedCode.PERSISTED_QUERY_INVALID: 400,
}


_CODES = frozenset(code.value for code in PersistedCode)


def _error(code: PersistedCode, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": str(code)})


def http_status(response: Mapping[str, Any]) -> int | None:
    """For an answer refused by this module: its HTTP status; otherwise None.

    Such an answer must never be cached (``Cache-Control: no-store``): the same request may
    succeed once the document is registered."""
    for error in response.get("errors") or ():
        code = ((error or {}).get("extensions") or {}).get("code")
        if code in _CODES:
            return _STATUS.get(PersistedCode(code), 200)
    return None


def _not_found() -> GraphQLError:
    # Apollo Client and urql recognise this exact message.
    return _error(PersistedCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")


def _not_supported() -> GraphQLError:
    return _error(PersistedCode.PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported")


def _not_registered(mode: str) -> GraphQLError:
    who = "anonymous callers run" if mode == "except-authenticated" else "this server runs"
    advice = "; or send a bearer token" if mode == "except-authenticated" else ""
    return _error(
        PersistedCode.DOCUMENT_NOT_REGISTERED,
        f"This document is not registered, and {who} registered documents only "
        f"(BOCAGE_GRAPHQL_TRUSTED_DOCUMENTS={mode}). Register it with `bocage documents "
        "register` from your front-end's build output (Apollo's persisted query manifest, "
        "GraphQL Codegen's persisted-documents.json or .graphql files), then send it, or its "
        f"SHA-256 in extensions.persistedQuery{advice}.",
    )


def _persisted_hash(extensions: Mapping[str, Any] | None) -> str | None:
    """The hash of ``extensions.persistedQuery``, or None without one; refuses a bad one."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise _error(
            PersistedCode.PERSISTED_QUERY_INVALID,
            'extensions.persistedQuery must be an object: {"version": 1, "sha256Hash": '
            '"<SHA-256 of the query, 64 hexadecimal digits>"}.',
        )
    version = persisted.get("version")
    if type(version) is not int or version != 1:
        raise _error(
            PersistedCode.PERSISTED_QUERY_UNSUPPORTED_VERSION,
            f"Unsupported persisted query version {version!r}: send "
            "extensions.persistedQuery.version = 1 (as Apollo Client and urql do).",
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise _error(
            PersistedCode.PERSISTED_QUERY_INVALID,
            "extensions.persistedQuery.sha256Hash must be the SHA-256 of the query's text, "
            "64 hexadecimal digits.",
        )
    return digest.lower()


# -- storage -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredDocument:
    text: str
    trusted: bool
    #: UTF-8 bytes of ``text``.
    size: int


class DocumentCache:
    """The documents a worker keeps in memory: at most ``entries`` of them and ``max_bytes``
    bytes (least recently used first out), each for ``ttl`` seconds after it was read."""

    def __init__(
        self,
        *,
        entries: int,
        max_bytes: int,
        ttl: float,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache: TTLCache[str, StoredDocument] | None = None
        if entries > 0 and max_bytes > 0:
            # One size bounds both: each document counts its bytes times ``entries``, and at
            # least ``max_bytes`` (so at most ``entries`` documents fit), out of
            # ``entries × max_bytes`` (so at most ``max_bytes`` bytes fit). Exact integers.
            self._cache = TTLCache(
                maxsize=entries * max_bytes,
                ttl=ttl,
                timer=timer,
                getsizeof=lambda doc: max(doc.size * entries, max_bytes),
            )

    def get(self, digest: str) -> StoredDocument | None:
        return None if self._cache is None else self._cache.get(digest)

    def put(self, digest: str, document: StoredDocument) -> None:
        if self._cache is None:
            return
        try:
            self._cache[digest] = document
        except ValueError:  # larger than the whole cache: read from the database each time
            pass


class DocumentStore:
    """The app's persisted documents: its workers' cache in front of the database table.

    One per app (made by the schema); lookups read through the request's session."""

    def __init__(self, settings: Settings, *, timer: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.cache = DocumentCache(
            entries=settings.graphql_documents_cache_size,
            max_bytes=settings.graphql_documents_cache_bytes,
            ttl=settings.graphql_documents_cache_ttl,
            timer=timer,
        )

    @property
    def mode(self) -> str:
        return self.settings.graphql_trusted_documents

    @property
    def registers(self) -> bool:
        """Whether automatic persisted queries store documents at all."""
        return self.settings.graphql_apq_max_documents > 0

    def may_send_any(self, principal: Principal) -> bool:
        """Whether ``principal`` may run documents that are not registered (and so register
        them through automatic persisted queries)."""
        if self.mode == "off":
            return True
        return self.mode == "except-authenticated" and not principal.is_anonymous

    async def lookup(self, context: Any, digest: str) -> StoredDocument | None:
        """The document whose hash is ``digest``, from the cache or the database."""
        found = self.cache.get(digest)
        if found is not None:
            return found
        row = (
            await context.execute(
                select(
                    PersistedDocument.document, PersistedDocument.trusted, PersistedDocument.size
                ).where(PersistedDocument.hash == digest)
            )
        ).first()
        if row is None:
            return None
        found = StoredDocument(text=row.document, trusted=row.trusted, size=row.size)
        self.cache.put(digest, found)
        return found

    async def remember(self, context: Any, digest: str, text: str, document: Any) -> None:
        """Store a document registered by automatic persisted queries (it passed the limits
        and the validation), forgetting the oldest beyond ``BOCAGE_GRAPHQL_APQ_MAX_*``.

        A failure is logged, not answered: the document still runs, and the client registers
        it again next time."""
        size = len(text.encode())
        if size > self.settings.graphql_apq_max_bytes:
            return  # it would evict every other document, then itself
        try:
            async with context.sessionmaker() as session, session.begin():
                inserted = await session.execute(
                    _insert_ignoring_duplicates(session).values(
                        hash=digest,
                        document=text,
                        size=size,
                        trusted=False,
                        name=_operation_names(document),
                    )
                )
                await _evict(session, self.settings)
        except SQLAlchemyError:
            logger.warning("could not store persisted document %s", digest, exc_info=True)
            return
        if inserted.rowcount == 1:  # else another worker or an operator stored it: read it
            self.cache.put(digest, StoredDocument(text=text, trusted=False, size=size))


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING``: two workers may register the same document."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(PersistedDocument).on_conflict_do_nothing(index_elements=["hash"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(PersistedDocument).on_conflict_do_nothing(index_elements=["hash"])


async def _evict(session: AsyncSession, settings: Settings) -> None:
    """Forget the oldest automatic persisted queries until within both bounds (trusted
    documents are never forgotten, nor counted)."""
    apq = PersistedDocument.trusted.is_(False)
    count, total = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(PersistedDocument.size), 0)).where(apq)
        )
    ).one()
    max_documents, max_bytes = settings.graphql_apq_max_documents, settings.graphql_apq_max_bytes
    if count <= max_documents and total <= max_bytes:
        return
    oldest = await session.stream(
        select(PersistedDocument.hash, PersistedDocument.size)
        .where(apq)
        .order_by(PersistedDocument.created_at, PersistedDocument.hash)
    )
    doomed = []
    async for digest, size in oldest:
        if count <= max_documents and total <= max_bytes:
            break
        doomed.append(digest)
        count, total = count - 1, total - size
    await oldest.close()
    await session.execute(delete(PersistedDocument).where(PersistedDocument.hash.in_(doomed)))


def _operation_names(document: DocumentNode | None) -> str | None:
    names = [
        d.name.value
        for d in (document.definitions if document is not None else ())
        if isinstance(d, OperationDefinitionNode) and d.name is not None
    ]
    return ", ".join(names)[:200] or None


# -- the schema extension ----------------------------------------------------------------------


class PersistedQueries(SchemaExtension):
    """Resolves ``extensions.persistedQuery`` (on the operation's start), refuses documents
    that are not registered where trusted documents are enforced (before the limits measure
    them), and stores the document of an automatic persisted query once it passed the limits
    and the validation (so an invalid, too costly or refused document is never stored).

    Listed before the limits: its ``on_validate`` enters before theirs and leaves after."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self.digest: str | None = None
        #: The document was found by its hash, and the caller may run it.
        self.resolved = False
        #: Store the document once it has passed the limits and the validation.
        self.register = False

    async def on_operation(self) -> AsyncIterator[None]:
        # Raised here, an error is the answer (strawberry catches it). Only HTTP requests
        # carry operation extensions, so a WebSocket never gets here.
        context = self.execution_context
        digest = _persisted_hash(context.operation_extensions)
        if digest is not None:
            await self._resolve(digest)
        yield

    async def _resolve(self, digest: str) -> None:
        context = self.execution_context
        store = self.store
        free = store.may_send_any(getattr(context.context, "principal", ANONYMOUS))
        self.digest = digest
        if not context.query:
            found = await store.lookup(context.context, digest)
            if found is None or not (free or found.trusted):
                raise _not_supported() if free and not store.registers else _not_found()
            context.query = found.text
            self.resolved = True
            return
        if sha256(context.query) != digest:
            raise _error(
                PersistedCode.PERSISTED_QUERY_HASH_MISMATCH,
                "provided sha does not match query: extensions.persistedQuery.sha256Hash must "
                "be the SHA-256 (lowercase hex) of the exact text sent as query.",
            )
        if free and store.registers:
            self.register = await store.lookup(context.context, digest) is None

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        if not self.resolved and context.pre_execution_errors is None:
            principal = getattr(context.context, "principal", ANONYMOUS)
            if not self.store.may_send_any(principal):
                digest = self.digest or sha256(context.query or "")
                found = await self.store.lookup(context.context, digest)
                if found is None or not found.trusted:
                    context.pre_execution_errors = [_not_registered(self.store.mode)]
        yield
        if self.register and self.digest and not context.pre_execution_errors:
            assert context.query is not None
            await self.store.remember(
                context.context, self.digest, context.query, context.graphql_document
            )


# -- registering trusted documents (`bocage documents`) ----------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A document a front-end's build output declares, before it is checked."""

    text: str
    #: Where it comes from, for messages: ``file.json#OperationName``.
    source: str
    #: The hash the manifest gives it (checked against the text), if any.
    claimed_hash: str | None = None

    @property
    def hash(self) -> str:
        return sha256(self.text)


def document_errors(schema: GraphQLSchema, settings: Settings, text: str) -> list[str]:
    """Why ``text`` would be refused whatever its variables: its syntax and tokens, each of
    its operations against the limits (variables absent: a connection counts its default page
    size), and the validation against ``schema``. Empty when it may be registered."""
    try:
        document = parse(text, max_tokens=settings.graphql_max_tokens)
    except GraphQLSyntaxError as error:
        if "tokens" in error.message:
            return [
                f"it has more than {settings.graphql_max_tokens} tokens (BOCAGE_GRAPHQL_MAX_TOKENS)"
            ]
        return [error.message]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        return ["it has no operation (only fragments)"]
    limits = QueryLimits(settings)
    for operation in operations:
        refusal = limits.check_operation(schema, document, operation, None)
        if refusal is not None:
            return [refusal.message]
    rules = (*specified_rules, *validation_rules(settings))
    return [error.message for error in validate_document(schema, document, rules)]


def check_candidates(
    schema: GraphQLSchema, settings: Settings, candidates: Iterable[Candidate]
) -> list[str]:
    """One message per refused candidate: a hash that is not its text's, or its
    :func:`document_errors`."""
    problems = []
    for candidate in candidates:
        if candidate.claimed_hash is not None and candidate.claimed_hash.lower() != candidate.hash:
            problems.append(
                f"{candidate.source}: its id {candidate.claimed_hash} is not the SHA-256 of its "
                f"text ({candidate.hash}): generate the manifest with SHA-256 hashes of the "
                "documents as sent"
            )
            continue
        errors = document_errors(schema, settings, candidate.text)
        if errors:
            problems.append(f"{candidate.source}: {'; '.join(errors)}")
    return problems


async def register_trusted(session: AsyncSession, candidates: Sequence[Candidate]) -> list[bool]:
    """Store ``candidates`` (checked) as trusted documents; for each, whether it is new (a
    document stored by automatic persisted queries becomes trusted)."""
    new = []
    for candidate in candidates:
        digest = candidate.hash
        name = _operation_names(parse(candidate.text, no_location=True))
        existing = await session.get(PersistedDocument, digest)
        new.append(existing is None or not existing.trusted)
        if existing is None:
            session.add(
                PersistedDocument(
                    hash=digest,
                    document=candidate.text,
                    size=len(candidate.text.encode()),
                    trusted=True,
                    name=name,
                    source=candidate.source[:300],
                )
            )
        elif not existing.trusted:
            await session.execute(
                update(PersistedDocument)
                .where(PersistedDocument.hash == digest)
                .values(trusted=True, name=name, source=candidate.source[:300])
            )
    return new


async def list_documents(session: AsyncSession) -> list[PersistedDocument]:
    """Every stored document: trusted ones first, then by age."""
    rows = await session.execute(
        select(PersistedDocument).order_by(
            PersistedDocument.trusted.desc(), PersistedDocument.created_at, PersistedDocument.hash
        )
    )
    return list(rows.scalars())


async def remove_documents(session: AsyncSession, digests: Sequence[str]) -> list[str]:
    """Delete the documents of ``digests``, all or none: return those that do not exist (and
    then delete nothing)."""
    wanted = [d.lower() for d in digests]
    existing = set(
        (
            await session.execute(
                select(PersistedDocument.hash).where(PersistedDocument.hash.in_(wanted))
            )
        ).scalars()
    )
    missing = [d for d in wanted if d not in existing]
    if not missing:
        await session.execute(delete(PersistedDocument).where(PersistedDocument.hash.in_(wanted)))
    return missing
