"""data versions: a counter raised by every transaction that writes observations or reference data

Lets a worker reuse what it derived from the data (the pseudonym policy, the reference lookups of
comparisons) until another transaction, in any worker, changes it.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.bulk_insert(table, [{"name": "data", "counter": 0, "stamp": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("data_versions")
