"""The catalogue: every dataset the core and the plugins contribute, checked once per host."""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bocage.core.api import Dataset, Host, PluginError, Publisher, utcnow
from bocage.plugins.opendata.core_datasets import core_datasets

if TYPE_CHECKING:
    from bocage.plugins.opendata.settings import OpendataSettings

logger = logging.getLogger("bocage.opendata")


@dataclass
class Catalogue:
    """Published datasets by identifier, and those whose metadata keeps them unpublished."""

    settings: OpendataSettings
    datasets: dict[str, Dataset] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, list[str]] = field(default_factory=dict)
    #: When these settings took effect (the process started): documents that show the
    #: publisher, contact or base URL are not older than this (``Last-Modified``).
    configured_at: dt.datetime = field(default_factory=lambda: utcnow().replace(microsecond=0))

    @property
    def publisher(self) -> Publisher:
        return Publisher(
            name={"fr": self.settings.publisher_name},
            enterprise_number=self.settings.publisher_enterprise_number,
        )

    def publisher_of(self, dataset: Dataset) -> Publisher:
        return dataset.publisher or self.publisher

    def shown(self, dataset: Dataset) -> tuple[object, ...]:
        """What of the settings and the dataset's publisher its documents show beyond its
        data: part of their ETags, so that a new publisher or contact is never a ``304``."""
        publisher = self.publisher_of(dataset)
        return (
            self.settings.fingerprint(),
            sorted(publisher.name.items()),
            publisher.enterprise_number,
            dataset.spatial,
        )


_catalogues: weakref.WeakKeyDictionary[Host, Catalogue] = weakref.WeakKeyDictionary()


def catalogue(host: Host) -> Catalogue:
    """The host's catalogue: the core's datasets (built here from its contract) and those of
    ``bocage_datasets``, collected at startup (``bocage_startup_check``).

    Two plugins publishing the same identifier stop it with a :class:`PluginError`; a dataset
    whose metadata would not conform to DCAT-AP is left out and its problems kept in
    ``rejected`` (the API reports them).
    """
    found = _catalogues.get(host)
    if found is not None:
        return found
    from bocage.plugins.opendata.settings import opendata_settings

    result = Catalogue(settings=opendata_settings(host))
    contributed = [("core", d) for d in core_datasets(host.media_owners().values())]
    contributed += host.datasets()  # checks each is a Dataset
    for plugin, dataset in contributed:
        if dataset.identifier in result.owners:
            raise PluginError(
                f"dataset {dataset.identifier!r} is published by both "
                f"{result.owners[dataset.identifier]!r} and {plugin!r}; rename one of them, "
                "or disable one plugin with BOCAGE_DISABLED_PLUGINS"
            )
        result.owners[dataset.identifier] = plugin
        problems = dataset.problems()
        if problems:
            logger.warning(
                "dataset %r of %r is not published: %s", dataset.identifier, plugin, problems
            )
            result.rejected[dataset.identifier] = problems
        else:
            result.datasets[dataset.identifier] = dataset
    _catalogues[host] = result
    return result
