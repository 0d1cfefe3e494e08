"""opendata: the events recorded so far get their dataset's scope (its commune).

Events of drafts reach only those who may manage the dataset; those recorded before the core
kept events' scopes get it here: the dataset's commune as it is now, none for the GAL's own or
for a dataset deleted since (then only administrators and publishers limited to no commune
learn of them).

Revision ID: opendata_0002
Revises: opendata_0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "opendata_0002"
down_revision: str | Sequence[str] | None = "opendata_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0008_event_scope"

EVENTS = "SELECT id FROM event_log WHERE object_type = 'OpendataDataset'"


def upgrade() -> None:
    op.execute(
        "INSERT INTO event_scope_commune (event_log_id, nis_code) "
        "SELECT event_log.id, opendata_dataset.commune_nis FROM event_log "
        "JOIN opendata_dataset ON opendata_dataset.id = event_log.object_id "
        "WHERE event_log.object_type = 'OpendataDataset' AND event_log.scoped = false "
        "AND opendata_dataset.commune_nis IS NOT NULL"
    )
    op.execute("UPDATE event_log SET scoped = true WHERE object_type = 'OpendataDataset'")


def downgrade() -> None:
    op.execute(f"DELETE FROM event_scope_commune WHERE event_log_id IN ({EVENTS})")
    op.execute("UPDATE event_log SET scoped = false WHERE object_type = 'OpendataDataset'")
