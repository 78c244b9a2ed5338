"""The API's shared enums. Where the domain has the vocabulary, it is the domain's enum, exposed
here under its API name (the values stay the domain's codes)."""

from __future__ import annotations

import strawberry

from exchange.authorities.vocab import AuthorityType, PeerGroup
from exchange.comparison.semantics import Direction
from exchange.metrics.vocab import PeriodKind, Polarity, Unit
from exchange.observations.models import AreaLevel, Visibility
from exchange.viewer import Role as ViewerRole

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


strawberry.enum(Unit)
strawberry.enum(Polarity, description="Which direction is better for this metric.")
strawberry.enum(
    PeriodKind, description="Academic (2024/25), calendar (2024) or financial (2023-24) year."
)


strawberry.enum(
    Direction,
    description=(
        "Direction of travel; polar metrics say IMPROVING/WORSENING, "
        "neutral ones INCREASING/DECREASING."
    ),
)
strawberry.enum(ViewerRole, name="ViewerRole", description="What the presented token may do.")
