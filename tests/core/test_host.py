"""The plugin host refuses, at startup and with a useful message, anything that cannot work."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from pydantic import Field
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bocage.core import hookspecs
from bocage.core import models as m
from bocage.core.api import (
    DomainEvent,
    Permission,
    PluginSettings,
    RestRoute,
    RowType,
    hookimpl,
)
from bocage.core.app import create_app
from bocage.core.errors import PluginError, SettingsError
from bocage.core.host import PluginHost


def plugin(**hooks: Any) -> SimpleNamespace:
    """A plugin object whose attributes are the given hook implementations."""
    return SimpleNamespace(**{name: hookimpl(function) for name, function in hooks.items()})


def make_host(make_settings: Any, *extra: tuple[str, object], **overrides: Any) -> PluginHost:
    return PluginHost(make_settings("sqlite+aiosqlite:///:memory:", **overrides), extra=extra)


def test_core_is_always_loaded(make_settings: Any) -> None:
    host = make_host(make_settings)
    assert host.plugins[0].name == "core"  # then the bundled plugins (opendata, ...)


def test_misspelled_hook_fails_at_startup(make_settings: Any) -> None:
    typo = SimpleNamespace(bocage_routez=hookimpl(lambda: []))
    with pytest.raises(PluginError) as error:
        make_host(make_settings, ("typo", typo))
    assert "bocage_routez" in str(error.value)
    assert "bocage_routes" in str(error.value)  # the list of known hooks helps fix it


def test_wrong_hook_arguments_fail_at_startup(make_settings: Any) -> None:
    bad = SimpleNamespace(bocage_on_event=hookimpl(lambda evt: None))
    with pytest.raises(PluginError, match=r"(?s)plugin .bad. does not honour the contract.*evt"):
        make_host(make_settings, ("bad", bad))


def test_duplicate_plugin_name_fails(make_settings: Any) -> None:
    with pytest.raises(PluginError, match="two plugins are named 'core'"):
        make_host(make_settings, ("core", plugin()))


def test_disabling_the_core_or_an_unknown_plugin_fails(make_settings: Any) -> None:
    with pytest.raises(SettingsError, match="core cannot be disabled"):
        make_host(make_settings, disabled_plugins=["core"])
    with pytest.raises(SettingsError, match="nosuchplugin, which is not installed"):
        make_host(make_settings, disabled_plugins=["nosuchplugin"])


def test_missing_plugin_setting_fails_at_startup(make_settings: Any) -> None:
    class KeySettings(PluginSettings):
        token: str = Field(description="API token.")

    with pytest.raises(SettingsError, match="BOCAGE_NEEDY_TOKEN: is required but not set"):
        make_host(make_settings, ("needy", plugin(bocage_settings=lambda: KeySettings)))


def test_settings_hook_must_return_plugin_settings(make_settings: Any) -> None:
    with pytest.raises(PluginError, match="PluginSettings subclass"):
        make_host(make_settings, ("odd", plugin(bocage_settings=lambda: dict)))


def test_duplicate_permission_codes_fail(make_settings: Any) -> None:
    perms = [Permission("things:write", "Write things.")]
    with pytest.raises(PluginError, match="'things:write' is declared by both 'a' and 'b'"):
        make_host(
            make_settings,
            ("a", plugin(bocage_permissions=lambda: perms)),
            ("b", plugin(bocage_permissions=lambda: perms)),
        )


@strawberry.type(name="Commune")
class OtherCommune:
    label: str


@strawberry.type
class ClashingTypeQuery:
    @strawberry.field
    def other_commune(self) -> OtherCommune:
        return OtherCommune(label="x")


@strawberry.type
class ClashingFieldQuery:
    @strawberry.field
    def projects(self) -> int:
        return 0


def test_duplicate_graphql_type_names_fail(make_settings: Any) -> None:
    host = make_host(
        make_settings, ("clash", plugin(bocage_graphql_query=lambda: [ClashingTypeQuery]))
    )
    with pytest.raises(PluginError, match="Commune is defined multiple times"):
        create_app(host.settings, host=host)


def test_duplicate_query_fields_fail(make_settings: Any) -> None:
    host = make_host(
        make_settings, ("clash", plugin(bocage_graphql_query=lambda: [ClashingFieldQuery]))
    )
    with pytest.raises(PluginError, match="Query.projects is contributed by both 'core' and"):
        create_app(host.settings, host=host)


@strawberry.type(name="OddMeasure")
class OddMeasure(RowType):
    """Shows rows of a model named otherwise, which does not say so (``__graphql_type__``)."""

    model = m.IndicatorValue
    row: strawberry.Private[m.IndicatorValue]
    id: int


@strawberry.type
class OddMeasureQuery:
    @strawberry.field
    def odd_measure(self) -> OddMeasure | None:
        return None


def test_a_row_type_named_otherwise_than_its_model_fails(make_settings: Any) -> None:
    """Audit entries, events and auditTrail name rows by the model's GraphQL type: a type
    that shows them under another name must be declared on the model."""
    host = make_host(make_settings, ("odd", plugin(bocage_graphql_query=lambda: [OddMeasureQuery])))
    with pytest.raises(PluginError, match="set __graphql_type__ = 'OddMeasure' on the model"):
        create_app(host.settings, host=host)


def _route(name: str, path: str) -> RestRoute:
    return RestRoute(name=name, route=Route(path, lambda r: PlainTextResponse("x")))


def test_duplicate_route_names_and_paths_fail(make_settings: Any) -> None:
    host = make_host(
        make_settings,
        ("a", plugin(bocage_routes=lambda: [_route("things", "/api/a")])),
        ("b", plugin(bocage_routes=lambda: [_route("things", "/api/b")])),
    )
    with pytest.raises(PluginError, match="route name 'things' is used by both 'a' and 'b'"):
        create_app(host.settings, host=host)
    host = make_host(make_settings, ("c", plugin(bocage_routes=lambda: [_route("h", "/healthz")])))
    with pytest.raises(PluginError, match="route path /healthz is served by both 'core' and 'c'"):
        create_app(host.settings, host=host)


def test_missing_migration_folder_fails(make_settings: Any, tmp_path: Any) -> None:
    with pytest.raises(PluginError, match="migration folder .*nope does not exist"):
        make_host(
            make_settings,
            ("m", plugin(bocage_migration_locations=lambda: [tmp_path / "nope"])),
        )


def test_events_reach_every_plugin_and_a_failing_one_does_not_stop_the_others(
    make_settings: Any,
) -> None:
    seen: list[str] = []

    def broken(event: DomainEvent) -> None:
        raise RuntimeError("boom")

    host = make_host(
        make_settings,
        ("broken", plugin(bocage_on_event=broken)),
        ("listener", plugin(bocage_on_event=lambda event: seen.append(event.type))),
    )
    failures = host.emit(DomainEvent(type="project.created", subject="UHJvamVjdDox"))
    assert seen == ["project.created"]
    assert [str(f) for f in failures] == ["boom"]


def test_hook_names_are_prefixed_and_documented() -> None:
    assert hookspecs.HOOK_NAMES
    for name in hookspecs.HOOK_NAMES:
        function = getattr(hookspecs, name)
        assert name.startswith("bocage_")
        assert function.__doc__ and len(function.__doc__) > 40, f"{name} needs a docstring"
        assert "return" in function.__annotations__, f"{name} needs a return type"


# -- compatibility: the contract versions a plugin supports --------------------------------------


def declaring(requires: str, **hooks: Any) -> SimpleNamespace:
    """A plugin declaring ``BOCAGE_REQUIRES = requires``."""
    return SimpleNamespace(BOCAGE_REQUIRES=requires, **vars(plugin(**hooks)))


def test_a_plugin_for_another_contract_is_refused(make_settings: Any) -> None:
    assert hookspecs.CONTRACT_VERSION == "1.1"
    with pytest.raises(PluginError) as error:
        make_host(make_settings, ("future", declaring(">=2.0,<3")))
    message = str(error.value)
    assert "plugin 'future'" in message  # the plugin,
    assert "supports the plugin contract <3,>=2.0" in message  # its declared range,
    assert "provides contract 1.1" in message  # the running version,
    assert "BOCAGE_DISABLED_PLUGINS=future" in message  # and a way out


def test_a_malformed_contract_specifier_is_refused(make_settings: Any) -> None:
    with pytest.raises(PluginError, match=r"plugin 'odd': BOCAGE_REQUIRES = '1\.0\+' .*not a"):
        make_host(make_settings, ("odd", declaring("1.0+")))


def test_a_supporting_plugin_loads_and_one_that_says_nothing_is_warned_of(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    host = make_host(make_settings, ("fits", declaring(">=1.0,<2")), ("mute", plugin()))
    assert host.infos["fits"].requires == "<2,>=1.0"
    assert host.infos["mute"].requires is None
    warned = [r.getMessage() for r in caplog.records if r.name == "bocage.plugins"]
    assert len(warned) == 1
    assert "plugin 'mute'" in warned[0] and 'BOCAGE_REQUIRES = ">=1.1,<2"' in warned[0]


def test_the_bundled_plugins_declare_the_contract_they_support(make_settings: Any) -> None:
    host = make_host(make_settings)
    bundled = [info for info in host.plugins if info.module.startswith("bocage.plugins.")]
    assert {info.name for info in bundled} >= {"opendata", "surveys", "workshops"}
    assert all(info.requires == "<2,>=1.0" for info in bundled), bundled


# -- startup checks -----------------------------------------------------------------------------


def test_a_misspelled_optional_hook_fails_at_startup(make_settings: Any) -> None:
    """``optionalhook=True`` lets a hook of a disabled plugin through; a name that no installed
    plugin declares is a typo that would never be called."""
    typo = SimpleNamespace(bocage_datasetz=hookimpl(optionalhook=True)(lambda: []))
    with pytest.raises(PluginError) as error:
        make_host(make_settings, ("typo", typo))
    assert "plugin 'typo' implements bocage_datasetz" in str(error.value)
    assert "did you mean bocage_datasets?" in str(error.value)


def test_datasets_are_checked_without_the_open_data_plugin(make_settings: Any) -> None:
    """``bocage_datasets`` is the core's: what it returns is checked with the open-data
    plugin disabled too (a hook of a disabled plugin: tests/test_testplugin.py)."""
    publisher = SimpleNamespace(bocage_datasets=hookimpl(optionalhook=True)(lambda: [1]))
    with pytest.raises(PluginError, match="'publisher': bocage_datasets returned item 0 is 1"):
        make_host(make_settings, ("publisher", publisher), disabled_plugins=["opendata"])


def test_a_hook_returning_the_wrong_type_fails_at_startup(make_settings: Any) -> None:
    with pytest.raises(PluginError) as error:
        make_host(make_settings, ("odd", plugin(bocage_permissions=lambda: {"code": "x"})))
    assert "plugin 'odd': bocage_permissions returned {'code': 'x'} (a dict), not a list" in str(
        error.value
    )
    assert "must return Sequence[Permission]" in str(error.value)
    with pytest.raises(PluginError, match=r"plugin 'odd': bocage_routes returned item 0 is"):
        make_host(make_settings, ("odd", plugin(bocage_routes=lambda: ["/api/odd"])))
    with pytest.raises(PluginError, match=r"bocage_seed returned 'demo' \(a str\), not a function"):
        make_host(make_settings, ("odd", plugin(bocage_seed=lambda: "demo")))
    with pytest.raises(PluginError, match=r"bocage_compiled_reads returned \[\] \(a list\)"):
        make_host(make_settings, ("odd", plugin(bocage_compiled_reads=lambda: [])))


def test_every_hook_spec_has_a_return_type_the_host_can_check() -> None:
    from bocage.core.hook_types import _UNCHECKED, return_type

    for name in hookspecs.HOOK_NAMES:
        assert return_type(getattr(hookspecs, name)) is not _UNCHECKED, name


@strawberry.type
class UncostedQuery:
    @strawberry.field
    async def uncosted_count(self) -> int:  # async: it does work, and says not what it costs
        return 0


def test_a_graphql_field_without_a_cost_fails_at_startup(make_settings: Any) -> None:
    host = make_host(make_settings, ("cheap", plugin(bocage_graphql_query=lambda: [UncostedQuery])))
    with pytest.raises(PluginError) as error:
        create_app(host.settings, host=host)
    assert "plugin 'cheap': GraphQL field Query.uncostedCount declares no cost" in str(error.value)
    assert "metadata=cost(...)" in str(error.value)


def _migration(folder: Any, name: str, **values: Any) -> None:
    folder.mkdir(exist_ok=True)
    lines = [f"{key} = {value!r}" for key, value in values.items()]
    body = "\n".join([*lines, "def upgrade():\n    pass", "def downgrade():\n    pass", ""])
    (folder / f"{name}.py").write_text(body, encoding="utf-8")


def _with_migrations(make_settings: Any, folder: Any, name: str = "agenda") -> PluginHost:
    return make_host(make_settings, (name, plugin(bocage_migration_locations=lambda: [folder])))


def test_a_plugin_migration_without_its_branch_label_fails(
    make_settings: Any, tmp_path: Any
) -> None:
    folder = tmp_path / "unlabelled"
    _migration(folder, "a1", revision="agenda_0001", down_revision=None, depends_on="0001_core")
    with pytest.raises(PluginError) as error:
        _with_migrations(make_settings, folder)
    assert "plugin 'agenda': migration a1.py (revision 'agenda_0001')" in str(error.value)
    assert "set branch_labels = ('agenda',)" in str(error.value)


def test_a_plugin_migration_continuing_the_core_branch_fails(
    make_settings: Any, tmp_path: Any
) -> None:
    """Today's trap: ``down_revision`` = a core revision merges the plugin into the core's
    branch, whose head then moves with the plugin."""
    folder = tmp_path / "merged"
    _migration(folder, "a1", revision="agenda_0001", down_revision="0003_auth")
    with pytest.raises(PluginError, match="down_revision = '0003_auth', a revision of 'core'"):
        _with_migrations(make_settings, folder)
    other = tmp_path / "other"
    _migration(other, "a1", revision="agenda_0001", down_revision=None, branch_labels=("core",))
    with pytest.raises(PluginError, match="without the plugin's label"):
        _with_migrations(make_settings, other)


def test_a_plugin_migration_with_a_bad_depends_on_fails(make_settings: Any, tmp_path: Any) -> None:
    folder = tmp_path / "deps"
    _migration(
        folder,
        "a1",
        revision="agenda_0001",
        down_revision=None,
        branch_labels=("agenda",),
        depends_on="0003_auht",
    )
    with pytest.raises(PluginError) as error:
        _with_migrations(make_settings, folder)
    assert "plugin 'agenda': migration a1.py" in str(error.value)
    assert "depends_on = '0003_auht', which is no revision of the core" in str(error.value)


def test_a_well_formed_plugin_branch_passes(make_settings: Any, tmp_path: Any) -> None:
    folder = tmp_path / "good"
    _migration(
        folder,
        "a1",
        revision="agenda_0001",
        down_revision=None,
        branch_labels=("agenda",),
        depends_on="0003_auth",
    )
    _migration(folder, "a2", revision="agenda_0002", down_revision="agenda_0001")
    assert _with_migrations(make_settings, folder).migration_locations()["agenda"] == folder


class ThingSpecs:
    """Hooks a plugin declares for the others (``bocage_hookspecs``)."""

    @hookspecs.hookspec
    def bocage_things(self) -> Sequence[str]:
        """Return the names of things."""
        return ()


def test_plugins_declare_hooks_for_each_other(make_settings: Any) -> None:
    provider = plugin(bocage_hookspecs=lambda: [ThingSpecs])
    host = make_host(
        make_settings, ("provider", provider), ("user", plugin(bocage_things=lambda: ["a"]))
    )
    assert host.contributions("bocage_things") == [("user", "a")]
    with pytest.raises(PluginError, match=r"'bad': bocage_things returned item 0 is 1 \(a int\)"):
        make_host(make_settings, ("provider", provider), ("bad", plugin(bocage_things=lambda: [1])))


def test_a_startup_check_of_a_plugin_stops_startup(make_settings: Any) -> None:
    seen: list[PluginHost] = []

    def check(host: PluginHost) -> None:
        seen.append(host)
        if "rival" in host.infos:
            raise PluginError("plugin 'rival' clashes with 'checker': disable one of them")

    host = make_host(make_settings, ("checker", plugin(bocage_startup_check=check)))
    assert seen == [host]  # called once, with the host, its plugins' settings ready
    with pytest.raises(PluginError, match="'rival' clashes with 'checker'"):
        make_host(
            make_settings, ("checker", plugin(bocage_startup_check=check)), ("rival", plugin())
        )
