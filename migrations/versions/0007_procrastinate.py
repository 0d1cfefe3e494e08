"""PostgreSQL: the schema of procrastinate, the job queue Bocage runs on there.

The SQL is procrastinate's own (``SchemaManager.get_schema()``, shipped in the package), applied
as is. SQLite keeps the ``job`` table (the embedded queue) and gets nothing here. Upgrading
procrastinate past the version pinned in pyproject.toml needs a revision applying the package's
own migrations (``procrastinate schema --migrations-path`` lists them).

Revision ID: 0007_procrastinate
Revises: 0006_external_ids
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.util import await_only

revision: str = "0007_procrastinate"
down_revision: str | Sequence[str] | None = "0006_external_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Removes every object procrastinate's schema creates (they all start with ``procrastinate_``).
DROP = """
DROP TABLE IF EXISTS procrastinate_periodic_defers, procrastinate_events, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || item.signature || ' CASCADE';
    END LOOP;
    FOR item IN SELECT t.typname FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
            AND t.typtype IN ('e', 'c')
    LOOP
        EXECUTE 'DROP TYPE ' || quote_ident(item.typname) || ' CASCADE';
    END LOOP;
END $$;
"""


def _run_script(sql: str) -> None:
    """Several statements at once: through the driver's simple query protocol (a prepared
    statement takes only one)."""
    driver = op.get_bind().connection.driver_connection
    result = driver.execute(sql)
    if hasattr(result, "__await__"):  # asyncpg
        await_only(result)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(DROP)
