"""workshops: audit entries name events and registrations by their GraphQL types.

They were written as ``Event``/``Registration`` (the models' names), so ``auditTrail(object:)``
with an object's global ID (``WorkshopsEvent:<id>``...) found nothing. Only entries whose key
is one of this plugin's rows are renamed: another plugin may have a model named ``Event``.

Revision ID: workshops_0004
Revises: workshops_0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workshops_0004"
down_revision: str | Sequence[str] | None = "workshops_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (model name, GraphQL type, table)
NAMES = (
    ("Event", "WorkshopsEvent", "workshops_event"),
    ("Registration", "WorkshopsRegistration", "workshops_registration"),
)


def _rename(old: str, new: str, table: str) -> None:
    op.execute(
        sa.text(
            "UPDATE audit_entry SET object_type = :new WHERE object_type = :old "
            f"AND object_id IN (SELECT id FROM {table})"
        ).bindparams(old=old, new=new)
    )


def upgrade() -> None:
    for model, graphql_type, table in NAMES:
        _rename(model, graphql_type, table)


def downgrade() -> None:
    for model, graphql_type, table in NAMES:
        _rename(graphql_type, model, table)
