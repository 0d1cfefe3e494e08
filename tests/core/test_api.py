"""The contract (``bocage.core.api``): the only door plugins use, and the host they see."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import bocage.core.api as api
import bocage.plugins
from bocage.core.host import PluginHost

PLUGINS = Path(bocage.plugins.__file__).parent
PACKAGES = ("bocage", "bocage.core", "bocage.plugins")
TESTPLUGIN = Path(__file__).parents[1] / "testplugin" / "bocage_testplugin"


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in ``path``, ``from x import y`` giving ``x`` and
    ``x.y`` (``from bocage.core import db`` names ``bocage.core.db``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module in PACKAGES:  # the modules imported are what it names
                found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def _plugin_packages() -> list[tuple[str, Path]]:
    bundled = [
        (f"bocage.plugins.{p.name}", p)
        for p in sorted(PLUGINS.iterdir())
        if (p / "__init__.py").exists()
    ]
    return [*bundled, ("bocage_testplugin", TESTPLUGIN)]


def test_plugins_import_only_the_contract_and_themselves() -> None:
    """No bundled plugin (nor the test plugin) imports the core's private modules or another
    plugin: what they need is in ``bocage.core.api``, as it is for a third-party plugin."""
    offenders = []
    for package, folder in _plugin_packages():
        for path in sorted(folder.rglob("*.py")):
            for line, module in _imports(path):
                own = module == package or module.startswith(f"{package}.")
                contract = module == "bocage.core.api" or module.startswith("bocage.core.api.")
                bocage = module == "bocage" or module.startswith(("bocage.", "bocage_"))
                if bocage and not own and not contract:
                    offenders.append(f"{path.relative_to(folder.parent)}:{line}: {module}")
    assert offenders == [], "import these through bocage.core.api:\n" + "\n".join(offenders)


def test_the_walk_sees_a_private_import(tmp_path: Path) -> None:
    """The walk above is not vacuous: both spellings of a private import are found."""
    module = tmp_path / "m.py"
    module.write_text(
        "from bocage.core import db\nimport bocage.core.events\n"
        "def f():\n    from bocage.plugins.opendata.datasets import Dataset\n",
        encoding="utf-8",
    )
    names = {name for _, name in _imports(module)}
    assert {"bocage.core.db", "bocage.core.events", "bocage.plugins.opendata.datasets"} <= names


def test_the_concrete_host_is_a_host(make_settings: Any) -> None:
    """``PluginHost`` satisfies the ``Host`` protocol (mypy checks the signatures too: see
    ``[tool.mypy]`` in pyproject.toml, strict on core/api.py, core/host.py, core/hookspecs.py)."""
    host: api.Host = PluginHost(make_settings("sqlite+aiosqlite:///:memory:"))
    assert isinstance(host, api.Host)
    members = {name for name in dir(api.Host) if not name.startswith("_") and name != "register"}
    assert members <= set(dir(host))
    assert host.plugin_settings("opendata") is not None
    assert "core" in {p.name for p in host.plugins}
    assert {"communes", "survey-results"} - {d.identifier for _, d in host.datasets()} == {
        "communes"  # the core's own datasets are built by the open-data plugin
    }
    assert "project.created" in host.event_types()


def test_a_host_without_a_database_says_so(make_settings: Any) -> None:
    host = PluginHost(make_settings("sqlite+aiosqlite:///:memory:"))
    with pytest.raises(api.PluginError, match="no database yet"):
        host.session()


def test_a_dataset_of_the_wrong_type_is_refused_at_startup(make_settings: Any) -> None:
    """The core declares ``bocage_datasets``: what it returns is checked like any hook's."""

    class Wrong:
        @api.hookimpl
        def bocage_datasets(self) -> list[object]:
            return ["not a dataset"]

    with pytest.raises(api.PluginError, match="plugin 'wrong': bocage_datasets returned item 0"):
        PluginHost(make_settings("sqlite+aiosqlite:///:memory:"), extra=[("wrong", Wrong())])


async def test_a_plugin_uses_the_host_for_a_session_a_job_and_its_events(world: Any) -> None:
    """What a REST handler or a job does with the host alone: open a session on the app's
    database, enqueue a job in its transaction, hand the committed events to the plugins."""
    from sqlalchemy import select
    from starlette.requests import Request

    from bocage.core.app import create_app
    from bocage.core.jobs import list_jobs

    seen: list[api.DomainEvent] = []

    async def noop(context: api.JobContext, payload: dict[str, Any]) -> None:
        return None

    class Listens:
        @api.hookimpl
        def bocage_on_event(self, event: api.DomainEvent) -> None:
            seen.append(event)

        @api.hookimpl
        def bocage_jobs(self) -> list[api.JobKind]:
            return [api.JobKind("listens.noop", noop)]

    app = create_app(
        world.settings,
        host=PluginHost(world.settings, extra=[("listens", Listens())]),
        engine=world.engine,
    )
    host = api.host_of(Request({"type": "http", "app": app}))  # as a REST handler gets it
    async with host.session() as session, session.begin():
        commune = (await session.execute(select(api.Commune).limit(1))).scalar_one()
        await api.record_event(session, api.event_for(commune, "touched"))
        job_id = await host.enqueue_job(session, "listens.noop", {"n": 1})
    host.announce(session)
    assert [e.type for e in seen] == ["commune.touched"]
    assert seen[0].subject == api.global_id("Commune", commune.id)
    async with host.session() as session:
        jobs = await list_jobs(session, kind="listens.noop")
    assert [job.id for job in jobs] == [job_id]


async def test_a_plugin_creates_a_project_with_its_sdgs(world: Any) -> None:
    """``api.create_project`` takes the goals and targets ``createProject`` takes, with the
    same rules: a target's goal joins the goals, an unknown code is refused naming the field."""
    from sqlalchemy import select

    from bocage.core.auth.principal import Principal, PrincipalKind, Role

    admin = Principal(
        kind=PrincipalKind.PERSON, subject="plugin-admin", roles=frozenset({Role.TERRITORY_ADMIN})
    )
    async with api.UnitOfWork(world.sessionmaker, admin) as work:
        commune = (await work.session.execute(select(api.Commune).limit(1))).scalar_one()
        project = await api.create_project(
            work.session,
            admin,
            title={"fr": "Compostage partagé"},
            focus="collaboration",
            communes=[api.global_id("Commune", commune.id)],
            sdgs=[13],
            sdg_targets=["12.5", "11.6"],
        )
        assert (project.sdgs, project.sdg_targets) == ([11, 12, 13], ["11.6", "12.5"])
        with pytest.raises(api.Invalid) as refused:
            await api.create_project(
                work.session,
                admin,
                title={"fr": "Cible inconnue"},
                focus="digital",
                communes=[api.global_id("Commune", commune.id)],
                sdg_targets=["18.1"],
            )
        assert refused.value.field == "sdgTargets"


def test_the_helpers() -> None:
    now = api.utcnow()
    assert now.tzinfo is dt.UTC
    naive = dt.datetime(2026, 1, 2, 3, 4)
    assert api.as_utc(naive) == naive.replace(tzinfo=dt.UTC)
    brussels = dt.datetime(2026, 1, 2, 4, 4, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert api.as_utc(brussels) == naive.replace(tzinfo=dt.UTC)
    assert api.global_id("Commune", 7) == "Q29tbXVuZTo3"
    assert api.node_key(api.global_id("Commune", 7), "Commune", "commune") == 7
    assert api.pick_text({"nl": "Hannuit", "fr": "Hannut"}, "de") == "Hannut"
    texts = api.input_texts(
        api.TranslationsInput(fr=" Bonjour "), "title", required=True, max_length=10
    )
    assert texts == {"fr": "Bonjour"}
    with pytest.raises(api.Invalid) as error:
        api.input_texts(None, "title", required=True, max_length=10)
    assert error.value.field == "title"
    assert api.LANGUAGES == ("fr", "nl", "de", "en")


def test_the_core_graphql_types_are_exported() -> None:
    for name in ("Commune", "Stakeholder", "Project", "Territory"):
        exported = getattr(api, f"{name}Type")
        assert exported.__strawberry_definition__.name == name
        assert exported.model is getattr(api, name)  # its rows: the model of the same name


def test_the_import_contract_forbids_every_core_module_but_the_contract() -> None:
    """``lint-imports`` (``[tool.importlinter]``) forbids plugins every module of the core but
    the contract (their tests may use the kit, which is not in a plugin's package): a module
    added to the core is added there too."""
    import tomllib

    import bocage.core

    core = Path(bocage.core.__file__).parent
    config = tomllib.loads((core.parent / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["type"] == "forbidden" and c["source_modules"] == ["bocage.plugins"]
    ]
    modules = {
        f"bocage.core.{p.stem if p.suffix == '.py' else p.name}"
        for p in core.iterdir()
        if not p.name.startswith("__") and (p.suffix == ".py" or (p / "__init__.py").exists())
    }
    assert set(contract["forbidden_modules"]) == modules - {"bocage.core.api"}
