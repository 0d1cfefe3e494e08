"""The demo plugin's hook implementation (registered under the ``bocage`` entry points)."""

from __future__ import annotations

from bocage.core.api import Seeder, hookimpl

#: The versions of the plugin contract this plugin supports (docs/compatibility.md).
BOCAGE_REQUIRES = ">=1.0,<2"


# tryfirst: the other plugins' demo data refers to this territory, its communes and projects.
@hookimpl(tryfirst=True)
def bocage_seed() -> Seeder:
    from bocage.plugins.demo.seeder import seed_demo

    return seed_demo
