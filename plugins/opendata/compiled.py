"""The public datasets list, declared for the read compiler (``bocage_compiled_reads``).

``opendataDatasets`` lists the catalogue: the datasets the core and the plugins contribute
(known to the process, :mod:`bocage.plugins.opendata.registry`) and the published uploads
(rows of ``opendata_dataset``). Compiled, it is one statement over :func:`catalogue_rows`: a
row per contributed dataset, its values written in the statement by the resolvers' own
:meth:`OpendataDataset.of <bocage.plugins.opendata.graphql.OpendataDataset.of>` (only its
period and first issue are read from its ``coverage`` and ``issued_query``), and a row per
published upload, its values read from its metadata and its versions as
:func:`~bocage.plugins.opendata.uploads.as_dataset` gives them. Every field of
``OpendataDataset`` is declared; a ``search`` text is not (its accent folding is Python's):
that document is answered by the resolvers. The place filters (``within``, ``near``) are the
same SQL on both paths (:func:`placed`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import strawberry
from shapely.geometry import shape
from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Integer,
    String,
    TypeDecorator,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from bocage.core.api import (
    Build,
    Column,
    Commune,
    CompiledReads,
    Custom,
    Dataset,
    JsonSQL,
    Level,
    NotCompilable,
    RootRows,
    Selection,
    Stakeholder,
    TypeSpec,
    sql_concat,
    stakeholder_commune,
    translated_spec,
)
from bocage.plugins.opendata.dcat import dataset_iri
from bocage.plugins.opendata.exports import FORMATS, GEOGRAPHIC
from bocage.plugins.opendata.models import UploadedDataset, UploadVersion
from bocage.plugins.opendata.registry import catalogue
from bocage.plugins.opendata.uploads import ROW_FIELD, UploadMetadata

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, FromClause, Select

PREFIX = "/api/opendata/datasets"
#: The metadata an upload's stored ``meta`` leaves out defaults to (``UploadMetadata.parse``).
DEFAULTS = UploadMetadata.parse({"title": {"fr": "-"}})
#: The box columns of a row (the place filters read them, as a located table's).
BOX = ("location_west", "location_south", "location_east", "location_north")


# -- the rows --------------------------------------------------------------------------------


class _Json:
    """Reading stored JSON on one engine: members, elements, literals."""

    def __init__(self, pg: bool) -> None:
        self.pg = pg

    def literal(self, value: Any) -> ColumnElement[Any]:
        text = json.dumps(value, ensure_ascii=False)
        return cast(literal(text, String), JSONB) if self.pg else literal(text, String)

    def member(self, document: Any, *path: str, text: bool = False) -> ColumnElement[Any]:
        """``document`` at ``path``: as text (a JSON string's value), or as JSON."""
        found: Any
        if self.pg:
            found = cast(document, JSONB)
            for i, key in enumerate(path):
                last = i == len(path) - 1
                found = found.op("->>" if last and text else "->")(literal_column(f"'{key}'"))
            return found
        found = func.json_extract(document, "$." + ".".join(path))
        return cast(found, String) if text else found

    def elements(self, array: Any, outer: Any) -> Any:
        """The items of a JSON array with their ``position``, in order (a FROM clause of a
        subquery of the rows of ``outer``, which hold the array)."""
        if self.pg:
            stored = cast(array, JSONB)
            listed = case((func.jsonb_typeof(stored) == "array", stored), else_=null())
            return (
                func.jsonb_array_elements(listed)
                .table_valued("value", with_ordinality="position")
                .render_derived()
            )
        # SQLite aggregates in the order of the subquery it reads; a subquery in a FROM is
        # correlated to the rows only when told.
        items = func.json_each(array).table_valued("value", "key")
        return (
            select(items.c.value, items.c.key.label("position"))
            .order_by(items.c.key)
            .correlate(outer)
            .subquery()
        )

    def object_list(self, b: Build, array: Any, selection: Selection, type_name: str) -> Any:
        """A JSON array of objects as GraphQL objects of ``type_name`` (their keys are the
        type's field names), in order."""
        items = self.elements(array, array.table)
        value = b.object_of(
            selection, lambda name, _sub: self.member(items.c.value, name), type_name
        )
        if self.pg:
            aggregated = b.json.array(value, order_by=[items.c.position])
            return select(aggregated).select_from(items).scalar_subquery()
        return func.json(select(func.json_group_array(value)).select_from(items).scalar_subquery())


def _kind(column: Any) -> Any:
    """A column's SQL type (a ``TypeDecorator``'s own, e.g. ``UTCDateTime``'s ``DateTime``)."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def _day(j: _Json, column: Any) -> ColumnElement[Any]:
    """``datasets._day`` of a coverage column, as ISO text: the date of a timestamp (UTC),
    a date, the first ten characters of a text."""
    kind = _kind(column)
    if j.pg and isinstance(kind, DateTime) and kind.timezone:
        return func.to_char(column.op("AT TIME ZONE")(literal("UTC")), "YYYY-MM-DD")
    if j.pg and isinstance(kind, DateTime):  # a time without a zone: its own date
        return func.to_char(column, "YYYY-MM-DD")
    if j.pg and isinstance(kind, Date):
        return func.to_char(column, "YYYY-MM-DD")
    if isinstance(kind, DateTime | Date):
        return func.substr(column, 1, 10)
    if isinstance(kind, String):
        return func.nullif(func.substr(column, 1, 10), "")
    raise NotCompilable(f"coverage of type {kind}")


def _issued(b_json: Any, j: _Json, column: Any) -> ColumnElement[Any]:
    """``first_issued``'s ISO text: a timestamp's, or a date's midnight UTC."""
    kind = _kind(column)
    if isinstance(kind, DateTime):
        return b_json.datetime(column)
    if isinstance(kind, Date):
        day = func.to_char(column, "YYYY-MM-DD") if j.pg else column
        return case((column.is_(None), null()), else_=sql_concat(day, "T00:00:00+00:00"))
    return cast(null(), String)


def _contributed(b_json: Any, j: _Json, dataset: Dataset, key: int, context: Any) -> Select[Any]:
    """The row of a dataset the core or a plugin contributes."""
    from bocage.plugins.opendata.graphql import OpendataDataset

    catalogue_ = catalogue(context.host)
    node = OpendataDataset.of(
        dataset, catalogue_.publisher_of(dataset).enterprise_number, catalogue_.settings.public_base
    )
    start: Any = literal(node.temporal_start, String)
    end: Any = literal(node.temporal_end, String)
    if dataset.coverage is not None:
        # Read once (a CTE) for both ends.
        covered = dataset.coverage.cte(f"opendata_coverage_{abs(key)}")
        first, last = (
            select(_day(j, c)).select_from(covered).limit(1).scalar_subquery()
            for c in list(covered.c)[:2]
        )
        kept = and_(first.is_(None), last.is_(None))
        start, end = case((kept, start), else_=first), case((kept, end), else_=last)
    issued: Any = literal(dataset.issued.isoformat() if dataset.issued else None, String)
    if dataset.issued is None and dataset.issued_query is not None:
        query = dataset.issued_query.subquery()
        issued = select(_issued(b_json, j, list(query.c)[0])).select_from(query).scalar_subquery()
    box: Sequence[Any] = (None,) * 4
    if dataset.geometry is not None:
        box = shape(dict(dataset.geometry)).bounds
    return select(
        literal(key, Integer).label("id"),
        literal(dataset.identifier, String).label("identifier"),
        literal(node.theme, String).label("theme"),
        literal(node.licence, String).label("licence"),
        literal(node.access_rights, String).label("access_rights"),
        literal(node.frequency, String).label("frequency"),
        literal(node.publisher_enterprise_number, String).label("publisher"),
        j.literal(dict(dataset.title)).label("title"),
        j.literal(dict(dataset.description)).label("description"),
        j.literal(node.keywords).label("keywords"),
        j.literal(node.formats).label("formats"),
        j.literal(
            [{"name": f.name, "type": f.type, "description": f.description} for f in node.fields]
        ).label("fields"),
        j.literal(
            [
                {
                    "version": v.version,
                    "format": v.format,
                    "path": v.path,
                    "sha256": v.sha256,
                    "byteSize": v.byte_size,
                    "issued": v.issued,
                }
                for v in node.versions
            ]
        ).label("versions"),
        cast(start, String).label("temporal_start"),
        cast(end, String).label("temporal_end"),
        cast(issued, String).label("issued"),
        *(cast(literal(v), Float).label(n) for v, n in zip(box, BOX, strict=True)),
    )


def _publisher(j: _Json, upload: Any, default: str) -> ColumnElement[Any]:
    """``commune_publishers``: the enterprise number of the commune's administration (the
    first by id with a valid one), else the catalogue's publisher."""
    digits = func.replace(Stakeholder.enterprise_number, ".", "")
    valid = digits.op("~")("^[01][0-9]{9}$") if j.pg else digits.op("GLOB")("[01]" + "[0-9]" * 9)
    found = (
        select(digits)
        .select_from(Commune)
        .join(stakeholder_commune, stakeholder_commune.c.commune_id == Commune.id)
        .join(Stakeholder, Stakeholder.id == stakeholder_commune.c.stakeholder_id)
        .where(
            Commune.nis_code == upload.c.commune_nis,
            Stakeholder.kind == "commune_administration",
            Stakeholder.enterprise_number.is_not(None),
            Stakeholder.deleted_at.is_(None),
            valid,
        )
        .order_by(Stakeholder.id)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(found, literal(default, String))


def _keywords(j: _Json, meta: Any) -> ColumnElement[Any]:
    """Every keyword, language after language as the stored object lists them."""
    if j.pg:
        languages = (
            func.jsonb_each(j.member(meta, "keywords"))
            .table_valued("key", "value", with_ordinality="n")
            .render_derived()
        )
        words = (
            func.jsonb_array_elements(languages.c.value)
            .table_valued("value", with_ordinality="n")
            .render_derived()
        )
        listed = func.jsonb_agg(aggregate_order_by(words.c.value, languages.c.n, words.c.n))
        every = select(listed).select_from(languages).join(words, true()).scalar_subquery()
        return func.coalesce(every, j.literal([]))
    languages = func.json_each(meta, "$.keywords").table_valued("value", "id")
    words = func.json_each(languages.c.value).table_valued("value", "key")
    ordered = (
        select(words.c.value)
        .select_from(languages)
        .join(words, true())
        .order_by(languages.c.id, words.c.key)
        .correlate(meta.table)
        .subquery()
    )
    return select(func.json_group_array(ordered.c.value)).scalar_subquery()


def _fields(j: _Json, schema: Any) -> ColumnElement[Any]:
    """The row number's field, then the current version's Table Schema fields."""
    first = {"name": ROW_FIELD.name, "type": ROW_FIELD.type.value}
    first["description"] = ROW_FIELD.description.get("fr")  # type: ignore[assignment]
    items = j.elements(j.member(schema, "fields"), schema.table)

    def entry(item: Any) -> list[Any]:
        return [
            literal_column("'name'"),
            j.member(item, "name", text=True),
            literal_column("'type'"),
            j.member(item, "type", text=True),
            literal_column("'description'"),
            func.nullif(j.member(item, "description", text=True), ""),
        ]

    if j.pg:
        own = select(
            func.jsonb_agg(
                aggregate_order_by(func.jsonb_build_object(*entry(items.c.value)), items.c.position)
            )
        ).select_from(items)
        return j.literal([first]).op("||")(func.coalesce(own.scalar_subquery(), j.literal([])))
    every = union_all(
        select(literal(-1).label("position"), func.json(j.literal(first)).label("v")),
        select(items.c.position, func.json_object(*entry(items.c.value)).label("v")),
    ).subquery()
    ordered = select(every.c.v).order_by(every.c.position).subquery()
    return select(func.json_group_array(func.json(ordered.c.v))).scalar_subquery()


def _versions(b_json: Any, j: _Json, upload: Any) -> ColumnElement[Any]:
    """The versions' files, oldest first (``snapshot_path``, ``Snapshot``)."""
    v = UploadVersion.__table__.c
    path = sql_concat(
        f"{PREFIX}/",
        upload.c.identifier,
        "/versions/",
        cast(v.number, String),
        "/",
        v.sha256,
        ".",
        v.file_format,
    )
    pairs = {
        "version": v.number,
        "format": v.file_format,
        "path": path,
        "sha256": v.sha256,
        "byteSize": v.byte_size,
        "issued": b_json.datetime(v.created_at),
    }
    mine = v.dataset_id == upload.c.id
    arguments: list[Any] = []
    for key, value in pairs.items():
        arguments += [literal_column(f"'{key}'"), value]
    if j.pg:
        built = func.jsonb_build_object(*arguments)
        listed = select(func.jsonb_agg(aggregate_order_by(built, v.number))).where(mine)
        return func.coalesce(listed.scalar_subquery(), j.literal([]))
    built = func.json_object(*arguments)
    ordered = select(built.label("v")).where(mine).order_by(v.number).correlate(upload).subquery()
    return select(func.json_group_array(func.json(ordered.c.v))).scalar_subquery()


def _box(j: _Json, meta: Any) -> list[ColumnElement[Any]]:
    """The bounding box of the upload's ``location`` (west, south, east, north)."""
    if j.pg:
        positions = (
            func.jsonb_path_query(
                j.member(meta, "location", "coordinates"),
                literal_column(
                    """'strict $.** ? (@.type() == "array" && @[0].type() == "number")'::jsonpath"""
                ),
            )
            .table_valued("p")
            .render_derived()
        )

        def at(i: int) -> Any:
            return cast(positions.c.p.op("->>")(literal_column(str(i))), Float)

        picks: list[tuple[Any, int]] = [(func.min, 0), (func.min, 1), (func.max, 0), (func.max, 1)]
        return [select(f(at(i))).select_from(positions).scalar_subquery() for f, i in picks]
    numbers = func.json_tree(meta, "$.location.coordinates").table_valued("value", "type", "key")

    def extreme(f: Any, i: int) -> Any:
        return (
            select(f(cast(numbers.c.value, Float)))
            .select_from(numbers)
            .where(numbers.c.type.in_(["integer", "real"]), numbers.c.key == i)
            .scalar_subquery()
        )

    return [extreme(func.min, 0), extreme(func.min, 1), extreme(func.max, 0), extreme(func.max, 1)]


def _uploaded(b_json: Any, j: _Json, default_publisher: str) -> Select[Any]:
    """The rows of the published uploads that have a current version (``load_datasets``)."""
    upload = UploadedDataset.__table__
    current = UploadVersion.__table__.alias("current_version")
    meta = upload.c.meta
    geographic = [n for n in FORMATS]
    plain = [n for n in FORMATS if n not in GEOGRAPHIC]
    formats = case(
        (j.member(meta, "coordinates", text=True).is_(None), j.literal(plain)),
        else_=j.literal(geographic),
    )
    issued = b_json.datetime(func.coalesce(upload.c.first_published_at, upload.c.published_at))
    temporal = [cast(j.member(meta, "temporal", e, text=True), String) for e in ("start", "end")]
    return (
        select(
            upload.c.id,
            upload.c.identifier,
            func.coalesce(j.member(meta, "theme", text=True), "GOVE").label("theme"),
            func.coalesce(j.member(meta, "licence", text=True), DEFAULTS.licence.value).label(
                "licence"
            ),
            func.coalesce(
                j.member(meta, "accessRights", text=True), DEFAULTS.access_rights.value
            ).label("access_rights"),
            func.coalesce(j.member(meta, "frequency", text=True), DEFAULTS.frequency.value).label(
                "frequency"
            ),
            _publisher(j, upload, default_publisher).label("publisher"),
            j.member(meta, "title").label("title"),
            j.member(meta, "description").label("description"),
            _keywords(j, meta).label("keywords"),
            formats.label("formats"),
            _fields(j, current.c.table_schema).label("fields"),
            _versions(b_json, j, upload).label("versions"),
            temporal[0].label("temporal_start"),
            temporal[1].label("temporal_end"),
            cast(issued, String).label("issued"),
            *(value.label(name) for value, name in zip(_box(j, meta), BOX, strict=True)),
        )
        .select_from(upload)
        .join(
            current,
            and_(current.c.dataset_id == upload.c.id, current.c.number == upload.c.current_version),
        )
        .where(upload.c.published_at.is_not(None))
    )


def catalogue_rows(context: Any) -> FromClause:
    """Every published dataset, contributed and uploaded, one row each (a subquery)."""
    pg = context.dialect == "postgresql"
    j, b_json = _Json(pg), JsonSQL(context.dialect)
    catalogue_ = catalogue(context.host)
    contributed = sorted(catalogue_.datasets.values(), key=lambda d: d.identifier)
    parts = [_contributed(b_json, j, d, -n, context) for n, d in enumerate(contributed, 1)]
    parts.append(_uploaded(b_json, j, catalogue_.publisher.enterprise_number))
    return union_all(*parts).subquery("catalogue")


def placed(context: Any, rows: FromClause, within: Any, near: Any) -> list[ColumnElement[bool]]:
    """The conditions of the ``within`` and ``near`` filters on the rows' boxes (the core's
    places filters, without a spatial index: the catalogue is small). The inputs check
    themselves (``BadInput``, with the field and the setting)."""
    conditions = []
    if within is not None and within is not strawberry.UNSET:
        conditions.append(within.box().overlaps(rows.c, None))
    if near is not None and near is not strawberry.UNSET:
        conditions.append(near.near(context.settings).reaches(rows.c, None))
    return conditions


def datasets_source(
    context: Any,
    theme: str | None = None,
    search: str | None = None,
    lang: Any = None,
    within: Any = None,
    near: Any = None,
) -> tuple[Select[Any], Callable[[Any], Sequence[Any]]]:
    """``opendataDatasets``' rows and their order (by identifier, as ``published``)."""
    if search:
        raise NotCompilable("a catalogue search folds accents in Python")
    rows = catalogue_rows(context)
    statement = select(rows).where(*placed(context, rows, within, near))
    if theme:
        statement = statement.where(rows.c.theme == theme)

    def order(listed: Any) -> list[Any]:
        identifier = listed.c.identifier
        return [identifier.collate("C") if context.dialect == "postgresql" else identifier]

    return statement, order


# -- the fields ------------------------------------------------------------------------------


def _url(b: Build, level: Level, tail: str, *, absolute: bool) -> Any:
    base = dataset_iri(catalogue(b.context.host).settings.public_base, "") if absolute else ""
    start = base or f"{PREFIX}/"
    return sql_concat(start, level.rows.c.identifier, tail)


def _link(tail: str, *, absolute: bool = False) -> Custom:
    return Custom(
        lambda b, level, s: _url(b, level, tail, absolute=absolute), columns=("identifier",)
    )


def _list(column: str, type_name: str) -> Custom:
    def compute(b: Build, level: Level, selection: Selection) -> Any:
        return _Json(b.json.pg).object_list(b, level.rows.c[column], selection, type_name)

    return Custom(compute, columns=(column,))


def _downloads(b: Build, level: Level, selection: Selection) -> Any:
    def download(item: Any) -> Any:
        def field(name: str, _sub: Selection) -> Any:
            if name == "format":
                return item
            if name == "mediaType":
                return case(*((item == n, literal(f.media_type)) for n, f in FORMATS.items()))
            return sql_concat(_url(b, level, "/export.", absolute=True), item)

        return b.object_of(selection, field, "OpendataDownload")

    return b.json.list_of(level.rows.c.formats, download)


def _strings(column: str) -> Custom:
    return Custom(
        lambda b, level, s: b.json.list_of(level.rows.c[column], lambda item: item),
        columns=(column,),
    )


def compiled_reads() -> CompiledReads:
    """The plugin's ``bocage_compiled_reads``."""
    return CompiledReads(
        types=[
            TypeSpec(
                "OpendataDataset",
                UploadedDataset,
                {
                    "identifier": Column("identifier"),
                    "theme": Column("theme"),
                    "licence": Column("licence"),
                    "accessRights": Column("access_rights"),
                    "frequency": Column("frequency"),
                    "publisherEnterpriseNumber": Column("publisher"),
                    "keywords": _strings("keywords"),
                    "formats": _strings("formats"),
                    "fields": _list("fields", "OpendataField"),
                    "temporalStart": Column("temporal_start"),
                    "temporalEnd": Column("temporal_end"),
                    "versions": _list("versions", "OpendataVersion"),
                    "recordsPath": _link("/records"),
                    "schemaPath": _link("/schema.json"),
                    "qualityPath": _link("/quality"),
                    "iri": _link("", absolute=True),
                    "recordsUrl": _link("/records", absolute=True),
                    "schemaUrl": _link("/schema.json", absolute=True),
                    "downloads": Custom(_downloads, columns=("identifier", "formats")),
                    "issued": Column("issued"),
                    **translated_spec("title", "title", required=True),
                    **translated_spec("description", "description"),
                },
            ),
        ],
        roots={"opendataDatasets": RootRows("OpendataDataset", datasets_source)},
    )
