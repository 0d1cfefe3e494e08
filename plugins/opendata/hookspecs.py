"""The hook the open-data plugin declares for the core and other plugins.

It is added to the host's plugin manager at startup (the plugin's ``bocage_hookspecs``).
Implementations are marked ``@hookimpl(optionalhook=True)``: with the open-data plugin
disabled, the host knows the hook (it reads a disabled plugin's specs) and simply never calls
them; a misspelled name is refused at startup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from bocage.plugins.opendata.datasets import Dataset

#: The project's marker (``bocage``), built here so that this module imports nothing private.
hookspec = pluggy.HookspecMarker("bocage")


@hookspec
def bocage_datasets() -> Sequence[Dataset]:
    """Return the datasets the plugin publishes in the open-data catalogue.

    Called once per application when the catalogue is first needed. Each
    :class:`~bocage.plugins.opendata.datasets.Dataset` is a SQLAlchemy ``select`` whose labelled
    columns are the dataset's fields, plus its DCAT-AP metadata; it is re-run on every request,
    so it stays current with the data. Identifiers must be unique across plugins. Mark the
    implementation ``@hookimpl(optionalhook=True)`` so that it is ignored when the open-data
    plugin is not installed.
    """
    return ()
