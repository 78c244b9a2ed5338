"""Disclosure control: what value (or symbol) a viewer may see for one observation.

Every read path goes through ``disclose``; aggregates are computed from its output only, so no
aggregate, rank or count can reveal a value a viewer may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from exchange.observations.models import Observation
from exchange.viewer import Viewer


class Rules(Protocol):
    """What disclosure reads of a metric: an ORM Metric or a cached MetricRef."""

    @property
    def disclosure_rule(self) -> str: ...

    @property
    def disclosure_threshold(self) -> int: ...

    @property
    def self_reported(self) -> bool: ...


NOT_AVAILABLE = "x"
CONFIDENTIAL = "c"


@dataclass(frozen=True)
class Disclosed:
    value: float | None
    symbol: str | None
    flags: str = ""

    @property
    def is_disclosed(self) -> bool:
        return self.value is not None


MISSING = Disclosed(None, NOT_AVAILABLE)


def can_see(obs: Observation, viewer: Viewer) -> bool:
    """Members-only rows do not exist for viewers without the read:members scope (anonymous
    ones, and a publisher's own token created without it, included): they look exactly like no
    row, on every read path (the SQL ones filter by ``viewer.visibilities()`` too)."""
    if obs.withdrawn:
        return False
    return obs.visibility in viewer.visibilities()


def disclose(
    obs: Observation | None,
    metric: Rules,
    viewer: Viewer,
    numerator: Observation | None = None,
    *,
    check_floor: bool = True,
) -> Disclosed:
    """``check_floor``: a rate's current revision is shown only if every numerator it has stood
    beside was large enough (``Observation.numerator_floor``); the history of a figure checks each
    past revision against its own numerators instead."""
    if obs is None or not can_see(obs, viewer):
        return MISSING
    if obs.value is None:
        return Disclosed(None, obs.symbol or NOT_AVAILABLE, obs.flags)
    if viewer.owns(obs.authority_id) and metric.self_reported:
        return Disclosed(obs.value, obs.symbol, obs.flags)
    if numerator is not None and not _usable_numerator(obs, numerator, viewer):
        numerator = None
    if is_small_number(obs, metric, numerator):
        return Disclosed(None, CONFIDENTIAL, obs.flags)
    if check_floor and metric.disclosure_rule == "rate" and stood_beside_small(obs, metric):
        return Disclosed(None, CONFIDENTIAL, obs.flags)
    return Disclosed(obs.value, obs.symbol, obs.flags)


def stood_beside_small(obs: Observation, metric: Rules) -> bool:
    """A rate computed from a small numerator stays suppressed when only the numerator is revised
    upwards: beside its denominator, the stale rate would give the small count back."""
    floor = obs.numerator_floor
    return floor is None or floor < metric.disclosure_threshold


def _usable_numerator(obs: Observation, numerator: Observation, viewer: Viewer) -> bool:
    """A numerator decides a rate's suppression only when the viewer could see it too, and it is
    published the same way (named or pseudonymous): otherwise whether the rate is shown would say
    something about a figure the viewer may not see, or link a pseudonym to a named figure.
    An unusable numerator counts as unknown, and an unknown numerator suppresses the rate."""
    return can_see(numerator, viewer) and numerator.pseudonymous == obs.pseudonymous


def is_small_number(obs: Observation, metric: Rules, numerator: Observation | None) -> bool:
    threshold = metric.disclosure_threshold
    if metric.disclosure_rule == "count":
        return obs.value is not None and obs.value < threshold
    if metric.disclosure_rule == "rate":
        # A rate is only as safe as its numerator: unknown numerator counts as small.
        if numerator is None or numerator.value is None:
            return True
        return numerator.value < threshold
    return False
