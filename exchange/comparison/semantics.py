"""The comparison rules of docs/metrics.md, as pure functions over disclosed values.

rank: 1 = best by polarity (neutral: highest value first); ties share the lower number (1, 2, 2, 4).
percentile = 100 * (n - rank) / (n - 1) for n ranked entries (100 when n = 1).
quartile = min(4, floor(4 * (rank - 1) / n) + 1), 1 = best quarter.
Peer statistics use the peer group's disclosed values only, the subject excluded.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    """A direction of travel: polar metrics improve or worsen, neutral ones increase or
    decrease."""

    IMPROVING = "IMPROVING"
    WORSENING = "WORSENING"
    INCREASING = "INCREASING"
    DECREASING = "DECREASING"
    NO_CHANGE = "NO_CHANGE"
    NOT_COMPARABLE = "NOT_COMPARABLE"


@dataclass(frozen=True)
class Standing:
    rank: int
    percentile: float
    quartile: int


@dataclass(frozen=True)
class PeerStats:
    median: float | None
    mean: float | None
    minimum: float | None
    maximum: float | None
    count: int
    suppressed: int


def standings(values: Mapping[Hashable, float], polarity: str) -> dict[Hashable, Standing]:
    """Rank the given (disclosed) values; keys without a value must not be passed."""
    n = len(values)
    # lower_is_better ranks ascending; higher_is_better and neutral rank descending.
    sign = 1.0 if polarity == "lower_is_better" else -1.0
    ordered = sorted(values.values(), key=lambda v: sign * v)
    first_position: dict[float, int] = {}
    for position, v in enumerate(ordered, start=1):
        first_position.setdefault(v, position)
    out: dict[Hashable, Standing] = {}
    for key, v in values.items():
        rank = first_position[v]
        percentile = 100.0 if n == 1 else 100.0 * (n - rank) / (n - 1)
        quartile = min(4, math.floor(4 * (rank - 1) / n) + 1)
        out[key] = Standing(rank, percentile, quartile)
    return out


def tidy(value: float) -> float:
    """12 significant digits: the median of 40.1 and 40.2 is 40.15, not binary floating point's
    40.150000000000006 (no published figure has more than a few digits)."""
    return float(f"{value:.12g}")


def _mean(values: Sequence[float]) -> float:
    """fmean, except that finite values never average to inf (or raise): fmean sums first, and
    the sum of two values near the largest float overflows. Then the values are scaled by a power
    of two (exactly) below 1, averaged, and scaled back."""
    try:
        mean = statistics.fmean(values)
    except OverflowError:  # fsum's "intermediate overflow"
        mean = math.inf
    if math.isfinite(mean):
        return mean
    _, exponent = math.frexp(max(abs(v) for v in values))
    return math.ldexp(statistics.fmean([math.ldexp(v, -exponent) for v in values]), exponent)


def _median(values: Sequence[float]) -> float:
    """statistics.median, except that the middle pair is halved before adding when their sum
    would overflow."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    low, high = ordered[middle - 1], ordered[middle]
    median = (low + high) / 2
    return median if math.isfinite(median) else low / 2 + high / 2


def peer_stats(peer_values: Sequence[float | None]) -> PeerStats:
    disclosed = [v for v in peer_values if v is not None]
    suppressed = len(peer_values) - len(disclosed)
    if not disclosed:
        return PeerStats(None, None, None, None, 0, suppressed)
    return PeerStats(
        median=tidy(_median(disclosed)),
        mean=tidy(_mean(disclosed)),
        minimum=min(disclosed),
        maximum=max(disclosed),
        count=len(disclosed),
        suppressed=suppressed,
    )


def direction(previous: float | None, latest: float | None, polarity: str) -> str:
    """Direction of travel: IMPROVING / WORSENING / NO_CHANGE for a polar metric,
    INCREASING / DECREASING / NO_CHANGE for a neutral one, NOT_COMPARABLE without both values."""
    if previous is None or latest is None:
        return "NOT_COMPARABLE"
    if math.isclose(previous, latest, rel_tol=1e-9, abs_tol=1e-9):
        return "NO_CHANGE"
    up = latest > previous
    if polarity == "neutral":
        return "INCREASING" if up else "DECREASING"
    better = up if polarity == "higher_is_better" else not up
    return "IMPROVING" if better else "WORSENING"


@dataclass(frozen=True)
class Travel:
    """A direction of travel from one period to the next. The movement (``change``: up or down)
    and the judgement (``direction``: better or worse by polarity) are two things; ``reason``
    says, in words, why it is NOT_COMPARABLE."""

    direction: str
    change: float | None
    reason: str | None = None


def travel(
    previous: float | None,
    latest: float | None,
    polarity: str,
    *,
    previous_label: str,
    latest_label: str,
    previous_period_empty: bool = False,
    previous_demo: bool = False,
    latest_demo: bool = False,
) -> Travel:
    """The direction between two consecutive periods of one series. Never across two datasets
    (demo and real), never across a period with no figure (the one before is not used instead)."""
    reason: str | None = None
    if previous_period_empty:
        reason = (
            f"no figures for {previous_label}: a direction of travel compares consecutive "
            "periods and never skips a missing one"
        )
    elif previous is None:
        reason = f"no figure for {previous_label}"
    elif latest is None:
        reason = f"no figure for {latest_label}"
    elif previous_demo != latest_demo:
        demo, real = previous_label, latest_label
        if latest_demo:
            demo, real = real, demo
        reason = (
            f"{demo} is demo data (synthetic, not real) and {real} a real figure: "
            "demo and real figures are never compared"
        )
    if reason is not None:
        return Travel("NOT_COMPARABLE", None, reason)
    assert previous is not None and latest is not None
    return Travel(direction(previous, latest, polarity), tidy(latest - previous))
