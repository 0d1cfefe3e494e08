"""The catalogue: every dataset the core and the plugins contribute, checked once per host."""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bocage.core.api import PluginError
from bocage.plugins.opendata import hookspecs
from bocage.plugins.opendata.core_datasets import core_datasets
from bocage.plugins.opendata.datasets import Dataset, Publisher

if TYPE_CHECKING:
    from bocage.plugins.opendata.settings import OpendataSettings

logger = logging.getLogger("bocage.opendata")

PLUGIN = "opendata"


@dataclass
class Catalogue:
    """Published datasets by identifier, and those whose metadata keeps them unpublished."""

    settings: OpendataSettings
    datasets: dict[str, Dataset] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, list[str]] = field(default_factory=dict)

    @property
    def publisher(self) -> Publisher:
        return Publisher(
            name={"fr": self.settings.publisher_name},
            enterprise_number=self.settings.publisher_enterprise_number,
        )

    def publisher_of(self, dataset: Dataset) -> Publisher:
        return dataset.publisher or self.publisher


_catalogues: weakref.WeakKeyDictionary[Any, Catalogue] = weakref.WeakKeyDictionary()


def add_hookspecs(pm: Any) -> None:
    """Declare ``bocage_datasets`` on the host's manager (once); validates the implementations."""
    caller = getattr(pm.hook, "bocage_datasets", None)
    if caller is None or caller.spec is None:
        pm.add_hookspecs(hookspecs)


def catalogue(host: Any) -> Catalogue:
    """The host's catalogue: the core's datasets (built here from its contract) and those of
    ``bocage_datasets``, collected at startup (``bocage_startup_check``).

    Two plugins publishing the same identifier stop it with a :class:`PluginError`; a dataset
    whose metadata would not conform to DCAT-AP is left out and its problems kept in
    ``rejected`` (the API reports them).
    """
    found = _catalogues.get(host)
    if found is not None:
        return found
    add_hookspecs(host.pm)
    result = Catalogue(settings=host.plugin_settings(PLUGIN))
    contributed = [("core", d) for d in core_datasets()]
    contributed += list(host.contributions("bocage_datasets"))
    for plugin, dataset in contributed:
        if not isinstance(dataset, Dataset):
            raise PluginError(f"plugin {plugin!r}: bocage_datasets must return Dataset items")
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
