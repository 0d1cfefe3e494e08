"""PostgreSQL: the schema of procrastinate, the job queue Bocage runs on there.

The SQL is procrastinate's own (``SchemaManager.get_schema()``, shipped in the package), applied
as is. SQLite keeps the ``job`` table (the embedded queue) and gets nothing here. On PostgreSQL the
jobs not yet succeeded move from ``job`` to procrastinate (queued and running ones queued
again, dead ones ``failed``), and webhook deliveries point at their new ids. Upgrading
procrastinate past the version pinned in pyproject.toml needs a revision applying the package's
own migrations (``procrastinate schema --migrations-path`` lists them).

Revision ID: 0007_procrastinate
Revises: 0006_external_ids
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
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
    _move_jobs()


DEFER = sa.text(
    """SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(
        'bocage', CAST(:kind AS varchar), 0, NULL, NULL, CAST(:args AS jsonb),
        CAST(:run_at AS timestamptz))::procrastinate_job_to_defer_v1]))"""
)


def _move_jobs() -> None:
    """The table queue's unfinished jobs go on procrastinate's queue (the worker of this version
    reads only that one)."""
    import json

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, kind, CAST(payload AS text), status, attempts, max_attempts, run_at, "
            "last_error FROM job WHERE status <> 'succeeded' ORDER BY id"
        )
    ).all()
    for old_id, kind, payload, status, attempts, max_attempts, run_at, last_error in rows:
        args = {
            "payload": json.loads(payload),
            "max_attempts": max_attempts,
            "last_error": last_error,
        }
        new_id = bind.execute(
            DEFER, {"kind": kind, "args": json.dumps(args), "run_at": run_at}
        ).scalar_one()
        dead = status == "dead"
        # Procrastinate counts the attempts that ended; a running job's attempt did not.
        done = attempts if dead or status == "queued" else max(attempts - 1, 0)
        bind.execute(
            sa.text(
                "UPDATE procrastinate_jobs SET attempts = :attempts"
                + (", status = 'failed'" if dead else "")
                + " WHERE id = :id"
            ),
            {"attempts": done, "id": new_id},
        )
        # Negated for now: a new id may equal an old one still to move.
        bind.execute(
            sa.text("UPDATE webhook_delivery SET job_id = :new WHERE job_id = :old"),
            {"new": -new_id, "old": old_id},
        )
    bind.execute(sa.text("UPDATE webhook_delivery SET job_id = -job_id WHERE job_id < 0"))
    bind.execute(sa.text("DELETE FROM job WHERE status <> 'succeeded'"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _move_jobs_back()
    _run_script(DROP)


#: procrastinate's jobs as rows of ``job``: Bocage's status and attempts (see
#: ``ProcrastinateJob``), when due, created and finished.
JOBS_BACK = sa.text(
    """SELECT job.id, job.task_name,
        COALESCE(job.args -> 'payload', '{}'::jsonb),
        CASE WHEN CAST(job.status AS text) IN ('todo', 'doing') THEN 'queued'
             WHEN CAST(job.status AS text) = 'succeeded' THEN 'succeeded'
             ELSE 'dead' END,
        GREATEST(job.attempts - COALESCE(CAST(job.args ->> 'attempts_base' AS integer), 0), 0),
        CAST(job.args ->> 'max_attempts' AS integer), job.args ->> 'last_error',
        COALESCE(job.scheduled_at, created.at, NOW()), COALESCE(created.at, NOW()),
        CASE WHEN CAST(job.status AS text) NOT IN ('todo', 'doing') THEN finished.at END
    FROM procrastinate_jobs job
    LEFT JOIN LATERAL (SELECT MIN(at) AS at FROM procrastinate_events
        WHERE job_id = job.id AND CAST(type AS text) = 'deferred') created ON true
    LEFT JOIN LATERAL (SELECT MAX(at) AS at FROM procrastinate_events
        WHERE job_id = job.id) finished ON true
    ORDER BY job.id"""
)


def _move_jobs_back() -> None:
    """procrastinate's jobs go back to the table queue (the worker of the previous version
    reads only that one): waiting and running ones queued, failed ones dead; webhook
    deliveries point at their new ids."""
    bind = op.get_bind()
    for row in bind.execute(JOBS_BACK).all():
        old_id, kind, payload, status, attempts, max_attempts, last_error = row[:7]
        run_at, created_at, finished_at = row[7:]
        new_id = bind.execute(
            sa.text(
                "INSERT INTO job (kind, payload, status, attempts, max_attempts, run_at, "
                "last_error, created_at, finished_at) VALUES (:kind, CAST(:payload AS jsonb), "
                ":status, :attempts, :max_attempts, :run_at, :last_error, :created_at, "
                ":finished_at) RETURNING id"
            ),
            {
                "kind": kind,
                "payload": _json(payload),
                "status": status,
                "attempts": attempts,
                "max_attempts": max_attempts,
                "run_at": run_at,
                "last_error": last_error,
                "created_at": created_at,
                "finished_at": finished_at,
            },
        ).scalar_one()
        # Negated for now: a new id may equal an old one still to move.
        bind.execute(
            sa.text("UPDATE webhook_delivery SET job_id = :new WHERE job_id = :old"),
            {"new": -new_id, "old": old_id},
        )
    bind.execute(sa.text("UPDATE webhook_delivery SET job_id = -job_id WHERE job_id < 0"))


def _json(value: object) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)
