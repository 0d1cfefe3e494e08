"""The demo plugin's hook implementation (registered under the ``bocage`` entry points)."""

from __future__ import annotations

from bocage.core.api import Seeder, hookimpl


# tryfirst: the other plugins' demo data refers to this territory, its communes and projects.
@hookimpl(tryfirst=True)
def bocage_seed() -> Seeder:
    from bocage.plugins.demo.seeder import seed_demo

    return seed_demo
