"""The core's own contributions, registered like any plugin's (named ``core``)."""

from __future__ import annotations

from collections.abc import Sequence

from bocage.core.hookspecs import Permission, Seeder, hookimpl


@hookimpl
def bocage_graphql_query() -> Sequence[type]:
    from bocage.core.graphql.privacy import PrivacyQuery
    from bocage.core.graphql.query import CoreQuery, node_query

    return [CoreQuery, PrivacyQuery, node_query()]


@hookimpl
def bocage_graphql_mutation() -> Sequence[type]:
    from bocage.core.graphql.mutations.projects import ProjectMutations
    from bocage.core.graphql.mutations.stakeholders import StakeholderMutations
    from bocage.core.graphql.mutations.territory import TerritoryMutations
    from bocage.core.graphql.privacy import PrivacyMutations

    return [TerritoryMutations, ProjectMutations, StakeholderMutations, PrivacyMutations]


@hookimpl
def bocage_permissions() -> Sequence[Permission]:
    from bocage.core.graphql.mutations.projects import PROJECTS_WRITE
    from bocage.core.graphql.mutations.stakeholders import CONTACTS_WRITE, STAKEHOLDERS_WRITE
    from bocage.core.graphql.personal import CONTACTS_READ
    from bocage.core.graphql.privacy import AUDIT_READ, PERSONAL_DATA_MANAGE

    return [
        PROJECTS_WRITE,
        STAKEHOLDERS_WRITE,
        CONTACTS_READ,
        CONTACTS_WRITE,
        AUDIT_READ,
        PERSONAL_DATA_MANAGE,
    ]


@hookimpl
def bocage_seed() -> Seeder:
    from bocage.core.demo import seed_demo

    return seed_demo
