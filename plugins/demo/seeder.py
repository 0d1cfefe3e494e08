"""Seeding the demo data: :func:`seed_demo` writes the territory, its stakeholders and their
contacts, the communes' PSTs and the projects, drawing from the content files
(:mod:`~bocage.plugins.demo.content`) with one ``random.Random(2020)``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from bocage.core.api import (
    Commune,
    Contact,
    Indicator,
    IndicatorValue,
    OperationalObjective,
    Project,
    ProjectStakeholder,
    ProjectStatus,
    PstAction,
    SeedRefused,
    Stakeholder,
    StakeholderKind,
    StakeholderNeed,
    StakeholderRole,
    StrategicObjective,
    StrategicPlan,
    Territory,
    project_commune,
    project_pst_action,
    setup_territory,
    stakeholder_commune,
)
from bocage.plugins.demo import content
from bocage.plugins.demo.content import IndicatorTemplate, Organisation, ProjectTemplate, T

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.core.api import SeedOptions

TERRITORY_SLUG = "gal-hesbaye-meuse"
#: Hannut, Wasseiges, Braives, Burdinne, Héron, Andenne, Fernelmont, Eghezée.
COMMUNE_NIS_CODES = ("64034", "64075", "64015", "61010", "61028", "92003", "92138", "92035")
#: The demo's "today": statuses, dates and measurements are consistent with it.
REFERENCE_DAY = dt.date(2026, 9, 1)
SEED = 2020

#: Rows at scale 1 (the communes, their administrations and their PSTs do not scale).
PROJECTS = 320
ENTERPRISES = 60
ASSOCIATIONS = 24
CITIZEN_INITIATIVES = 16
PUBLIC_BODIES = 12

#: Weights of the communes when projects pick where they happen (bigger towns, more projects).
_COMMUNE_WEIGHTS = {
    "64034": 1.4, "64075": 0.7, "64015": 1.0, "61010": 0.8,
    "61028": 0.9, "92003": 1.6, "92138": 1.0, "92035": 1.3,
}  # fmt: skip


class DemoDataExists(SeedRefused):
    """The demo territory is already in the database: seeding again would duplicate it."""


async def seed_demo(session: AsyncSession, options: SeedOptions) -> None:
    """Write the demo GAL (rows of the core's tables) in ``session`` (flushed, not committed).

    Raises :class:`DemoDataExists` if the demo territory is already there.
    """
    existing = await session.scalar(select(Territory.id).where(Territory.slug == TERRITORY_SLUG))
    if existing is not None:
        raise DemoDataExists(
            f"The demo territory {TERRITORY_SLUG!r} is already in this database, so the demo "
            "data has been seeded before; nothing was written. Seed an empty database instead, "
            "or delete that territory first."
        )
    await _DemoSeeder(session, options).run()


def _de(name: str) -> str:
    """'de Hannut', 'd'Andenne' (no elision before an h: 'de Héron')."""
    return f"d'{name}" if _fold(name)[:1] in set("aeiouy") else f"de {name}"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in _fold(text)).split())


_STATUS_WEIGHTS = {
    ProjectStatus.IDEA: 10,
    ProjectStatus.PLANNED: 15,
    ProjectStatus.IN_PROGRESS: 35,
    ProjectStatus.DONE: 30,
    ProjectStatus.ABANDONED: 10,
}

#: Who funds projects (partners come from the template).
_FUNDER_KINDS = (StakeholderKind.COMMUNE_ADMINISTRATION, StakeholderKind.PUBLIC_BODY)
_FIRST_DAY = dt.date(2020, 1, 1)
_LAST_DAY = dt.date(2027, 12, 31)


@dataclass
class _Place:
    """A commune as the texts need it."""

    commune: Commune
    fr: str
    nl: str

    def fill(self, pattern: str) -> str:
        return pattern.format(
            de=_de(self.fr), a=f"à {self.fr}", commune=self.fr, commune_nl=self.nl
        )

    def fill_all(self, patterns: T) -> T:
        return {lang: self.fill(text) for lang, text in patterns.items()}


@dataclass
class _ProjectDraft:
    """A project and what goes with it, written once the project has its id."""

    row: Project
    places: list[_Place]
    stakeholders: list[tuple[Stakeholder, StakeholderRole]]
    actions: list[PstAction]
    indicators: list[tuple[Indicator, list[IndicatorValue]]]


@dataclass
class _StakeholderDraft:
    row: Stakeholder
    places: list[_Place]
    codes: set[str] = field(default_factory=set)


class _DemoSeeder:
    def __init__(self, session: AsyncSession, options: SeedOptions) -> None:
        self.session = session
        self.options = options
        self.rng = random.Random(SEED)
        self.scale = options.scale
        self.places: list[_Place] = []
        self.by_code: dict[str, _Place] = {}
        self.stakeholders: list[_StakeholderDraft] = []
        #: NIS code -> [(strategic objective theme, action)]
        self.actions: dict[str, list[tuple[str, PstAction]]] = {}
        self.enterprise_numbers: set[str] = set()
        self.emails: set[str] = set()
        self.titles: set[str] = set()
        #: NIS code -> how many projects of each template the commune has
        self.template_uses: dict[str, list[int]] = {}
        self.by_kind: dict[StakeholderKind, list[_StakeholderDraft]] = {}
        self.territory: Territory

    def count(self, base: int) -> int:
        return max(1, round(base * self.scale))

    async def run(self) -> None:
        report = self.options.progress
        report("territory", 0, 1)
        territory = await setup_territory(
            self.session,
            slug=TERRITORY_SLUG,
            name=content.TERRITORY_NAME,
            nis_codes=list(COMMUNE_NIS_CODES),
            description=content.TERRITORY_DESCRIPTION,
        )
        territory.website = f"https://{TERRITORY_SLUG}.example.org"
        self.territory = territory
        communes = {
            c.nis_code: c
            for c in await self.session.scalars(
                select(Commune).where(Commune.nis_code.in_(COMMUNE_NIS_CODES))
            )
        }
        for code in COMMUNE_NIS_CODES:
            commune = communes[code]
            place = _Place(commune, commune.name["fr"], commune.name.get("nl", commune.name["fr"]))
            self.places.append(place)
            self.by_code[code] = place
        report("territory", 1, 1)

        await self.seed_stakeholders()
        await self.seed_contacts()
        await self.seed_plans()
        await self.seed_projects()

    # --- helpers ------------------------------------------------------------------------

    def moment(self, start: dt.date, end: dt.date) -> dt.datetime:
        """A random time of day (7:00-19:00 UTC) between two days (inclusive)."""
        day = self.day(start, end)
        seconds = self.rng.randint(7 * 3600, 19 * 3600)
        return dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(seconds=seconds)

    def day(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def later(self, moment: dt.datetime, until: dt.date = REFERENCE_DAY) -> dt.datetime:
        """``updated_at`` for a row created at ``moment``: that moment or a bit later."""
        limit = dt.datetime.combine(until, dt.time(18), dt.UTC)
        if self.rng.random() < 0.3 or limit <= moment:
            return moment
        span = (limit - moment).total_seconds()
        return moment + dt.timedelta(seconds=int(span * self.rng.random() ** 2))

    def enterprise_number(self) -> str:
        """A BCE/KBO number with valid check digits: 97 - (first eight digits mod 97).

        Drawn from 0100.000.0xx-0199.999.9xx: the old national and VAT numbers, which became
        enterprise numbers by gaining a leading 0, started with 2 to 9, so this block should
        not hold real enterprises (a coincidence would be just that).
        """
        while True:
            base = self.rng.randint(1_000_000, 1_999_999)
            digits = f"{base * 100 + 97 - base % 97:010d}"
            number = f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
            if number not in self.enterprise_numbers:
                self.enterprise_numbers.add(number)
                return number

    def translated(self, texts: T, keep: float = 0.6) -> T:
        """The French text and, each with probability ``keep``, its other languages."""
        return {
            lang: text for lang, text in texts.items() if lang == "fr" or self.rng.random() < keep
        }

    def neighbours(self, place: _Place, extra: int) -> list[_Place]:
        others = [p for p in self.places if p is not place]
        return [place, *self.rng.sample(others, extra)]

    # --- stakeholders -------------------------------------------------------------------

    def draft(
        self,
        kind: StakeholderKind,
        name: str,
        description: T,
        places: list[_Place],
        needs: Sequence[StakeholderNeed],
        *,
        number: bool,
        website: float,
        created: tuple[dt.date, dt.date] = (dt.date(2020, 1, 6), dt.date(2025, 12, 19)),
    ) -> None:
        created_at = self.moment(*created)
        row = Stakeholder(
            kind=kind,
            name=name,
            description=description,
            website=f"https://{_slug(name)}.example.org" if self.rng.random() < website else None,
            enterprise_number=self.enterprise_number() if number else None,
            needs=sorted({str(need) for need in needs}),  # as the API stores them
            territory_id=self.territory.id,
            created_at=created_at,
            updated_at=self.later(created_at),
        )
        codes = {place.commune.nis_code for place in places}
        self.stakeholders.append(_StakeholderDraft(row, places, codes))

    def needs(self, preferred: Sequence[StakeholderNeed]) -> list[StakeholderNeed]:
        """0-3 needs, mostly the ones usual for this kind of organisation."""
        count = self.rng.choices((0, 1, 2, 3), (10, 40, 35, 15))[0]
        pool = [*preferred, *preferred, *StakeholderNeed]
        chosen: list[StakeholderNeed] = []
        while len(chosen) < count:
            need = self.rng.choice(pool)
            if need not in chosen:
                chosen.append(need)
        return sorted(chosen, key=list(StakeholderNeed).index)

    def extra_communes(self) -> int:
        return self.rng.choices((0, 1, 2), (60, 30, 10))[0]

    async def seed_stakeholders(self) -> None:
        rng = self.rng
        for place in self.places:
            self.draft(
                StakeholderKind.COMMUNE_ADMINISTRATION,
                f"Administration communale {_de(place.fr)}",
                place.fill_all(content.ADMINISTRATION),
                [place],
                self.needs((StakeholderNeed.DIGITAL_TOOLS, StakeholderNeed.TRAINING)),
                number=False,
                website=1.0,
                created=(dt.date(2020, 1, 6), dt.date(2020, 3, 31)),
            )

        public_bodies = content.PUBLIC_BODIES[: self.count(PUBLIC_BODIES)]
        for name, description, codes, numbered in public_bodies:
            places = [self.by_code[code] for code in codes]
            self.draft(
                StakeholderKind.PUBLIC_BODY,
                places[0].fill(name),
                self.translated(places[0].fill_all(description), keep=0.8),
                places,
                self.needs((StakeholderNeed.NETWORKING, StakeholderNeed.VISIBILITY)),
                number=numbered,
                website=0.8,
            )

        pairs = [(sector, where) for sector in content.SECTORS for where in content.PLACES]
        rng.shuffle(pairs)
        for i in range(self.count(ENTERPRISES)):
            sector, where = pairs[i % len(pairs)]
            place = self.weighted_place()
            form = rng.choice(sector.forms)
            name = f"{sector.prefix} {where}" + (f" {form}" if form else "")
            if i >= len(pairs):  # only at large scales
                name += f" ({place.fr} {i // len(pairs) + 1})"
            description = {
                "fr": f"{sector.description['fr']} Siège d'exploitation à {place.fr}.",
                **({"nl": f"{sector.description['nl']} Gevestigd in {place.nl}."}
                   if "nl" in sector.description else {}),
                **({"en": f"{sector.description['en']} Based in {place.fr}."}
                   if "en" in sector.description else {}),
            }  # fmt: skip
            self.draft(
                StakeholderKind.ENTERPRISE,
                name,
                self.translated(description, keep=0.5),
                self.neighbours(place, rng.choices((0, 1, 2), (70, 25, 5))[0]),
                self.needs(sector.needs),
                number=True,
                website=0.55,
            )

        self.draft_organisations(
            StakeholderKind.ASSOCIATION, content.ASSOCIATIONS, ASSOCIATIONS, 0.5
        )
        self.draft_organisations(
            StakeholderKind.CITIZEN_INITIATIVE,
            content.CITIZEN_INITIATIVES,
            CITIZEN_INITIATIVES,
            0.2,
        )

        rows = [draft.row for draft in self.stakeholders]
        self.options.progress("stakeholders", 0, len(rows))
        self.session.add_all(rows)
        await self.session.flush()
        links = [
            {"stakeholder_id": draft.row.id, "commune_id": place.commune.id}
            for draft in self.stakeholders
            for place in draft.places
        ]
        await self.session.execute(insert(stakeholder_commune), links)
        self.options.progress("stakeholders", len(rows), len(rows))

    def draft_organisations(
        self,
        kind: StakeholderKind,
        templates: Sequence[Organisation],
        base: int,
        website: float,
    ) -> None:
        pairs = [(template, place) for template in templates for place in self.places]
        self.rng.shuffle(pairs)
        for i in range(self.count(base)):
            template, place = pairs[i % len(pairs)]
            name = place.fill(template.name)
            if kind is StakeholderKind.ASSOCIATION:
                name += " ASBL"
            if i >= len(pairs):  # only at large scales
                name += f" ({i // len(pairs) + 1})"
            self.draft(
                kind,
                name,
                self.translated(place.fill_all(template.description), keep=0.7),
                self.neighbours(place, self.extra_communes()),
                self.needs(template.needs),
                number=template.numbered,
                website=website,
            )

    def weighted_place(self, exclude: Sequence[_Place] = ()) -> _Place:
        candidates = [p for p in self.places if p not in exclude]
        weights = [_COMMUNE_WEIGHTS[p.commune.nis_code] for p in candidates]
        return self.rng.choices(candidates, weights)[0]

    # --- contacts -----------------------------------------------------------------------

    async def seed_contacts(self) -> None:
        rng = self.rng
        contacts: list[Contact] = []
        for draft in self.stakeholders:
            kind = draft.row.kind
            titles = list(content.JOB_TITLES[kind])
            count = 3 if kind is StakeholderKind.COMMUNE_ADMINISTRATION else rng.randint(1, 2)
            chosen = [titles[0], *rng.sample(titles[1:], min(count - 1, len(titles) - 1))]
            is_andenne = draft.codes == {content.SMART_CITY_MANAGER_COMMUNE}
            if kind is StakeholderKind.COMMUNE_ADMINISTRATION and is_andenne:
                chosen.append(("Smart city manager", "Smart city manager"))
            for masculine, feminine in chosen:
                female = rng.random() < 0.5
                given = rng.choice(content.GIVEN_NAMES_F if female else content.GIVEN_NAMES_M)
                family = rng.choice(content.FAMILY_NAMES)
                created_at = draft.row.created_at + dt.timedelta(days=rng.randint(0, 400))
                created_at = min(created_at, dt.datetime.combine(REFERENCE_DAY, dt.time(), dt.UTC))
                contacts.append(
                    Contact(
                        stakeholder_id=draft.row.id,
                        given_name=given,
                        family_name=family,
                        email=self.email(given, family) if rng.random() < 0.9 else None,
                        phone=None,  # no invented numbers: they could belong to someone
                        job_title=feminine if female else masculine,
                        created_at=created_at,
                        updated_at=self.later(created_at),
                    )
                )
        self.options.progress("contacts", 0, len(contacts))
        self.session.add_all(contacts)
        await self.session.flush()
        self.options.progress("contacts", len(contacts), len(contacts))

    def email(self, given: str, family: str) -> str:
        local = f"{_slug(given)}.{_slug(family)}"
        candidate, n = f"{local}@example.org", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@example.org"
        self.emails.add(candidate)
        return candidate

    # --- PST ----------------------------------------------------------------------------

    async def seed_plans(self) -> None:
        rng = self.rng
        self.options.progress("strategic plans", 0, len(self.places))
        plans: list[tuple[_Place, StrategicPlan, dt.datetime]] = []
        for place in self.places:
            adopted_on = self.day(dt.date(2025, 3, 3), dt.date(2025, 9, 30))
            created_at = self.moment(adopted_on - dt.timedelta(days=60), adopted_on)
            plan = StrategicPlan(
                commune_id=place.commune.id,
                title={
                    "fr": f"Programme stratégique transversal 2025-2030 {_de(place.fr)}",
                    "nl": f"Transversaal strategisch programma 2025-2030 van {place.nl}",
                },
                start_year=2025,
                end_year=2030,
                adopted_on=adopted_on,
                created_at=created_at,
                updated_at=self.later(created_at),
            )
            plans.append((place, plan, created_at))
        self.session.add_all(plan for _, plan, _ in plans)
        await self.session.flush()

        strategic: list[tuple[_Place, str, StrategicObjective, tuple, dt.datetime]] = []
        for place, plan, created_at in plans:
            others = [key for key in content.THEMES if key != "administration"]
            themes = ["administration", *rng.sample(others, rng.randint(2, 3))]
            for i, theme in enumerate(themes, start=1):
                title, operational = content.THEMES[theme]
                row = StrategicObjective(
                    plan_id=plan.id, code=f"OS{i}", title={"fr": title}, position=i,
                    created_at=created_at, updated_at=created_at,
                )  # fmt: skip
                strategic.append((place, theme, row, operational, created_at))
        self.session.add_all(row for _, _, row, _, _ in strategic)
        await self.session.flush()

        operational_rows: list[tuple[_Place, str, OperationalObjective, tuple, dt.datetime]] = []
        for place, theme, os_row, operational, created_at in strategic:
            chosen = rng.sample(operational, min(len(operational), rng.randint(2, 3)))
            for j, (title, action_titles) in enumerate(chosen, start=1):
                oo = OperationalObjective(
                    strategic_objective_id=os_row.id, code=f"OO{os_row.position}.{j}",
                    title={"fr": title}, position=j, created_at=created_at,
                    updated_at=created_at,
                )  # fmt: skip
                operational_rows.append((place, theme, oo, action_titles, created_at))
        self.session.add_all(oo for _, _, oo, _, _ in operational_rows)
        await self.session.flush()

        actions: list[PstAction] = []
        for place, theme, oo_row, titles, created_at in operational_rows:
            picked = rng.sample(titles, min(len(titles), rng.randint(2, 4)))
            for k, action_title in enumerate(picked, start=1):
                budget = (
                    self.amount(*self.action_budget(action_title)) if rng.random() < 0.9 else None
                )
                action = PstAction(
                    operational_objective_id=oo_row.id,
                    code=f"A{oo_row.code[2:]}.{k}",
                    title={"fr": action_title},
                    budget=budget,
                    position=k,
                    created_at=created_at,
                    updated_at=self.later(created_at),
                )
                actions.append(action)
                self.actions.setdefault(place.commune.nis_code, []).append((theme, action))
        self.session.add_all(actions)
        await self.session.flush()
        self.options.progress("strategic plans", len(self.places), len(self.places))

    @staticmethod
    def action_budget(title: str) -> tuple[int, int]:
        """Works and equipment cost more than plans, trainings and events."""
        if title.startswith(content.WORKS):
            return 40_000, 650_000
        return 2_500, 90_000

    def amount(self, low: int, high: int) -> Decimal:
        """A budget between ``low`` and ``high`` euros, log-uniform, rounded like budgets are."""
        value = math.exp(self.rng.uniform(math.log(low), math.log(high)))
        step = 100 if value < 20_000 else 500 if value < 200_000 else 5_000
        return Decimal(max(step, round(value / step) * step))

    # --- projects -----------------------------------------------------------------------

    async def seed_projects(self) -> None:
        total = self.count(PROJECTS)
        batch_size = max(100, math.ceil(total / 50))  # at most ~50 batches, and reports
        self.options.progress("projects", 0, total)
        for draft in self.stakeholders:
            self.by_kind.setdefault(draft.row.kind, []).append(draft)
        done = 0
        while done < total:
            size = min(batch_size, total - done)
            await self.seed_project_batch(size)
            done += size
            self.options.progress("projects", done, total)

    async def seed_project_batch(self, size: int) -> None:
        drafts = [self.project() for _ in range(size)]
        self.session.add_all(draft.row for draft in drafts)
        await self.session.flush()

        communes: list[dict[str, int]] = []
        actions: list[dict[str, int]] = []
        roles: list[ProjectStakeholder] = []
        indicators: list[tuple[Indicator, list[IndicatorValue]]] = []
        for draft in drafts:
            project_id = draft.row.id
            communes += [
                {"project_id": project_id, "commune_id": place.commune.id} for place in draft.places
            ]
            actions += [
                {"project_id": project_id, "pst_action_id": action.id} for action in draft.actions
            ]
            roles += [
                ProjectStakeholder(project_id=project_id, stakeholder_id=who.id, role=role)
                for who, role in draft.stakeholders
            ]
            for indicator, measured in draft.indicators:
                indicator.project_id = project_id
                indicators.append((indicator, measured))
        await self.session.execute(insert(project_commune), communes)
        if actions:
            await self.session.execute(insert(project_pst_action), actions)
        self.session.add_all(roles)
        self.session.add_all(indicator for indicator, _ in indicators)
        await self.session.flush()

        values: list[IndicatorValue] = []
        for indicator, indicator_values in indicators:
            for value in indicator_values:
                value.indicator_id = indicator.id
                values.append(value)
        self.session.add_all(values)
        await self.session.flush()

    def project(self) -> _ProjectDraft:
        """One project, with what goes with it."""
        rng = self.rng
        place = self.weighted_place()
        # Each commune goes through every kind of project before it repeats one.
        uses = self.template_uses.setdefault(place.commune.nis_code, [0] * len(content.TEMPLATES))
        fewest = min(uses)
        index = rng.choice([i for i, n in enumerate(uses) if n == fewest])
        uses[index] += 1
        template = content.TEMPLATES[index]
        places = [place]
        for _ in range(rng.choices((0, 1, 2), (65, 25, 10))[0]):
            places.append(self.weighted_place(exclude=places))
        status = rng.choices(list(_STATUS_WEIGHTS), list(_STATUS_WEIGHTS.values()))[0]
        start, end = self.dates(status, template.months)
        created_at = self.project_created_at(status, start)
        updated_at = self.later(created_at, until=min(end or REFERENCE_DAY, REFERENCE_DAY))
        if updated_at < created_at:
            updated_at = created_at

        budget = None
        if status is not ProjectStatus.IDEA or rng.random() < 0.4:
            budget = self.amount(*template.budget)
        row = Project(
            title=self.title(template, place, start or created_at.date()),
            summary=place.fill_all(template.summary),
            description=place.fill_all(template.description),
            status=status,
            focus=template.focus,
            themes=sorted(set(template.themes)),  # as the API stores them
            sdgs=sorted(template.sdgs),
            sdg_targets=list(template.sdg_targets),
            start_date=start,
            end_date=end,
            budget=budget,
            territory_id=self.territory.id,
            created_at=created_at,
            updated_at=updated_at,
        )
        return _ProjectDraft(
            row=row,
            places=places,
            stakeholders=self.project_stakeholders(template, places),
            actions=self.project_actions(template, place, end),
            indicators=self.project_indicators(template, status, start, end, created_at),
        )

    def title(self, template: ProjectTemplate, place: _Place, start: dt.date) -> T:
        """The project's titles; the French one no other project has (a second repair café in
        the same commune becomes an "édition", a second e-desk a "phase")."""
        base = {lang: place.fill(text) for lang, text in template.title.items()}
        for suffix in self.title_suffixes(template, start.year):
            french = base["fr"] + suffix.get("fr", "")
            if french not in self.titles:
                self.titles.add(french)
                return {lang: text + suffix.get(lang, "") for lang, text in base.items()}
        raise AssertionError("unreachable")

    @staticmethod
    def title_suffixes(template: ProjectTemplate, year: int) -> Iterator[T]:
        yield {}
        if template.recurring:
            yield {"fr": f" — édition {year}", "nl": f" — editie {year}",
                   "en": f" — {year} edition"}  # fmt: skip
        for n in itertools.count(2):
            yield {"fr": f" — phase {n}", "nl": f" — fase {n}", "en": f" — phase {n}"}

    def dates(self, status: ProjectStatus, months: tuple[int, int]) -> tuple[dt.date | None, ...]:
        """Start and end consistent with the status on :data:`REFERENCE_DAY`, within 2020-2027."""
        rng = self.rng
        duration = dt.timedelta(days=30 * rng.randint(*months))
        today = REFERENCE_DAY
        if status is ProjectStatus.IDEA:
            if rng.random() < 0.6:
                return None, None
            return self.day(today + dt.timedelta(days=30), dt.date(2027, 9, 30)), None
        if status is ProjectStatus.PLANNED:
            start = self.day(today + dt.timedelta(days=15), dt.date(2027, 6, 30))
            return start, self.end(start, start + duration)
        if status is ProjectStatus.IN_PROGRESS:
            earliest = max(dt.date(2021, 1, 1), today - duration)
            start = self.day(earliest, today - dt.timedelta(days=30))
            end = start + duration
            if end <= today:
                end = today + dt.timedelta(days=rng.randint(60, 480))
            return start, self.end(start, end)
        if status is ProjectStatus.DONE:
            start = self.day(_FIRST_DAY, today - dt.timedelta(days=180))
            end = start + duration
            if end >= today:
                end = today - dt.timedelta(days=rng.randint(10, 120))
            return start, max(end, start + dt.timedelta(days=30))
        # abandoned: it started, then stopped (the day it stopped is not always known)
        start = self.day(_FIRST_DAY, today - dt.timedelta(days=120))
        if rng.random() < 0.5:
            return start, None
        stopped = start + dt.timedelta(days=rng.randint(60, max(61, duration.days // 2)))
        return start, min(stopped, today - dt.timedelta(days=30))

    def end(self, start: dt.date, end: dt.date) -> dt.date:
        """``end``, or a shorter schedule if it would run past 2027."""
        if end <= _LAST_DAY:
            return end
        return self.day(min(start + dt.timedelta(days=90), _LAST_DAY), _LAST_DAY)

    def project_created_at(self, status: ProjectStatus, start: dt.date | None) -> dt.datetime:
        if start is None:
            return self.moment(_FIRST_DAY, REFERENCE_DAY - dt.timedelta(days=7))
        earliest = start - dt.timedelta(days=400)
        latest = min(start - dt.timedelta(days=15), REFERENCE_DAY - dt.timedelta(days=7))
        if status in (ProjectStatus.PLANNED, ProjectStatus.IDEA):
            earliest = max(earliest, REFERENCE_DAY - dt.timedelta(days=700))
        earliest = max(earliest, dt.date(2019, 6, 3))
        return self.moment(earliest, max(earliest, latest))

    def project_stakeholders(
        self, template: ProjectTemplate, places: list[_Place]
    ) -> list[tuple[Stakeholder, StakeholderRole]]:
        """1-4 stakeholders acting in the project's communes, exactly one of them the lead."""
        rng = self.rng
        codes = {p.commune.nis_code for p in places}

        def local(kinds: Sequence[StakeholderKind], used: list[Stakeholder]) -> list[Stakeholder]:
            return [
                d.row for kind in dict.fromkeys(kinds) for d in self.by_kind.get(kind, ())
                if d.codes & codes and d.row not in used
            ]  # fmt: skip

        lead_kinds = list(template.lead)
        rng.shuffle(lead_kinds)
        candidates = (
            local(lead_kinds[:1], []) or local(lead_kinds, []) or local(list(StakeholderKind), [])
        )
        lead = rng.choice(candidates or [d.row for d in self.stakeholders])
        chosen = [(lead, StakeholderRole.LEAD)]
        used = [lead]
        for _ in range(rng.choices((0, 1, 2, 3), (25, 35, 25, 15))[0]):
            funder = rng.random() < 0.25
            kinds = _FUNDER_KINDS if funder else template.partners
            pool = local(kinds, used) or local(list(StakeholderKind), used)
            if not pool:
                break
            who = rng.choice(pool)
            used.append(who)
            chosen.append((who, StakeholderRole.FUNDER if funder else StakeholderRole.PARTNER))
        return chosen

    def project_actions(
        self, template: ProjectTemplate, place: _Place, end: dt.date | None
    ) -> list[PstAction]:
        """0-2 actions of the main commune's PST, on the project's themes when possible.
        Projects over before the 2025-2030 PST do not link to it."""
        if end is not None and end < dt.date(2025, 1, 1):
            return []
        count = self.rng.choices((0, 1, 2), (35, 45, 20))[0]
        actions = self.actions.get(place.commune.nis_code, [])
        matching = [action for theme, action in actions if theme in template.pst]
        pool = matching if len(matching) >= count else [action for _, action in actions]
        return self.rng.sample(pool, min(count, len(pool)))

    def project_indicators(
        self,
        template: ProjectTemplate,
        status: ProjectStatus,
        start: dt.date | None,
        end: dt.date | None,
        created_at: dt.datetime,
    ) -> list[tuple[Indicator, list[IndicatorValue]]]:
        """0-3 indicators with 1-6 measurements: only the baseline before the project starts."""
        rng = self.rng
        if status is ProjectStatus.IDEA or not template.indicators:
            return []
        count = rng.choices((0, 1, 2, 3), (15, 35, 35, 15))[0]
        chosen = rng.sample(template.indicators, min(count, len(template.indicators)))
        result = []
        for spec in chosen:
            baseline = self.measure(spec, rng.uniform(*spec.baseline))
            target = self.measure(spec, rng.uniform(*spec.target))
            indicator = Indicator(
                name=self.translated(spec.name, keep=0.7),
                unit=spec.unit,
                baseline=baseline,
                target=target,
                created_at=created_at,
                updated_at=created_at,
            )
            result.append((indicator, self.values(spec, status, start, end, created_at,
                                                  baseline, target)))  # fmt: skip
        return result

    def values(
        self,
        spec: IndicatorTemplate,
        status: ProjectStatus,
        start: dt.date | None,
        end: dt.date | None,
        created_at: dt.datetime,
        baseline: Decimal,
        target: Decimal,
    ) -> list[IndicatorValue]:
        rng = self.rng
        first = start or created_at.date()
        last = min(end or REFERENCE_DAY, REFERENCE_DAY)
        if status is ProjectStatus.PLANNED or last <= first:
            days = [created_at.date()]
        else:
            count = rng.randint(1, 6)
            days = sorted({self.day(first, last) for _ in range(count)})
        span = max(1, ((end or last) - first).days)
        reach = {ProjectStatus.DONE: 1.0, ProjectStatus.ABANDONED: 0.4}.get(status, 0.9)
        rows = []
        for i, day in enumerate(days):
            note: str | None
            if i == 0 and (len(days) > 1 or status is ProjectStatus.PLANNED):
                value, note = baseline, "Situation de départ"
            else:
                progress = min(1.0, (day - first).days / span) * reach
                noise = rng.uniform(0.8, 1.1)
                value = self.measure(
                    spec, float(baseline) + (float(target) - float(baseline)) * progress * noise
                )
                note = rng.choice(content.VALUE_NOTES) if rng.random() < 0.3 else None
            recorded = dt.datetime.combine(day, dt.time(9), dt.UTC) + dt.timedelta(
                days=rng.randint(0, 10), minutes=rng.randint(0, 540)
            )
            rows.append(IndicatorValue(measured_on=day, value=value, note=note,
                                       created_at=recorded, updated_at=recorded))  # fmt: skip
        return rows

    @staticmethod
    def measure(spec: IndicatorTemplate, value: float) -> Decimal:
        value = max(0.0, value)
        if spec.decimals == 0:
            return Decimal(round(value))
        return Decimal(f"{value:.{spec.decimals}f}")
