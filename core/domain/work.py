"""The unit of work: one transaction of the domain, whoever writes.

A GraphQL mutation, a REST route, the spreadsheet import, a job, a CLI command and a plain
script all write the same way::

    work = UnitOfWork(sessionmaker, principal, events=host)
    outcome = await work.run(
        permission=PROJECTS_WRITE, operation="createProject", change=change, model=Project,
        idempotency_key="import-2026-001", request=values,
    )
    outcome.row      # the changed object, committed
    outcome.errors   # or the typed failures (field, code, message): nothing was written

:meth:`UnitOfWork.run` checks the permission, replays an idempotency key, runs ``change``
(which raises :class:`Invalid` for what the caller can fix, and refuses a stale version with
:func:`check_version`), writes the audit entry and the domain event in the same transaction,
commits, then hands the events to the plugins and runs the after-commit callbacks.

Writers that do more than one object's change (an import, an upload with its rows, a plugin's
own transaction) open the transaction themselves and record what they changed::

    async with UnitOfWork(sessionmaker, principal, events=host) as work:
        work.authorise(PERMISSION)
        ...  # work.session is the transaction
        await work.record(Change(row=row, action="created", changes=column_changes(row)))
        work.after_commit(callback)

Leaving the block commits (an exception rolls everything back and propagates, as does
:meth:`UnitOfWork.roll_back` without raising); only after the commit do the callbacks run, in
the order they were given, then the recorded events go to the plugins (``bocage_on_event``).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bocage.core.auth import policy
from bocage.core.auth.principal import ANONYMOUS
from bocage.core.domain.changes import Change, audit, audit_values, personal_keys, request_hash
from bocage.core.domain.errors import Code, Invalid
from bocage.core.events import (
    committed_events,
    event_for,
    graphql_type_of,
    record_event,
    record_events,
)
from bocage.core.models import AuditEntry, IdempotencyKey

if TYPE_CHECKING:
    from types import TracebackType

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bocage.core.auth.principal import Principal
    from bocage.core.hookspecs import DomainEvent, Permission


class EventSink(Protocol):
    """Who hears of the events a unit of work committed: the plugin host (``emit`` calls
    every plugin's ``bocage_on_event``)."""

    def emit(self, event: DomainEvent) -> object: ...


#: A callback run once the unit of work committed (a coroutine function or a plain one).
AfterCommit = Callable[[], Awaitable[None] | None]
#: A change: given the transaction and the principal, change rows and say what changed.
ChangeFn = Callable[["AsyncSession", "Principal"], Awaitable[Change]]


@dataclass
class Outcome:
    """What :meth:`UnitOfWork.run` did: the changed ``row``, or the ``errors`` that stopped it
    (then nothing was written)."""

    row: Any = None
    errors: list[Invalid] | None = None


def authorise(principal: Principal, permission: Permission | str) -> None:
    """Refuse an anonymous caller, or one without ``permission``."""
    code = permission if isinstance(permission, str) else permission.code
    if principal.is_anonymous:
        raise Invalid(Code.UNAUTHENTICATED, "sign in: send an Authorization: Bearer token")
    if not policy.can(principal, code):
        raise Invalid(Code.FORBIDDEN, f"this needs the {code} permission")


async def record_change(
    session: AsyncSession,
    principal: Principal,
    change: Change,
    *,
    permission: Permission | str | None = None,
) -> None:
    """Write the audit entry and the domain event of ``change`` in ``session``'s transaction
    (nothing for an update that changed nothing). The event needs ``change.permission`` to be
    learnt of, else ``permission`` when the row holds personal data, else none."""
    if change.is_noop:
        return
    audit(session, principal, change)
    code = permission if isinstance(permission, str | None) else permission.code
    await record_event(
        session,
        event_for(change.row, change.action, changed=sorted(change.changes)),
        permission=change.permission or (code if personal_keys(type(change.row)) else None),
        scope=change.scope,
    )


class UnitOfWork:
    """One transaction of the domain for ``principal`` (see the module's documentation);
    work that no caller asked for (a job on its own schedule) leaves ``principal`` out: it is
    then authorised for nothing, and its audit entries name no one.

    ``events`` hears of the committed events (the plugin host; ``None``: they are in the event
    log only, for the change feed and the webhooks); ``after_commit`` callbacks run after every
    commit of this unit of work, before those given to :meth:`after_commit`.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        principal: Principal = ANONYMOUS,
        *,
        events: EventSink | None = None,
        after_commit: Sequence[AfterCommit] = (),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.principal = principal
        self.events = events
        self._always = list(after_commit)
        self._session: AsyncSession | None = None
        self._callbacks: list[AfterCommit] = []
        self._discard = False
        self.committed = False

    # -- the transaction ---------------------------------------------------------------------

    @property
    def session(self) -> AsyncSession:
        """The transaction (inside ``async with``)."""
        if self._session is None:
            raise RuntimeError("the unit of work has no transaction: use it in `async with`")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        self._callbacks, self._discard, self.committed = [], False, False
        session = self.sessionmaker()
        try:
            await session.begin()
        except BaseException:
            await session.close()
            raise
        self._session = session
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            if exc_type is None and not self._discard:
                await session.commit()
                self.committed = True
            else:
                await session.rollback()
        finally:
            await session.close()
        if self.committed:
            for callback in [*self._always, *self._callbacks]:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            if self.events is not None:
                for event in committed_events(session):
                    self.events.emit(event)

    def roll_back(self) -> None:
        """Write nothing: the block ends with a rollback instead of a commit (a dry run)."""
        self._discard = True

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` once this transaction committed (never if it rolls back)."""
        self._callbacks.append(callback)

    # -- what a change records ---------------------------------------------------------------

    def authorise(self, permission: Permission | str) -> None:
        """Refuse an anonymous principal, or one without ``permission`` (:class:`Invalid`)."""
        authorise(self.principal, permission)

    async def record(self, change: Change, *, permission: Permission | str | None = None) -> None:
        """The audit entry and the event of ``change`` (see :func:`record_change`)."""
        await record_change(self.session, self.principal, change, permission=permission)

    async def record_all(
        self, changes: Sequence[Change], *, permission: Permission | str | None = None
    ) -> None:
        """The audit entries and events of many changes in a few statements (a bulk import);
        a row with personal data needs ``permission`` to be learnt of, as in :meth:`record`."""
        done = [change for change in changes if not change.is_noop]
        session = self.session
        if done:
            await session.execute(
                insert(AuditEntry), [audit_values(self.principal, c) for c in done]
            )
        code = permission if isinstance(permission, str | None) else permission.code
        await record_events(
            session,
            [
                (
                    event_for(c.row, c.action, changed=sorted(c.changes)),
                    c.permission or (code if personal_keys(type(c.row)) else None),
                )
                for c in done
            ],
        )

    # -- one object's change, start to end -----------------------------------------------------

    async def run(
        self,
        *,
        permission: Permission,
        operation: str,
        change: ChangeFn,
        model: Any,
        idempotency_key: str | None = None,
        request: Any = None,
    ) -> Outcome:
        """Run ``change`` in its own transaction after the permission check, with its audit
        entry and event; replay ``idempotency_key`` (a retry of ``operation`` with the same
        ``request`` returns the object it made; another request under that key is refused).
        Expected failures come back as :attr:`Outcome.errors`, with nothing written."""
        try:
            self.authorise(permission)
        except Invalid as error:
            return Outcome(errors=[error])
        key = idempotency_key.strip() if idempotency_key else None
        if key is not None and not 1 <= len(key) <= 200:
            return Outcome(
                errors=[
                    Invalid(
                        Code.INVALID,
                        "idempotencyKey must be 1 to 200 characters",
                        "idempotencyKey",
                    )
                ]
            )
        digest = request_hash(request) if key else ""
        for _attempt in range(2):
            replayed: Any = None
            try:
                async with self:
                    if key is not None:
                        replayed = await self._replayed(key, operation, digest, model)
                    if replayed is None:
                        done = await self._change(change, permission, operation, model, key, digest)
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
            if replayed is not None:
                return Outcome(row=replayed)
            return Outcome(row=done.row)
        raise RuntimeError("idempotency key race could not be resolved")  # pragma: no cover

    async def _change(
        self,
        change: ChangeFn,
        permission: Permission,
        operation: str,
        model: Any,
        key: str | None,
        digest: str,
    ) -> Change:
        session = self.session
        done = await change(session, self.principal)
        await session.flush()
        await self.record(done, permission=permission)
        if key is not None:
            session.add(
                IdempotencyKey(
                    owner=_owner(self.principal),
                    key=key,
                    operation=operation,
                    request_hash=digest,
                    object_type=graphql_type_of(model),
                    object_id=done.row.id,
                )
            )
            await session.flush()
        return done

    async def _replayed(self, key: str, operation: str, digest: str, model: Any) -> Any:
        session = self.session
        stored = (
            await session.execute(
                select(IdempotencyKey).where(
                    IdempotencyKey.owner == _owner(self.principal), IdempotencyKey.key == key
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


def _owner(principal: Principal) -> str:
    return (
        f"client:{principal.client_id}" if principal.client_id else f"subject:{principal.subject}"
    )
