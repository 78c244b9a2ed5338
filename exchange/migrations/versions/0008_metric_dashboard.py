"""metrics shown on the authority dashboard

The catalogue holds the whole DfE release (about 130 metrics); the dashboard shows a chosen
set, led by shares, rates and timeliness (``on_dashboard``). Every metric keeps its comparison
page and its place in the API.

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("metrics") as batch:
        batch.add_column(
            sa.Column("on_dashboard", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("metrics") as batch:
        batch.drop_column("on_dashboard")
