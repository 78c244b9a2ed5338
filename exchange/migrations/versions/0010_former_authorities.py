"""former authorities and their figures, kept apart from the current 153

Cumbria, Northamptonshire, Dorset County, Poole and Bournemouth are in DfE's files for the years
they existed, and in England's and their region's figures for those years; their rows used to be
skipped, so the authorities' figures did not add up to England's.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "former_authorities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("la_code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_former_authorities")),
        sa.UniqueConstraint("la_code", name=op.f("uq_former_authorities_la_code")),
    )
    op.create_table(
        "former_authority_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("former_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("symbol", sa.String(length=8), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["former_id"],
            ["former_authorities.id"],
            name=op.f("fk_former_authority_figures_former_id_former_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_former_authority_figures_metric_id_metrics"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["periods.id"],
            name=op.f("fk_former_authority_figures_period_id_periods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_former_authority_figures")),
        sa.UniqueConstraint(
            "former_id",
            "metric_id",
            "period_id",
            name=op.f("uq_former_authority_figures_former_id"),
        ),
    )
    op.create_index(
        op.f("ix_former_authority_figures_former_id"),
        "former_authority_figures",
        ["former_id"],
    )
    op.create_index(
        op.f("ix_former_authority_figures_metric_id"), "former_authority_figures", ["metric_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_former_authority_figures_metric_id"), "former_authority_figures")
    op.drop_index(op.f("ix_former_authority_figures_former_id"), "former_authority_figures")
    op.drop_table("former_authority_figures")
    op.drop_table("former_authorities")
