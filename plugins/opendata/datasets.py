"""The open-data plugin's view of datasets: the labels of their vocabularies in DCAT documents
and when a dataset was first issued.

The dataset types themselves (:class:`Dataset`, :class:`DatasetField`...) are the core's
contract (``bocage.core.api``), so that a plugin contributing datasets imports no other plugin;
they are re-exported here for the open-data plugin's own modules and for plugins written
against the old path ``bocage.plugins.opendata.datasets`` (import them from ``bocage.core.api``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bocage.core.api import DATASET_IDENTIFIER as IDENTIFIER
from bocage.core.api import (
    LANGUAGES,
    AccessRights,
    Dataset,
    DatasetField,
    FieldType,
    Frequency,
    Licence,
    Publisher,
    Snapshot,
    Theme,
)

__all__ = [
    "IDENTIFIER",
    "LANGUAGES",
    "LICENCE_LABELS",
    "THEME_LABELS",
    "AccessRights",
    "Dataset",
    "DatasetField",
    "FieldType",
    "Frequency",
    "Licence",
    "Publisher",
    "Snapshot",
    "Theme",
    "covered",
    "first_issued",
]

THEME_LABELS = {
    Theme.AGRI: "Agriculture, fisheries, forestry and food",
    Theme.ECON: "Economy and finance",
    Theme.EDUC: "Education, culture and sport",
    Theme.ENER: "Energy",
    Theme.ENVI: "Environment",
    Theme.GOVE: "Government and public sector",
    Theme.HEAL: "Health",
    Theme.INTR: "International issues",
    Theme.JUST: "Justice, legal system and public safety",
    Theme.REGI: "Regions and cities",
    Theme.SOCI: "Population and society",
    Theme.TECH: "Science and technology",
    Theme.TRAN: "Transport",
}

LICENCE_LABELS = {
    Licence.CC_BY_4_0: ("Creative Commons Attribution 4.0 International", "Attribution"),
    Licence.CC0: ("Creative Commons CC0 1.0 Universal", "PublicDomain"),
    Licence.CC_BYSA_4_0: ("Creative Commons Attribution-ShareAlike 4.0", "Attribution"),
}


async def first_issued(executor: Any, dataset: Dataset) -> dt.datetime | None:
    """``dataset.issued``, else what its ``issued_query`` reads through ``executor`` (a
    session or a GraphQL context): a datetime, or a date taken as midnight UTC."""
    if dataset.issued is not None or dataset.issued_query is None:
        return dataset.issued
    first = (await executor.execute(dataset.issued_query)).scalar()
    if isinstance(first, dt.date) and not isinstance(first, dt.datetime):
        first = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    if not isinstance(first, dt.datetime):
        return None
    return first if first.tzinfo else first.replace(tzinfo=dt.UTC)


async def covered(executor: Any, dataset: Dataset) -> Dataset:
    """``dataset`` with ``temporal`` read from its ``coverage`` query and ``issued`` from its
    ``issued_query``, for those it has: what every answer that shows them gives (the list,
    the dataset, its DCAT, GraphQL), so that they never disagree."""
    issued = await first_issued(executor, dataset)
    if issued != dataset.issued:
        dataset = dataclasses.replace(dataset, issued=issued)
    if dataset.coverage is None:
        return dataset
    row = (await executor.execute(dataset.coverage)).one_or_none()
    start, end = (_day(row[0]), _day(row[1])) if row is not None else (None, None)
    if start is None and end is None:
        return dataset
    return dataclasses.replace(dataset, temporal=(start, end))


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None
