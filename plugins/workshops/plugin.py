"""The workshops plugin's hook implementations (registered under the ``bocage`` entry points)."""

from __future__ import annotations

from pathlib import Path

from bocage.core.api import Permission, PersonalData, RestRoute, Seeder, hookimpl
from bocage.plugins.workshops import cards_graphql, graphql
from bocage.plugins.workshops.permissions import ALL


@hookimpl
def bocage_permissions() -> list[Permission]:
    return list(ALL)


@hookimpl
def bocage_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]


@hookimpl
def bocage_graphql_types() -> list[type]:
    return [graphql.WorkshopsEvent, graphql.WorkshopsRegistration]


@hookimpl
def bocage_graphql_query() -> list[type]:
    return [graphql.WorkshopsQuery, cards_graphql.CardWorkshopQuery]


@hookimpl
def bocage_graphql_mutation() -> list[type]:
    return [graphql.WorkshopsMutation, cards_graphql.CardWorkshopMutation]


@hookimpl
def bocage_graphql_subscription() -> list[type]:
    return [cards_graphql.CardWorkshopSubscription]


@hookimpl
def bocage_routes() -> list[RestRoute]:
    from bocage.plugins.workshops.ical import ROUTES

    return list(ROUTES)


@hookimpl
def bocage_seed() -> Seeder:
    from bocage.plugins.workshops.seed import seed

    return seed


@hookimpl
def bocage_personal_data() -> PersonalData:
    from bocage.plugins.workshops.privacy import PART

    return PART
