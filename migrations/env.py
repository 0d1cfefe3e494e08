"""Alembic environment: runs on the connection handed over by :mod:`bocage.core.migrate`."""

from __future__ import annotations

from alembic import context

import bocage.core.models  # noqa: F401 - registers the core tables on Base.metadata
from bocage.core.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone calls alembic by hand
    raise SystemExit("Run migrations through `bocage db ...`, which configures every plugin.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # SQLite's DDL is transactional too: bocage.core.migrate begins the transaction by hand
    # (the driver would not), and the whole upgrade commits or rolls back as one.
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
