"""The plugin host: loads the core and every installed plugin and checks they fit together.

Plugins come from the ``bocage`` entry-point group, bundled and third-party alike; any of them
can be left out with ``BOCAGE_DISABLED_PLUGINS``. Everything a plugin could get wrong is
checked here, at startup, with a message that says how to fix it.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from bocage.core import __version__, hookspecs
from bocage.core.errors import PluginError, SettingsError
from bocage.core.settings import PluginSettings, load_plugin_settings

if TYPE_CHECKING:
    from bocage.core.hookspecs import DomainEvent, Permission, RestRoute
    from bocage.core.settings import Settings

ENTRY_POINT_GROUP = "bocage"
CORE_PLUGIN = "core"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    module: str


class PluginHost:
    """Owns the pluggy manager, the plugins' settings and their collected contributions."""

    def __init__(self, settings: Settings, *, extra: Sequence[tuple[str, object]] = ()) -> None:
        self.settings = settings
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.disabled: dict[str, importlib.metadata.EntryPoint] = {}
        self._plugin_settings: dict[str, PluginSettings] = {}

        from bocage.core import plugin as core_plugin

        self._register(CORE_PLUGIN, core_plugin, __version__)
        self._load_entry_points()
        for name, plugin in extra:
            self._register(name, plugin, "0")
        self._check()

    # -- loading -------------------------------------------------------------------------------

    def _register(self, name: str, plugin: object, version: str) -> None:
        if name in self.infos:
            raise PluginError(
                f"two plugins are named {name!r} ({self.infos[name].module} and "
                f"{getattr(plugin, '__name__', plugin)}); uninstall one of them"
            )
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as error:
            raise PluginError(
                f"plugin {name!r} does not honour the contract: {error}. "
                "See bocage.core.hookspecs for each hook's arguments"
            ) from None
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.infos[name] = PluginInfo(name=name, version=version, module=module)

    def _load_entry_points(self) -> None:
        disabled = set(self.settings.disabled_plugins)
        if CORE_PLUGIN in disabled:
            raise SettingsError("BOCAGE_DISABLED_PLUGINS: the core cannot be disabled")
        found: set[str] = set()
        for entry_point in sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
        ):
            found.add(entry_point.name)
            if entry_point.name in disabled:
                self.disabled[entry_point.name] = entry_point
                continue
            try:
                plugin = entry_point.load()
            except Exception as error:
                raise PluginError(
                    f"plugin {entry_point.name!r} ({entry_point.value}) failed to import: "
                    f"{error!r}; fix or uninstall it, or add it to BOCAGE_DISABLED_PLUGINS"
                ) from error
            version = entry_point.dist.version if entry_point.dist else "unknown"
            self._register(entry_point.name, plugin, version)
        unknown = disabled - found
        if unknown:
            raise SettingsError(
                f"BOCAGE_DISABLED_PLUGINS names {', '.join(sorted(unknown))}, which is not "
                f"installed (installed: {', '.join(sorted(found)) or 'none'})"
            )

    def _check(self) -> None:
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as error:
            known = ", ".join(hookspecs.HOOK_NAMES)
            raise PluginError(
                f"plugin {error.plugin!r} does not honour the contract: {error}. "
                f"Known hooks: {known}"
            ) from None
        for name, model in self.collect("bocage_settings"):
            if model is None:
                continue
            if not (isinstance(model, type) and issubclass(model, PluginSettings)):
                raise PluginError(
                    f"plugin {name!r}: bocage_settings must return a PluginSettings subclass"
                )
            self._plugin_settings[name] = load_plugin_settings(name, model)
        self._unique("bocage_permissions", lambda p: p.code, "permission code")

    # -- collecting contributions --------------------------------------------------------------

    def collect(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call each implementation of a hook separately: ``[(plugin name, result)]``.

        Unlike a plain hook call, this keeps who returned what, for error messages.
        """
        caller = getattr(self.pm.hook, hook_name)
        results = []
        for impl in caller.get_hookimpls():  # registration order
            # As pluggy does: an implementation takes only the arguments it names.
            given = {name: kwargs[name] for name in impl.argnames if name in kwargs}
            results.append((impl.plugin_name, impl.function(**given)))
        return results

    def contributions(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Flattened ``[(plugin name, item)]`` of hooks that return sequences."""
        return [
            (name, item)
            for name, items in self.collect(hook_name, **kwargs)
            for item in items or ()
        ]

    def _unique(self, hook_name: str, key: Callable[[Any], str], what: str) -> None:
        owners: dict[str, str] = {}
        for plugin, item in self.contributions(hook_name):
            value = key(item)
            if value in owners:
                raise PluginError(
                    f"{what} {value!r} is declared by both {owners[value]!r} and {plugin!r}; "
                    "rename one of them or disable one plugin with BOCAGE_DISABLED_PLUGINS"
                )
            owners[value] = plugin

    def plugin_settings(self, name: str) -> PluginSettings:
        """The validated settings of plugin ``name``."""
        return self._plugin_settings[name]

    def permissions(self) -> list[Permission]:
        return [item for _, item in self.contributions("bocage_permissions")]

    def routes(self) -> list[tuple[str, RestRoute]]:
        return self.contributions("bocage_routes", host=self)

    def migration_locations(self) -> dict[str, Path]:
        """Each plugin's migration folders by branch label (the plugin's name)."""
        locations: dict[str, Path] = {}
        for plugin, location in self.contributions("bocage_migration_locations"):
            path = Path(location)
            if not path.is_dir():
                raise PluginError(f"plugin {plugin!r}: migration folder {path} does not exist")
            locations[plugin] = path
        return locations

    def disabled_migration_locations(self) -> dict[str, Path]:
        """Migration folders of installed but disabled plugins.

        Alembic must know their revisions to read a database where they were once applied;
        their branches are not upgraded while the plugin stays disabled.
        """
        locations: dict[str, Path] = {}
        for name, entry_point in self.disabled.items():
            try:
                hook = getattr(entry_point.load(), "bocage_migration_locations", None)
            except Exception:  # a broken disabled plugin must not stop the others
                continue
            for location in (hook() if hook else None) or ():
                locations[name] = Path(location)
        return locations

    def emit(self, event: DomainEvent) -> list[Exception]:
        """Hand ``event`` to every plugin; failures are returned (and logged), never raised."""
        import logging

        failures: list[Exception] = []
        for impl in self.pm.hook.bocage_on_event.get_hookimpls():
            try:
                impl.function(event=event)
            except Exception as error:  # a plugin's bug must not break the caller
                logging.getLogger("bocage.events").exception(
                    "plugin %r failed on event %s", impl.plugin_name, event.type
                )
                failures.append(error)
        return failures

    @property
    def plugins(self) -> list[PluginInfo]:
        return list(self.infos.values())
