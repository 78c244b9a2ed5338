from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Kind of local authority.")
class AuthorityType(Enum):
    COUNTY = "county"
    UNITARY = "unitary"
    METROPOLITAN_DISTRICT = "metropolitan_district"
    LONDON_BOROUGH = "london_borough"


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
    description="The authorities a subject is compared with (the "
    "subject is never in its own group)."
)
class PeerGroup(Enum):
    STATISTICAL_NEIGHBOURS = "STATISTICAL_NEIGHBOURS"
    REGION = "REGION"
    AUTHORITY_TYPE = "AUTHORITY_TYPE"
    ENGLAND = "ENGLAND"


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


@strawberry.enum
class AreaLevel(Enum):
    NATIONAL = "national"
    REGIONAL = "regional"
    LOCAL_AUTHORITY = "local_authority"


@strawberry.enum(
    description="Who may see a figure: PUBLIC (anyone, no token) or MEMBERS (any valid token)."
)
class Visibility(Enum):
    PUBLIC = "public"
    MEMBERS = "members"


@strawberry.enum(description="What the presented token may do.")
class ViewerRole(Enum):
    ANONYMOUS = "anonymous"
    PUBLISHER = "publisher"
    ANALYST = "analyst"
    ADMIN = "admin"
