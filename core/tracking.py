"""What a unit of work changed, field by field, and its one version step, however many times
it flushed.

SQLAlchemy forgets an attribute's history at every flush, and every query autoflushes: a
mutation that sets fields, then looks something up (is this external key taken? do these
communes exist?), then reads the history, would only see what it set after the look-up. And
a row with a ``version_id_col`` would move one version per flush that touched it. Two listeners
on every session settle both, for every writer (mutations, imports, plugins):

- before each flush, the history about to be written is folded into the session's record of
  the transaction: the first ``before`` and the last ``after`` of each field, so that
  :func:`changes_of` returns every field the transaction changed, flushed or not; links kept
  in other tables (a project's communes...) join the record through :func:`record_link`;
- a row whose mapper leaves its version to the application (``version_id_generator=False``,
  as :class:`bocage.core.db.Versioned` does) moves one step, at the first flush of the
  transaction that changes it (a column, or a link recorded with :func:`record_link`). A row
  inserted by the transaction keeps its first version. SQLAlchemy still puts the version read
  in each UPDATE's WHERE clause: a concurrent change is refused (``StaleDataError``).

The record is forgotten when the transaction ends, and on any rollback. Identical values are
no change: setting a field to the value it has, or recording a link list equal to the current
one, records nothing, steps nothing and writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import flag_dirty

if TYPE_CHECKING:
    from sqlalchemy.orm import InstanceState, UOWTransaction

#: ``session.info`` key: ``{InstanceState: {field: [before, after]}}`` of the transaction.
_RECORD = "bocage.tracking.changes"
#: ``session.info`` key: the states whose version this transaction has set (or inserted).
_STEPPED = "bocage.tracking.stepped"
#: ``session.info`` key: the states with a link change not yet counted in a version step.
_LINKED = "bocage.tracking.linked"


def _pending(state: InstanceState[Any]) -> dict[str, tuple[Any, Any]]:
    """The column changes of ``state`` not flushed yet, as ``{key: (before, after)}``."""
    found: dict[str, tuple[Any, Any]] = {}
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before != after or not history.deleted:
            found[attribute.key] = (before, after)
    return found


def _fold(record: dict[str, list[Any]], key: str, before: Any, after: Any) -> None:
    if key in record:
        record[key][1] = after
    else:
        record[key] = [before, after]


def _versioned(state: InstanceState[Any]) -> str | None:
    """The key of the version attribute the application manages on ``state``'s rows."""
    mapper = state.mapper
    column = mapper.version_id_col
    if column is None or mapper.version_id_generator is not False:
        return None
    return mapper.get_property_by_column(column).key


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    records: dict[Any, dict[str, list[Any]]] = session.info.setdefault(_RECORD, {})
    stepped: set[Any] = session.info.setdefault(_STEPPED, set())
    linked: set[Any] = session.info.setdefault(_LINKED, set())
    for row in session.new:
        stepped.add(inspect(row))  # inserted at its first version
    for row in session.dirty:
        state = inspect(row)
        pending = _pending(state)
        if pending:
            record = records.setdefault(state, {})
            for key, (before, after) in pending.items():
                _fold(record, key, before, after)
        version = _versioned(state)
        if version is None or state in stepped:
            continue
        if (set(pending) - {version}) or state in linked:
            if version not in pending:  # unless the caller set it itself
                setattr(row, version, (getattr(row, version) or 0) + 1)
            stepped.add(state)
        linked.discard(state)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the unit of work ends (a savepoint's end does not)
        _forget(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: SessionTransaction) -> None:
    # Rows changed in a rolled-back savepoint are back to their stored version: they must
    # step again at their next change (a row stepped before it may step twice: harmless).
    _forget(session)


def _forget(session: Session) -> None:
    for key in (_RECORD, _STEPPED, _LINKED):
        session.info.pop(key, None)


def changes_of(row: Any) -> dict[str, tuple[Any, Any]]:
    """Every field of ``row`` this transaction changed, flushed or not, as ``{key: (before,
    after)}``; fields changed back to where they were are left out. Links recorded with
    :func:`record_link` are included under their field name."""
    state = inspect(row)
    session = state.session
    recorded = session.info.get(_RECORD, {}).get(state, {}) if session is not None else {}
    merged = {key: list(values) for key, values in recorded.items()}
    for key, (before, after) in _pending(state).items():
        _fold(merged, key, before, after)
    return {key: (before, after) for key, (before, after) in merged.items() if before != after}


def record_link(row: Any, field: str, before: Any, after: Any) -> bool:
    """Record that ``row``'s ``field``, kept in another table (a project's communes...), went
    from ``before`` to ``after`` (comparable values: sorted lists). Equal values record nothing
    and return ``False``; otherwise the row counts as changed (its version steps, its
    ``updated_at`` moves) and ``True`` is returned."""
    if before == after:
        return False
    state = inspect(row)
    session = state.session
    if session is None:
        raise ValueError(f"{row!r} is not in a session: add it before recording its links")
    _fold(session.info.setdefault(_RECORD, {}).setdefault(state, {}), field, before, after)
    session.info.setdefault(_LINKED, set()).add(state)
    flag_dirty(row)
    return True
