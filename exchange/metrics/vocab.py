"""A metric's vocabulary: its unit, its polarity and the kind of year it is counted in. The codes
are stored in the catalogue (seed/metrics.toml) and exposed as the API's enums."""

from __future__ import annotations

from enum import StrEnum


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    RATE = "rate"
    GBP = "gbp"
    FTE = "fte"


class Polarity(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    NEUTRAL = "neutral"


class PeriodKind(StrEnum):
    ACADEMIC = "academic"
    CALENDAR = "calendar"
    FINANCIAL = "financial"
