"""The API's shared enums. Where the domain has the vocabulary, it is the domain's enum, exposed
here under its API name (the values stay the domain's codes)."""

from __future__ import annotations

from enum import Enum

import strawberry

from exchange.authorities.vocab import AuthorityType, PeerGroup
from exchange.observations.models import AreaLevel, Visibility

__all__ = [
    "AreaLevel",
    "AuthorityType",
    "Direction",
    "PeerGroup",
    "PeriodKind",
    "Polarity",
    "Unit",
    "ViewerRole",
    "Visibility",
]

strawberry.enum(AuthorityType, description="Kind of local authority.")
strawberry.enum(
    PeerGroup,
    description="The authorities a subject is compared with (the "
    "subject is never in its own group).",
)
strawberry.enum(AreaLevel)
strawberry.enum(
    Visibility,
    description="Who may see a figure: PUBLIC (anyone, no token) or MEMBERS (any valid token).",
)


@strawberry.enum
class Unit(Enum):
    COUNT = "count"
    PERCENT = "percent"
    RATE = "rate"
    GBP = "gbp"
    FTE = "fte"


@strawberry.enum(description="Which direction is better for this metric.")
class Polarity(Enum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    NEUTRAL = "neutral"


@strawberry.enum(description="Academic (2024/25), calendar (2024) or financial (2023-24) year.")
class PeriodKind(Enum):
    ACADEMIC = "academic"
    CALENDAR = "calendar"
    FINANCIAL = "financial"


@strawberry.enum(
    description=(
        "Direction of travel; polar metrics say IMPROVING/WORSENING, "
        "neutral ones INCREASING/DECREASING."
    )
)
class Direction(Enum):
    IMPROVING = "IMPROVING"
    WORSENING = "WORSENING"
    INCREASING = "INCREASING"
    DECREASING = "DECREASING"
    NO_CHANGE = "NO_CHANGE"
    NOT_COMPARABLE = "NOT_COMPARABLE"


@strawberry.enum(description="What the presented token may do.")
class ViewerRole(Enum):
    ANONYMOUS = "anonymous"
    PUBLISHER = "publisher"
    ANALYST = "analyst"
    ADMIN = "admin"
