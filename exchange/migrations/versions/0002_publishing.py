"""publishing (placeholder: filled in by the publishing work; kept so the revision chain is fixed)

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
