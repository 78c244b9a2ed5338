"""Shared by the importer tests: read one stored observation back."""

from __future__ import annotations

from sqlalchemy import select

from exchange.metrics.models import Metric
from exchange.observations.models import Observation
from exchange.periods.models import Period
from tests.conftest import Database


async def observation_value(
    db: Database, metric: str, label: str, area: str
) -> tuple[float | None, str | None]:
    """(value, symbol) of the observation of ``metric`` for ``label`` and area code ``area``."""
    async with db.sessions() as s:
        row = (
            await s.execute(
                select(Observation.value, Observation.symbol)
                .join(Metric, Metric.id == Observation.metric_id)
                .join(Period, Period.id == Observation.period_id)
                .where(Metric.code == metric, Period.label == label, Observation.area_code == area)
            )
        ).one()
    return row[0], row[1]
