"""The plugin host: loads the core and every installed plugin and checks they fit together.

Plugins come from the ``bocage`` entry-point group, bundled and third-party alike; any of them
can be left out with ``BOCAGE_DISABLED_PLUGINS``. Everything a plugin could get wrong is
checked here, at startup, with a message that says how to fix it (``docs/plugins.md``, "Rules
the host enforces at startup"): the contract versions it supports, its hooks' names,
arguments and return values, its settings, its migrations' branch, and what plugins check
of each other (``bocage_startup_check``).
"""

from __future__ import annotations

import difflib
import importlib.metadata
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from bocage.core import __version__, hookspecs
from bocage.core.errors import PluginError, SettingsError
from bocage.core.hook_types import mismatch, return_type
from bocage.core.host_protocol import PluginInfo
from bocage.core.settings import PluginSettings, load_plugin_settings

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bocage.core.datasets import Dataset
    from bocage.core.hookspecs import (
        DomainEvent,
        MediaOwner,
        MediaStorage,
        Permission,
        RestRoute,
        WebhookEventType,
    )
    from bocage.core.settings import Settings

ENTRY_POINT_GROUP = "bocage"
CORE_PLUGIN = "core"

#: Hooks not called at load to check what they return: they act rather than give data.
ACTING_HOOKS = frozenset({"bocage_on_event", "bocage_startup_check"})

logger = logging.getLogger("bocage.plugins")


class PluginHost:
    """Owns the pluggy manager, the plugins' settings and their collected contributions.

    It satisfies the contract's :class:`~bocage.core.host_protocol.Host`, what plugins see of
    it; the rest (the manager, ``collect``, ``routes``...) is the core's.
    """

    def __init__(self, settings: Settings, *, extra: Sequence[tuple[str, object]] = ()) -> None:
        self.settings = settings
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.disabled: dict[str, importlib.metadata.EntryPoint] = {}
        self._plugin_settings: dict[str, PluginSettings] = {}
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._media_storage: MediaStorage | None = None

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
        requires = None if name == CORE_PLUGIN else self._supported_contract(name, plugin, version)
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as error:
            raise PluginError(
                f"plugin {name!r} does not honour the contract: {error}. "
                "See bocage.core.hookspecs for each hook's arguments"
            ) from None
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.infos[name] = PluginInfo(name=name, version=version, module=module, requires=requires)

    @staticmethod
    def _supported_contract(name: str, plugin: object, version: str) -> str | None:
        """The plugin's ``BOCAGE_REQUIRES``; refuses a plugin that does not support this
        contract. One that declares nothing is loaded with a warning (docs/compatibility.md)."""
        declared = getattr(plugin, hookspecs.REQUIRES_ATTRIBUTE, None)
        module = getattr(plugin, "__name__", type(plugin).__name__)
        running = hookspecs.CONTRACT_VERSION
        if declared is None:
            major = running.split(".")[0]
            logger.warning(
                "plugin %r (%s %s) does not say which versions of the plugin contract it "
                'supports; it is loaded as if it supported %s. Add %s = ">=%s,<%d" to %s',
                name,
                module,
                version,
                running,
                hookspecs.REQUIRES_ATTRIBUTE,
                running,
                int(major) + 1,
                module,
            )
            return None
        try:
            specifier = SpecifierSet(str(declared))
        except InvalidSpecifier:
            raise PluginError(
                f"plugin {name!r}: {hookspecs.REQUIRES_ATTRIBUTE} = {declared!r} in {module} is "
                f'not a version specifier; write one such as ">={running},<2"'
            ) from None
        if not specifier.contains(running, prereleases=True):
            raise PluginError(
                f"plugin {name!r} ({module} {version}) supports the plugin contract "
                f"{specifier}, but this Bocage ({__version__}) provides contract {running}: "
                f"install a version of the plugin that supports {running}, or disable it "
                f"with BOCAGE_DISABLED_PLUGINS={name}"
            )
        return str(specifier)

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
        self._add_plugin_hookspecs()
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as error:
            raise PluginError(
                f"plugin {self.pm.get_name(error.plugin)!r} does not honour the contract: {error}. "
                f"Known hooks: {', '.join(self._hook_names())}"
            ) from None
        self._refuse_unknown_optional_hooks()
        for name, model in self.collect("bocage_settings"):
            if model is not None:
                self._plugin_settings[name] = load_plugin_settings(name, model)
        self._unique("bocage_permissions", lambda p: p.code, "permission code")
        self._unique("bocage_media_owners", lambda o: o.type_name, "media owner type")
        self._check_returns()
        from bocage.core.migrate import check_branches

        check_branches(self)
        self.media_storage()
        self.collect("bocage_startup_check", host=self)

    def _add_plugin_hookspecs(self) -> None:
        """The hooks plugins declare for each other (``bocage_hookspecs``)."""
        for name, specs in self.collect("bocage_hookspecs"):
            for spec in specs or ():
                if all(self._has_spec(hook) for hook in _spec_names(spec)):
                    continue  # declared already (a plugin's module may add it itself)
                try:
                    self.pm.add_hookspecs(spec)
                except ValueError as error:
                    raise PluginError(f"plugin {name!r}: bocage_hookspecs: {error}") from None
                except pluggy.PluginValidationError as error:
                    raise PluginError(
                        f"plugin {self.pm.get_name(error.plugin)!r} does not honour a hook "
                        f"that {name!r} declares: {error}"
                    ) from None

    def _has_spec(self, hook_name: str) -> bool:
        caller = getattr(self.pm.hook, hook_name, None)
        return caller is not None and caller.spec is not None

    def _hook_names(self) -> list[str]:
        return sorted(
            name
            for name, caller in vars(self.pm.hook).items()
            if isinstance(caller, pluggy.HookCaller) and caller.spec is not None
        )

    def _refuse_unknown_optional_hooks(self) -> None:
        """``check_pending`` lets an implementation marked ``optionalhook=True`` through when no
        spec declares it: the hook of a plugin that may be disabled. One that no installed
        plugin declares at all is a misspelling, silently never called: refused."""
        known = set(self._hook_names())
        of_disabled = self._disabled_hook_names()
        for hook_name, caller in vars(self.pm.hook).items():
            if not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
                continue
            impls = caller.get_hookimpls()
            if not impls or hook_name in of_disabled:
                continue
            close = difflib.get_close_matches(hook_name, known | of_disabled, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise PluginError(
                f"plugin {impls[0].plugin_name!r} implements {hook_name}, which neither the "
                f"core nor any installed plugin declares: {hint}Fix its name; for a hook of "
                "another plugin, depend on that plugin so that it is installed (it may stay "
                f"disabled). Known hooks: {', '.join(sorted(known))}"
            )

    def _disabled_hook_names(self) -> set[str]:
        """The hooks installed but disabled plugins declare (``bocage_hookspecs``)."""
        names: set[str] = set()
        for entry_point in self.disabled.values():
            try:
                declare = getattr(entry_point.load(), "bocage_hookspecs", None)
                specs = (declare() if callable(declare) else None) or ()
            except Exception:  # a broken disabled plugin must not stop the others
                continue
            for spec in specs:
                names.update(_spec_names(spec))
        return names

    def _check_returns(self) -> None:
        """Call every hook that gives data once, so that what it returns is checked now
        (``collect`` checks each value against the spec) rather than at first use."""
        for hook_name in self._hook_names():
            spec = getattr(self.pm.hook, hook_name).spec
            if hook_name in ACTING_HOOKS or set(spec.argnames) - {"host"}:
                continue
            self.collect(hook_name, host=self)

    # -- collecting contributions --------------------------------------------------------------

    def collect(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call each implementation of a hook separately: ``[(plugin name, result)]``.

        Unlike a plain hook call, this keeps who returned what, for error messages.
        """
        caller = getattr(self.pm.hook, hook_name)
        expected = return_type(caller.spec.function) if caller.spec is not None else None
        results = []
        for impl in caller.get_hookimpls():  # registration order
            # As pluggy does: an implementation takes only the arguments it names.
            given = {name: kwargs[name] for name in impl.argnames if name in kwargs}
            result = impl.function(**given)
            problem = mismatch(expected, result) if caller.spec is not None else None
            if problem:
                declared = caller.spec.function.__annotations__.get("return")
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {hook_name} returned {problem}; it must "
                    f"return {declared} (see its specification in bocage.core.hookspecs)"
                )
            results.append((impl.plugin_name, result))
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

    def datasets(self) -> list[tuple[str, Dataset]]:
        """``[(plugin, dataset)]`` of every ``bocage_datasets`` implementation (each checked
        to be a ``Dataset``, as every hook's values are)."""
        return self.contributions("bocage_datasets")

    def event_types(self) -> dict[str, WebhookEventType]:
        """Every event type webhook subscribers may receive, by name."""
        from bocage.core.webhooks import event_types

        return event_types(self)

    def media_storage(self) -> MediaStorage:
        """Where media bytes live: the storage a plugin provides (``bocage_media_storage``),
        else the folder ``BOCAGE_MEDIA_DIR`` (made once, then kept)."""
        if self._media_storage is None:
            from bocage.core.media.storage import choose_storage

            self._media_storage = choose_storage(
                self.collect("bocage_media_storage", host=self), self.settings.media_dir
            )
        return self._media_storage

    def media_owners(self) -> dict[str, MediaOwner]:
        """The kinds of objects media may be attached to, by GraphQL type name."""
        return {o.type_name: o for _, o in self.contributions("bocage_media_owners")}

    # -- the database, events and jobs, for plugins ----------------------------------------------

    def bind(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Give the host the application's database (``create_app`` and workers do)."""
        self._sessionmaker = sessionmaker

    @property
    def bound(self) -> bool:
        return self._sessionmaker is not None

    def session(self) -> AsyncSession:
        """A new session on the application's database (an async context manager)."""
        if self._sessionmaker is None:
            raise PluginError(
                "the plugin host has no database yet: sessions exist once the application "
                "(create_app) or a worker is built"
            )
        return self._sessionmaker()

    def announce(self, session: AsyncSession) -> None:
        """Hand the events ``session`` committed to every plugin's ``bocage_on_event``."""
        from bocage.core.events import committed_events

        for event in committed_events(session):
            self.emit(event)

    async def enqueue_job(
        self,
        session: AsyncSession,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: dt.datetime | None = None,
        max_attempts: int | None = None,
        unless_queued: bool = False,
    ) -> int:
        """Add a job of ``kind`` to ``session``'s transaction; returns its id."""
        from bocage.core.jobs import enqueue_job

        job = await enqueue_job(
            session,
            kind,
            payload,
            run_at=run_at,
            max_attempts=max_attempts,
            unless_queued=unless_queued,
        )
        return int(job.id)

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


def _spec_names(spec: object) -> list[str]:
    """The hooks a module or class of hook specifications declares."""
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return [name for name in dir(spec) if hasattr(getattr(spec, name, None), marker)]
