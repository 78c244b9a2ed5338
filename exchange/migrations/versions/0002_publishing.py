"""publishing: tokens, audit log, custom peer groups, pseudonymous lookups

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authorities.id"], name=op.f("fk_api_tokens_authority_id_authorities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_authority_id"), "api_tokens", ["authority_id"], unique=False)

    op.create_table(
        "peer_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("owner_authority_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_authority_id"],
            ["authorities.id"],
            name=op.f("fk_peer_groups_owner_authority_id_authorities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_groups")),
        sa.UniqueConstraint("public_id", name=op.f("uq_peer_groups_public_id")),
    )
    op.create_index(
        op.f("ix_peer_groups_owner_authority_id"), "peer_groups", ["owner_authority_id"], unique=False
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_authority_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_authority_id"],
            ["authorities.id"],
            name=op.f("fk_audit_log_actor_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_token_id"], ["api_tokens.id"], name=op.f("fk_audit_log_actor_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("public_id", name=op.f("uq_audit_log_public_id")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_index(op.f("ix_audit_log_actor_token_id"), "audit_log", ["actor_token_id"], unique=False)
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"], unique=False)

    op.create_table(
        "peer_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_peer_group_members_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["peer_groups.id"], name=op.f("fk_peer_group_members_group_id_peer_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_group_members")),
        sa.UniqueConstraint("group_id", "authority_id", name=op.f("uq_peer_group_members_group_id")),
    )
    op.create_index(
        op.f("ix_peer_group_members_group_id"), "peer_group_members", ["group_id"], unique=False
    )

    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index("ix_observations_pseudonymous", ["pseudonymous"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("ix_observations_pseudonymous")
    op.drop_index(op.f("ix_peer_group_members_group_id"), table_name="peer_group_members")
    op.drop_table("peer_group_members")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_token_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_peer_groups_owner_authority_id"), table_name="peer_groups")
    op.drop_table("peer_groups")
    op.drop_index(op.f("ix_api_tokens_authority_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
