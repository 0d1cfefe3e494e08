"""The catalogue through GraphQL: ``opendataCatalog`` searches the published datasets (the
core's, the plugins' and the communes' uploads) with facets; ``opendataDatasets`` lists them.
Records and exports are the REST routes each dataset links to."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bocage.core.api import (
    BoundingBoxInput,
    Dataset,
    NearInput,
    NodesLanguage,
    cost,
    remember_language,
    translated,
)
from bocage.plugins.opendata.compiled import catalogue_rows, placed
from bocage.plugins.opendata.datasets import covered, first_issued
from bocage.plugins.opendata.dcat import dataset_iri
from bocage.plugins.opendata.exports import FORMATS, formats_of
from bocage.plugins.opendata.registry import Catalogue, catalogue
from bocage.plugins.opendata.search import Criteria, published, search

PREFIX = "/api/opendata/datasets"
WITHIN = (
    "Datasets whose place (the area or point an upload's `location` gives, a plugin's "
    "geometry) meets this box; datasets without one never match."
)
NEAR = (
    "Datasets whose place is within a distance of a point (an area: of its bounding box; at "
    "most BOCAGE_PLACES_MAX_DISTANCE_METRES)."
)


@strawberry.type(description="A field (column) of an open dataset.")
class OpendataField:
    name: str
    type: str = strawberry.field(description="Frictionless Table Schema type.")
    description: str | None


@strawberry.type(description="An immutable file of a version of an uploaded dataset.")
class OpendataVersion:
    version: int
    format: str
    path: str = strawberry.field(description="Its URL path; it names the SHA-256.")
    sha256: str
    byte_size: int
    issued: str = strawberry.field(description="When it was uploaded (ISO 8601).")


@strawberry.type(description="A download of an open dataset in one format.")
class OpendataDownload:
    format: str = strawberry.field(description="The export format, e.g. csv, parquet.")
    media_type: str
    url: str = strawberry.field(description="Its absolute URL (`.gz` after it: compressed).")


@strawberry.type(description="A dataset of the open-data catalogue (DCAT-AP).")
class OpendataDataset:
    row: strawberry.Private[Dataset]
    identifier: str
    theme: str = strawberry.field(description="EU data theme code, e.g. GOVE.")
    licence: str = strawberry.field(description="EU licence code, e.g. CC_BY_4_0.")
    access_rights: str
    frequency: str = strawberry.field(description="EU update frequency code.")
    publisher_enterprise_number: str
    keywords: list[str] = strawberry.field(description="Keywords in every language.")
    formats: list[str] = strawberry.field(description="Export formats offered.")
    fields: list[OpendataField]
    temporal_start: str | None = strawberry.field(description="Start of the period covered.")
    temporal_end: str | None = strawberry.field(description="End of the period covered.")
    versions: list[OpendataVersion] = strawberry.field(
        description="Files of the versions of an uploaded dataset, oldest first."
    )
    records_path: str = strawberry.field(description="The REST route of its records.")
    schema_path: str = strawberry.field(description="Its Frictionless Table Schema.")
    quality_path: str = strawberry.field(description="Its quality report.")
    iri: str = strawberry.field(
        description="Its stable IRI, also the URL of its description (RDF by content "
        "negotiation, JSON otherwise); built from BOCAGE_OPENDATA_BASE_URL."
    )
    records_url: str = strawberry.field(description="The absolute URL of its records.")
    schema_url: str = strawberry.field(description="The absolute URL of its Table Schema.")
    downloads: list[OpendataDownload] = strawberry.field(
        description="Its exports, one absolute URL per format."
    )
    title, title_translations = translated("title", "The dataset's title.", required=True)
    description, description_translations = translated("description", "What it holds.")

    @strawberry.field(description="First published (ISO 8601).", metadata=cost(1))
    async def issued(self, info: Info[Any, Any]) -> str | None:
        first = await first_issued(info.context, self.row)
        return first.isoformat() if first else None

    @classmethod
    def of(cls, dataset: Dataset, publisher: str, public_base: str) -> OpendataDataset:
        start, end = dataset.temporal or (None, None)
        base = f"{PREFIX}/{dataset.identifier}"
        iri = dataset_iri(public_base, dataset.identifier)
        return cls(
            row=dataset,
            identifier=dataset.identifier,
            theme=dataset.theme.value,
            licence=dataset.licence.value,
            access_rights=dataset.access_rights.value,
            frequency=dataset.frequency.value,
            publisher_enterprise_number=publisher,
            keywords=[word for words in dataset.keywords.values() for word in words],
            formats=formats_of(dataset),
            fields=[
                OpendataField(name=f.name, type=f.type.value, description=f.description.get("fr"))
                for f in dataset.fields
            ],
            temporal_start=start.isoformat() if start else None,
            temporal_end=end.isoformat() if end else None,
            versions=[
                OpendataVersion(
                    version=s.version,
                    format=s.file_format,
                    path=s.path,
                    sha256=s.sha256,
                    byte_size=s.byte_size,
                    issued=s.issued.isoformat(),
                )
                for s in dataset.snapshots
            ],
            records_path=f"{base}/records",
            schema_path=f"{base}/schema.json",
            quality_path=f"{base}/quality",
            iri=iri,
            records_url=f"{iri}/records",
            schema_url=f"{iri}/schema.json",
            downloads=[
                OpendataDownload(
                    format=name, media_type=FORMATS[name].media_type, url=f"{iri}/export.{name}"
                )
                for name in formats_of(dataset)
            ],
        )


@strawberry.type(description="A value of a facet and how many datasets found have it.")
class OpendataFacetValue:
    value: str
    count: int


@strawberry.type(description="A facet of a catalogue search: theme, publisher, keyword, format.")
class OpendataFacet:
    name: str
    values: list[OpendataFacetValue]


@strawberry.type(description="The datasets a catalogue search found, and its facets.")
class OpendataSearchResult:
    count: int
    datasets: list[OpendataDataset]
    facets: list[OpendataFacet]


@strawberry.input(
    description="Facet values to keep (any value within a facet, all facets), and a place."
)
class OpendataFilter:
    themes: list[str] = strawberry.field(default_factory=list)
    publishers: list[str] = strawberry.field(
        default_factory=list, description="Enterprise numbers."
    )
    keywords: list[str] = strawberry.field(default_factory=list)
    formats: list[str] = strawberry.field(default_factory=list)
    within: BoundingBoxInput | None = strawberry.field(default=None, description=WITHIN)
    near: NearInput | None = strawberry.field(default=None, description=NEAR)


async def _found(
    info: Info[Any, Any], criteria: Criteria, within: Any = None, near: Any = None
) -> tuple[Catalogue, Any]:
    context = info.context
    cat = catalogue(context.host)
    async with context.sessionmaker() as session:
        every = await published(session, cat)
        if within is not None or near is not None:
            # The compiled path's conditions on the same rows: both paths keep the same.
            rows = catalogue_rows(context)
            kept = select(rows.c.identifier).where(*placed(context, rows, within, near))
            identifiers = set((await session.execute(kept)).scalars())
            every = [d for d in every if d.identifier in identifiers]
        # The same period and issue date as the REST list, each dataset's page and its DCAT.
        every = [await covered(session, d) for d in every]
    return cat, search(cat, every, criteria)


def _node(cat: Catalogue, dataset: Dataset) -> OpendataDataset:
    return OpendataDataset.of(
        dataset, cat.publisher_of(dataset).enterprise_number, cat.settings.public_base
    )


@strawberry.type
class OpendataQuery:
    @strawberry.field(
        description="The published open datasets, optionally of one EU theme, matching a "
        "text (identifier, titles, descriptions, keywords), or placed in a box or near a point.",
        metadata=cost(1, items=10),
    )
    async def opendata_datasets(
        self,
        info: Info[Any, Any],
        theme: str | None = None,
        search: str | None = None,
        lang: NodesLanguage = None,
        within: Annotated[BoundingBoxInput | None, strawberry.argument(description=WITHIN)] = None,
        near: Annotated[NearInput | None, strawberry.argument(description=NEAR)] = None,
    ) -> list[OpendataDataset]:
        remember_language(info, lang)
        criteria = Criteria(text=search or "", theme=[theme] if theme else [])
        cat, found = await _found(info, criteria, within, near)
        return [_node(cat, d) for d in found.datasets]

    @strawberry.field(
        description="Search the open-data catalogue: text and facet filters, with the count "
        "of each facet value among the results (theme, publisher, keyword, format).",
        metadata=cost(1, items=10),
    )
    async def opendata_catalog(
        self,
        info: Info[Any, Any],
        search: str | None = None,
        filter: OpendataFilter | None = None,  # noqa: A002 - the API's word
        lang: NodesLanguage = None,
    ) -> OpendataSearchResult:
        remember_language(info, lang)
        wanted = filter or OpendataFilter()
        cat, found = await _found(
            info,
            Criteria(
                text=search or "",
                theme=wanted.themes,
                publisher=wanted.publishers,
                keyword=wanted.keywords,
                format=wanted.formats,
            ),
            wanted.within,
            wanted.near,
        )
        return OpendataSearchResult(
            count=len(found.datasets),
            datasets=[_node(cat, d) for d in found.datasets],
            facets=[
                OpendataFacet(
                    name=name,
                    values=[
                        OpendataFacetValue(value=value, count=count)
                        for value, count in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
                    ],
                )
                for name, counts in found.facets.items()
            ],
        )
