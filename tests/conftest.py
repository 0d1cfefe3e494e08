"""The suite's own fixtures. Most come from Bocage's test kit (``bocage.core.testing``, loaded
through its ``pytest11`` entry point, as in any plugin package's tests): this suite is its
first user. The names tests have always used are kept here as thin aliases of the kit's
``bocage_*`` fixtures; what only this suite needs (the demo app shared by read tests, the test
plugin, the CLI, hostile files, generated documents) is defined below.

The engine is SQLite unless ``BOCAGE_TEST_DATABASE_URL`` names a PostgreSQL server
(``postgresql+asyncpg://user@host:port/db``): see the kit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from bocage.core.app import create_app
from bocage.core.settings import Settings
from bocage.core.testing import Databases, GraphQL, ReadPaths, Run, World, settings_for

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("bocage"):
        raise pytest.UsageError(
            "the test kit (bocage.core.testing) is not loaded: reinstall the package so that its "
            "pytest11 entry point exists (pip install -e '.[test]'), and do not pass -p no:bocage"
        )


# -- the kit's fixtures under the names the suite's tests use ---------------------------------


@pytest.fixture(scope="session")
def databases(bocage_databases: Databases) -> Databases:
    return bocage_databases


@pytest.fixture
def empty_database_url(bocage_empty_database_url: str) -> str:
    """A new, empty database (not migrated)."""
    return bocage_empty_database_url


@pytest.fixture(scope="session")
def demo_database_url(bocage_demo_database_url: str) -> str:
    """A database migrated and loaded with the demo data, shared by read-only tests."""
    return bocage_demo_database_url


@pytest.fixture(scope="session")
def small_demo_url(bocage_small_demo_url: str) -> str:
    """A migrated database with a small demo GAL, copied for every test that writes."""
    return bocage_small_demo_url


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    return settings_for


@pytest.fixture
def world(bocage_world: World) -> World:
    """A fresh copy of the small demo database, with its settings, host, schema and engine."""
    return bocage_world


@pytest.fixture
def run(bocage_run: Run) -> Run:
    """Execute a GraphQL document on ``world`` as ``principal`` (anonymous by default)."""
    return bocage_run


@pytest.fixture
def read_paths(
    bocage_read_paths: Callable[[str], contextlib.AbstractAsyncContextManager[ReadPaths]],
) -> Callable[[str], contextlib.AbstractAsyncContextManager[ReadPaths]]:
    """``async with read_paths(url) as paths``: both read paths over one database."""
    return bocage_read_paths


# -- the demo app shared by read-only tests ------------------------------------------------------


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


GraphQLBody = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLBody:
    """POST a GraphQL document; return the JSON body (``data`` and maybe ``errors``);
    keyword arguments are headers (``accept_language="nl"``)."""
    kit = GraphQL(client)

    async def post(
        query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        return await kit.body(
            query, variables, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )

    return post


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
def pip_target(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """``pip_target(package_folder)``: ``pip install`` it into a private folder (not the
    environment), whose path is returned: put it on ``PYTHONPATH`` to load the plugin."""

    def install(package: Path) -> Path:
        target = tmp_path_factory.mktemp(f"{package.name}-site")
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
                str(package),
            ],
            check=True,
        )
        return target

    return install


@pytest.fixture(scope="session")
def testplugin_dir(pip_target: Callable[[Path], Path]) -> Path:
    """``pip install`` tests/testplugin into a private folder (not the environment)."""
    return pip_target(ROOT / "tests" / "testplugin")


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


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's chromium and chromium-driver) that reaches loopback only:
    the browser tests' driver, skipped with the reason where it is not installed."""
    import shutil
    import tempfile

    driver_path = shutil.which("chromedriver")
    if not CHROMIUM.exists() or driver_path is None:
        pytest.skip(
            "headless Chromium is not installed: apt-get install -y chromium chromium-driver"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bocage-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # No network but loopback: a script from a CDN would not load.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def export_formats() -> Any:
    """Readers of a dataset's exports in every format: ``tests/export_formats.py``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "export_formats", ROOT / "tests" / "export_formats.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
