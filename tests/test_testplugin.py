"""A third-party plugin, pip-installed, extends every layer; disabling it removes it from all.

The plugin lives in tests/testplugin and is installed with pip into a private folder, then
found through the ``bocage`` entry-point group like any plugin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect
from strawberry import relay

from bocage.core import migrate
from bocage.core.app import create_app
from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.db import create_engine
from bocage.core.exports import openapi_text, sdl_text
from bocage.core.host import PluginHost

pytestmark = pytest.mark.usefixtures("with_testplugin")


async def table_names(url: str, make_settings: Any) -> set[str]:
    engine = create_engine(make_settings(url))
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


def test_entry_point_discovery(cli: Any, empty_database_url: str) -> None:
    result = cli("plugins", "list", "--json", env={"BOCAGE_DATABASE_URL": empty_database_url})
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    names = {p["name"]: p for p in listed["enabled"]}
    assert names["testplugin"]["version"] == "1.2.3"
    assert names["testplugin"]["module"] == "bocage_testplugin.plugin"


async def test_db_upgrade_applies_the_plugin_branch(
    cli: Any, empty_database_url: str, make_settings: Any
) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    result = cli("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert "testplugin: tp_0001" in result.stdout
    assert {"testplugin_note", "project"} <= await table_names(empty_database_url, make_settings)
    current = cli("db", "current", env=env)
    assert current.returncode == 0 and ": pending" not in current.stdout


async def test_plugin_branch_downgrades_alone(
    cli: Any, empty_database_url: str, make_settings: Any
) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    assert cli("db", "upgrade", env=env).returncode == 0
    result = cli("db", "downgrade", "testplugin@base", env=env)
    assert result.returncode == 0, result.stderr
    tables = await table_names(empty_database_url, make_settings)
    assert "testplugin_note" not in tables and "project" in tables


async def test_type_field_route_settings_and_seed_are_served(
    empty_database_url: str, make_settings: Any
) -> None:
    settings = make_settings(empty_database_url)
    app = create_app(settings)
    assert "testplugin" in [p.name for p in app.state.host.plugins]
    async with app.router.lifespan_context(app):  # auto-migrates, both branches
        from bocage.core.seed import seed_all

        await seed_all(app.state.engine, app.state.host, scale=0.05)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            body = (
                await client.post(
                    "/graphql",
                    json={"query": "{ testpluginNotes { id text } plugins { name version } }"},
                )
            ).json()
            assert body.get("errors") is None, body
            assert body["data"]["testpluginNotes"] == [
                {"id": relay.to_base64("TestpluginNote", 1), "text": "note de démonstration"}
            ]
            assert {"name": "testplugin", "version": "1.2.3"} in body["data"]["plugins"]
            route = await client.get("/api/testplugin/notes")
            assert route.status_code == 200
            assert route.json()["greeting"] == "bonjour"
            openapi = (await client.get("/openapi.json")).json()
            assert "/api/testplugin/notes" in openapi["paths"]
    assert app.state.host.plugin_settings("testplugin").greeting == "bonjour"
    assert "testplugin:read" in [p.code for p in app.state.host.permissions()]


async def test_a_plugins_root_list_is_compiled_through_the_hook(
    empty_database_url: str, make_settings: Any, read_paths: Any
) -> None:
    """``bocage_compiled_reads`` of a third-party plugin: its page of notes is answered in one
    statement, byte for byte as its resolvers answer it, and falls back to them for what it
    does not declare."""
    from sqlalchemy import insert, select

    from bocage.core.models import Commune
    from bocage.core.seed import seed_all

    app = create_app(make_settings(empty_database_url))
    async with app.router.lifespan_context(app):
        await seed_all(app.state.engine, app.state.host, scale=0.05)
        async with app.state.engine.begin() as connection:
            commune = (await connection.execute(select(Commune.id).limit(1))).scalar_one()
            table = _note_table()
            await connection.execute(
                insert(table),
                [
                    {"text": f"note {n} 100%", "commune_id": commune if n % 2 else None}
                    for n in range(7)
                ],
            )
    query = """query($after: String, $containing: String) {
        testpluginNotePage(first: 3, after: $after, containing: $containing) {
          totalCount pageInfo { hasNextPage endCursor }
          edges { cursor node { __typename id text commune place { __typename id nisCode } } }
        } }"""
    async with read_paths(empty_database_url) as paths:
        after, pages = None, 0
        while True:
            compiled, resolved, statements = await paths.post(query, {"after": after})
            assert compiled == resolved and statements == 1
            pages += 1
            page = json.loads(compiled)["data"]["testpluginNotePage"]
            assert page["totalCount"] == 8
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert pages == 3
        compiled, resolved, statements = await paths.post(query, {"containing": "0 100%"})
        assert compiled == resolved and statements == 1
        found = json.loads(compiled)["data"]["testpluginNotePage"]["edges"]
        assert [e["node"]["text"] for e in found] == ["note 0 100%"]
        assert found[0]["node"]["commune"] is None and found[0]["node"]["place"] is None
        compiled, resolved, statements = await paths.post(query, {"containing": "1 100%"})
        assert compiled == resolved and statements == 1
        node = json.loads(compiled)["data"]["testpluginNotePage"]["edges"][0]["node"]
        # A plugin's field returns the core's Commune (bocage.core.api.CommuneType).
        assert node["place"]["__typename"] == "Commune"
        assert node["place"]["id"] == node["commune"] and len(node["place"]["nisCode"]) == 5
        compiled, resolved, statements = await paths.post(
            "{ testpluginNotePage { edges { node { text } } } testpluginNotes { id } }"
        )
        assert compiled == resolved and statements == 2  # testpluginNotes: its resolver


def _note_table() -> Any:
    from bocage_testplugin.models import Note

    return Note.__table__


async def test_mutation_and_subscription_fields_are_merged(make_settings: Any) -> None:
    from bocage.core.graphql.schema import build_schema

    schema = build_schema(PluginHost(make_settings("sqlite+aiosqlite:///:memory:")))
    result = await schema.execute('mutation { testpluginEcho(text: "salut") }')
    assert result.errors is None and result.data == {"testpluginEcho": "salut"}
    stream = await schema.subscribe("subscription { testpluginCountdown(start: 2) }")
    values = [item.data["testpluginCountdown"] async for item in stream]  # type: ignore[union-attr]
    assert values == [2, 1, 0]


async def test_a_plugins_objects_are_found_in_the_audit_trail_by_their_global_id(
    world: Any, run: Any
) -> None:
    """The write kit names the plugin's object as its GraphQL type does (the model declares
    ``__graphql_type__``): the ID the mutation answers finds its audit entry and its event."""
    assert "testplugin" in [p.name for p in world.host.plugins]
    await migrate.upgrade(world.engine, world.host)
    admin = Principal(
        kind=PrincipalKind.PERSON, subject="admin", roles=frozenset({Role.TERRITORY_ADMIN})
    )
    added = await run(
        'mutation { testpluginAddNote(text: "à relire") { note { id text } errors } }',
        principal=admin,
    )
    assert added["data"]["testpluginAddNote"]["errors"] == [], added
    note = added["data"]["testpluginAddNote"]["note"]
    trail = await run(
        """query($id: ID) { auditTrail(object: $id) { edges { node {
          action objectType objectId changes } } } }""",
        {"id": note["id"]},
        principal=admin,
    )
    [entry] = [edge["node"] for edge in trail["data"]["auditTrail"]["edges"]]
    assert (entry["action"], entry["objectType"], entry["objectId"]) == (
        "created",
        "TestpluginNote",
        note["id"],
    )
    assert entry["changes"]["text"]["after"] == "à relire"
    found = await run(
        "query($id: ID!) { node(id: $id) { ... on TestpluginNote { text } } }", {"id": note["id"]}
    )
    assert found["data"]["node"] == {"text": "à relire"}
    feed = await run(
        """{ changes(first: 5, objectTypes: ["TestpluginNote"]) {
          edges { node { type objectId } } } }""",
        principal=admin,
    )
    assert feed["data"]["changes"]["edges"][0]["node"] == {
        "type": "note.created",
        "objectId": note["id"],
    }


def test_plugin_settings_come_from_its_environment_variables(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOCAGE_TESTPLUGIN_GREETING", "goeiedag")
    host = PluginHost(make_settings("sqlite+aiosqlite:///:memory:"))
    assert host.plugin_settings("testplugin").greeting == "goeiedag"


def test_plugin_cli_command(cli: Any, empty_database_url: str) -> None:
    result = cli("testplugin-hello", env={"BOCAGE_DATABASE_URL": empty_database_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello from testplugin"


async def test_disabling_the_plugin_removes_type_route_and_migration(
    cli: Any, empty_database_url: str, make_settings: Any
) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url, "BOCAGE_DISABLED_PLUGINS": "testplugin"}
    assert cli("db", "upgrade", env=env).returncode == 0
    tables = await table_names(empty_database_url, make_settings)
    assert "project" in tables and "testplugin_note" not in tables

    settings = make_settings(empty_database_url, disabled_plugins=["testplugin"])
    host = PluginHost(settings)
    assert "testplugin" not in sdl_text(host).lower()
    assert "/api/testplugin" not in openapi_text(host)
    app = create_app(settings, host=host)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/api/testplugin/notes")).status_code == 404
            body = (
                await client.post("/graphql", json={"query": "{ testpluginNotes { id } }"})
            ).json()
            assert "Cannot query field 'testpluginNotes'" in body["errors"][0]["message"]
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.json()
    listed = json.loads(cli("plugins", "list", "--json", env=env).stdout)
    assert listed["disabled"] == ["testplugin"]
    assert "testplugin" not in [p["name"] for p in listed["enabled"]]


async def test_a_database_that_had_the_plugin_still_works_once_it_is_disabled(
    cli: Any, empty_database_url: str
) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    assert cli("db", "upgrade", env=env).returncode == 0
    disabled = {**env, "BOCAGE_DISABLED_PLUGINS": "testplugin"}
    current = cli("db", "current", env=disabled)
    assert current.returncode == 0, current.stdout + current.stderr
    assert cli("db", "upgrade", env=disabled).returncode == 0


def test_the_installed_plugin_is_a_real_distribution(with_testplugin: Path) -> None:
    assert list(with_testplugin.glob("bocage_testplugin-1.2.3.dist-info/entry_points.txt"))


def test_an_uninstalled_plugin_whose_tables_remain_is_named_in_one_line(
    cli: Any, empty_database_url: str
) -> None:
    """Uninstalled after ``db upgrade``: its revision is unknown, and the CLI says whose it
    is and what to do, in one line rather than alembic's traceback."""
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    assert cli("db", "upgrade", env=env).returncode == 0
    gone = cli("db", "upgrade", env={**env, "PYTHONPATH": ""})  # the plugin is not found
    assert gone.returncode == 2, gone.stderr
    assert "Traceback" not in gone.stderr
    # After alembic's INFO lines (``main`` logs its steps), one line says it all.
    line = gone.stderr.strip().splitlines()[-1]
    assert line.startswith("error: the database is at revision 'tp_0001'")
    assert "plugin 'testplugin' was uninstalled while its tables remain" in line
    assert "testplugin_note" in line and "bocage db downgrade testplugin@base" in line


def test_an_optional_hook_of_a_disabled_plugin_is_accepted(make_settings: Any) -> None:
    """The test plugin, disabled, still declares ``bocage_testplugin_colours``
    (``bocage_hookspecs``): an optional implementation is accepted and never called, a name no
    installed plugin declares is refused as a misspelling."""
    from types import SimpleNamespace

    from bocage.core.api import PluginError, hookimpl

    settings = make_settings("sqlite+aiosqlite:///:memory:", disabled_plugins=["testplugin"])
    user = SimpleNamespace(bocage_testplugin_colours=hookimpl(optionalhook=True)(lambda: [1]))
    host = PluginHost(settings, extra=[("user", user)])
    assert "user" in host.infos and "testplugin" not in host.infos
    typo = SimpleNamespace(bocage_testplugin_colors=hookimpl(optionalhook=True)(lambda: []))
    with pytest.raises(PluginError, match="did you mean bocage_testplugin_colours"):
        PluginHost(settings, extra=[("typo", typo)])
    enabled = make_settings("sqlite+aiosqlite:///:memory:")
    with pytest.raises(PluginError, match="'user': bocage_testplugin_colours returned item 0"):
        PluginHost(enabled, extra=[("user", user)])
