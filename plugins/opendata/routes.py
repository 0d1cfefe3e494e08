"""The REST routes under ``/api/opendata/``: catalogue search, dataset metadata, records,
streamed exports and DCAT-AP documents, with ``ETag``/``Last-Modified`` and ``304``."""

from __future__ import annotations

import bisect
import datetime as dt
import email.utils
import hashlib
import html
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import anyio
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bocage.core.api import (
    Dataset,
    conditional_get,
    error_response,
    etag_matches,
    host_of,
    not_modified,
    public_caching,
    request_sessionmaker,
)
from bocage.plugins.opendata.datasets import covered, first_issued
from bocage.plugins.opendata.dcat import (
    BY_EXTENSION,
    DISTRIBUTIONS,
    REFNIS,
    SERIALISATIONS,
    WALLONIA,
    DcatDocument,
    Page,
    dataset_iri,
    negotiate,
    negotiate_resource,
)
from bocage.plugins.opendata.exports import FORMATS, GEOGRAPHIC, formats_of, gzipped, stream
from bocage.plugins.opendata.records import (
    BadQuery,
    Bounds,
    RecordQuery,
    read_facets,
    read_page,
    to_json,
)
from bocage.plugins.opendata.registry import Catalogue, catalogue
from bocage.plugins.opendata.search import Criteria, published, search
from bocage.plugins.opendata.uploads import load_datasets

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.requests import Request

PREFIX = "/api/opendata"


# -- helpers ---------------------------------------------------------------------------------


def _catalogue(request: Request) -> Catalogue:
    return catalogue(host_of(request))


def _base_url(cat: Catalogue) -> str:
    """The base of IRIs and links: the setting, never the request's Host (see settings)."""
    return cat.settings.public_base


async def _dataset(request: Request) -> tuple[Catalogue, Dataset | Response]:
    """The contributed or published uploaded dataset of the path, or the error response."""
    cat = _catalogue(request)
    identifier = request.path_params["identifier"]
    if identifier in cat.rejected:
        problems = "; ".join(cat.rejected[identifier])
        return cat, error_response(
            422, "not_publishable", f"dataset {identifier!r} is not published: {problems}"
        )
    dataset = cat.datasets.get(identifier)
    if dataset is None:
        async with request_sessionmaker(request)() as session:
            found = await load_datasets(session, identifier=identifier)
        dataset = found[0][1] if found else None
    if dataset is None:
        return cat, error_response(
            404,
            "not_found",
            f"no published dataset {identifier!r}; datasets: {', '.join(sorted(cat.datasets))} "
            f"and those uploaded (see {PREFIX}/datasets)",
        )
    return cat, dataset


async def _modified(session: AsyncSession, dataset: Dataset) -> dt.datetime | None:
    if dataset.modified is None:
        return None
    value = (await session.execute(dataset.modified)).scalar()
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


async def _total(session: AsyncSession, dataset: Dataset) -> int:
    return int((await session.execute(RecordQuery(dataset, []).count_statement())).scalar_one())


def _etag(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def _validators(
    request: Request,
    etag: str,
    modified: dt.datetime | None,
    configured: Catalogue | None = None,
) -> dict[str, str]:
    """``ETag`` and ``Last-Modified``; with ``configured``, an answer that shows settings
    (publisher, contact, base URL) is not older than them."""
    headers = {"ETag": etag, **public_caching(request)}
    if configured is not None:
        modified = max(modified or configured.configured_at, configured.configured_at)
    if modified is not None:
        headers["Last-Modified"] = email.utils.format_datetime(modified.astimezone(dt.UTC), True)
    return headers


def _not_modified(request: Request, headers: dict[str, str]) -> Response | None:
    """``304`` when the client's copy is current (``If-None-Match`` wins over the date)."""
    match = request.headers.get("if-none-match")
    if match is not None:
        return not_modified(headers) if etag_matches(match, headers["ETag"]) else None
    since = request.headers.get("if-modified-since")
    if since and "Last-Modified" in headers:
        try:
            client = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return None
        server = email.utils.parsedate_to_datetime(headers["Last-Modified"])
        if client.tzinfo and server <= client:
            return not_modified(headers)
    return None


def _query_key(request: Request) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()))


def _summary(request: Request, cat: Catalogue, dataset: Dataset) -> dict[str, Any]:
    base = dataset_iri(_base_url(cat), dataset.identifier)
    publisher = cat.publisher_of(dataset)
    return {
        "identifier": dataset.identifier,
        "iri": base,
        "title": dict(dataset.title),
        "description": dict(dataset.description),
        "keywords": {lang: list(words) for lang, words in dataset.keywords.items()},
        "theme": dataset.theme.value,
        "licence": dataset.licence.value,
        "accessRights": dataset.access_rights.value,
        "frequency": dataset.frequency.value,
        "publisher": {
            "name": dict(publisher.name),
            "enterpriseNumber": publisher.enterprise_number,
            "uri": publisher.uri,
        },
        "formats": sorted(formats_of(dataset)),
        "temporal": None
        if dataset.temporal is None
        else {"start": to_json(dataset.temporal[0]), "end": to_json(dataset.temporal[1])},
        "issued": to_json(dataset.issued),
        "spatial": [f"{REFNIS}{code}" for code in dataset.spatial] or [str(WALLONIA)],
        "versions": [
            {
                "version": s.version,
                "format": s.file_format,
                "url": _base_url(cat) + s.path,
                "sha256": s.sha256,
                "byteSize": s.byte_size,
                "issued": to_json(s.issued),
            }
            for s in dataset.snapshots
        ],
        "links": {
            "self": base,
            "records": f"{base}/records",
            "dcat": f"{base}/dcat",
            "schema": f"{base}/schema.json",
            "quality": f"{base}/quality",
            "exports": {name: f"{base}/export.{name}" for name in formats_of(dataset)},
        },
    }


# -- handlers --------------------------------------------------------------------------------


async def list_datasets(request: Request) -> Response:
    cat = _catalogue(request)
    params = request.query_params
    async with request_sessionmaker(request)() as session:
        every = await published(session, cat)
        # The dates of the list are those of each dataset's own page and DCAT (coverage).
        every = [await covered(session, d) for d in every]
    found = search(
        cat,
        every,
        Criteria(
            text=params.get("q", ""),
            theme=params.getlist("theme"),
            publisher=params.getlist("publisher"),
            keyword=params.getlist("keyword"),
            format=params.getlist("format"),
        ),
    )
    return JSONResponse(
        {
            "count": len(found.datasets),
            "items": [_summary(request, cat, d) for d in found.datasets],
            "facets": found.facets,
        },
        headers=public_caching(request),
    )


async def dataset_metadata(request: Request) -> Response:
    """The dataset's IRI: its DCAT description for an RDF ``Accept``, an HTML page for a
    browser, JSON metadata otherwise."""
    representation = negotiate_resource(request.headers.get("accept", ""))
    if representation in SERIALISATIONS:
        return await dataset_document(request, representation)
    cat, found = await _dataset(request)
    if isinstance(found, Response):
        return found
    dataset = found
    async with request_sessionmaker(request)() as session:
        modified = await _modified(session, dataset)
        total = await _total(session, dataset)
        dataset = await covered(session, dataset)
    headers = _validators(
        request,
        _etag(dataset.identifier, modified, total, representation, cat.shown(dataset)),
        modified,
        cat,
    )
    headers.update(NEGOTIATED)
    if (cached := _not_modified(request, headers)) is not None:
        return cached
    if representation == "html":
        return HTMLResponse(landing_page(_summary(request, cat, dataset)), headers=headers)
    body = _summary(request, cat, dataset)
    body["modified"] = to_json(modified)
    body["records"] = total
    body["schema"] = table_schema(dataset)
    return JSONResponse(body, headers=headers)


def table_schema(dataset: Dataset) -> dict[str, Any]:
    """The dataset's fields as a Frictionless Table Schema (its ``dct:conformsTo``)."""
    extra = {f["name"]: f for f in (dataset.table_schema or {}).get("fields", [])}
    fields = []
    for f in dataset.fields:
        item: dict[str, Any] = {"name": f.name, "type": f.type.value}
        if f.description:
            item["description"] = f.description.get("fr") or next(iter(f.description.values()))
        if "constraints" in extra.get(f.name, {}):
            item["constraints"] = extra[f.name]["constraints"]
        fields.append(item)
    return {"fields": fields, "primaryKey": dataset.key}


async def dataset_quality(request: Request) -> Response:
    """The dataset's quality report (computed on request; SHACL is the slow part)."""
    from bocage.plugins.opendata.quality import report

    cat, found = await _dataset(request)
    if isinstance(found, Response):
        return found
    async with request_sessionmaker(request)() as session:
        modified = await _modified(session, found)
        found = await covered(session, found)
    headers = _validators(
        request, _etag(found.identifier, modified, "quality", cat.shown(found)), modified, cat
    )
    if (cached := _not_modified(request, headers)) is not None:
        return cached
    body = await anyio.to_thread.run_sync(lambda: report(cat, found, modified))
    return JSONResponse(body, headers=headers)


async def dataset_schema(request: Request) -> Response:
    _, found = await _dataset(request)
    if isinstance(found, Response):
        return found
    return JSONResponse(
        table_schema(found),
        media_type="application/schema+json",
        headers=public_caching(request),
    )


async def dataset_records(request: Request) -> Response:
    cat, found = await _dataset(request)
    if isinstance(found, Response):
        return found
    dataset = found
    try:
        query = RecordQuery.parse(
            dataset,
            request.query_params.multi_items(),
            default_limit=cat.settings.page_size,
            bounds=Bounds.of(cat.settings),
            page=True,
        )
        async with request_sessionmaker(request)() as session:
            modified = await _modified(session, dataset)
            total = await _total(session, dataset)
            headers = _validators(
                request,
                _etag(dataset.identifier, modified, total, "records", _query_key(request)),
                modified,
            )
            if (cached := _not_modified(request, headers)) is not None:
                return cached
            records, next_cursor, count = await read_page(session, query)
            facets = await read_facets(session, query) if query.facets else None
    except BadQuery as error:
        return bad_query(error)
    body: dict[str, Any] = {"items": records, "nextCursor": next_cursor, "next": None}
    if next_cursor is not None:
        body["next"] = str(request.url.include_query_params(cursor=next_cursor))
        headers = {**headers, "Link": f'<{body["next"]}>; rel="next"'}  # RFC 8288
    if count is not None:
        body["count"] = count
    if facets is not None:
        body["facets"] = facets
    return JSONResponse(body, headers=headers)


def bad_query(error: BadQuery) -> Response:
    """``400`` naming the parameter; a bound's refusal also gives the bound and its setting."""
    body: dict[str, Any] = {"code": "bad_query", "message": str(error)}
    if error.setting is not None:
        body.update(limit=error.limit, setting=error.setting)
    return JSONResponse({"error": body}, status_code=400)


async def dataset_export(request: Request) -> Response:
    cat, found = await _dataset(request)
    if isinstance(found, Response):
        return found
    dataset = found
    requested = request.path_params["format"]
    name, _, compression = requested.partition(".")
    offered = formats_of(dataset)
    if name not in offered or compression not in ("", "gz"):
        formats = ", ".join(f"{f}, {f}.gz" for f in offered)
        why = " (it has no coordinates)" if name in GEOGRAPHIC else ""
        return error_response(
            404, "not_found", f"no export format {requested!r}{why}; use {formats}"
        )
    dialect = request.query_params.get("dialect", "")
    if dialect not in ("", "excel-fr"):
        return error_response(400, "bad_query", "dialect: 'excel-fr' or nothing")
    try:
        query = RecordQuery.parse(
            dataset, request.query_params.multi_items(), bounds=Bounds.of(cat.settings)
        )
    except BadQuery as error:
        return error_response(400, "bad_query", str(error))
    if name in GEOGRAPHIC and dataset.coordinates is not None:
        query.fields = list(dict.fromkeys([*query.fields, *dataset.coordinates]))
    async with request_sessionmaker(request)() as session:
        modified = await _modified(session, dataset)
        total = await _total(session, dataset)
    headers = _validators(
        request,
        _etag(dataset.identifier, modified, total, requested, _query_key(request)),
        modified,
    )
    if (cached := _not_modified(request, headers)) is not None:
        return cached
    if name == "xlsx" and (refused := await _xlsx_refusal(request, query, cat)) is not None:
        return refused
    export_format = FORMATS[name]
    chunks = stream(
        name,
        query,
        request_sessionmaker(request),
        title=dataset.identifier,
        excel_fr=dialect == "excel-fr",
        xlsx_max_rows=cat.settings.xlsx_max_rows,
        readers=cat.settings.export_readers,
    )
    filename = f"{dataset.identifier}.{export_format.extension}"
    media_type = export_format.media_type
    if compression == "gz":
        chunks, filename, media_type = gzipped(chunks), f"{filename}.gz", "application/gzip"
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


async def _xlsx_refusal(request: Request, query: RecordQuery, cat: Catalogue) -> Response | None:
    """``400`` before the first byte when the records would not fit in an Excel sheet."""
    bound = cat.settings.xlsx_max_rows
    async with request_sessionmaker(request)() as session:
        found = int((await session.execute(query.count_statement())).scalar_one())
    if found <= bound:
        return None
    message = (
        f"{found} records do not fit in an XLSX sheet (at most {bound}): export CSV or "
        "Parquet, or narrow the records with filters"
    )
    return bad_query(BadQuery(message, limit=bound, setting="BOCAGE_OPENDATA_XLSX_MAX_ROWS"))


def _serialisation(request: Request) -> str | Response:
    extension = request.path_params.get("ext")
    if extension is not None:
        name = BY_EXTENSION.get(extension)
        if name is None:
            known = ", ".join(sorted(BY_EXTENSION))
            return error_response(404, "not_found", f"no RDF serialisation {extension!r}: {known}")
        return name
    name = negotiate(request.headers.get("accept", ""))
    if name is None:
        media = ", ".join(media for _, media, _ in SERIALISATIONS.values())
        return error_response(406, "not_acceptable", f"DCAT is served as {media}")
    return name


#: DCAT documents are negotiated: their answers, 304 included, vary on Accept.
NEGOTIATED = {"Vary": "Accept"}


def _rdf(document: DcatDocument, name: str, headers: dict[str, str]) -> Response:
    return Response(document.serialise(name), media_type=SERIALISATIONS[name][1], headers=headers)


def _page(
    datasets: list[Dataset], size: int, url: str, after: str | None, number: int | None
) -> tuple[list[Dataset], Page]:
    """The page of ``datasets`` (sorted by identifier) after ``after`` (keyset), or the
    ``number``-th page (offsets, kept for old links: unstable while datasets change)."""
    identifiers = [d.identifier for d in datasets]
    if after is not None:
        start = bisect.bisect_right(identifiers, after)
    else:
        start = ((number or 1) - 1) * size
    shown = datasets[start : start + size]
    last_start = (len(datasets) - 1) // size * size if datasets else 0
    page = Page(
        size=size,
        total=len(datasets),
        url=url,
        after=after if after is not None else (identifiers[start - 1] if start else None),
        next_after=shown[-1].identifier if start + size < len(datasets) else None,
        last_after=identifiers[last_start - 1] if last_start else None,
    )
    return shown, page


async def catalog_document(request: Request) -> Response:
    name = _serialisation(request)
    if isinstance(name, Response):
        return name
    cat = _catalogue(request)
    params = request.query_params
    since: dt.datetime | None = None
    after = params.get("after")
    number: int | None = None
    if "page" in params:
        try:
            number = int(params["page"])
            if number < 1:
                raise ValueError(number)
        except ValueError:
            return error_response(400, "bad_query", "page: an integer from 1")
    if "modified_since" in params:
        try:
            since = dt.datetime.fromisoformat(params["modified_since"])
        except ValueError:
            return error_response(400, "bad_query", "modified_since: an ISO 8601 date-time")
        since = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
    async with request_sessionmaker(request)() as session:
        datasets = await published(session, cat)
        modified = {d.identifier: await _modified(session, d) for d in datasets}
        first = [i for d in datasets if (i := await first_issued(session, d)) is not None]
    if since is not None:
        datasets = [d for d in datasets if (m := modified[d.identifier]) is None or m >= since]
    base = _base_url(cat)
    url = f"{base}{request.url.path}"
    if since is not None:
        url += "?" + urlencode({"modified_since": params["modified_since"]})
    shown, page = _page(datasets, cat.settings.catalog_page_size, url, after, number)
    latest = max((m for m in modified.values() if m is not None), default=None)
    shows = [(d.identifier, modified[d.identifier], cat.shown(d)) for d in datasets]
    headers = _validators(request, _etag("catalog", name, shows, _query_key(request)), latest, cat)
    headers.update(NEGOTIATED)
    if (cached := _not_modified(request, headers)) is not None:
        return cached
    async with request_sessionmaker(request)() as session:
        shown = [await covered(session, d) for d in shown]
    document = DcatDocument(cat)
    document.add_catalog(shown, modified, page, issued=min(first, default=None))
    return _rdf(document, name, headers)


async def dataset_document(request: Request, negotiated: str | None = None) -> Response:
    """The dataset's DCAT-AP description (``negotiated``: the serialisation its IRI's
    ``Accept`` chose; otherwise by extension or ``Accept``)."""
    name = negotiated or _serialisation(request)
    if isinstance(name, Response):
        return name
    cat, found = await _dataset(request)
    if isinstance(found, Response):
        return found
    dataset = found
    async with request_sessionmaker(request)() as session:
        modified = await _modified(session, dataset)
        dataset = await covered(session, dataset)
    headers = _validators(
        request,
        _etag(dataset.identifier, modified, "dcat", name, cat.shown(dataset)),
        modified,
        cat,
    )
    headers.update(NEGOTIATED)
    if (cached := _not_modified(request, headers)) is not None:
        return cached
    document = DcatDocument(cat)
    document.add_service([dataset])
    document.add_dataset(dataset, modified)
    return _rdf(document, name, headers)


async def distribution(request: Request) -> Response:
    """A distribution's IRI: the dataset's DCAT description (which describes it) for an RDF
    ``Accept``, otherwise JSON with its download and access URLs."""
    representation = negotiate_resource(request.headers.get("accept", ""))
    cat, found = await _dataset(request)
    if isinstance(found, Response):
        return found
    offered = [f for f in DISTRIBUTIONS if f != "geojson" or found.coordinates is not None]
    name = request.path_params["format"]
    if name not in offered:
        return error_response(
            404,
            "not_found",
            f"no distribution {name!r} of {found.identifier!r}: {', '.join(offered)}",
        )
    if representation in SERIALISATIONS:
        return await dataset_document(request, representation)
    iri = dataset_iri(_base_url(cat), found.identifier)
    file_type, media_type = DISTRIBUTIONS[name]
    body = {
        "iri": f"{iri}/distributions/{name}",
        "dataset": iri,
        "format": file_type,
        "mediaType": media_type,
        "downloadURL": f"{iri}/export.{name}",
        "accessURL": f"{iri}/records",
        "dcat": f"{iri}/dcat",
    }
    return JSONResponse(body, headers={**public_caching(request), **NEGOTIATED})


async def data_service(request: Request) -> Response:
    """The data service's IRI (its ``dcat:endpointURL``): its DCAT description for an RDF
    ``Accept``, otherwise JSON links to the catalogue, the datasets and the API's
    descriptions."""
    representation = negotiate_resource(request.headers.get("accept", ""))
    cat = _catalogue(request)
    base = _base_url(cat)
    if representation not in SERIALISATIONS:
        body = {
            "catalog": f"{base}{PREFIX}/catalog",
            "datasets": f"{base}{PREFIX}/datasets",
            "openapi": f"{base}/openapi.json",
            "graphql": f"{base}/graphql",
        }
        return JSONResponse(body, headers={**public_caching(request), **NEGOTIATED})
    async with request_sessionmaker(request)() as session:
        datasets = await published(session, cat)
        modified = {d.identifier: await _modified(session, d) for d in datasets}
    latest = max((m for m in modified.values() if m is not None), default=None)
    shows = [(d.identifier, cat.shown(d)) for d in datasets]
    headers = _validators(request, _etag("service", representation, shows), latest, cat)
    headers.update(NEGOTIATED)
    if (cached := _not_modified(request, headers)) is not None:
        return cached
    document = DcatDocument(cat)
    document.add_service(datasets)
    return _rdf(document, representation, headers)


def landing_page(summary: dict[str, Any]) -> str:
    """A small HTML page of a dataset for browsers: its titles, description and links."""
    title = summary["title"].get("fr") or next(iter(summary["title"].values()), "")
    description = summary["description"].get("fr", "")
    links = summary["links"]
    items = [
        ("Enregistrements (JSON)", links["records"]),
        ("DCAT-AP (Turtle)", f"{links['dcat']}.ttl"),
        ("Table Schema", links["schema"]),
        ("Qualité", links["quality"]),
        *((f"Export {name.upper()}", url) for name, url in sorted(links["exports"].items())),
    ]
    listed = "".join(
        f'<li><a href="{html.escape(url)}">{html.escape(label)}</a></li>' for label, url in items
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f'<link rel="alternate" type="text/turtle" href="{html.escape(links["dcat"])}.ttl">'
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(description)}</p>"
        f"<ul>{listed}</ul></body></html>"
    )


# -- routes and their OpenAPI descriptions ---------------------------------------------------


def _path_param(name: str, description: str, enum: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
IDENTIFIER = _path_param("identifier", "The dataset's identifier, e.g. `projects`.")
CONDITIONAL = [
    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}},
    {"name": "If-Modified-Since", "in": "header", "required": False, "schema": {"type": "string"}},
]
NOT_MODIFIED = {"description": "Not modified since the client's copy (ETag or date)."}
UNKNOWN = {"description": "No such dataset (404) or route.", "content": ERROR}
UNPUBLISHABLE = {
    "description": "The dataset's metadata does not conform to DCAT-AP; the message names "
    "the missing or invalid properties.",
    "content": ERROR,
}
#: What rdflib writes: expanded JSON-LD, one node object per subject, properties by full IRI.
JSON_LD_SCHEMA: dict[str, Any] = {
    "description": "JSON-LD 1.1 in expanded form (no `@context`): an array of node objects.",
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "@id": {"type": "string"},
            "@type": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": {"type": "array"},
    },
}
RDF_CONTENT = {
    media: {"schema": JSON_LD_SCHEMA if name == "jsonld" else {"type": "string"}}
    for name, (_, media, _) in SERIALISATIONS.items()
}
#: The export formats' bodies; the others are text or binary files.
EXPORT_SCHEMAS: dict[str, dict[str, Any]] = {
    "json": {"type": "array", "items": {"type": "object"}},
    "geojson": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": {"type": "object"}},
        },
    },
    "xlsx": {"type": "string", "format": "binary"},
    "parquet": {"type": "string", "format": "binary"},
}
FILTERS = {
    "name": "filters",
    "in": "query",
    "required": False,
    "description": "Field conditions, all of which must hold: `<field>=value` (equality), "
    "`__ne`, `__gt`, `__gte`, `__lt`, `__lte` (ranges), `__in=a,b,c` (any of the values), "
    "`__isnull=true|false`, and on text fields, accents and case ignored (`ecole` finds "
    "`École`): `__contains`, `__startswith`, `__endswith`, `__iexact`. Values are read in the "
    "field's type (ISO 8601 dates). **OR groups**: conditions whose names start with the same "
    "`or.<group>.` prefix hold when any of them does (`or.a.status=done&or.a.budget__gt=5000`); "
    "each group must hold, with the other conditions. At most "
    "`BOCAGE_OPENDATA_MAX_FILTERS` conditions (30), `BOCAGE_OPENDATA_MAX_FILTER_VALUES` values "
    "in a list (100), `BOCAGE_OPENDATA_MAX_SEARCH_CHARS` characters in a text value (200).",
    "style": "form",
    "explode": True,
    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
}
RECORD_PARAMS = [
    _query("fields", "Comma-separated fields to return (default: all)."),
    _query(
        "order",
        "Sort keys, comma-separated, `-` for descending: `order=-budget,title_fr` (nulls last "
        "either way; ties by the dataset's key). At most `BOCAGE_OPENDATA_MAX_ORDER_KEYS` (3). "
        "With `group_by`, the group's fields, `count` and the aggregates (`-sum:budget`).",
    ),
    _query(
        "q",
        "Full-text search over the text fields, accents and case ignored: every word, or "
        '`"quoted phrase"`, must appear in one of them (`q=ecole numerique`). At most '
        "`BOCAGE_OPENDATA_MAX_SEARCH_CHARS` characters (200) and "
        "`BOCAGE_OPENDATA_MAX_SEARCH_TERMS` words or phrases (10).",
    ),
    _query(
        "bbox",
        "Datasets with coordinates: the points in a box, `west,south,east,north` in degrees "
        "(WGS 84), e.g. `5.0,50.6,5.2,50.7`.",
    ),
    _query(
        "near",
        "Datasets with coordinates: the points within a distance of one, "
        "`longitude,latitude,metres`, e.g. `5.08,50.67,1500` (at most "
        "`BOCAGE_OPENDATA_MAX_DISTANCE_METRES`, 100 km).",
    ),
    FILTERS,
]
GROUP_PARAMS = [
    _query(
        "group_by",
        "Comma-separated fields: one item per group of records with the same values, with "
        "their `count` and the `aggregate`s (at most `BOCAGE_OPENDATA_MAX_GROUP_BY`, 3). "
        "Groups are paged by cursor like records, in the group's fields' order unless `order` "
        "says otherwise.",
    ),
    _query(
        "aggregate",
        "Comma-separated `sum:<field>`, `avg:<field>` (number fields), `min:<field>`, "
        "`max:<field>` (not booleans); each group (or, without `group_by`, the one group of "
        "every matching record) gives them under those names beside `count`. At most "
        "`BOCAGE_OPENDATA_MAX_AGGREGATES` (10).",
    ),
    _query(
        "facet",
        "Fields (comma-separated or repeated) whose most frequent values among the matching "
        "records are counted in `facets` (at most `BOCAGE_OPENDATA_MAX_FACETS`, 5).",
    ),
    _query(
        "facet_size",
        "Values per facet (default 10, at most `BOCAGE_OPENDATA_MAX_FACET_VALUES`, 100).",
        {"type": "integer", "minimum": 1},
    ),
]
FACETS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Per `facet` field: its most frequent values (count descending, then "
    "value), and whether more values exist.",
    "additionalProperties": {
        "type": "object",
        "required": ["values", "more"],
        "properties": {
            "values": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["value", "count"],
                    "properties": {"value": {}, "count": {"type": "integer"}},
                },
            },
            "more": {"type": "boolean"},
        },
    },
}
DATASET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["identifier", "title", "description", "theme", "licence", "links"],
    "properties": {
        "identifier": {"type": "string"},
        "iri": {"type": "string", "description": "Its IRI in DCAT (this URL)."},
        "spatial": {
            "type": "array",
            "items": {"type": "string"},
            "description": "`dct:spatial`: REFNIS IRIs of its communes, or Wallonia.",
        },
        "title": {"type": "object", "additionalProperties": {"type": "string"}},
        "description": {"type": "object", "additionalProperties": {"type": "string"}},
        "keywords": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "theme": {"type": "string", "description": "EU data theme code (e.g. GOVE)."},
        "licence": {"type": "string", "description": "EU licence code (e.g. CC_BY_4_0)."},
        "accessRights": {"type": "string"},
        "frequency": {"type": "string"},
        "publisher": {"type": "object"},
        "formats": {"type": "array", "items": {"type": "string"}},
        "links": {"type": "object"},
        "modified": {"type": ["string", "null"], "format": "date-time"},
        "records": {"type": "integer"},
        "schema": {"type": "object", "description": "A Frictionless Table Schema."},
    },
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(operation_id: str, summary: str, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "tags": ["opendata"],
            **extra,
        }
    }


OPENAPI: dict[str, dict[str, Any]] = {
    f"{PREFIX}/datasets": _operation(
        "opendataDatasets",
        "Search the open-data catalogue.",
        "Every published dataset, filtered by text and facets; `facets` counts the values of "
        "each facet among the results.",
        parameters=[
            _query("q", "Text searched in identifiers, titles, descriptions and keywords."),
            _query("theme", "EU data theme code (repeatable)."),
            _query("publisher", "Publisher's enterprise number (repeatable)."),
            _query("keyword", "Keyword in any language (repeatable)."),
            _query("format", "Export format (repeatable).", {"enum": sorted(FORMATS)}),
        ],
        responses={
            "200": _json(
                "The matching datasets and the facets.",
                {
                    "type": "object",
                    "required": ["count", "items", "facets"],
                    "properties": {
                        "count": {"type": "integer"},
                        "items": {"type": "array", "items": DATASET_SCHEMA},
                        "facets": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "object",
                                "additionalProperties": {"type": "integer"},
                            },
                        },
                    },
                },
            )
        },
    ),
    f"{PREFIX}/datasets/{{identifier}}": _operation(
        "opendataDataset",
        "A dataset's metadata and Table Schema (its IRI, negotiated).",
        "The dataset's IRI. By `Accept`: its DCAT-AP description (Turtle, RDF/XML, "
        "JSON-LD), an HTML page (`text/html`), or by default JSON: metadata, links to "
        "records, exports and DCAT, its number of records and its fields as a Frictionless "
        "Table Schema.",
        parameters=[IDENTIFIER, *CONDITIONAL],
        responses={
            "200": {
                "description": "The dataset.",
                "content": {
                    "application/json": {"schema": DATASET_SCHEMA},
                    "text/html": {"schema": {"type": "string"}},
                    **RDF_CONTENT,
                },
            },
            "304": NOT_MODIFIED,
            "404": UNKNOWN,
            "422": UNPUBLISHABLE,
        },
    ),
    f"{PREFIX}/datasets/{{identifier}}/records": _operation(
        "opendataRecords",
        "A page of a dataset's records, or of groups of them.",
        "Records filtered (field conditions, OR groups, full-text `q`, a box or a distance), "
        "ordered by several keys and paged by cursor (keyset: no offset limit, each row "
        "exactly once even while rows are added); or, with `group_by`/`aggregate`, groups "
        "with their count and aggregates, paged the same way; `facet` adds value counts. "
        'Follow `next` (also the `Link` header, `rel="next"`) until it is null. A parameter '
        "to fix, or beyond a bound, is a 400 naming it (a bound's also gives `limit` and "
        "`setting`).",
        parameters=[
            IDENTIFIER,
            *RECORD_PARAMS,
            *GROUP_PARAMS,
            _query("limit", "Records per page (1-1000).", {"type": "integer"}),
            _query("cursor", "`nextCursor` of the previous page."),
            _query(
                "count",
                "`true` to add the number of matching records (of groups, when grouped).",
                {"type": "boolean"},
            ),
            *CONDITIONAL,
        ],
        responses={
            "200": _json(
                "The page.",
                {
                    "type": "object",
                    "required": ["items", "nextCursor", "next"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "description": "Records (their `fields`), or groups: their "
                            "`group_by` fields, `count` and each aggregate by name "
                            "(`sum:budget`).",
                            "items": {"type": "object"},
                        },
                        "nextCursor": {"type": ["string", "null"]},
                        "next": {"type": ["string", "null"]},
                        "count": {
                            "type": "integer",
                            "description": "With `count=true`: matching records (or groups).",
                        },
                        "facets": FACETS_SCHEMA,
                    },
                },
            ),
            "304": NOT_MODIFIED,
            "400": {"description": "A parameter to fix (named in the message).", "content": ERROR},
            "404": UNKNOWN,
            "422": UNPUBLISHABLE,
        },
    ),
    f"{PREFIX}/datasets/{{identifier}}/export.{{format}}": _operation(
        "opendataExport",
        "Download a dataset (streamed).",
        "Every matching record as CSV (UTF-8; `dialect=excel-fr` for `;`, decimal commas "
        "and a BOM), JSON, NDJSON, XLSX, Parquet (typed, in row groups) or GeoJSON (datasets "
        "with coordinates: one point per record), streamed with constant memory; add `.gz` "
        "to the format for a gzip file. Takes the same `fields`, `order` and filters as the "
        "records. XLSX holds at most `BOCAGE_OPENDATA_XLSX_MAX_ROWS` records (an Excel sheet's "
        "rows): more is a 400 before the first byte.",
        parameters=[
            IDENTIFIER,
            _path_param(
                "format",
                "The file format.",
                [*sorted(FORMATS), *(f"{name}.gz" for name in sorted(FORMATS))],
            ),
            _query("dialect", "`excel-fr` for French Excel (CSV only).", {"enum": ["excel-fr"]}),
            *RECORD_PARAMS,
            *CONDITIONAL,
        ],
        responses={
            "200": {
                "description": "The file.",
                "content": {
                    **{
                        f.media_type: {"schema": EXPORT_SCHEMAS.get(name, {"type": "string"})}
                        for name, f in FORMATS.items()
                    },
                    "application/gzip": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "304": NOT_MODIFIED,
            "400": {"description": "A parameter to fix.", "content": ERROR},
            "404": UNKNOWN,
            "422": UNPUBLISHABLE,
        },
    ),
}
DCAT_EXTENSION = _path_param("ext", "The serialisation: ttl, rdf or jsonld.", sorted(BY_EXTENSION))
CATALOG_PARAMS = [
    _query(
        "after",
        "The page of datasets whose identifier follows this one (keyset paging: what "
        "`hydra:nextPage` links to; stable while datasets are published or withdrawn).",
    ),
    _query(
        "page",
        "Page of datasets by position (from 1), for old links: follow `hydra:nextPage` "
        "instead, positions shift when a dataset is withdrawn.",
        {"type": "integer"},
    ),
    _query(
        "modified_since",
        "Only datasets modified since this ISO 8601 date-time (incremental harvesting).",
        {"type": "string", "format": "date-time"},
    ),
]
UNKNOWN_EXTENSION = {"description": "No such serialisation.", "content": ERROR}
CATALOG_RESPONSES = {
    "200": {"description": "A DCAT-AP 3 document.", "content": RDF_CONTENT},
    "304": NOT_MODIFIED,
    "400": {"description": "A parameter to fix.", "content": ERROR},
    "406": {"description": "No RDF serialisation acceptable.", "content": ERROR},
}
for suffix, extra_params, operation_id in (
    ("", [], "opendataCatalog"),
    (".{ext}", [DCAT_EXTENSION], "opendataCatalogFile"),
):
    OPENAPI[f"{PREFIX}/catalog{suffix}"] = _operation(
        operation_id,
        "The DCAT-AP catalogue.",
        "The catalogue, its data service and a page of its datasets with their distributions, "
        "in Turtle, RDF/XML or JSON-LD (by `Accept` or by extension), paged with Hydra.",
        parameters=[*extra_params, *CATALOG_PARAMS, *CONDITIONAL],
        responses={**CATALOG_RESPONSES, **({"404": UNKNOWN_EXTENSION} if extra_params else {})},
    )
for suffix, extra_params, operation_id in (
    ("", [], "opendataDatasetDcat"),
    (".{ext}", [DCAT_EXTENSION], "opendataDatasetDcatFile"),
):
    OPENAPI[f"{PREFIX}/datasets/{{identifier}}/dcat{suffix}"] = _operation(
        operation_id,
        "A dataset's DCAT-AP description.",
        "The dataset, its distributions and the data service, in Turtle, RDF/XML or JSON-LD "
        "(by `Accept` or by extension).",
        parameters=[IDENTIFIER, *extra_params, *CONDITIONAL],
        responses={**CATALOG_RESPONSES, "404": UNKNOWN, "422": UNPUBLISHABLE},
    )

ROUTES: list[tuple[str, str, Any]] = [
    ("opendata-datasets", f"{PREFIX}/datasets", list_datasets),
    ("opendata-dataset", f"{PREFIX}/datasets/{{identifier}}", dataset_metadata),
    ("opendata-records", f"{PREFIX}/datasets/{{identifier}}/records", dataset_records),
    ("opendata-export", f"{PREFIX}/datasets/{{identifier}}/export.{{format}}", dataset_export),
    ("opendata-dataset-dcat", f"{PREFIX}/datasets/{{identifier}}/dcat", dataset_document),
    (
        "opendata-dataset-dcat-file",
        f"{PREFIX}/datasets/{{identifier}}/dcat.{{ext}}",
        dataset_document,
    ),
    ("opendata-catalog", f"{PREFIX}/catalog", catalog_document),
    ("opendata-catalog-file", f"{PREFIX}/catalog.{{ext}}", catalog_document),
]


OPENAPI[f"{PREFIX}/datasets/{{identifier}}/schema.json"] = _operation(
    "opendataTableSchema",
    "A dataset's Frictionless Table Schema.",
    "Its fields, types, descriptions and constraints: what every distribution conforms to "
    "(`dct:conformsTo`).",
    parameters=[IDENTIFIER],
    responses={
        "200": {
            "description": "The Table Schema.",
            "content": {"application/schema+json": {"schema": {"type": "object"}}},
        },
        "404": UNKNOWN,
        "422": UNPUBLISHABLE,
    },
)
ROUTES.append(("opendata-schema", f"{PREFIX}/datasets/{{identifier}}/schema.json", dataset_schema))
# Public answers with no ETag of their own: HttpCaching gives them one and answers 304.
for _path in (f"{PREFIX}/datasets", f"{PREFIX}/datasets/{{identifier}}/schema.json"):
    OPENAPI[_path] = conditional_get(OPENAPI[_path])
OPENAPI[f"{PREFIX}/datasets/{{identifier}}/quality"] = _operation(
    "opendataQuality",
    "A dataset's quality report.",
    "Completeness (share of recommended properties, translations and field descriptions "
    "present), the missing ones by name, the SHACL violations and warnings of its DCAT-AP "
    "document (against the built-in DCAT-AP shapes, or `BOCAGE_OPENDATA_SHAPES_DIR`) and "
    "its freshness against the "
    "update frequency it declares.",
    parameters=[IDENTIFIER, *CONDITIONAL],
    responses={
        "200": _json(
            "The report.",
            {
                "type": "object",
                "required": ["identifier", "completeness", "missingRecommended", "shacl"],
                "properties": {
                    "identifier": {"type": "string"},
                    "completeness": {"type": "number", "minimum": 0, "maximum": 1},
                    "missingRecommended": {"type": "array", "items": {"type": "string"}},
                    "missingTranslations": {"type": "object"},
                    "fieldsWithoutDescription": {"type": "array", "items": {"type": "string"}},
                    "shacl": {"type": "object"},
                    "freshness": {"type": "object"},
                },
            },
        ),
        "304": NOT_MODIFIED,
        "404": UNKNOWN,
        "422": UNPUBLISHABLE,
    },
)
ROUTES.append(("opendata-quality", f"{PREFIX}/datasets/{{identifier}}/quality", dataset_quality))
# The JSON answer has no ETag of its own: HttpCaching gives it one and answers 304.
OPENAPI[f"{PREFIX}/datasets/{{identifier}}/distributions/{{format}}"] = conditional_get(
    _operation(
        "opendataDistribution",
        "A distribution's IRI.",
        "What the dataset's `dcat:distribution` IRIs answer: by `Accept`, the dataset's "
        "DCAT-AP description (which describes the distribution), or JSON with its download "
        "and access URLs.",
        parameters=[
            IDENTIFIER,
            _path_param("format", "The distribution's format.", sorted(DISTRIBUTIONS)),
        ],
        responses={
            "200": {
                "description": "The distribution.",
                "content": {"application/json": {"schema": {"type": "object"}}, **RDF_CONTENT},
            },
            "404": UNKNOWN,
            "422": UNPUBLISHABLE,
        },
    )
)
ROUTES.append(
    (
        "opendata-distribution",
        f"{PREFIX}/datasets/{{identifier}}/distributions/{{format}}",
        distribution,
    )
)
OPENAPI[PREFIX] = _operation(
    "opendataService",
    "The open-data API (the DCAT data service).",
    "The data service's IRI and `dcat:endpointURL`: by `Accept`, its DCAT-AP description, "
    "or JSON links to the catalogue, the datasets, the OpenAPI document and GraphQL.",
    parameters=CONDITIONAL,
    responses={
        "200": {
            "description": "The data service.",
            "content": {"application/json": {"schema": {"type": "object"}}, **RDF_CONTENT},
        },
        "304": NOT_MODIFIED,
    },
)
ROUTES.append(("opendata-service", PREFIX, data_service))


def routes() -> list[tuple[str, Route, dict[str, dict[str, Any]]]]:
    """Every route with its OpenAPI path item (given once per path)."""
    from bocage.plugins.opendata import upload_routes

    documented = {**OPENAPI, **upload_routes.OPENAPI}
    table = [(name, path, handler, ["GET"]) for name, path, handler in ROUTES]
    table += upload_routes.UPLOAD_ROUTES
    found = []
    seen: set[str] = set()
    for name, path, handler, methods in table:
        documented_path = re.sub(r":\w+}", "}", path)
        item = {} if documented_path in seen else {documented_path: documented[documented_path]}
        seen.add(documented_path)
        found.append((name, Route(path, handler, methods=methods, name=name), item))
    return found
