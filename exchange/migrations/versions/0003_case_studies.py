"""case studies: case_studies, outcome links, revisions and the search outbox

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pseudonymous", sa.Boolean(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("what_was_done", sa.Text(), nullable=True),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("lessons_learned", sa.Text(), nullable=True),
        sa.Column("phase", sa.String(length=32), nullable=True),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("cost_band", sa.String(length=16), nullable=True),
        sa.Column("evidence_strength", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_case_studies_authority_id_authorities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_studies")),
        sa.UniqueConstraint("public_id", name=op.f("uq_case_studies_public_id")),
    )
    with op.batch_alter_table("case_studies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_studies_authority_status", ["authority_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_studies_status"), ["status"], unique=False)

    op.create_table(
        "case_study_outcome_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("baseline_period_id", sa.Integer(), nullable=False),
        sa.Column("follow_up_period_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_case_study_outcome_links_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metrics.id"],
            name=op.f("fk_case_study_outcome_links_metric_id_metrics"),
        ),
        sa.ForeignKeyConstraint(
            ["baseline_period_id"],
            ["periods.id"],
            name=op.f("fk_case_study_outcome_links_baseline_period_id_periods"),
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_period_id"],
            ["periods.id"],
            name=op.f("fk_case_study_outcome_links_follow_up_period_id_periods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_study_outcome_links")),
        sa.UniqueConstraint(
            "case_study_id", "position", name=op.f("uq_case_study_outcome_links_case_study_id")
        ),
    )
    with op.batch_alter_table("case_study_outcome_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_study_outcome_links_case_study_id"), ["case_study_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_study_outcome_links_metric_id"), ["metric_id"], unique=False
        )

    op.create_table(
        "case_study_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_case_study_revisions_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_study_revisions")),
        sa.UniqueConstraint(
            "case_study_id", "revision", name=op.f("uq_case_study_revisions_case_study_id")
        ),
    )
    with op.batch_alter_table("case_study_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_study_revisions_case_study_id"), ["case_study_id"], unique=False
        )

    op.create_table(
        "search_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_study_public_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_outbox_case_study_public_id"),
            ["case_study_public_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_outbox_case_study_public_id"))
    op.drop_table("search_outbox")
    with op.batch_alter_table("case_study_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_study_revisions_case_study_id"))
    op.drop_table("case_study_revisions")
    with op.batch_alter_table("case_study_outcome_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_study_outcome_links_metric_id"))
        batch_op.drop_index(batch_op.f("ix_case_study_outcome_links_case_study_id"))
    op.drop_table("case_study_outcome_links")
    with op.batch_alter_table("case_studies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_studies_status"))
        batch_op.drop_index("ix_case_studies_authority_status")
    op.drop_table("case_studies")
