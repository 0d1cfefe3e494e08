"""Bocage core: the host application, its settings, storage, plugin contract and GraphQL kit.

What plugin authors may import is listed in :mod:`bocage.core.api`; everything else is private.
"""

__version__ = "0.1.0"
