"""demo dataset apart, pseudonymous release times, rate numerator floors

- Demo observations get rows of their own: the unique key gains ``is_demo``, so a council's real
  publication never deletes or changes a demo row (it did, and the moment a demo row vanished
  named the council behind a new pseudonymous label).
- ``first_published_at``: when a series was first published. Pseudonymous real figures become
  visible to others only at the release time after it (exchange/pseudonyms.py, ReleaseSchedule).
- ``numerator_floor``: for rate metrics, the smallest numerator value the current revision of the
  rate has stood beside (NULL when it stood beside none); a rate is shown only when it is at
  least the disclosure threshold (exchange/observations/disclosure.py).

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEY = ["metric_id", "period_id", "area_level", "area_code"]
UNIQUE = "uq_observations_metric_id"


def upgrade() -> None:
    with op.batch_alter_table("observations") as batch:
        batch.add_column(sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("numerator_floor", sa.Float(), nullable=True))
        batch.drop_constraint(UNIQUE, type_="unique")
        batch.create_unique_constraint(UNIQUE, [*KEY, "is_demo"])
    op.execute(
        "UPDATE observations SET first_published_at = (SELECT MIN(r.created_at) FROM "
        "observation_revisions r WHERE r.observation_id = observations.id)"
    )
    _backfill_floors()


def _backfill_floors() -> None:
    """Floors for the rate rows already stored: every numerator state since the rate's current
    revision was published (the one in force then, and each later one)."""
    bind = op.get_bind()
    rates = bind.execute(
        sa.text(
            "SELECT m.id, n.id FROM metrics m JOIN metrics n ON n.code = m.numerator_code "
            "WHERE m.disclosure_rule = 'rate'"
        )
    ).all()
    for rate_id, numerator_id in rates:
        rows = bind.execute(
            sa.text(
                "SELECT id, period_id, area_level, area_code, is_demo, updated_at "
                "FROM observations WHERE metric_id = :m"
            ),
            {"m": rate_id},
        ).all()
        for oid, period_id, level, code, is_demo, since in rows:
            numerator = bind.execute(
                sa.text(
                    "SELECT id FROM observations WHERE metric_id = :m AND period_id = :p "
                    "AND area_level = :l AND area_code = :c AND is_demo = :d"
                ),
                {"m": numerator_id, "p": period_id, "l": level, "c": code, "d": is_demo},
            ).scalar()
            if numerator is None:
                continue
            states = bind.execute(
                sa.text(
                    "SELECT value, created_at, withdrawn FROM observation_revisions "
                    "WHERE observation_id = :o ORDER BY revision"
                ),
                {"o": numerator},
            ).all()
            in_force = [s for s in states if s.created_at <= since]
            later = [s for s in states if s.created_at > since]
            considered = ([in_force[-1]] if in_force else [None]) + later
            values = [None if s is None or s.withdrawn else s.value for s in considered]
            floor = None if any(v is None for v in values) else min(values)
            bind.execute(
                sa.text("UPDATE observations SET numerator_floor = :f WHERE id = :o"),
                {"f": floor, "o": oid},
            )


def downgrade() -> None:
    op.execute("DELETE FROM observation_revisions WHERE observation_id IN "
               "(SELECT id FROM observations WHERE is_demo = true AND EXISTS (SELECT 1 FROM "
               "observations o2 WHERE o2.metric_id = observations.metric_id AND o2.period_id = "
               "observations.period_id AND o2.area_level = observations.area_level AND "
               "o2.area_code = observations.area_code AND o2.is_demo = false))")
    op.execute("DELETE FROM observations WHERE is_demo = true AND EXISTS (SELECT 1 FROM "
               "observations o2 WHERE o2.metric_id = observations.metric_id AND o2.period_id = "
               "observations.period_id AND o2.area_level = observations.area_level AND "
               "o2.area_code = observations.area_code AND o2.is_demo = false)")
    with op.batch_alter_table("observations") as batch:
        batch.drop_constraint(UNIQUE, type_="unique")
        batch.create_unique_constraint(UNIQUE, KEY)
        batch.drop_column("numerator_floor")
        batch.drop_column("first_published_at")
