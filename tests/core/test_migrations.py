"""Migrations run on both engines, forwards and backwards, and /readyz tells where they stand."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect

import bocage.core.models  # noqa: F401 - registers the core tables
from bocage.core import migrate
from bocage.core.app import create_app
from bocage.core.db import Base, create_engine
from bocage.core.errors import PluginError
from bocage.core.host import PluginHost


async def _tables(engine: Any) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda c: set(inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_database_url: str, make_settings: Any) -> None:
    settings = make_settings(empty_database_url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, host)
        state = await migrate.state(engine, host)
        # Bundled plugins with tables (surveys) add heads of their own branches.
        assert state.at_head and _core_head(host) in state.heads
        # The test plugin's table joins the shared metadata once a test has loaded it.
        model_tables = {name for name in Base.metadata.tables if not name.startswith("testplugin_")}
        assert model_tables <= await _tables(engine)

        await migrate.downgrade(engine, host, "base")
        assert not (model_tables & await _tables(engine))
        assert not (await migrate.state(engine, host)).at_head

        await migrate.upgrade(engine, host)
        assert model_tables <= await _tables(engine)
        assert (await migrate.state(engine, host)).at_head
    finally:
        await engine.dispose()


async def test_models_match_the_migrations(empty_database_url: str, make_settings: Any) -> None:
    """Autogenerate finds nothing to add: the models and the revisions agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    settings = make_settings(empty_database_url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, host)

        def diff(connection: Any) -> list[Any]:
            context = MigrationContext.configure(
                connection, opts={"compare_type": False, "include_object": _ours}
            )
            return compare_metadata(context, Base.metadata)

        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Ignore the full-text machinery the migration adds by hand (FTS5 tables, GIN indexes),
    the spatial indexes (R*Tree tables, GiST indexes),
    procrastinate's tables,
    and the test plugin's table when an earlier test loaded it into the shared metadata."""
    if type_ == "table" and name and name.startswith("testplugin_"):
        return False
    if type_ == "table" and name and name.startswith("procrastinate_"):
        return False  # the job queue's schema on PostgreSQL: procrastinate's own SQL
    if type_ == "table" and name and (name.endswith("_fts") or "_fts_" in name):
        return False
    if type_ == "table" and name and "_place_rtree" in name:
        return False  # the spatial index on SQLite: R*Tree tables kept by triggers (0013)
    if type_ == "index" and name and name.endswith("_place_box"):
        return False  # the spatial index on PostgreSQL: GiST on an expression (0013)
    return not (type_ == "index" and name and name.endswith("_search"))


async def test_readyz_reports_pending_migrations_then_ready(
    empty_database_url: str, make_settings: Any
) -> None:
    app = create_app(make_settings(empty_database_url, auto_migrate=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            pending = await client.get("/readyz")
            assert pending.status_code == 503
            assert pending.json()["status"] == "migrations_pending"
            assert "bocage db upgrade" in pending.json()["detail"]
            await migrate.upgrade(app.state.engine, app.state.host)
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert _core_head(app.state.host) in ready.json()["migrations"]["heads"]


async def test_readyz_reports_an_unreachable_database(make_settings: Any, tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/missing-dir/x.db"
    app = create_app(make_settings(url, auto_migrate=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["database"] == "unreachable"
            assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_first_start_creates_and_migrates_the_sqlite_file(
    make_settings: Any, tmp_path: Any
) -> None:
    path = tmp_path / "fresh.db"
    app = create_app(make_settings(f"sqlite+aiosqlite:///{path}"))
    async with app.router.lifespan_context(app):
        assert path.exists()
        assert (await migrate.state(app.state.engine, app.state.host)).at_head


def _core_head(host: PluginHost) -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(host))
    return script.get_revision("core@head").revision


async def test_downgrading_past_the_job_queue_keeps_unfinished_jobs(
    empty_database_url: str, make_settings: Any
) -> None:
    """Migration 0007 moves the table queue's jobs to procrastinate on PostgreSQL; going back
    moves them back (waiting and running ones queued, failed ones dead) rather than dropping
    them. On SQLite the table queue stays: the same jobs are there after the round trip."""
    from sqlalchemy import text

    from bocage.core.db import sessionmaker
    from bocage.core.jobs import enqueue_job, list_jobs

    settings = make_settings(empty_database_url)
    host = PluginHost(settings)
    engine = create_engine(settings)
    pg = engine.dialect.name == "postgresql"
    try:
        await migrate.upgrade(engine, host)
        async with sessionmaker(engine)() as session, session.begin():
            ids = [
                (await enqueue_job(session, "tests.kind", {"n": n}, max_attempts=4)).id
                for n in range(3)
            ]
            table, status = ("procrastinate_jobs", "status") if pg else ("job", "status")
            dead, running = ("'failed'", "'doing'") if pg else ("'dead'", "'running'")
            await session.execute(
                text(f"UPDATE {table} SET {status} = {dead}, attempts = 4 WHERE id = :id"),
                {"id": ids[1]},
            )
            await session.execute(
                text(f"UPDATE {table} SET {status} = {running} WHERE id = :id"), {"id": ids[2]}
            )
        await migrate.downgrade(engine, host, "0006_external_ids")
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT kind, payload, status, attempts, max_attempts FROM job ORDER BY id"
                    )
                )
            ).all()
        found = [
            (kind, payload if isinstance(payload, dict) else json.loads(payload), status, a, m)
            for kind, payload, status, a, m in rows
        ]
        assert found == [
            ("tests.kind", {"n": 0}, "queued", 0, 4),
            ("tests.kind", {"n": 1}, "dead", 4, 4),
            ("tests.kind", {"n": 2}, "queued" if pg else "running", 0, 4),
        ]

        await migrate.upgrade(engine, host)  # and forwards again: the same jobs
        async with sessionmaker(engine)() as session:
            jobs = await list_jobs(session, kind="tests.kind", newest_first=False)
        assert [(j.payload, j.status) for j in jobs] == [
            ({"n": 0}, "queued"),
            ({"n": 1}, "dead"),
            ({"n": 2}, "queued" if pg else "running"),
        ]
    finally:
        await engine.dispose()


async def test_events_recorded_before_0008_get_the_scope_of_their_row(world: Any, run: Any) -> None:
    """Events recorded before events kept their row's scope (here: the state after a downgrade
    to 0007) get it from the upgrade: a contact's organisation and its communes, an open-data
    draft's commune; a contact gone since reaches nobody but the unrestricted."""
    from sqlalchemy import select

    from bocage.core import models as m
    from bocage.core.auth.principal import Principal, PrincipalKind, Role
    from bocage.core.events import record_event
    from bocage.core.hookspecs import DomainEvent
    from bocage.plugins.opendata import events as opendata_events
    from bocage.plugins.opendata.models import UploadedDataset

    def editor(nis_code: str) -> Principal:
        return Principal(
            kind=PrincipalKind.PERSON,
            subject=f"editor-{nis_code}",
            roles=frozenset({Role.COMMUNE_EDITOR}),
            communes=frozenset({nis_code}),
        )

    def publisher(nis_code: str) -> Principal:
        return Principal(
            kind=PrincipalKind.CLIENT,
            subject=f"portal-{nis_code}",
            client_id=f"portal-{nis_code}",
            roles=frozenset({Role.INTEGRATOR}),
            scopes=frozenset({"opendata:publish"}),
            communes=frozenset({nis_code}),
        )

    async with world.sessionmaker() as session, session.begin():
        hannut = (
            await session.execute(select(m.Commune).where(m.Commune.nis_code == "64034"))
        ).scalar_one()
        org = m.Stakeholder(kind=m.StakeholderKind.ASSOCIATION, name="Org A", territory_id=None)
        session.add(org)
        await session.flush()
        await session.execute(
            m.stakeholder_commune.insert().values(stakeholder_id=org.id, commune_id=hannut.id)
        )
        contact = m.Contact(stakeholder_id=org.id, given_name="Anne", family_name="L")
        upload = UploadedDataset(identifier="hannut-draft", commune_nis="64034", meta={})
        session.add_all([contact, upload])
        await session.flush()
        await record_event(
            session,
            DomainEvent("contact.created", relay_id("Contact", contact.id)),
            permission="contacts:read",
        )
        await record_event(
            session,
            DomainEvent("contact.created", relay_id("Contact", 999_999)),
            permission="contacts:read",
        )
        await opendata_events.record(session, opendata_events.CREATED, upload)

    feed = "{ changes(first: 100) { edges { node { type objectId } } } }"

    async def seen(principal: Principal) -> list[tuple[str, str]]:
        edges = (await run(feed, principal=principal))["data"]["changes"]["edges"]
        wanted = ("contact.created", "dataset.created")
        return [
            (e["node"]["type"], e["node"]["objectId"]) for e in edges if e["node"]["type"] in wanted
        ]

    before = {
        "hannut": await seen(editor("64034")),
        "andenne": await seen(editor("92003")),
        "hannut-portal": await seen(publisher("64034")),
        "andenne-portal": await seen(publisher("92003")),
    }
    assert before["hannut"] == [("contact.created", relay_id("Contact", contact.id))]
    assert before["andenne"] == []
    assert [t for t, _ in before["hannut-portal"]] == ["dataset.created"]
    assert before["andenne-portal"] == []

    await migrate.downgrade(world.engine, world.host, "0007_procrastinate")
    async with world.engine.connect() as connection:
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("event_log")}
        )
    assert "scoped" not in columns  # the events are as they were recorded before 0008
    await migrate.upgrade(world.engine, world.host)

    after = {
        name: await seen(p)
        for name, p in (
            ("hannut", editor("64034")),
            ("andenne", editor("92003")),
            ("hannut-portal", publisher("64034")),
            ("andenne-portal", publisher("92003")),
        )
    }
    assert after == before
    async with world.sessionmaker() as session:
        gone = (
            await session.execute(select(m.EventRecord).where(m.EventRecord.object_id == 999_999))
        ).scalar_one()
        assert gone.scoped and gone.scope_stakeholder_id is None


def relay_id(type_name: str, key: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


# -- plugins that left or fail -------------------------------------------------------------------


def _plugin_with_migration(folder: Any, name: str, upgrade_body: str) -> tuple[str, object]:
    """A plugin whose branch has one revision, ``<name>_0001``, doing ``upgrade_body``."""
    from types import SimpleNamespace

    from bocage.core.api import hookimpl

    folder.mkdir(parents=True)
    (folder / f"{name}_0001.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f"revision = '{name}_0001'\n"
        "down_revision = None\n"
        f"branch_labels = ('{name}',)\n"
        "depends_on = '0001_core'\n\n\n"
        f"def upgrade():\n{upgrade_body}\n\n"
        f"def downgrade():\n    op.drop_table('{name}_thing')\n",
        encoding="utf-8",
    )
    return name, SimpleNamespace(bocage_migration_locations=hookimpl(lambda: [folder]))


CREATE_THING = "    op.create_table('{}_thing', sa.Column('id', sa.Integer, primary_key=True))"


async def test_a_plugin_uninstalled_while_its_tables_remain_is_named(
    empty_database_url: str, make_settings: Any, tmp_path: Any
) -> None:
    settings = make_settings(empty_database_url)
    gone = _plugin_with_migration(tmp_path / "gone", "gone", CREATE_THING.format("gone"))
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, PluginHost(settings, extra=[gone]))
        without = PluginHost(settings)  # the plugin is uninstalled: its revision is unknown
        for attempt in (migrate.upgrade, migrate.state):
            with pytest.raises(PluginError) as error:
                await attempt(engine, without)
            message = str(error.value)
            assert "revision 'gone_0001', which neither the core nor any installed" in message
            assert "plugin 'gone' was uninstalled while its tables remain" in message
            assert "tables no installed plugin declares: gone_thing" in message
            assert "`bocage db downgrade gone@base`" in message
            assert "DELETE FROM alembic_version WHERE version_num IN ('gone_0001')" in message
    finally:
        await engine.dispose()
    app = create_app(make_settings(empty_database_url, auto_migrate=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["database"] == "ok"  # reachable: the log says which plugin's tables
    assert "uninstalled plugin" in ready.json()["detail"]


async def test_a_migration_failing_half_way_leaves_the_database_as_it_was(
    empty_database_url: str, make_settings: Any, tmp_path: Any
) -> None:
    """On SQLite too: DDL runs in the upgrade's transaction, so the table the revision made
    before failing goes with it, and the next upgrade is not blocked by it."""
    settings = make_settings(empty_database_url)
    failing = _plugin_with_migration(
        tmp_path / "v1",
        "halfway",
        CREATE_THING.format("halfway") + "\n    raise RuntimeError('the second step fails')",
    )
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, PluginHost(settings))
        before = await _tables(engine)
        heads = (await migrate.state(engine, PluginHost(settings))).current
        with pytest.raises(RuntimeError, match="the second step fails"):
            await migrate.upgrade(engine, PluginHost(settings, extra=[failing]))
        assert await _tables(engine) == before  # no halfway_thing left behind
        assert (await migrate.state(engine, PluginHost(settings))).current == heads

        fixed = _plugin_with_migration(tmp_path / "v2", "halfway", CREATE_THING.format("halfway"))
        host = PluginHost(settings, extra=[fixed])
        await migrate.upgrade(engine, host)  # the fixed release applies cleanly
        assert "halfway_thing" in await _tables(engine)
        assert (await migrate.state(engine, host)).at_head
    finally:
        await engine.dispose()
