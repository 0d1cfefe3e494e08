"""What every kind of import shares: a row's cells, its errors, and the batch lookups."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect

from bocage.core.domain.errors import Code, Invalid
from bocage.core.imports.cells import CellError, fold
from bocage.core.imports.report import RowError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.auth.principal import Principal
    from bocage.core.hookspecs import Permission
    from bocage.core.imports.mapping import Field

T = TypeVar("T")

#: Keys per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 1000


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def snake(name: str) -> str:
    """GraphQL's ``endDate`` to the import's ``end_date``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass
class Row:
    """One data row: ``cells`` maps each mapped key to ``(header, raw value)``."""

    number: int
    cells: dict[str, tuple[str, Any]]
    errors: list[RowError] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.cells

    def raw(self, key: str) -> Any:
        cell = self.cells.get(key)
        return None if cell is None else cell[1]

    def fail(self, keys: str | Sequence[str], code: str, message: str) -> None:
        """Record a problem in the first of ``keys`` the file has (or the first one)."""
        options = [keys] if isinstance(keys, str) else list(keys)
        key = next((k for k in options if k in self.cells), options[0] if options else None)
        header, value = self.cells.get(key, (None, None)) if key else (None, None)
        self.errors.append(
            RowError(
                row=self.number,
                column=header or key,
                value=None if value is None else str(value),
                code=code,
                message=message,
            )
        )

    def read(self, key: str, parser: Callable[[Any], T]) -> T | None:
        """The parsed cell (None when absent); a bad cell is recorded and gives None."""
        if key not in self.cells:
            return None
        try:
            return parser(self.cells[key][1])
        except CellError as error:
            self.fail(key, Code.INVALID.value, str(error))
            return None

    def texts(self, name: str, languages: Sequence[str]) -> dict[str, str] | None:
        """The multilingual ``name_fr``, ``name_nl``... cells, or None if the file has none."""
        keys = [f"{name}_{lang}" for lang in languages]
        if not any(k in self.cells for k in keys):
            return None
        found: dict[str, str] = {}
        for lang, key in zip(languages, keys, strict=True):
            value = self.raw(key)
            if value is not None and str(value).strip():
                found[lang] = str(value).strip()
        return found

    def check(
        self, keys: str | Sequence[str], rule: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T | None:
        """Run one of the mutations' rules; its :class:`Invalid` becomes this row's error, in
        the column of the field it names (a language's column for ``title.nl``...)."""
        try:
            return rule(*args, **kwargs)
        except Invalid as error:
            options = [keys] if isinstance(keys, str) else list(keys)
            if error.field and snake(error.field) in options:
                options.insert(0, snake(error.field))
            language = re.match(r"^\w+\.(fr|nl|de|en) ", error.message)
            if language:
                options = [k for k in options if k.endswith(f"_{language.group(1)}")] + options
            self.fail(options, error.code.value, error.message)
            return None


class Kind:
    """A kind of import (projects, stakeholders...): its fields, permission and model."""

    name: str
    permission: Permission
    model: Any
    fields: Sequence[Field]

    def missing_columns(self, keys: set[str], context: Context) -> list[tuple[str, str]]:
        """``(field, message)`` for each required field with no column."""
        missing = []
        for f in self.fields:
            if f.required and not (set(f.keys()) & keys):
                example = f.keys()[0]
                missing.append(
                    (
                        example,
                        f"no column for {f.name}: add a column {example!r} (or "
                        f"{', '.join(repr(a) for a in f.aliases[:3])}), or map yours with "
                        f"--map 'Your header={example}'",
                    )
                )
        return missing

    async def plan(self, session: AsyncSession, rows: list[Row], context: Context) -> list[Any]:
        raise NotImplementedError

    async def write(
        self, session: AsyncSession, plans: list[Any], context: Context
    ) -> list[tuple[Any, str, dict[str, Any]]]:
        """Apply ``plans``; return ``(object, action, changes)`` for every object created or
        updated (for the audit trail); count the rows left as they were in ``unchanged``."""
        raise NotImplementedError


@dataclass
class Context:
    """Who imports, into which namespace of external IDs, and in which commune."""

    principal: Principal
    source: str
    languages: Sequence[str]
    commune_nis: str | None = None
    commune: Any = None
    #: The live communes, once a kind has loaded them.
    communes: Any = None
    #: Rows the plan left as they are.
    unchanged: int = 0


def external_id(
    row: Row, seen: dict[str, int], archived: set[str] | frozenset[str] = frozenset()
) -> str | None:
    """The row's external ID: required, at most 200 characters, once per file, not the ID of
    an ``archived`` object."""
    value = row.read("external_id", lambda v: None if v is None else str(v).strip() or None)
    if value is None:
        if not any(e.column == row.cells.get("external_id", ("",))[0] for e in row.errors):
            row.fail(
                "external_id",
                Code.REQUIRED.value,
                "external_id is empty: give every row a stable identifier from your system, "
                "so that importing the file again updates this row instead of adding another",
            )
        return None
    if len(value) > 200:
        row.fail("external_id", Code.INVALID.value, "external_id is longer than 200 characters")
        return None
    if value in archived:
        row.fail(
            "external_id",
            Code.CONFLICT.value,
            f"external_id {value!r} belongs to an archived object: give this row a new "
            "external_id to create another one",
        )
        return None
    if value in seen:
        row.fail(
            "external_id",
            Code.DUPLICATE.value,
            f"external_id {value!r} is already used on row {seen[value]}: each row needs its own",
        )
        return None
    seen[value] = row.number
    return value


async def insert_new(session: AsyncSession, model: Any, rows: Sequence[Any]) -> None:
    """INSERT the new ``rows`` (transient objects with an external ID) with one executemany
    per set of columns, then read their ids back by external ID: the ORM would send one
    INSERT per row to learn each id on SQLite. The model's ``before_insert`` listeners (the
    search text) run as they would for the ORM."""
    if not rows:
        return
    mapper = sa_inspect(model)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        mapper.dispatch.before_insert(mapper, None, sa_inspect(row))
        values = {
            attr.columns[0].key: value
            for attr in mapper.column_attrs
            if attr.key != "id" and (value := getattr(row, attr.key)) is not None
        }
        groups.setdefault(tuple(sorted(values)), []).append(values)
    for group in groups.values():
        await session.execute(insert(model.__table__), group)
    by_key = {(row.external_source, row.external_id): row for row in rows}
    sources = {source for source, _ in by_key}
    for source in sources:
        keys = [key for s, key in by_key if s == source]
        for batch in chunks(keys):
            found = await session.execute(
                select(model.id, model.external_id).where(
                    model.external_source == source, model.external_id.in_(batch)
                )
            )
            for id_, key in found.all():
                by_key[(source, key)].id = id_


def folded(value: Any) -> str:
    return fold(str(value))
