"""A demo world to import into, and the people who import."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bocage.core import models as m
from bocage.core.auth.principal import Principal, PrincipalKind, Role

HERE = Path(__file__).resolve().parent


def _load_spreadsheets() -> Any:
    spec = importlib.util.spec_from_file_location("import_spreadsheets", HERE / "spreadsheets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


spreadsheets = _load_spreadsheets()

ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-admin", roles=frozenset({Role.TERRITORY_ADMIN})
)
HANNUT_EDITOR = Principal(
    kind=PrincipalKind.PERSON,
    subject="editor-hannut",
    roles=frozenset({Role.COMMUNE_EDITOR}),
    communes=frozenset({"64034"}),
)


@pytest.fixture
def generate() -> Any:
    return spreadsheets


async def count(world: Any, model: Any, *where: Any) -> int:
    async with world.sessionmaker() as session:
        query = select(func.count()).select_from(model)
        if where:
            query = query.where(*where)
        return (await session.execute(query)).scalar_one()


async def territory(world: Any) -> tuple[list[str], list[str]]:
    """NIS codes of the demo GAL's communes, and enterprise numbers of its organisations."""
    async with world.sessionmaker() as session:
        communes = (await session.execute(select(m.Commune.nis_code))).scalars().all()
        numbers = (
            (
                await session.execute(
                    select(m.Stakeholder.enterprise_number).where(
                        m.Stakeholder.enterprise_number.is_not(None),
                        m.Stakeholder.deleted_at.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
    return sorted(communes), sorted(set(numbers))
