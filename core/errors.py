"""Errors raised by the host when it cannot start, each with a message that says how to fix it."""

from __future__ import annotations


class BocageStartupError(Exception):
    """Bocage cannot start with this configuration or this set of plugins."""


class SettingsError(BocageStartupError):
    """A setting is missing or invalid."""


class PluginError(BocageStartupError):
    """A plugin does not honour the plugin contract."""
