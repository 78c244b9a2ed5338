"""hardening: a partial index for pseudonymous figures

Every comparison and trend looks up the pseudonymous figures (a handful among hundreds of
thousands). The plain index on the boolean is useless once the planner has statistics (one value
covers nearly every row), so both SQLite and PostgreSQL fell back to scanning the table: 150 ms
at 1.2 million observations. A partial index holding only the pseudonymous rows is always tiny.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "ix_observations_pseudonymous_only"


def upgrade() -> None:
    op.create_index(
        INDEX,
        "observations",
        ["metric_id", "period_id"],
        sqlite_where=sa.text("pseudonymous = 1"),
        postgresql_where=sa.text("pseudonymous = true"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="observations")
