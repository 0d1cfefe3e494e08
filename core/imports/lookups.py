"""Batch lookups of references by natural key: communes by NIS code or name, organisations by
enterprise number or external ID. One query per kind of reference, never one per row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from bocage.core import models as m
from bocage.core.domain import rules
from bocage.core.domain.errors import Invalid
from bocage.core.imports.base import chunks
from bocage.core.imports.cells import code, fold

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class CommuneRef:
    id: int
    nis_code: str
    name: str
    territory_id: int | None


class Communes:
    """Every live commune, found by NIS code or by its name in any language."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.by_key: dict[str, CommuneRef] = {}
        self.by_id: dict[int, CommuneRef] = {}
        for row in rows:
            ref = CommuneRef(
                row.id, row.nis_code, row.name.get("fr") or row.nis_code, row.territory_id
            )
            self.by_id[ref.id] = ref
            self.by_key[row.nis_code] = ref
            for name in row.name.values():
                self.by_key.setdefault(fold(name), ref)

    @classmethod
    async def load(cls, session: AsyncSession) -> Communes:
        rows = await session.execute(
            select(m.Commune.id, m.Commune.nis_code, m.Commune.name, m.Commune.territory_id).where(
                m.Commune.deleted_at.is_(None)
            )
        )
        return cls(rows.all())

    def find(self, value: str) -> CommuneRef | None:
        nis = code(value, 5) or ""
        return self.by_key.get(nis) or self.by_key.get(fold(value))


def enterprise_key(value: str) -> str | None:
    """The normalised enterprise number ``value`` is, if it is one."""
    stripped = value.replace(".", "").replace(" ", "").replace("BE", "").replace("be", "")
    if not stripped.isdigit() or len(stripped) not in (9, 10):
        return None
    try:
        return rules.enterprise_number(stripped)
    except Invalid:
        return None


class Stakeholders:
    """Live organisations named in a file, by enterprise number or external ID (of the
    import's source first, else of any source if only one organisation has it)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.by_number: dict[str, int] = {}
        self.by_external: dict[tuple[str | None, str], int] = {}
        self.external_anywhere: dict[str, list[int]] = {}

    @classmethod
    async def load(cls, session: AsyncSession, refs: Iterable[str], source: str) -> Stakeholders:
        found = cls(source)
        refs = set(refs)
        numbers = {n for r in refs if (n := enterprise_key(r))}
        for batch in chunks(sorted(refs | numbers)):
            rows = await session.execute(
                select(
                    m.Stakeholder.id,
                    m.Stakeholder.enterprise_number,
                    m.Stakeholder.external_source,
                    m.Stakeholder.external_id,
                ).where(
                    m.Stakeholder.deleted_at.is_(None),
                    or_(
                        m.Stakeholder.enterprise_number.in_(batch),
                        m.Stakeholder.external_id.in_(batch),
                    ),
                )
            )
            for id_, number, ext_source, ext_id in rows.all():
                if number:
                    found.by_number.setdefault(number, id_)
                if ext_id:
                    found.by_external[(ext_source, ext_id)] = id_
                    found.external_anywhere.setdefault(ext_id, []).append(id_)
        return found

    def find(self, value: str) -> int | None:
        number = enterprise_key(value)
        if number and number in self.by_number:
            return self.by_number[number]
        if (self.source, value) in self.by_external:
            return self.by_external[(self.source, value)]
        anywhere = set(self.external_anywhere.get(value, ()))
        return anywhere.pop() if len(anywhere) == 1 else None
