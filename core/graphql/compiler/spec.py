"""How each compilable GraphQL field is read in SQL: the declarations the compiler walks.

A :class:`TypeSpec` names a GraphQL object type and says, for each of its fields, how to
compute its JSON value from a row of the type's table (or any ``FromClause`` with its columns):
a column (:class:`Column`), the Relay global ID (:class:`NodeId`), a multilingual text
(:class:`Text`, :class:`Translations`), a related object (:class:`ToOne`), a list
(:class:`ToMany`), a page of a relation (:class:`Page`) or anything else (:class:`Custom`).

A field that no spec declares cannot be compiled: the root field it is under is resolved by
the resolver path instead (personal data, computed fields, plugins' fields without SQL). The
specs must give, value for value, what the resolvers give: the differential tests check it.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import ColumnElement, Select

if TYPE_CHECKING:
    from bocage.core.graphql.compiler.build import Build, Level, Selection
    from bocage.core.graphql.pagination import NestedList, Ordering


class FieldSpec(Protocol):
    """Computes the JSON value of one field of a row, from the columns it ``reads`` (None:
    it may read any; the rows of its level then keep every column)."""

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]: ...

    def reads(self) -> frozenset[str] | None: ...


@dataclass(frozen=True)
class Column:
    """A column of the row. ``kind``: ``plain`` (string, integer), ``date``, ``datetime``
    (UTC, or in the time zone ``zone``, e.g. ``Europe/Brussels``), ``decimal`` (its
    ``scale``), ``json`` (a stored JSON list), ``bool`` or ``enum``."""

    name: str
    kind: str = "plain"
    scale: int = 0
    enum: type[enum.Enum] | None = None
    zone: str | None = None

    def reads(self) -> frozenset[str] | None:
        return frozenset({self.name})

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        column = level.rows.c[self.name]
        j = b.json
        match self.kind:
            case "date":
                return j.date(column)
            case "datetime":
                return j.local_datetime(column, self.zone) if self.zone else j.datetime(column)
            case "decimal":
                return j.decimal(column, self.scale)
            case "json":
                return j.stored_json(column)
            case "bool":
                return j.column_bool(column)
            case "enum":
                assert self.enum is not None
                return j.enum_name(column, self.enum)
        return column


@dataclass(frozen=True)
class NodeId:
    """The Relay global ID of the row: base64 of ``Type:id``."""

    type_name: str
    key: str = "id"

    def reads(self) -> frozenset[str] | None:
        return frozenset({self.key})

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        return b.json.global_id(self.type_name, level.rows.c[self.key])


@dataclass(frozen=True)
class Text:
    """A multilingual text in the language of the field's ``lang`` argument, else the
    request's, falling back to another language."""

    column: str
    required: bool = False

    def reads(self) -> frozenset[str] | None:
        return frozenset({self.column})

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        lang = selection.args.get("lang")
        language = lang.value if lang is not None else b.language
        return b.json.translated(level.rows.c[self.column], language, self.required)


@dataclass(frozen=True)
class Translations:
    """A multilingual text in every language (a ``Translations`` object)."""

    column: str

    def reads(self) -> frozenset[str] | None:
        return frozenset({self.column})

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        column = level.rows.c[self.column]
        return b.object_of(
            selection, lambda name, _sel: b.json.text_in(column, name), "Translations"
        )


def translated_spec(name: str, column: str, *, required: bool = False) -> dict[str, Any]:
    """The two fields ``translated(name, ...)`` gives a type, read from the JSON ``column``:
    ``name`` (:class:`Text`) and ``<name>Translations`` (:class:`Translations`)."""
    return {name: Text(column, required), f"{name}Translations": Translations(column)}


@dataclass(frozen=True)
class ToOne:
    """The live row of ``target`` whose ``id`` is the row's ``foreign_key`` (or null)."""

    target: str
    foreign_key: str

    def reads(self) -> frozenset[str] | None:
        return frozenset({"id", self.foreign_key})

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        return b.one(self.target, self.foreign_key, level, selection)


@dataclass(frozen=True)
class ToMany:
    """A list of rows of ``target``: ``rows(row)`` selects them (the target's columns, and
    the extra columns other fields of a composite type read), ``order`` sorts them."""

    target: str
    #: The target's rows of the parents whose keys ``parents`` selects: ``select(Model,
    #: parent key labelled q_parent, extra columns)``, filtered.
    rows: Callable[[Select[*tuple[Any, ...]]], Select[*tuple[Any, ...]]]
    #: Their order within a parent, from the columns of those rows (a unique last key).
    order: Callable[[Any], Sequence[ColumnElement[Any]]]
    #: Keep only the first (``latestValue``-like fields): an object or null, not a list.
    first_only: bool = False

    def reads(self) -> frozenset[str] | None:
        return frozenset({"id"})

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        return b.many(self, level, selection)


@dataclass(frozen=True)
class Page:
    """A page (Relay connection) of a relation, keyset-paged like ``paginate_nested``."""

    target: str
    nested: NestedList

    def reads(self) -> frozenset[str] | None:
        return frozenset({"id"})

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        return b.nested_page(self, level, selection)


@dataclass(frozen=True)
class Custom:
    """Anything else, computed by ``compute(build, level, selection)``; ``columns``: the
    columns of the level's rows it reads (None: any, so the rows keep every column)."""

    compute: Callable[[Build, Level, Selection], ColumnElement[Any]]
    columns: tuple[str, ...] | None = None

    def reads(self) -> frozenset[str] | None:
        return None if self.columns is None else frozenset(self.columns)

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        return self.compute(b, level, selection)


@dataclass(frozen=True)
class Embed:
    """The same row shown as another compilable type (a link's object, such as
    ``ProjectStakeholder.stakeholder``): the row keeps the columns that type's selected
    fields read."""

    type_name: str

    def reads(self) -> frozenset[str] | None:
        return None  # known from the selection: Build.reads asks the embedded type's fields

    def sql(self, b: Build, level: Level, selection: Selection) -> ColumnElement[Any]:
        return b.node(self.type_name, level, selection)


@dataclass(frozen=True)
class TypeSpec:
    """A compilable GraphQL object type: its table (``model``) and its fields' specs."""

    name: str
    model: Any
    fields: dict[str, FieldSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class RootList:
    """A root field returning a connection: ``source(context, **arguments)`` gives the
    filtered ``select(Model)`` and its :class:`Ordering`, as the resolver builds them
    (``first`` and ``after`` are the compiler's). Statements are kept per caller, so the
    rows may depend on who asks (drafts shown to their managers...)."""

    target: str
    source: Callable[..., tuple[Select[*tuple[Any, ...]], Ordering]]


@dataclass(frozen=True)
class RootOne:
    """A root field returning one object or null: ``source(context, **arguments)`` gives
    the ``select(Model)`` of at most one row."""

    target: str
    source: Callable[..., Select[*tuple[Any, ...]]]


@dataclass(frozen=True)
class RootRows:
    """A root field returning a plain list of objects (no connection, no paging):
    ``source(context, **arguments)`` gives the ``select`` of its rows, with the columns the
    target's fields read and an ``id`` unique among them, and a function giving their
    order (``ORDER BY`` terms, a unique last key) from the columns of those rows (``c``)."""

    target: str
    source: Callable[..., tuple[Select[*tuple[Any, ...]], Callable[[Any], Sequence[Any]]]]


@dataclass(frozen=True)
class CompiledReads:
    """What a plugin (or the core) declares for the read compiler (``bocage_compiled_reads``):
    its types and its root query fields, by GraphQL name."""

    types: Sequence[TypeSpec] = ()
    roots: dict[str, RootList | RootOne | RootRows] = field(default_factory=dict)


@dataclass
class Registry:
    """Every compilable type and root field, the core's and the plugins'."""

    types: dict[str, TypeSpec] = field(default_factory=dict)
    roots: dict[str, RootList | RootOne | RootRows] = field(default_factory=dict)
    #: Statements already built, by request (see ``execute``): least recently used first.
    #: ``None`` for a root field the resolvers answer.
    statements: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)
    max_statements: int = 256

    def add(self, *specs: TypeSpec) -> None:
        for spec in specs:
            self.types[spec.name] = spec

    @classmethod
    def of(cls, parts: Sequence[tuple[str, CompiledReads]]) -> Registry:
        """The registry of every plugin's declarations; a name declared twice is an error."""
        from bocage.core.errors import PluginError

        registry = cls()
        owners: dict[str, str] = {}
        for plugin, part in parts:
            if not isinstance(part, CompiledReads):
                raise PluginError(
                    f"plugin {plugin!r}: bocage_compiled_reads returned {part!r}, not a "
                    "CompiledReads"
                )
            names = [f"type {t.name}" for t in part.types] + [f"Query.{r}" for r in part.roots]
            for name in names:
                if name in owners:
                    raise PluginError(
                        f"the read compiler's {name} is declared by both {owners[name]!r} and "
                        f"{plugin!r}; keep one declaration"
                    )
                owners[name] = plugin
            registry.add(*part.types)
            registry.roots.update(part.roots)
        return registry
