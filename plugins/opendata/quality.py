"""A dataset's quality report: SHACL violations and warnings of its DCAT-AP document (against
the built-in DCAT-AP shapes, or ``BOCAGE_OPENDATA_SHAPES_DIR``), the recommended properties
and translations it lacks, whether it is stale against the update frequency it declares, and
the settings still at a placeholder default (publisher, contact, base URL) its document shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rdflib.namespace import DCAT, DCTERMS

from bocage.core.api import LANGUAGES, Dataset, Frequency, utcnow
from bocage.plugins.opendata.dcat import DcatDocument
from bocage.plugins.opendata.registry import Catalogue
from bocage.plugins.opendata.validation import curie, shacl_results, shapes_dir

#: How old the data may be for each declared frequency, with a little slack.
MAX_AGE = {
    Frequency.DAILY: dt.timedelta(days=2),
    Frequency.WEEKLY: dt.timedelta(days=8),
    Frequency.MONTHLY: dt.timedelta(days=32),
    Frequency.QUARTERLY: dt.timedelta(days=95),
    Frequency.ANNUAL: dt.timedelta(days=370),
}
#: Recommended dataset properties (DCAT-AP 3, Belgian profile) checked one by one.
RECOMMENDED = {
    "dct:issued": DCTERMS.issued,
    "dct:modified": DCTERMS.modified,
    "dct:temporal": DCTERMS.temporal,
    "dcat:keyword": DCAT.keyword,
    "dcat:contactPoint": DCAT.contactPoint,
    "dct:spatial": DCTERMS.spatial,
    "dct:accrualPeriodicity": DCTERMS.accrualPeriodicity,
}


def report(
    catalogue: Catalogue,
    dataset: Dataset,
    modified: dt.datetime | None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    document = DcatDocument(catalogue)
    document.add_service([dataset])
    iri = document.add_dataset(dataset, modified)
    graph = document.graph
    missing = [
        name for name, predicate in RECOMMENDED.items() if (iri, predicate, None) not in graph
    ]
    translations = {
        what: [lang for lang in LANGUAGES if not texts.get(lang)]
        for what, texts in (("title", dataset.title), ("description", dataset.description))
    }
    missing_fields = [f.name for f in dataset.fields if not f.description]
    found = shacl_results(graph, shapes_dir(catalogue))
    shacl = {
        "checked": True,
        "violations": [_result(graph, r) for r in found if r[0] == "Violation"],
        "warnings": [_result(graph, r) for r in found if r[0] == "Warning"],
    }
    now = now or utcnow()
    limit = MAX_AGE.get(dataset.frequency)
    stale = None
    if limit is not None and modified is not None:
        stale = now - modified > limit
    checks = len(RECOMMENDED) + 2 * len(LANGUAGES) + len(dataset.fields)
    gaps = len(missing) + sum(len(v) for v in translations.values()) + len(missing_fields)
    return {
        "identifier": dataset.identifier,
        "completeness": round(1 - gaps / checks, 3),
        "missingRecommended": missing,
        "missingTranslations": translations,
        "fieldsWithoutDescription": missing_fields,
        "shacl": shacl,
        # Placeholders conform to the shapes but name no real publisher: said here too.
        "placeholderSettings": catalogue.settings.placeholders(),
        "freshness": {
            "frequency": dataset.frequency.value,
            "modified": modified.astimezone(dt.UTC).isoformat() if modified else None,
            "maxAgeDays": limit.days if limit else None,
            "stale": stale,
        },
    }


def _result(graph: Any, result: tuple[str, str, str, str]) -> dict[str, str]:
    _, focus, path, message = result
    return {"focus": focus, "property": curie(graph, path), "message": message}
