"""The core's own contributions, registered like any plugin's (named ``core``)."""

from __future__ import annotations

from collections.abc import Sequence

from bocage.core.hookspecs import Seeder, hookimpl


@hookimpl
def bocage_graphql_query() -> Sequence[type]:
    from bocage.core.graphql.query import CoreQuery, node_query

    return [CoreQuery, node_query()]


@hookimpl
def bocage_seed() -> Seeder:
    from bocage.core.demo import seed_demo

    return seed_demo
