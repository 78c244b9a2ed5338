"""a reference version: a counter raised only by writes to the reference data

Authorities, statistical neighbours, metrics and periods change rarely; observations change with
every publication. What is derived from the reference data alone is keyed by this counter, so a
council's publication no longer makes every worker rebuild it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_VERSIONS = sa.table(
    "data_versions",
    sa.column("name", sa.String),
    sa.column("counter", sa.Integer),
    sa.column("stamp", sa.String),
)


def upgrade() -> None:
    op.bulk_insert(_VERSIONS, [{"name": "reference", "counter": 0, "stamp": uuid.uuid4().hex}])


def downgrade() -> None:
    op.execute(_VERSIONS.delete().where(_VERSIONS.c.name == "reference"))
