"""Full-text search over multilingual text, on both engines.

Each searchable table keeps a ``search_text`` column (every language of its texts, refreshed
by the ORM before each write). The migrations index it:

- PostgreSQL: a GIN index on ``to_tsvector('bocage_fr', search_text)``, where ``bocage_fr`` is a
  text search configuration of ``unaccent`` then the French Snowball stemmer: accent-insensitive,
  "écoles" finds "école"; queries use ``websearch_to_tsquery`` ("quoted phrases", -exclusions, or);
- SQLite: an FTS5 table ``<table>_fts`` (tokenizer ``unicode61 remove_diacritics 2``) kept in
  sync by triggers; every word of the query must match as a prefix, accent-insensitively.

Relevance (:func:`relevance`, the lists' ``RELEVANCE`` order): ``ts_rank`` on PostgreSQL, FTS5's
``bm25`` on SQLite, as a whole number of millionths (higher: more relevant), so that a
cursor carries it exactly on both engines; rows closer than that tie, and ties go by ID.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    bindparam,
    cast,
    event,
    func,
    inspect,
    literal_column,
    select,
    text,
)

#: PostgreSQL text search configuration created by the core migration.
PG_TS_CONFIG = "bocage_fr"
SEARCHABLE_TABLES = ("project", "stakeholder")
#: Relevance is counted in millionths (see :func:`relevance`).
RELEVANCE_SCALE = 1_000_000

_WORD = re.compile(r"\w+", re.UNICODE)


def maintain_search_text(model: type[Any], compute: Any, *sources: str) -> None:
    """Keep ``model``'s ``search_text`` equal to ``compute(row)``: set before each insert, and
    before each update that changes one of the ``sources`` fields. (A row merely marked dirty,
    its fields set to the values they had, must stay unwritten: no UPDATE, no version step.)"""

    def on_insert(_mapper: Any, _connection: Any, target: Any) -> None:
        target.search_text = compute(target)

    def on_update(_mapper: Any, _connection: Any, target: Any) -> None:
        state = inspect(target)
        if any(state.attrs[key].history.has_changes() for key in sources):
            target.search_text = compute(target)

    event.listen(model, "before_insert", on_insert)
    event.listen(model, "before_update", on_update)


def search_text(*fields: Mapping[str, str] | Iterable[str] | str | None) -> str:
    """Flatten multilingual dicts, lists and strings into one searchable text."""
    parts: list[str] = []
    for field in fields:
        if not field:
            continue
        if isinstance(field, str):
            parts.append(field)
        elif isinstance(field, Mapping):
            parts.extend(str(v) for v in field.values() if v)
        else:
            parts.extend(str(v) for v in field if v)
    return "\n".join(parts)


def fts5_query(query: str) -> str | None:
    """An FTS5 MATCH expression: every word, as a quoted prefix (no FTS5 syntax injection)."""
    words = _WORD.findall(query)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def matches(dialect: str, table: Any, query: str) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of ``table`` whose ``search_text`` matches ``query``."""
    if dialect == "postgresql":
        config: ColumnElement[Any] = literal_column(f"'{PG_TS_CONFIG}'::regconfig")
        return func.to_tsvector(config, table.c.search_text).op("@@")(
            func.websearch_to_tsquery(config, query)
        )
    expression = fts5_query(query)
    if expression is None:
        return table.c.id.is_(None)  # nothing searchable: no row matches
    fts = f"{table.name}_fts"
    rowids: Any = (
        select(literal_column(f"{fts}.rowid")).select_from(text(fts)).where(_match(fts, expression))
    )
    return table.c.id.in_(rowids)


def _match(fts: str, expression: str) -> ColumnElement[bool]:
    query: BindParameter[str] = bindparam("fts_query", expression, unique=True)
    return text(f"{fts} MATCH :fts_query").bindparams(query)  # type: ignore[return-value]


def relevance(dialect: str, table: Any, query: str) -> ColumnElement[int]:
    """How well each row of ``table`` matches ``query``: a whole number, higher is better
    (``ts_rank`` on PostgreSQL, ``-bm25`` on SQLite, in millionths). Meant for the rows
    :func:`matches` keeps."""
    if dialect == "postgresql":
        config: Any = literal_column(f"'{PG_TS_CONFIG}'::regconfig")
        rank = func.ts_rank(
            func.to_tsvector(config, table.c.search_text),
            func.websearch_to_tsquery(config, query),
        )
        return cast(rank * RELEVANCE_SCALE, BigInteger)
    expression = fts5_query(query)
    if expression is None:
        return cast(literal_column("0"), BigInteger)
    fts = f"{table.name}_fts"
    score = cast(-func.bm25(literal_column(fts)) * RELEVANCE_SCALE, BigInteger)
    found = (
        select(score)
        .select_from(text(fts))
        .where(_match(fts, expression), literal_column(f"{fts}.rowid") == table.c.id)
    )
    return func.coalesce(found.scalar_subquery(), 0)
