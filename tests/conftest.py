"""Shared fixtures: a database per test session on the engine under test, an app, a client.

The engine is SQLite unless ``BOCAGE_TEST_DATABASE_URL`` names a PostgreSQL server
(``postgresql+asyncpg://user@host:port/db``), in which case each fresh database is created
on that server and dropped at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bocage.core import migrate
from bocage.core.app import create_app
from bocage.core.db import create_engine
from bocage.core.host import PluginHost
from bocage.core.seed import seed_all
from bocage.core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BOCAGE_TEST_DATABASE_URL")
ENGINE = "postgresql" if PG_URL else "sqlite"


def pytest_report_header(config: pytest.Config) -> str:
    return f"bocage database engine: {ENGINE}" + (f" ({PG_URL})" if PG_URL else "")


class Databases:
    """Creates empty databases on the engine under test and drops them afterwards."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    async def new(self) -> str:
        if not PG_URL:
            return f"sqlite+aiosqlite:///{self.tmp / f'{uuid.uuid4().hex}.db'}"
        name = f"bocage_test_{uuid.uuid4().hex[:12]}"
        admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        self.created.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    async def clone(self, url: str) -> str:
        """A new database holding a copy of ``url`` (whose connections must all be closed)."""
        if not PG_URL:
            source = Path(make_url(url).database or "")
            target = self.tmp / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(source, target)
            return f"sqlite+aiosqlite:///{target}"
        name = f"bocage_test_{uuid.uuid4().hex[:12]}"
        template = make_url(url).database
        admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        await admin.dispose()
        self.created.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if not PG_URL or not self.created:
            return
        admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            for name in self.created:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    await dbs.drop_all()


@pytest.fixture
async def empty_database_url(databases: Databases) -> str:
    """A new, empty database (not migrated)."""
    return await databases.new()


def settings_for(url: str, **overrides: Any) -> Settings:
    # The suite sends far more than a client's share of requests: limits are tested apart.
    overrides.setdefault("rate_limit", "off")
    # Every query the suite sends is answered by both read paths, which must agree.
    overrides.setdefault("graphql_compile_check", True)
    return load_settings(database_url=url, **overrides)


@pytest.fixture(scope="session")
async def demo_database_url(databases: Databases) -> str:
    """A database migrated and loaded with the demo data, shared by read-only tests."""
    url = await databases.new()
    settings = settings_for(url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    await migrate.upgrade(engine, host)
    await seed_all(engine, host)
    await engine.dispose()
    return url


@pytest.fixture(scope="session")
async def app(demo_database_url: str) -> AsyncIterator[Any]:
    application = create_app(settings_for(demo_database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bocage.test") as c:
        yield c


GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQL:
    """POST a GraphQL document; return the JSON body (``data`` and maybe ``errors``)."""

    async def run(
        query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={k.replace("_", "-"): v for k, v in headers.items()},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


class StatementCounter:
    """Counts the SQL statements engines execute while active (an app's: its engine and the
    GraphQL fast path's, which is another on PostgreSQL)."""

    def __init__(self, *engines: Any) -> None:
        self.engines = list(dict.fromkeys(engine.sync_engine for engine in engines))
        self.statements: list[str] = []

    def _count(self, *args: Any) -> None:
        self.statements.append(args[2])

    def __enter__(self) -> StatementCounter:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(app: Any) -> Callable[[], StatementCounter]:
    return lambda: StatementCounter(app.state.engine, app.state.read_engine)


# -- both read paths, side by side (the read compiler's differential tests) -------------------


class ReadPaths:
    """One database served by two apps: the read compiler's, and the resolvers' alone (neither
    checks the other). ``post`` sends the same document to both, as anonymous or with a token
    of ``roles``, and returns both bodies and the number of statements the compiled one ran."""

    def __init__(self, apps: dict[str, tuple[Any, httpx.AsyncClient]]) -> None:
        self.apps = apps

    async def _token(self, app: Any, roles: Sequence[Any], scopes: Sequence[str]) -> str:
        issued = await app.state.issuer.issue(
            subject="read-paths", roles=list(roles), scopes=list(scopes)
        )
        return f"Bearer {issued.access_token}"

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        roles: Sequence[Any] = (),
        scopes: Sequence[str] = (),
        **headers: str,
    ) -> tuple[bytes, bytes, int]:
        bodies: dict[str, bytes] = {}
        statements = 0
        for path, (app, client) in self.apps.items():
            sent = dict(headers)
            if roles or scopes:
                sent["authorization"] = await self._token(app, roles, scopes)
            with StatementCounter(app.state.engine, app.state.read_engine) as counter:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
                )
            assert response.status_code == 200, response.text
            bodies[path] = response.content
            if path == "compiled":
                statements = counter.count
        return bodies["compiled"], bodies["resolvers"], statements


@pytest.fixture
def read_paths() -> Callable[[str], contextlib.AbstractAsyncContextManager[ReadPaths]]:
    """``async with read_paths(url) as paths``: see :class:`ReadPaths`."""

    @contextlib.asynccontextmanager
    async def serve(url: str) -> AsyncIterator[ReadPaths]:
        async with contextlib.AsyncExitStack() as stack:
            apps = {}
            for path, compiled in (("compiled", True), ("resolvers", False)):
                app = create_app(
                    settings_for(url, graphql_compile=compiled, graphql_compile_check=False)
                )
                await stack.enter_async_context(app.router.lifespan_context(app))
                transport = httpx.ASGITransport(app=app)
                client = await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://bocage.test")
                )
                apps[path] = (app, client)
            yield ReadPaths(apps)

    return serve


def _generated_documents(roots: Sequence[str], examples: int) -> list[str]:
    """Documents selecting from ``roots``, generated from the committed schema
    (hypothesis-graphql, derandomised: the same documents at every run)."""
    import datetime as dt

    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings
    from hypothesis import strategies as st
    from hypothesis_graphql import nodes, queries

    moments = st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    )
    scalars = {
        "DateTime": moments.map(lambda m: nodes.String(m.isoformat())),
        "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
        "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
            lambda d: nodes.String(str(d))
        ),
    }
    sdl = (ROOT / "openapi" / "schema.graphql").read_text()
    documents: list[str] = []

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(queries(sdl, fields=list(roots), custom_scalars=scalars, allow_x00=False))
    def collect(document: str) -> None:
        documents.append(document)

    collect()
    return documents


@pytest.fixture
def generated_documents() -> Callable[[Sequence[str], int], list[str]]:
    """``generated_documents(roots, examples)``: see :func:`_generated_documents`."""
    return _generated_documents


# -- the test plugin, pip-installed into a folder of its own -----------------------------------


@pytest.fixture(scope="session")
def testplugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install`` tests/testplugin into a private folder (not the environment)."""
    target = tmp_path_factory.mktemp("testplugin-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT / "tests" / "testplugin"),
        ],
        check=True,
    )
    return target


@pytest.fixture
def with_testplugin(testplugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make the installed test plugin discoverable, in this process and in subprocesses."""
    import importlib

    monkeypatch.syspath_prepend(str(testplugin_dir))
    monkeypatch.setenv("PYTHONPATH", str(testplugin_dir))
    importlib.invalidate_caches()
    yield testplugin_dir


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``bocage`` command."""
    executable = Path(sys.executable).with_name("bocage")
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cli


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    return settings_for


@pytest.fixture(scope="session")
def hostile() -> Any:
    """Builders of hostile spreadsheets: ``tests/hostile_files.py``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "hostile_files", ROOT / "tests" / "hostile_files.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- a writable demo world, and GraphQL run as a given principal --------------------------------


@pytest.fixture(scope="session")
async def small_demo_url(databases: Databases) -> str:
    """A migrated database with a small demo GAL (every enabled plugin's demo data too),
    copied for every test that writes."""
    url = await databases.new()
    settings = settings_for(url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    await migrate.upgrade(engine, host)
    await seed_all(engine, host, scale=0.2)
    await engine.dispose()
    return url


class World:
    """A fresh copy of the small demo database, with its settings, host, schema and engine."""

    settings: Settings
    host: PluginHost
    engine: Any
    schema: Any
    sessionmaker: Any


@pytest.fixture
async def world(databases: Databases, small_demo_url: str) -> AsyncIterator[World]:
    from bocage.core.db import sessionmaker
    from bocage.core.graphql.schema import build_schema

    w = World()
    w.settings = settings_for(await databases.clone(small_demo_url))
    w.host = PluginHost(w.settings)
    w.engine = create_engine(w.settings)
    w.schema = build_schema(w.host)
    w.sessionmaker = sessionmaker(w.engine)
    yield w
    await w.engine.dispose()


@pytest.fixture
def run(world: World) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Execute a GraphQL document on ``world`` as ``principal`` (anonymous by default)."""
    from bocage.core.auth.principal import ANONYMOUS, Principal
    from bocage.core.graphql.context import Context

    async def execute(
        query: str, variables: dict[str, Any] | None = None, *, principal: Principal = ANONYMOUS
    ) -> dict[str, Any]:
        context = Context(
            settings=world.settings,
            host=world.host,
            sessionmaker=world.sessionmaker,
            language="fr",
            principal=principal,
            # As the HTTP view: compiled root fields, checked against the resolvers.
            compile_reads=world.settings.graphql_compile,
        )
        try:
            result = await world.schema.execute(
                query, variable_values=variables, context_value=context
            )
        finally:
            await context.close()
        # Compiled root fields are JSON fragments: read the answer as a client would.
        body: dict[str, Any] = {"data": orjson.loads(orjson.dumps(result.data))}
        if result.errors:
            body["errors"] = [
                {"message": e.message, "extensions": e.extensions} for e in result.errors
            ]
        return body

    return execute


class SmtpSink:
    """A local SMTP server (aiosmtpd) that keeps what it receives; never a real server."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def settings(self) -> dict[str, Any]:
        """The Settings fields that send mail to this sink."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_tls": "none",
            "mail_from": "GAL Condroz <noreply@gal-condroz.be>",
        }

    def messages(self) -> list[Any]:
        """The received messages, parsed (``email.message.EmailMessage``)."""
        import email
        import email.policy

        return [
            email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes
        ]


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSink, int]]:
    """``(sink, port)``: an SMTP server on loopback for the test's duration."""
    import socket

    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sink.port = int(sock.getsockname()[1])
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink, sink.port
    controller.stop()
