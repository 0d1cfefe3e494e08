"""The plugin host refuses, at startup and with a useful message, anything that cannot work."""

from __future__ import annotations

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
    host = make_host(
        make_settings,
        ("m", plugin(bocage_migration_locations=lambda: [tmp_path / "nope"])),
    )
    with pytest.raises(PluginError, match="migration folder .*nope does not exist"):
        host.migration_locations()


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
