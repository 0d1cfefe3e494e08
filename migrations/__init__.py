"""Alembic environment and the core's revisions (branch ``core``).

Plugins keep their revisions in their own folders, returned by ``bocage_migration_locations``;
``bocage db upgrade`` applies every branch. See :mod:`bocage.core.migrate`.
"""
