"""Searching the catalogue with facets, shared by the REST list and GraphQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bocage.core.api import Dataset
from bocage.plugins.opendata.exports import formats_of
from bocage.plugins.opendata.folding import fold_text, terms
from bocage.plugins.opendata.registry import Catalogue
from bocage.plugins.opendata.uploads import load_datasets

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

FACETS = ("theme", "publisher", "keyword", "format")


def keywords(dataset: Dataset) -> Iterable[str]:
    for words in dataset.keywords.values():
        yield from words


@dataclass
class Criteria:
    """Text (identifier, titles, descriptions, keywords; every word or "quoted phrase" of it,
    accents and case ignored) and facet values: within a facet any value matches, across
    facets all must."""

    text: str = ""
    theme: Sequence[str] = ()
    publisher: Sequence[str] = ()
    keyword: Sequence[str] = ()
    format: Sequence[str] = ()


@dataclass
class Found:
    datasets: list[Dataset]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def values(cat: Catalogue, dataset: Dataset) -> dict[str, list[str]]:
    return {
        "theme": [dataset.theme.value],
        "publisher": [cat.publisher_of(dataset).enterprise_number],
        "keyword": sorted(set(keywords(dataset))),
        "format": sorted(formats_of(dataset)),
    }


def search(cat: Catalogue, datasets: Iterable[Dataset], criteria: Criteria) -> Found:
    words = terms(criteria.text)
    selected = []
    for dataset in datasets:
        haystack = fold_text(
            " ".join(
                [dataset.identifier, *dataset.title.values(), *dataset.description.values()]
                + list(keywords(dataset))
            )
        )
        if any(word not in (haystack or "") for word in words):
            continue
        own = values(cat, dataset)
        if any(
            wanted and not set(wanted) & set(own[facet])
            for facet, wanted in (
                ("theme", criteria.theme),
                ("publisher", criteria.publisher),
                ("keyword", criteria.keyword),
                ("format", criteria.format),
            )
        ):
            continue
        selected.append(dataset)
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for dataset in selected:
        for facet, items in values(cat, dataset).items():
            for item in items:
                facets[facet][item] = facets[facet].get(item, 0) + 1
    return Found(selected, facets)


async def published(session: AsyncSession, cat: Catalogue) -> list[Dataset]:
    """Every published dataset, contributed and uploaded, by identifier."""
    uploaded = [d for _, d in await load_datasets(session) if d is not None]
    return sorted([*cat.datasets.values(), *uploaded], key=lambda d: d.identifier)
