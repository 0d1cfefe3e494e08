"""The catalogue through GraphQL: ``opendataDatasets`` lists the published datasets with their
metadata and fields; records and exports are the REST routes it links to."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from bocage.core.api import cost, translated
from bocage.plugins.opendata.datasets import Dataset
from bocage.plugins.opendata.registry import catalogue


@strawberry.type(description="A field (column) of an open dataset.")
class OpendataField:
    name: str
    type: str = strawberry.field(description="Frictionless Table Schema type.")
    description: str | None


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
    fields: list[OpendataField]
    records_path: str = strawberry.field(description="The REST route of its records.")
    title, title_translations = translated("title", "The dataset's title.", required=True)
    description, description_translations = translated("description", "What it holds.")

    @classmethod
    def of(cls, dataset: Dataset, publisher: str) -> OpendataDataset:
        return cls(
            row=dataset,
            identifier=dataset.identifier,
            theme=dataset.theme.value,
            licence=dataset.licence.value,
            access_rights=dataset.access_rights.value,
            frequency=dataset.frequency.value,
            publisher_enterprise_number=publisher,
            keywords=[word for words in dataset.keywords.values() for word in words],
            fields=[
                OpendataField(name=f.name, type=f.type.value, description=f.description.get("fr"))
                for f in dataset.fields
            ],
            records_path=f"/api/opendata/datasets/{dataset.identifier}/records",
        )


@strawberry.type
class OpendataQuery:
    @strawberry.field(
        description="The published open datasets, optionally of one EU theme or matching a "
        "text (identifier, titles, descriptions, keywords).",
        metadata=cost(0, items=10),
    )
    def opendata_datasets(
        self, info: Info[Any, Any], theme: str | None = None, search: str | None = None
    ) -> list[OpendataDataset]:
        cat = catalogue(info.context.host)
        found = []
        for dataset in sorted(cat.datasets.values(), key=lambda d: d.identifier):
            if theme and dataset.theme.value != theme:
                continue
            text = " ".join(
                [dataset.identifier, *dataset.title.values(), *dataset.description.values()]
                + [w for words in dataset.keywords.values() for w in words]
            ).lower()
            if search and search.lower() not in text:
                continue
            publisher = cat.publisher_of(dataset).enterprise_number
            found.append(OpendataDataset.of(dataset, publisher))
        return found
