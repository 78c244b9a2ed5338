"""Imports every model module so metadata (Alembic, tests) sees all tables."""

from exchange.audit.models import AuditEntry
from exchange.authorities.models import (
    Authority,
    FormerAuthority,
    FormerAuthorityFigure,
    StatisticalNeighbour,
)
from exchange.casestudies.models import (
    CaseStudy,
    CaseStudyOutcomeLink,
    CaseStudyRevision,
    SearchOutbox,
)
from exchange.db import Base
from exchange.metrics.models import Metric
from exchange.observations.models import (
    BreakdownFigure,
    DataVersion,
    Observation,
    ObservationRevision,
)
from exchange.peergroups.models import PeerGroup, PeerGroupMember
from exchange.periods.models import Period
from exchange.tokens.models import ApiToken
from exchange.websessions.models import WebSession

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Authority",
    "Base",
    "BreakdownFigure",
    "CaseStudy",
    "CaseStudyOutcomeLink",
    "CaseStudyRevision",
    "DataVersion",
    "FormerAuthority",
    "FormerAuthorityFigure",
    "Metric",
    "Observation",
    "ObservationRevision",
    "PeerGroup",
    "PeerGroupMember",
    "Period",
    "SearchOutbox",
    "StatisticalNeighbour",
    "WebSession",
]
