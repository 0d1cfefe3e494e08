"""The demo data is the same since it left the core for the ``demo`` plugin (issue 13): the
row counts of every core table and a fingerprint of their values at scale 1, taken from the
core's seeder before the move, and a few objects known by name."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bocage.core import migrate
from bocage.core import models as m
from bocage.core.db import create_engine, sessionmaker
from bocage.core.host import PluginHost
from bocage.core.seed import seed_all

#: The core's tables that the demo fills.
TABLES = [
    m.Territory.__table__,
    m.Commune.__table__,
    m.Stakeholder.__table__,
    m.stakeholder_commune,
    m.Contact.__table__,
    m.StrategicPlan.__table__,
    m.StrategicObjective.__table__,
    m.OperationalObjective.__table__,
    m.PstAction.__table__,
    m.Project.__table__,
    m.project_commune,
    m.project_pst_action,
    m.ProjectStakeholder.__table__,
    m.Indicator.__table__,
    m.IndicatorValue.__table__,
]

TIMESTAMPS = ("created_at", "updated_at", "deleted_at")

#: Columns added to the demo after the fingerprints were taken, each checked by its own tests
#: (``sdg_targets``: tests/graphql/test_sdgs.py; a place's ``location*``:
#: tests/writes/test_places.py).
PLACE = (
    "location",
    "location_west",
    "location_south",
    "location_east",
    "location_north",
    "location_address",
    "location_commune_id",
)
ADDED_SINCE = {"project": ("sdg_targets", *PLACE), "stakeholder": PLACE}

#: Counts and fingerprints at scale 1, taken with the core's seeder (core/demo/) before the move
#: (every bundled plugin seeded too: the workshops' promoted challenge is the 321st project).
BEFORE: dict[str, tuple[int, str]] = {
    "territory": (1, "0732d23051586b2c"),
    "commune": (8, "68e3f11911e46619"),
    "stakeholder": (120, "8cfb30c2e95f370a"),
    "stakeholder_commune": (152, "daec817490560717"),
    "contact": (199, "d33190d2dfcd93b4"),
    "strategic_plan": (8, "b3668093ae165225"),
    "strategic_objective": (28, "1049599d91933702"),
    "operational_objective": (69, "7df840269114b102"),
    "pst_action": (185, "8fe439c461c8fdd9"),
    "project": (321, "2f81454c477722f1"),
    "project_commune": (466, "aaba1540cce43064"),
    "project_pst_action": (235, "43c5506a2f72cf9b"),
    "project_stakeholder": (713, "f783220b7587023d"),
    "indicator": (375, "160013ac6b4e9f07"),
    "indicator_value": (1098, "68e24bc5731efe38"),
}


def _plain(value: Any) -> Any:
    """A value as every engine gives it back (no timestamps: those hold the seeding's time)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, float):
        return str(Decimal(repr(value)).normalize())
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def _fingerprints(engine: Any) -> dict[str, tuple[int, str]]:
    seen = {}
    async with sessionmaker(engine)() as session:
        for table in TABLES:
            columns = [
                c
                for c in table.c
                if _python_type(c) is not dt.datetime
                and c.name not in TIMESTAMPS
                and c.name not in ADDED_SINCE.get(table.name, ())
            ]
            rows = (await session.execute(select(*columns).order_by(*table.primary_key))).all()
            text = json.dumps(
                [[_plain(v) for v in row] for row in rows], sort_keys=True, ensure_ascii=False
            )
            seen[table.name] = (len(rows), hashlib.sha256(text.encode()).hexdigest()[:16])
    return seen


def _python_type(column: Any) -> type | None:
    try:
        python_type: type = column.type.python_type
    except NotImplementedError:
        return None
    return python_type


async def test_the_demo_gal_is_the_one_the_core_seeded(
    empty_database_url: str, make_settings: Any
) -> None:
    settings = make_settings(empty_database_url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, host)
        await seed_all(engine, host)
        seen = await _fingerprints(engine)
        assert seen == BEFORE
        async with sessionmaker(engine)() as session:
            territory = (await session.execute(select(m.Territory))).scalar_one()
            assert (territory.slug, territory.name["fr"]) == (
                "gal-hesbaye-meuse",
                "GAL Hesbaye-Meuse",
            )
            partner = (
                await session.execute(
                    select(m.Stakeholder).where(m.Stakeholder.name == "Terres Connectées ASBL")
                )
            ).scalar_one()
            assert partner.kind == m.StakeholderKind.PUBLIC_BODY
            titles = list(await session.scalars(select(m.Project.title)))
            assert any(title["fr"] == "Repair café de Hannut" for title in titles)
    finally:
        await engine.dispose()
