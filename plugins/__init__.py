"""Plugins bundled with Bocage.

Each bundled plugin lives in a sub-package here and is registered through the ``bocage``
entry-point group, exactly like a third-party plugin, so it can be disabled by name.
"""
