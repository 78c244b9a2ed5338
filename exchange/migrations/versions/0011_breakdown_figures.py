"""breakdown figures: DfE's figures by age, sex, ethnicity, years in place and placement type

The EES files give every total broken down; only the totals were imported. The breakdowns live
in a table of their own, so no read of the totals can pick one up by mistake.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breakdown_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("area_level", sa.String(length=20), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("breakdown_topic", sa.String(length=120), nullable=False),
        sa.Column("breakdown", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("symbol", sa.String(length=8), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["metric_id"], ["metrics.id"], name=op.f("fk_breakdown_figures_metric_id_metrics")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_breakdown_figures_period_id_periods")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_breakdown_figures_authority_id_authorities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breakdown_figures")),
        sa.UniqueConstraint(
            "metric_id",
            "period_id",
            "area_level",
            "area_code",
            "breakdown_topic",
            "breakdown",
            name=op.f("uq_breakdown_figures_metric_id"),
        ),
    )
    op.create_index(
        "ix_breakdown_figures_lookup",
        "breakdown_figures",
        ["metric_id", "breakdown_topic", "breakdown"],
    )


def downgrade() -> None:
    op.drop_index("ix_breakdown_figures_lookup", table_name="breakdown_figures")
    op.drop_table("breakdown_figures")
