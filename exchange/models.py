"""Imports every model module so metadata (Alembic, tests) sees all tables."""

from exchange.authorities.models import Authority, StatisticalNeighbour
from exchange.db import Base
from exchange.metrics.models import Metric
from exchange.observations.models import Observation, ObservationRevision
from exchange.periods.models import Period

__all__ = [
    "Authority",
    "Base",
    "Metric",
    "Observation",
    "ObservationRevision",
    "Period",
    "StatisticalNeighbour",
]
