"""The test kit for plugin authors: a pytest plugin shipped with Bocage.

Installing ``bocage[test]`` registers it (entry point ``pytest11`` ``bocage``), so a plugin
package's tests get its fixtures with nothing to import; ``-p no:bocage`` switches it off.
Every fixture is named ``bocage_*``, so none shadows or is shadowed by a project's own.
The database engine is SQLite, or PostgreSQL when ``BOCAGE_TEST_DATABASE_URL`` names a server
(``postgresql+asyncpg://user@host:5432/db``): each test database is created on that server and
dropped at the end of the session. Documented in ``docs/testing-plugins.md``.

The async fixtures run in the session's event loop (the engines and apps they hold are bound
to it): set ``asyncio_mode = "auto"``, ``asyncio_default_fixture_loop_scope = "session"`` and
``asyncio_default_test_loop_scope = "session"`` in the project's pytest configuration.

Public names (importable by tests): :class:`GraphQL`, :class:`GraphQLErrors`,
:class:`Principals`, :class:`World`, :class:`Databases`, :class:`SmtpSink`,
:class:`WebhookReceiver`, :class:`ReadPaths`, :class:`StatementCounter`, :func:`wait_for`,
:data:`DATABASE_SETTING`, :func:`settings_for`. Importing this module is cheap: Bocage itself
is imported when a fixture is first used.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

try:
    import pytest_asyncio

    async_fixture: Any = pytest_asyncio.fixture
except ImportError:  # bocage without its [test] extra: the kit stays inert until a fixture runs
    pytest_asyncio = None  # type: ignore[assignment]  # tested before the first fixture runs

    def async_fixture(*args: Any, loop_scope: str | None = None, **kwargs: Any) -> Any:
        return pytest.fixture(*args, **kwargs)


if TYPE_CHECKING:
    import httpx

    from bocage.core.auth.principal import Principal
    from bocage.core.host import PluginHost
    from bocage.core.settings import Settings

#: The environment variable that chooses the engine: unset for SQLite, a PostgreSQL URL else.
DATABASE_SETTING = "BOCAGE_TEST_DATABASE_URL"

#: Base URL of the HTTP clients the kit makes (requests never leave the process).
BASE_URL = "http://bocage.test"

#: The commune every default principal acts for: Hannut (in every demo GAL).
HANNUT = "64034"


def server_url() -> str | None:
    """The PostgreSQL server tests create their databases on, or None for SQLite."""
    return os.environ.get(DATABASE_SETTING) or None


def engine_name() -> str:
    return "postgresql" if server_url() else "sqlite"


def pytest_report_header(config: pytest.Config) -> str:
    url = server_url()
    return f"bocage database engine: {engine_name()}" + (f" ({url})" if url else "")


def _check_loop_scope(config: pytest.Config) -> None:
    """The kit's fixtures live in the session's loop: a test in another loop would use their
    connections from the wrong loop. Say how to fix it instead of failing obscurely."""
    if pytest_asyncio is None:
        pytest.fail("bocage's test kit needs pytest-asyncio: pip install 'bocage[test]'")
    try:
        scope = config.getini("asyncio_default_test_loop_scope")
    except ValueError:  # pytest-asyncio too old to know the option
        scope = None
    if scope != "session":
        pytest.fail(
            "bocage's test kit needs the tests in the session's event loop: add "
            'asyncio_default_test_loop_scope = "session" (and asyncio_default_fixture_loop_scope'
            ' = "session", asyncio_mode = "auto") to [tool.pytest.ini_options]',
            pytrace=False,
        )


def settings_for(url: str, **overrides: Any) -> Settings:
    """Settings for a test app on ``url``: the suite's defaults, then ``overrides``."""
    from bocage.core.settings import load_settings

    # Tests send far more than a client's share of requests: limits are tested apart.
    overrides.setdefault("rate_limit", "off")
    # Every query is answered by both read paths, which must agree.
    overrides.setdefault("graphql_compile_check", True)
    return load_settings(database_url=url, **overrides)


# -- databases ---------------------------------------------------------------------------------


class Databases:
    """Creates empty databases on the engine under test and drops them afterwards."""

    def __init__(self, tmp: Path, server: str | None = None) -> None:
        self.tmp = tmp
        self.server = server
        self.created: list[str] = []

    async def _admin(self, statement: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        admin = create_async_engine(self.server or "", isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await admin.dispose()

    def _url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.server or "").set(database=name).render_as_string(hide_password=False)

    async def new(self) -> str:
        """The URL of a new, empty database."""
        if not self.server:
            return f"sqlite+aiosqlite:///{self.tmp / f'{uuid.uuid4().hex}.db'}"
        name = f"bocage_test_{uuid.uuid4().hex[:12]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self._url(name)

    async def clone(self, url: str) -> str:
        """A new database holding a copy of ``url`` (whose connections must all be closed)."""
        from sqlalchemy.engine import make_url

        if not self.server:
            target = self.tmp / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(Path(make_url(url).database or ""), target)
            return f"sqlite+aiosqlite:///{target}"
        name = f"bocage_test_{uuid.uuid4().hex[:12]}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"')
        self.created.append(name)
        return self._url(name)

    async def drop_all(self) -> None:
        for name in self.created:
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()

    async def demo(self, scale: float, **overrides: Any) -> str:
        """A new database, migrated, with the demo GAL at ``scale`` (every enabled plugin's
        ``bocage_seed`` too)."""
        from bocage.core import migrate
        from bocage.core.db import create_engine
        from bocage.core.host import PluginHost
        from bocage.core.seed import seed_all

        url = await self.new()
        settings = settings_for(url, **overrides)
        host = PluginHost(settings)
        engine = create_engine(settings)
        try:
            await migrate.upgrade(engine, host)
            await seed_all(engine, host, scale=scale)
        finally:
            await engine.dispose()
        return url


@async_fixture(scope="session", loop_scope="session")
async def bocage_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Databases]:
    """Makes databases on the engine under test (``new()``, ``clone(url)``, ``demo(scale)``)
    and drops those it made at the end of the session."""
    _check_loop_scope(request.config)
    databases = Databases(tmp_path_factory.mktemp("bocage-db"), server_url())
    yield databases
    await databases.drop_all()


@pytest.fixture
def bocage_make_settings() -> Callable[..., Settings]:
    """``bocage_make_settings(url, **overrides)``: :func:`settings_for`."""
    return settings_for


@pytest.fixture
def bocage_setting_overrides() -> dict[str, Any]:
    """Settings (``Settings`` field names) of :func:`bocage_world` and :func:`bocage_app`.
    Override this fixture to change them, e.g. ``{**bocage_smtp.settings}``."""
    return {}


@async_fixture(loop_scope="session")
async def bocage_empty_database_url(bocage_databases: Databases) -> str:
    """A new, empty database (not migrated)."""
    return await bocage_databases.new()


@async_fixture(scope="session", loop_scope="session")
async def bocage_demo_database_url(bocage_databases: Databases) -> str:
    """A database with the whole demo GAL, shared by the session: read it, never write."""
    return await bocage_databases.demo(1.0)


@async_fixture(scope="session", loop_scope="session")
async def bocage_small_demo_url(bocage_databases: Databases) -> str:
    """A database with a small demo GAL (a fifth), which :func:`bocage_world` copies."""
    return await bocage_databases.demo(0.2)


# -- a world: a writable copy of the small demo, its host, schema and sessions ---------------


@dataclass
class World:
    """A fresh copy of the small demo database with its settings, plugin host, GraphQL schema,
    engine and session factory (``async with world.sessionmaker() as session``)."""

    url: str
    settings: Settings
    host: PluginHost
    engine: Any
    schema: Any
    sessionmaker: Any

    @classmethod
    def open(cls, url: str, settings: Settings, extra: Sequence[Any] = ()) -> World:
        from bocage.core.db import create_engine, sessionmaker
        from bocage.core.graphql.schema import build_schema
        from bocage.core.host import PluginHost

        host = PluginHost(settings, extra=list(extra))
        engine = create_engine(settings)
        return cls(url, settings, host, engine, build_schema(host), sessionmaker(engine))

    async def close(self) -> None:
        await self.engine.dispose()

    async def drain_jobs(self) -> None:
        """Run the job worker until no job is due (e-mails, webhook deliveries, plugins' jobs)."""
        from bocage.core.jobs.worker import Worker

        await Worker(self.settings, self.host, self.engine).run(burst=True)


@async_fixture(loop_scope="session")
async def bocage_world(
    bocage_databases: Databases,
    bocage_small_demo_url: str,
    bocage_setting_overrides: dict[str, Any],
) -> AsyncIterator[World]:
    """A writable copy of the small demo GAL for this test alone (see :class:`World`)."""
    url = await bocage_databases.clone(bocage_small_demo_url)
    world = World.open(url, settings_for(url, **bocage_setting_overrides))
    yield world
    await world.close()


Run = Callable[..., Awaitable[dict[str, Any]]]


def runner(world: World, *, language: str = "fr") -> Run:
    """Executes GraphQL in-process on ``world`` as a principal: ``await run(document,
    variables, principal=...)`` returns the body (``data`` and maybe ``errors``)."""

    async def execute(
        query: str, variables: dict[str, Any] | None = None, *, principal: Principal | None = None
    ) -> dict[str, Any]:
        import orjson

        from bocage.core.auth.principal import ANONYMOUS
        from bocage.core.auth.tenancy import confine, read_directory
        from bocage.core.graphql.context import Context

        caller = principal or ANONYMOUS
        if caller.tenancy is None and not caller.is_anonymous:
            # As the authenticator: confined to its territories once there are several GALs.
            async with world.sessionmaker() as session:
                caller = confine(caller, await read_directory(session))
        context = Context(
            settings=world.settings,
            host=world.host,
            sessionmaker=world.sessionmaker,
            language=language,
            principal=caller,
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


@pytest.fixture
def bocage_run(bocage_world: World) -> Run:
    """``await bocage_run(document, variables, principal=...)``: GraphQL on
    :func:`bocage_world` without HTTP; returns the whole body."""
    return runner(bocage_world)


@pytest.fixture
def bocage_drain_jobs(bocage_world: World) -> Callable[[], Awaitable[None]]:
    """``await bocage_drain_jobs()``: run every due job of :func:`bocage_world` now."""
    return bocage_world.drain_jobs


# -- who calls: principals and their tokens ------------------------------------------------------


class Principals:
    """A principal of each role. Pass one as ``principal=`` to :class:`GraphQL` or
    :func:`bocage_run`, or get its bearer token from :func:`bocage_token`."""

    @property
    def anonymous(self) -> Principal:
        """The public: reads the public API, nothing else."""
        from bocage.core.auth.principal import ANONYMOUS

        return ANONYMOUS

    @property
    def admin(self) -> Principal:
        """A territory administrator (GAL staff): every permission, every commune."""
        from bocage.core.auth.principal import Principal, PrincipalKind, Role

        return Principal(
            kind=PrincipalKind.PERSON, subject="gal-admin", roles=frozenset({Role.TERRITORY_ADMIN})
        )

    def admin_of(self, *territories: str, subject: str | None = None) -> Principal:
        """A territory administrator whose token names the territories (slugs) ``territories``:
        on an installation of several GALs, confined to theirs (docs/tenancy.md)."""
        from bocage.core.auth.principal import Principal, PrincipalKind, Role

        return Principal(
            kind=PrincipalKind.PERSON,
            subject=subject or f"admin-{'-'.join(sorted(territories))}",
            roles=frozenset({Role.TERRITORY_ADMIN}),
            territories=frozenset(territories),
        )

    @property
    def operator(self) -> Principal:
        """An operator: above the territories of an installation of several GALs."""
        from bocage.core.auth.principal import Principal, PrincipalKind, Role

        return Principal(
            kind=PrincipalKind.PERSON, subject="operator", roles=frozenset({Role.OPERATOR})
        )

    def editor(self, *nis_codes: str, subject: str | None = None) -> Principal:
        """A commune editor of ``nis_codes`` (Hannut when none is given)."""
        from bocage.core.auth.principal import Principal, PrincipalKind, Role

        communes = frozenset(nis_codes or (HANNUT,))
        return Principal(
            kind=PrincipalKind.PERSON,
            subject=subject or f"editor-{'-'.join(sorted(communes))}",
            roles=frozenset({Role.COMMUNE_EDITOR}),
            communes=communes,
        )

    def member(self, *stakeholders: int, subject: str = "member") -> Principal:
        """A member of the organisations whose database keys are ``stakeholders``."""
        from bocage.core.auth.principal import Principal, PrincipalKind, Role

        return Principal(
            kind=PrincipalKind.PERSON,
            subject=subject,
            roles=frozenset({Role.STAKEHOLDER_MEMBER}),
            stakeholders=frozenset(stakeholders),
        )

    def integrator(
        self,
        *scopes: str,
        communes: Sequence[str] = (),
        client_id: str = "integrator",
        territories: Sequence[str] = (),
    ) -> Principal:
        """A machine client holding ``scopes`` (permission codes), within ``communes`` if any
        (and, on an installation of several GALs, its ``territories``' rows)."""
        from bocage.core.auth.principal import Principal, PrincipalKind, Role

        return Principal(
            kind=PrincipalKind.CLIENT,
            subject=client_id,
            client_id=client_id,
            roles=frozenset({Role.INTEGRATOR}),
            scopes=frozenset(scopes),
            communes=frozenset(communes),
            territories=frozenset(territories),
        )

    def person(self, subject: str = "citizen") -> Principal:
        """A signed-in person with no role (a citizen registering for an event)."""
        from bocage.core.auth.principal import Principal, PrincipalKind

        return Principal(kind=PrincipalKind.PERSON, subject=subject)


@pytest.fixture(scope="session")
def bocage_principals() -> Principals:
    """A principal of each role: ``.anonymous``, ``.admin``, ``.editor("64034")``,
    ``.member(stakeholder_key)``, ``.integrator("scope", ...)``, ``.person()``."""
    return Principals()


async def bearer(app: Any, principal: Principal) -> str | None:
    """The ``Authorization`` header of ``principal`` on ``app`` (None for the anonymous)."""
    if principal.is_anonymous:
        return None
    if principal.client_id is not None:
        await _register_client(app, principal)
    issued = await app.state.issuer.issue(
        subject=principal.subject or "test",
        roles=principal.roles,
        communes=principal.communes,
        stakeholders=principal.stakeholders,
        scopes=principal.scopes,
        client_id=principal.client_id,
        territories=principal.territories,
    )
    return f"Bearer {issued.access_token}"


async def _register_client(app: Any, principal: Principal) -> None:
    """Make ``principal``'s OAuth2 client exist (the API refuses tokens of unknown clients)."""
    from sqlalchemy import select

    from bocage.core.auth.models import OAuthClient
    from bocage.core.auth.secrets import hash_secret, new_secret

    async with app.state.sessionmaker() as session, session.begin():
        found = await session.execute(
            select(OAuthClient.client_id).where(OAuthClient.client_id == principal.client_id)
        )
        if found.first() is None:
            session.add(
                OAuthClient(
                    client_id=principal.client_id,
                    name=f"test client {principal.client_id}",
                    secret_hash=hash_secret(new_secret()),
                    scopes=sorted(principal.scopes),
                    communes=sorted(principal.communes),
                    territories=sorted(principal.territories),
                )
            )


# -- HTTP: an app, a client, GraphQL --------------------------------------------------------------


class GraphQLErrors(AssertionError):
    """The answer had ``errors``; ``.errors`` holds them, ``.data`` what came with them."""

    def __init__(self, errors: list[dict[str, Any]], data: Any) -> None:
        self.errors = errors
        self.data = data
        codes = ", ".join(
            f"{(e.get('extensions') or {}).get('code', '?')}: {e.get('message')}" for e in errors
        )
        super().__init__(f"GraphQL errors: {codes}")


class GraphQL:
    """GraphQL over HTTP with ``client``. ``await gql(document, variables)`` returns ``data``
    and raises :class:`GraphQLErrors` if the answer has errors; ``errors=True`` returns the
    errors instead (a list, empty when there were none). ``principal=`` sends its token."""

    def __init__(self, client: httpx.AsyncClient, app: Any = None) -> None:
        self.client = client
        self.app = app

    async def body(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        principal: Principal | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The whole JSON body (``data`` and maybe ``errors``), asserting a 200 answer."""
        sent = dict(headers or {})
        if principal is not None:
            token = await bearer(self.app, principal)
            if token:
                sent["authorization"] = token
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": dict(variables or {})}, headers=sent
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def __call__(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        principal: Principal | None = None,
        headers: Mapping[str, str] | None = None,
        errors: bool = False,
    ) -> Any:
        body = await self.body(document, variables, principal=principal, headers=headers)
        if errors:
            return body.get("errors") or []
        if body.get("errors"):
            raise GraphQLErrors(body["errors"], body.get("data"))
        return body["data"]


@contextlib.asynccontextmanager
async def serve(app: Any, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan and yield an HTTP client of it (in process, no socket)."""
    import httpx

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, **client_options)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


@async_fixture(loop_scope="session")
async def bocage_app(bocage_world: World) -> AsyncIterator[Any]:
    """The ASGI app over :func:`bocage_world`'s database, started (its lifespan runs)."""
    from bocage.core.app import create_app

    app = create_app(bocage_world.settings, host=bocage_world.host)
    async with app.router.lifespan_context(app):
        yield app


@async_fixture(loop_scope="session")
async def bocage_client(bocage_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An ``httpx.AsyncClient`` of :func:`bocage_app` (base URL ``http://bocage.test``)."""
    import httpx

    transport = httpx.ASGITransport(app=bocage_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def bocage_gql(bocage_client: httpx.AsyncClient, bocage_app: Any) -> GraphQL:
    """``await bocage_gql(document, variables, principal=..., errors=False)``: see
    :class:`GraphQL`."""
    return GraphQL(bocage_client, bocage_app)


@pytest.fixture
def bocage_token(bocage_app: Any) -> Callable[[Principal], Awaitable[str | None]]:
    """``await bocage_token(principal)``: the ``Authorization`` header value (``Bearer ...``)
    that authenticates ``principal`` on :func:`bocage_app`; None for the anonymous."""

    async def token(principal: Principal) -> str | None:
        return await bearer(bocage_app, principal)

    return token


# -- counting statements, and both read paths side by side ----------------------------------------


class StatementCounter:
    """Counts the SQL statements engines execute while active (``with``): pass an app's
    ``state.engine`` and ``state.read_engine`` (the GraphQL fast path's, another engine on
    PostgreSQL) to count everything the app sends, or use :meth:`of` (which also counts the
    fast path's statements sent to asyncpg directly, past SQLAlchemy, on PostgreSQL)."""

    def __init__(self, *engines: Any, raw_reads: Any = None) -> None:
        self.engines = list(dict.fromkeys(engine.sync_engine for engine in engines))
        self.raw_reads = raw_reads
        self.statements: list[str] = []

    @classmethod
    def of(cls, app: Any) -> StatementCounter:
        """A counter of every statement ``app`` sends."""
        state = app.state
        return cls(state.engine, state.read_engine, raw_reads=getattr(state, "raw_reads", None))

    def _count(self, *args: Any) -> None:
        self.statements.append(args[2])

    def __enter__(self) -> StatementCounter:
        from sqlalchemy import event

        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._count)
        if self.raw_reads is not None:
            self.raw_reads.listeners.append(self.statements.append)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import event

        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._count)
        if self.raw_reads is not None:
            self.raw_reads.listeners.remove(self.statements.append)

    @property
    def count(self) -> int:
        return len(self.statements)


class ReadPaths:
    """One database served by two apps: the read compiler's, and the resolvers' alone (neither
    checks the other). ``post`` sends the same document to both, as anonymous or with a token
    of ``roles``, and returns both bodies and the number of statements the compiled one ran."""

    def __init__(self, apps: dict[str, tuple[Any, httpx.AsyncClient]]) -> None:
        self.apps = apps

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
            # Keyword names cannot hold hyphens: accept_language is the Accept-Language header.
            sent = {name.replace("_", "-"): value for name, value in headers.items()}
            if roles or scopes:
                issued = await app.state.issuer.issue(
                    subject="read-paths", roles=list(roles), scopes=list(scopes)
                )
                sent["authorization"] = f"Bearer {issued.access_token}"
                # What authentication reads once per period (keys, grants, territories) is
                # read before counting: the count is the document's statements.
                await app.state.authenticator.verify(issued.access_token)
            with StatementCounter.of(app) as counter:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
                )
            assert response.status_code == 200, response.text
            bodies[path] = response.content
            if path == "compiled":
                statements = counter.count
        return bodies["compiled"], bodies["resolvers"], statements


@pytest.fixture
def bocage_read_paths() -> Callable[[str], contextlib.AbstractAsyncContextManager[ReadPaths]]:
    """``async with bocage_read_paths(url) as paths``: see :class:`ReadPaths` (the read
    compiler's differential tests)."""

    @contextlib.asynccontextmanager
    async def open_paths(url: str) -> AsyncIterator[ReadPaths]:
        from bocage.core.app import create_app

        async with contextlib.AsyncExitStack() as stack:
            apps = {}
            for path, compiled in (("compiled", True), ("resolvers", False)):
                app = create_app(
                    settings_for(url, graphql_compile=compiled, graphql_compile_check=False)
                )
                client = await stack.enter_async_context(serve(app))
                apps[path] = (app, client)
            yield ReadPaths(apps)

    return open_paths


# -- mail and webhooks: local receivers ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
def bocage_smtp() -> Iterator[SmtpSink]:
    """An SMTP server on loopback for the test's duration; its ``settings`` point Bocage at
    it (see :func:`bocage_setting_overrides`), ``messages()`` are what it received."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


async def wait_for(
    predicate: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float = 20.0
) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


@dataclass
class Received:
    """A request the webhook receiver got."""

    headers: dict[str, str]
    body: bytes
    query: str = ""

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP endpoint (a real server on loopback: deliveries go through the network stack)
    that records every request at ``url``; ``answer(request)`` picks the status, ``delay``
    slows each answer. Subscriptions to it need ``webhooks_allow_private_targets``."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answer: Callable[[Received], int] = lambda request: 200
    delay: float = 0.0

    #: The settings that let deliveries reach a loopback receiver.
    settings = {"webhooks_allow_private_targets": True}

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests]

    def events(self) -> list[Any]:
        """The JSON bodies received, in order."""
        return [r.json() for r in self.requests]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # The sender died mid-body: a request that never arrived whole is not one a
                # receiver processes, nor records.
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        request = Received(headers=headers, body=body, query=scope["query_string"].decode())
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.answer(request)
        extra = [(b"location", b"https://elsewhere.example/")] if 300 <= status < 400 else []
        text = f"answered {status}".encode()
        length = str(len(text)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", length), *extra],
            }
        )
        await send({"type": "http.response.body", "body": text})


@async_fixture(loop_scope="session")
async def bocage_webhooks() -> AsyncIterator[WebhookReceiver]:
    """A webhook receiver on loopback for the test's duration (see :class:`WebhookReceiver`)."""
    import uvicorn

    app = WebhookReceiver()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await wait_for(lambda: server.started, 10)
    app.url = f"http://127.0.0.1:{port}/hooks/bocage"
    yield app
    server.should_exit = True
    await task
    sock.close()
