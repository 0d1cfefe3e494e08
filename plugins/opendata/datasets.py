"""The open-data plugin's view of datasets: the labels of their vocabularies in DCAT documents
and when a dataset was first issued.

The dataset types themselves (:class:`Dataset`, :class:`DatasetField`...) are the core's
contract (``bocage.core.api``), so that a plugin contributing datasets imports no other plugin;
they are re-exported here for the open-data plugin's own modules and for plugins written
against the old path ``bocage.plugins.opendata.datasets`` (import them from ``bocage.core.api``).
"""

from __future__ import annotations

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
