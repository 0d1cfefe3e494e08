"""What a contributed dataset is: a query and its DCAT-AP metadata, controlled vocabularies as
enums. Plugins build :class:`Dataset` items in their ``bocage_datasets`` implementation (import
them from ``bocage.core.api``); the open-data plugin, when installed, publishes them. They live
in the core so that a plugin contributing datasets imports no other plugin."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bocage.core.settings import LANGUAGES as CORE_LANGUAGES

if TYPE_CHECKING:
    from sqlalchemy import Select

#: Languages of the territory's texts, in the order DCAT documents list them.
LANGUAGES: tuple[str, ...] = CORE_LANGUAGES

#: What a dataset's identifier looks like (``survey-results``).
IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


class Theme(enum.StrEnum):
    """EU data themes (Publications Office ``data-theme`` authority table)."""

    AGRI = "AGRI"
    ECON = "ECON"
    EDUC = "EDUC"
    ENER = "ENER"
    ENVI = "ENVI"
    GOVE = "GOVE"
    HEAL = "HEAL"
    INTR = "INTR"
    JUST = "JUST"
    REGI = "REGI"
    SOCI = "SOCI"
    TECH = "TECH"
    TRAN = "TRAN"


class Frequency(enum.StrEnum):
    """Update frequencies (Publications Office ``frequency`` authority table)."""

    UPDATE_CONT = "UPDATE_CONT"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    ANNUAL = "ANNUAL"
    IRREG = "IRREG"
    UNKNOWN = "UNKNOWN"


class Licence(enum.StrEnum):
    """Licences (Publications Office ``licence`` authority table)."""

    CC_BY_4_0 = "CC_BY_4_0"
    CC0 = "CC0"
    CC_BYSA_4_0 = "CC_BYSA_4_0"


class AccessRights(enum.StrEnum):
    """Access rights (Publications Office ``access-right`` authority table)."""

    PUBLIC = "PUBLIC"
    RESTRICTED = "RESTRICTED"
    NON_PUBLIC = "NON_PUBLIC"


class FieldType(enum.StrEnum):
    """Frictionless Table Schema types of a dataset's fields."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class DatasetField:
    """A column of a dataset: ``name`` is the label of a column of the dataset's query."""

    name: str
    type: FieldType
    description: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Publisher:
    """Who publishes a dataset: the GAL or a commune, identified by its enterprise number."""

    name: Mapping[str, str]
    enterprise_number: str

    @property
    def uri(self) -> str:
        return f"https://org.belgif.be/id/CbeRegisteredEntity/{self.enterprise_number}"


@dataclass(frozen=True)
class Snapshot:
    """An immutable file of a published version: its URL path names its content hash, and
    DCAT describes it as a distribution with ``spdx:checksum`` and ``dcat:byteSize``."""

    path: str
    file_format: str
    media_type: str
    sha256: str
    byte_size: int
    issued: dt.datetime
    version: int


@dataclass(frozen=True)
class Dataset:
    """A dataset a plugin publishes.

    ``query`` is a SQLAlchemy ``select`` whose labelled columns include every field of
    ``fields``; ``key`` names the field that is unique and never null (cursor pagination and
    streamed exports walk it). ``modified`` is an optional scalar ``select`` of the latest change
    (e.g. ``select(func.max(Thing.updated_at))``), the dataset's ``dct:modified`` and the base
    of ``Last-Modified``. Texts are ``{language: text}`` mappings; French is required. A
    ``publisher`` of ``None`` means the catalogue's publisher (the GAL, from the settings).
    """

    identifier: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    theme: Theme
    fields: tuple[DatasetField, ...]
    query: Select[*tuple[Any, ...]]
    key: str = "id"
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    licence: Licence = Licence.CC_BY_4_0
    access_rights: AccessRights = AccessRights.PUBLIC
    frequency: Frequency = Frequency.UPDATE_CONT
    publisher: Publisher | None = None
    modified: Select[*tuple[Any, ...]] | None = None
    #: ``(longitude field, latitude field)`` (WGS 84 degrees, number fields): the dataset is
    #: also offered as GeoJSON, each record a point.
    coordinates: tuple[str, str] | None = None
    #: ``(start, end)`` of the period the data covers (``dct:temporal``); either may be open.
    temporal: tuple[dt.date | None, dt.date | None] | None = None
    #: A ``select`` of two dates, the first and last the data covers (e.g.
    #: ``select(func.min(Thing.day), func.max(Thing.day))``): ``dct:temporal`` kept current.
    coverage: Select[*tuple[Any, ...]] | None = None
    #: When the dataset was first published (``dct:issued``).
    issued: dt.datetime | None = None
    #: A scalar ``select`` of when its data was first published, for a live dataset whose date
    #: is not known in advance (e.g. ``select(func.min(Thing.created_at))``): ``dct:issued``
    #: when ``issued`` is not given.
    issued_query: Select[*tuple[Any, ...]] | None = None
    #: Immutable files of its versions (uploaded datasets), newest last.
    snapshots: tuple[Snapshot, ...] = ()
    #: A Frictionless Table Schema beyond names and types (``constraints``...), if any.
    table_schema: Mapping[str, Any] | None = None
    #: NIS codes of the communes the data covers (``dct:spatial``, REFNIS IRIs); empty: the
    #: whole territory (Wallonia).
    spatial: tuple[str, ...] = ()
    #: A GeoJSON geometry (WGS 84) of the area or the point the data covers: ``dct:spatial``
    #: with its bounding box (``dcat:bbox``) and centroid (``dcat:centroid``), see
    #: docs/places.md.
    geometry: Mapping[str, Any] | None = None

    def field(self, name: str) -> DatasetField | None:
        return next((f for f in self.fields if f.name == name), None)

    def problems(self) -> list[str]:
        """What keeps this dataset's metadata from conforming to DCAT-AP, property by property.

        Checked when the catalogue is built: a dataset with problems is not published.
        """
        found = []
        if not IDENTIFIER.match(self.identifier):
            found.append("dct:identifier: lower-case letters, digits and '-' (2 to 80)")
        if not self.title.get("fr"):
            found.append("dct:title: a French title is required")
        if not self.description.get("fr"):
            found.append("dct:description: a French description is required")
        for name, texts in (("dct:title", self.title), ("dct:description", self.description)):
            unknown = set(texts) - set(LANGUAGES)
            if unknown:
                found.append(f"{name}: unknown languages {sorted(unknown)}")
        if not self.fields:
            found.append("fields: a dataset has at least one field")
        if self.field(self.key) is None:
            found.append(f"key: {self.key!r} is not one of the fields")
        if self.coordinates is not None:
            for name in self.coordinates:
                found_field = self.field(name)
                if found_field is None or found_field.type not in (
                    FieldType.NUMBER,
                    FieldType.INTEGER,
                ):
                    found.append(f"coordinates: {name!r} is not a number field")
        for code in self.spatial:
            if not re.fullmatch(r"\d{5}", code):
                found.append(f"spatial: {code!r} is not a NIS code (five digits, e.g. '64034')")
        columns = set(self.query.selected_columns.keys())
        missing = [f.name for f in self.fields if f.name not in columns]
        if missing:
            found.append(f"fields: the query has no column {', '.join(missing)}")
        return found


class _Base64(FunctionElement[str]):
    """Standard base64 of a text (padded), the same on SQLite and PostgreSQL."""

    name = "bocage_b64"
    type = String()
    inherit_cache = True


@compiles(_Base64)
def _base64_sqlite(element: _Base64, compiler: Any, **kw: Any) -> str:
    # bocage.core.sqlite_functions gives every SQLite connection bocage_b64
    return f"bocage_b64({compiler.process(element.clauses, **kw)})"


@compiles(_Base64, "postgresql")
def _base64_postgresql(element: _Base64, compiler: Any, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"translate(encode(convert_to({text}, 'UTF8'), 'base64'), E'\\n', '')"


def sql_global_id(type_name: Any, key: Any) -> Any:
    """The Relay global ID (base64 of ``Type:key``) of a row, as a dataset's column: the
    ``id`` GraphQL gives the object. ``type_name`` is a GraphQL type name or a column holding
    one (``Media.owner_type``), ``key`` the row's integer key column."""
    prefix = literal(type_name, String) if isinstance(type_name, str) else type_name
    return _Base64(prefix + literal(":", String) + cast(key, String))
